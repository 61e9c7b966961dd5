"""Is the audit log still the one the output was made from?

Each manifest records an anchor: the audit-log entry (seq and hash) of the newest approval its
files were made from, and each run sheet prints it as a short code, so a paper copy anchors it
too. A log that was deleted, emptied, replaced by an older copy or cut short no longer holds
those entries; the database's head file (broadcast.core.audit) catches a log cut short after its
last anchor. `produce` and `approve` refuse to go on over such a log (they would start a new
chain and treat everything as a draft), and `verify` names what is missing."""

from __future__ import annotations

import sqlite3

from broadcast.core import audit
from broadcast.core.config import Workspace
from broadcast.core.errors import BroadcastError
from broadcast.produce.manifest import ManifestError, read_manifest

RESTORE_HINT = ("restore the database from a copy made with `broadcast backup` (`broadcast restore FILE`); "
                "if the loss is known and accepted, move the output/<date> folders it names aside")


class AuditLogLost(BroadcastError):
    """The audit log lacks entries that existing output or its head file vouch for."""


def anchor_of(conn: sqlite3.Connection, seqs: list[int]) -> dict | None:
    """The manifest's anchor for output made from the approvals `seqs` (None when there are none)."""
    if not seqs:
        return None
    seq = max(seqs)
    row = conn.execute("SELECT entry_hash FROM audit_log WHERE seq = ?", (seq,)).fetchone()
    if row is None:
        return None
    return {"seq": seq, "entry_hash": row[0], "code": audit.anchor_code(row[0], seq)}


def audit_problems(ws: Workspace, conn: sqlite3.Connection) -> list[str]:
    """Every sign that the log lost entries: its head file, and each date's manifest anchor."""
    problems: list[str] = []
    head = audit.check_head(conn)
    if head:
        problems.append(head)
    out = ws.output_dir
    if out.is_dir():
        for folder in sorted(p for p in out.iterdir() if p.is_dir()):
            try:
                anchor = read_manifest(folder).get("audit_anchor")
            except ManifestError:
                continue          # missing or corrupt: `verify` reports it on its own
            if not isinstance(anchor, dict):
                continue
            try:
                seq, entry_hash = int(anchor["seq"]), str(anchor["entry_hash"])
            except (KeyError, TypeError, ValueError):
                problems.append(f"output/{folder.name}/manifest.json: its audit anchor is damaged")
                continue
            if not audit.holds(conn, seq, entry_hash):
                problems.append(f"output/{folder.name} was made from audit-log entry "
                                f"{audit.anchor_code(entry_hash, seq)}, which the log no longer holds")
    return problems


def require_intact_audit_log(ws: Workspace, conn: sqlite3.Connection) -> None:
    problems = audit_problems(ws, conn)
    if problems:
        more = f" (and {len(problems) - 1} more: `broadcast verify` lists them)" if len(problems) > 1 else ""
        raise AuditLogLost(f"{problems[0]}{more}", ws.db_path, hint=RESTORE_HINT)
