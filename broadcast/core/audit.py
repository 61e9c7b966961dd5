"""The append-only audit log: approvals (and later productions, imports) with a hash chain."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import datetime, timezone

from broadcast.core.models import Approval

GENESIS = "0" * 64


def _entry_hash(prev_hash: str, at: str, actor: str, action: str, subject: str, sha256: str | None,
                detail: str) -> str:
    payload = json.dumps([prev_hash, at, actor, action, subject, sha256, detail], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(conn: sqlite3.Connection, *, actor: str, action: str, subject: str, sha256: str | None,
           detail: dict | None = None) -> int:
    """Add one entry; returns its sequence number. Runs in its own write transaction so the
    chain never forks under concurrent writers."""
    at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    detail_text = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True)
    own_tx = not conn.in_transaction
    if own_tx:
        conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute("SELECT entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        prev = row[0] if row else GENESIS
        entry = _entry_hash(prev, at, actor, action, subject, sha256, detail_text)
        cur = conn.execute(
            "INSERT INTO audit_log (at, actor, action, subject, sha256, detail, prev_hash, entry_hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (at, actor, action, subject, sha256, detail_text, prev, entry),
        )
        if own_tx:
            conn.execute("COMMIT")
    except BaseException:
        if own_tx:
            conn.execute("ROLLBACK")
        raise
    return int(cur.lastrowid)


def verify_chain(conn: sqlite3.Connection) -> list[int]:
    """Sequence numbers of entries whose hash does not match (edited outside the project)."""
    broken: list[int] = []
    prev = GENESIS
    for r in conn.execute("SELECT * FROM audit_log ORDER BY seq"):
        expected = _entry_hash(prev, r["at"], r["actor"], r["action"], r["subject"], r["sha256"], r["detail"])
        if r["prev_hash"] != prev or r["entry_hash"] != expected:
            broken.append(r["seq"])
        prev = r["entry_hash"]
    return broken


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
