"""The as-run log: what went on air, append-only and hash-chained (the table is in core/db.py).

One row per attempt to air an item. An item that starts playing gets a 'started' row at once and
a closing row (aired / interrupted / failed) with the same `attempt` when it ends, each row
carrying the whole record; a refused item gets one 'refused' row. A player killed mid-item
leaves a 'started' row without a closing row: the next player on that output closes it as
interrupted (`close_orphans`). Each row's hash covers the previous row's hash, so an edit made
outside broadcast shows (`verify_chain`)."""

from __future__ import annotations

import getpass
import json
import os
import sqlite3
import uuid
from datetime import datetime, timezone

from broadcast.core import hashchain

RESULTS = ("started", "aired", "refused", "interrupted", "failed")
CLOSING = ("aired", "interrupted", "failed")
STARTED_BY = ("schedule", "operator", "emergency")
# The record, in the order the hash covers it (every column but seq and the two hashes).
COLUMNS = ("at", "attempt", "result", "reason", "day", "area", "slot", "planned_at", "started_at", "ended_at",
           "aired_seconds", "file_seconds", "file", "sha256", "announcement", "language", "priority",
           "approved_text_sha256", "approval_sha256", "approved_by", "approved_at", "output", "output_key",
           "started_by", "operator", "detail")
ENV_OPERATOR = "BROADCAST_OPERATOR"


def operator_name() -> str:
    """Who runs the player: $BROADCAST_OPERATOR, else the login name."""
    name = os.environ.get(ENV_OPERATOR)
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def new_attempt() -> str:
    return uuid.uuid4().hex


def _clean(record: dict) -> dict:
    out = {c: record.get(c) for c in COLUMNS}
    for c in ("aired_seconds", "file_seconds"):
        if out[c] is not None:
            out[c] = round(float(out[c]), 3)
    detail = out["detail"]
    out["detail"] = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True) if not isinstance(detail, str) \
        else detail
    if out["result"] not in RESULTS:
        raise ValueError(f"unknown as-run result {out['result']!r}")
    if out["started_by"] not in STARTED_BY:
        raise ValueError(f"unknown started_by {out['started_by']!r}")
    return out


def append(conn: sqlite3.Connection, record: dict) -> int:
    """Add one row (a dict with the COLUMNS; `at` is filled in); returns its seq. Its own write
    transaction, so the chain never forks when several players write."""
    record = dict(record)
    record["at"] = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    row = _clean(record)
    return hashchain.append(conn, "as_run_log", COLUMNS, [row[c] for c in COLUMNS])[0]


def verify_chain(conn: sqlite3.Connection) -> list[int]:
    """Seqs of rows whose hash does not match (edited, inserted or removed outside broadcast)."""
    return hashchain.verify(conn, "as_run_log", COLUMNS)


def record_of(row) -> dict:
    """A row as a dict of COLUMNS (detail parsed), e.g. to write the closing row of a started one."""
    out = {c: row[c] for c in COLUMNS}
    out["detail"] = json.loads(row["detail"] or "{}")
    return out


def open_attempts(conn: sqlite3.Connection, output_key: str) -> list:
    """'started' rows on this output that no closing row answers."""
    return list(conn.execute(
        "SELECT * FROM as_run_log s WHERE s.result = 'started' AND s.output_key = ? AND NOT EXISTS "
        "(SELECT 1 FROM as_run_log c WHERE c.attempt = s.attempt AND c.result != 'started') ORDER BY s.seq",
        (output_key,)))


def close_orphans(conn: sqlite3.Connection, output_key: str, heartbeat: dict | None, stamp: str) -> list[dict]:
    """Close the items a killed player left playing on this output, as interrupted. The last
    heartbeat, when it is that item's, tells how far it got; else the end is unknown. Call it
    only while holding the output's lock (no live player is then airing there)."""
    closed = []
    for row in open_attempts(conn, output_key):
        rec = record_of(row)
        beat = heartbeat if heartbeat and heartbeat.get("attempt") == rec["attempt"] else None
        rec.update(result="interrupted",
                   reason=("the player stopped mid-item (killed or the power went); found at the next start "
                           f"{stamp}"),
                   ended_at=beat.get("at") if beat else None,
                   aired_seconds=beat.get("position") if beat else None)
        rec["detail"] = {**rec["detail"], "closed_at_restart": stamp, "end_known": bool(beat)}
        append(conn, rec)
        closed.append(rec)
    return closed


def rows(conn: sqlite3.Connection, days: list[str], area: str | None = None) -> list:
    """Every row of these broadcast days (and area), in log order."""
    if not days:
        return []
    marks = ", ".join("?" for _ in days)
    sql = f"SELECT * FROM as_run_log WHERE day IN ({marks})"
    params: list = list(days)
    if area:
        sql += " AND area = ?"
        params.append(area)
    return list(conn.execute(sql + " ORDER BY seq", params))


def attempts(conn: sqlite3.Connection, days: list[str], area: str | None = None) -> list[dict]:
    """One record per attempt: the closing row of each started item (a 'started' row still
    open stands for itself), and every refused row."""
    out: dict[str, dict] = {}
    first: dict[str, int] = {}
    for r in rows(conn, days, area):
        rec = record_of(r)
        rec["seq"] = r["seq"]
        first.setdefault(rec["attempt"], r["seq"])
        if rec["attempt"] in out and r["result"] == "started":
            continue
        out[rec["attempt"]] = rec
    # in the order the attempts began (the log's order; clocks can be set, the log cannot)
    return sorted(out.values(), key=lambda rec: first[rec["attempt"]])


def aired_in_day(conn: sqlite3.Connection, day: str, area: str) -> list[dict]:
    """The closing rows (and refusals) of a day in an area: what the scheduler must not redo."""
    return [a for a in attempts(conn, [day], area) if a["result"] != "started"]


def ever_aired(conn: sqlite3.Connection, area: str, announcement: str, language: str, approval_sha256: str) -> bool:
    """Has this approved version of the announcement gone on air in the area, any day?"""
    return conn.execute(
        "SELECT 1 FROM as_run_log WHERE result = 'aired' AND area = ? AND announcement = ? AND language = ? "
        "AND approval_sha256 = ? LIMIT 1", (area, announcement, language, approval_sha256)).fetchone() is not None
