"""The append-only audit log: approvals (and later productions, imports) with a hash chain."""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from pathlib import Path
from datetime import datetime, timezone

from broadcast.core import hashchain
from broadcast.core.models import Approval

# An entry, in the order its hash covers it (every column but seq and the two hashes).
COLUMNS = ("at", "actor", "action", "subject", "sha256", "detail")


def append(conn: sqlite3.Connection, *, actor: str, action: str, subject: str, sha256: str | None,
           detail: dict | None = None) -> int:
    """Add one entry; returns its sequence number. Runs in its own write transaction so the
    chain never forks under concurrent writers."""
    at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    detail_text = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True)
    own_tx = not conn.in_transaction
    seq, entry = hashchain.append(conn, "audit_log", COLUMNS, (at, actor, action, subject, sha256, detail_text))
    if own_tx:
        remember_head(conn, seq, entry)
    return seq


# ---------------------------------------------------------------- the head, kept beside the file
#
# `<database>.head` holds the newest (seq, entry_hash) ever written. A log that was deleted,
# replaced by an older copy, or cut short then ends before its own head: `check_head` says so.


def head_path(conn: sqlite3.Connection) -> Path | None:
    """`<database>.head` for a SQLite file; None for an in-memory or PostgreSQL database (a
    server keeps its own logs and backups)."""
    if not isinstance(conn, sqlite3.Connection):
        return None
    row = conn.execute("PRAGMA database_list").fetchone()
    return Path(row[2] + ".head") if row and row[2] else None


def remember_head(conn: sqlite3.Connection, seq: int, entry_hash: str) -> None:
    """Move the head file forward (never back), under a lock so concurrent writers agree."""
    path = head_path(conn)
    if path is None:
        return
    with open(path.with_suffix(path.suffix + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        known = read_head(path)
        if known is not None and known[0] >= seq:
            return
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"seq": seq, "entry_hash": entry_hash}) + "\n", encoding="utf-8")
        os.replace(tmp, path)


def read_head(path: Path) -> tuple[int, str] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return int(data["seq"]), str(data["entry_hash"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return (-1, "")     # unreadable: reported by check_head


def check_head(conn: sqlite3.Connection) -> str | None:
    """Why the log is not the one its head file remembers (None when it is)."""
    path = head_path(conn)
    known = read_head(path) if path is not None else None
    if known is None:
        return None
    if known[0] < 0:
        return f"{path} is unreadable; it remembers where the audit log ends"
    if not holds(conn, *known):
        now = head(conn)
        ends = f"now ends at entry #{now[0]}" if now else "is now empty"
        return (f"the audit log has lost entries: it reached entry #{known[0]} (see {path.name}) but {ends}; "
                "it was deleted, replaced by an older copy or cut short")
    return None


def head(conn: sqlite3.Connection) -> tuple[int, str] | None:
    """(seq, entry_hash) of the newest entry, or None for an empty log."""
    row = conn.execute("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1])) if row else None


def holds(conn: sqlite3.Connection, seq: int, entry_hash: str) -> bool:
    """Whether the log still holds entry `seq` with exactly this hash (an anchor written into a
    manifest or onto a paper run sheet)."""
    row = conn.execute("SELECT entry_hash FROM audit_log WHERE seq = ?", (seq,)).fetchone()
    return row is not None and row[0] == entry_hash


def latest_sha256(conn: sqlite3.Connection, action: str, subject: str) -> str | None:
    """The sha256 the newest `action` entry about `subject` recorded (None: no such entry)."""
    row = conn.execute("SELECT sha256 FROM audit_log WHERE action = ? AND subject = ? ORDER BY seq DESC LIMIT 1",
                       (action, subject)).fetchone()
    return row[0] if row else None


def anchor_code(entry_hash: str, seq: int) -> str:
    """The short form of an anchor printed on run sheets: '#seq-xxxxxxxx'."""
    return f"#{seq}-{entry_hash[:8]}"


def verify_chain(conn: sqlite3.Connection) -> list[int]:
    """Sequence numbers of entries whose hash does not match (edited outside the project)."""
    return hashchain.verify(conn, "audit_log", COLUMNS)


def record_approval(conn: sqlite3.Connection, *, announcement_id: str, sha256: str, by: str, path: str,
                    text_sha256: str) -> Approval:
    seq = append(conn, actor=by, action="approve", subject=announcement_id, sha256=sha256,
                 detail={"path": path, "text_sha256": text_sha256})
    row = conn.execute("SELECT * FROM audit_log WHERE seq = ?", (seq,)).fetchone()
    return _approval(row)


def latest_approvals(conn: sqlite3.Connection) -> dict[str, Approval]:
    """The newest approval of each announcement id."""
    out: dict[str, Approval] = {}
    for r in conn.execute("SELECT * FROM audit_log WHERE action = 'approve' ORDER BY seq"):
        out[r["subject"]] = _approval(r)
    return out


def approval_for(conn: sqlite3.Connection, announcement_id: str, sha256: str) -> Approval | None:
    """The approval covering exactly this content, if it is the newest approval of the id."""
    r = conn.execute(
        "SELECT * FROM audit_log WHERE action = 'approve' AND subject = ? ORDER BY seq DESC LIMIT 1",
        (announcement_id,),
    ).fetchone()
    if r is None or r["sha256"] != sha256:
        return None
    return _approval(r)


def _approval(r: sqlite3.Row) -> Approval:
    detail = json.loads(r["detail"] or "{}")
    return Approval(seq=r["seq"], announcement_id=r["subject"], sha256=r["sha256"], by=r["actor"],
                    at=r["at"], path=detail.get("path", ""))


# ---------------------------------------------------------------- accepted readings

READING_ACCEPTED = "accept-reading"
# How a reading came to be accepted: heard in full by Whisper, accepted by a person despite the
# verification (with a reason), or approved by a second person who listened to it.
READING_HOW = ("verified", "overridden", "listened")


def record_reading_acceptance(conn: sqlite3.Connection, *, subject: str, sha256: str, text_sha256: str,
                              reader: str, accepted_by: str, how: str, reason: str = "",
                              detail: dict | None = None) -> int:
    """One accepted human reading: `sha256` of the file that is aired, `text_sha256` of the
    approved text it reads, who read it and who accepted it (the entry's actor). `subject` is
    "<announcement id>/<lang>" or "phrase:<name>"."""
    if how not in READING_HOW:
        raise ValueError(f"how must be one of {READING_HOW}, not {how!r}")
    return append(conn, actor=accepted_by, action=READING_ACCEPTED, subject=subject, sha256=sha256,
                  detail={**(detail or {}), "text_sha256": text_sha256, "reader": reader, "how": how,
                          "reason": reason})


def _reading(r: sqlite3.Row) -> dict:
    detail = json.loads(r["detail"] or "{}")
    return {**detail, "seq": r["seq"], "at": r["at"], "accepted_by": r["actor"], "subject": r["subject"],
            "sha256": r["sha256"]}


def latest_reading_acceptance(conn: sqlite3.Connection, subject: str) -> dict | None:
    """The newest accepted reading of `subject` ({sha256, text_sha256, reader, accepted_by, how,
    reason, at, seq, …}), or None."""
    r = conn.execute("SELECT * FROM audit_log WHERE action = ? AND subject = ? ORDER BY seq DESC LIMIT 1",
                     (READING_ACCEPTED, subject)).fetchone()
    return _reading(r) if r is not None else None


def latest_reading_acceptances(conn: sqlite3.Connection) -> dict[str, dict]:
    """The newest accepted reading of every subject, in one query (the studio's overview)."""
    out: dict[str, dict] = {}
    for r in conn.execute("SELECT * FROM audit_log WHERE action = ? ORDER BY seq", (READING_ACCEPTED,)):
        out[r["subject"]] = _reading(r)
    return out
