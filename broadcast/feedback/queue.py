"""The review queue: feedback items in the workspace database. This module is the whole API a
front end needs (the CLI now, the review web page later): add, find, list with filters and
pagination, get, update with an expected version, tag, resolve, dismiss.

Concurrency: every change is `UPDATE … WHERE id = ? AND version = ?` and bumps `version`; a
caller holding a stale version gets VersionConflict instead of silently overwriting someone
else's review. Each review action is also written to the append-only audit log."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timezone

from broadcast.core import audit
from broadcast.feedback.models import (
    STATUSES,
    FeedbackItem,
    ItemNotFound,
    Page,
    QueueError,
    Transcript,
    VersionConflict,
)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
TAG_RE = re.compile(r"^[\w-][\w .:/-]{0,62}$", re.UNICODE)
# Fields a reviewer may change through update_item().
EDITABLE = ("status", "corrected_transcript", "announcement_id", "area", "reviewer", "note")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class NewItem:
    """What `broadcast transcribe` hands to the queue for one recording."""

    source_name: str
    sha256: str
    stored_path: str
    received_at: str
    transcript: Transcript
    announcement_id: str | None = None
    area: str | None = None


def _item(conn: sqlite3.Connection, row: sqlite3.Row) -> FeedbackItem:
    tags = [r[0] for r in conn.execute("SELECT tag FROM feedback_tags WHERE item_id = ? ORDER BY tag", (row["id"],))]
    return FeedbackItem(
        id=row["id"], source_name=row["source_name"], sha256=row["sha256"], stored_path=row["stored_path"],
        received_at=row["received_at"], duration=row["duration"], language=row["language"],
        transcript=row["transcript"], segments=json.loads(row["segments"]),
        corrected_transcript=row["corrected_transcript"], announcement_id=row["announcement_id"],
        area=row["area"], status=row["status"], tags=tags, reviewer=row["reviewer"], note=row["note"],
        backend=row["backend"], model=row["model"], created_at=row["created_at"],
        updated_at=row["updated_at"], version=row["version"],
    )


def find_by_sha256(conn: sqlite3.Connection, sha256: str) -> FeedbackItem | None:
    row = conn.execute("SELECT * FROM feedback_items WHERE sha256 = ?", (sha256,)).fetchone()
    return _item(conn, row) if row else None


def add_item(conn: sqlite3.Connection, new: NewItem) -> tuple[FeedbackItem, bool]:
    """Insert the finished item in one transaction: (item, True), or (the existing item, False)
    when a recording with the same sha256 is already queued."""
    t = new.transcript
    at = now_iso()
    conn.execute("BEGIN IMMEDIATE")
    try:
        existing = conn.execute("SELECT id FROM feedback_items WHERE sha256 = ?", (new.sha256,)).fetchone()
        if existing:
            conn.execute("ROLLBACK")
            return get_item(conn, existing[0]), False
        cur = conn.execute(
            "INSERT INTO feedback_items (source_name, sha256, stored_path, received_at, duration, language,"
            " transcript, segments, announcement_id, area, backend, model, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (new.source_name, new.sha256, new.stored_path, new.received_at, t.duration, t.language, t.text,
             json.dumps([s.to_dict() for s in t.segments], ensure_ascii=False), new.announcement_id, new.area,
             t.backend, t.model, at, at),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return get_item(conn, int(cur.lastrowid)), True


def get_item(conn: sqlite3.Connection, item_id: int) -> FeedbackItem:
    row = conn.execute("SELECT * FROM feedback_items WHERE id = ?", (item_id,)).fetchone()
    if row is None:
        raise ItemNotFound(f"no feedback item #{item_id}", hint="see `broadcast review list`")
    return _item(conn, row)


def _parse_date(value: str | date) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise QueueError(f"bad date {value!r}", hint="write it as YYYY-MM-DD") from None


def list_items(conn: sqlite3.Connection, *, status: str | list[str] | None = None, area: str | None = None,
               announcement: str | None = None, tag: str | None = None, date_from: str | date | None = None,
               date_to: str | date | None = None, search: str | None = None,
               limit: int = DEFAULT_PAGE_SIZE, offset: int = 0, newest_first: bool = False) -> Page:
    """A page of items matching every given filter, oldest received first (the order a
    reviewer works through them) unless `newest_first`. Dates are received dates, inclusive
    (the date part of `received_at`, in the workspace's local time)."""
    where: list[str] = []
    args: list = []
    statuses = [status] if isinstance(status, str) else list(status or [])
    for s in statuses:
        if s not in STATUSES:
            raise QueueError(f"unknown status {s!r}", hint=f"use one of: {', '.join(STATUSES)}")
    if statuses:
        where.append(f"status IN ({', '.join('?' * len(statuses))})")
        args += statuses
    if area:
        where.append("area = ?")
        args.append(area)
    if announcement:
        where.append("announcement_id = ?")
        args.append(announcement)
    if tag:
        where.append("id IN (SELECT item_id FROM feedback_tags WHERE tag = ?)")
        args.append(tag)
    if date_from:
        where.append("substr(received_at, 1, 10) >= ?")
        args.append(_parse_date(date_from).isoformat())
    if date_to:
        where.append("substr(received_at, 1, 10) <= ?")
        args.append(_parse_date(date_to).isoformat())
    if search:
        where.append("(transcript LIKE ? OR coalesce(corrected_transcript, '') LIKE ? OR source_name LIKE ?"
                     " OR coalesce(note, '') LIKE ?)")
        args += [f"%{search}%"] * 4
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    limit = max(1, min(int(limit), MAX_PAGE_SIZE))
    offset = max(0, int(offset))
    total = conn.execute(f"SELECT count(*) FROM feedback_items{clause}", args).fetchone()[0]
    order = "DESC" if newest_first else "ASC"
    rows = conn.execute(f"SELECT * FROM feedback_items{clause} ORDER BY received_at {order}, id {order}"
                        " LIMIT ? OFFSET ?", [*args, limit, offset]).fetchall()
    filters = {k: v for k, v in dict(status=statuses or None, area=area, announcement=announcement, tag=tag,
                                     date_from=date_from, date_to=date_to, search=search).items() if v}
    return Page([_item(conn, r) for r in rows], total, limit, offset, filters)


def iter_all(conn: sqlite3.Connection, **filters):
    """Every matching item, page by page (for export)."""
    offset = 0
    while True:
        page = list_items(conn, limit=MAX_PAGE_SIZE, offset=offset, **filters)
        yield from page.items
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return


def _check_tags(tags) -> list[str]:
    clean = []
    for tag in tags:
        tag = tag.strip()
        if not TAG_RE.match(tag):
            raise QueueError(f"bad tag {tag!r}", hint="letters, digits, '-', '_', '.', ':', '/' and spaces; at most 63")
        if tag not in clean:
            clean.append(tag)
    return clean


def update_item(conn: sqlite3.Connection, item_id: int, expected_version: int, *, actor: str | None = None,
                add_tags: list[str] | tuple[str, ...] = (), remove_tags: list[str] | tuple[str, ...] = (),
                **changes) -> FeedbackItem:
    """Change EDITABLE fields and tags of an item the caller read at `expected_version`.
    Raises VersionConflict when someone else changed it meanwhile, ItemNotFound, QueueError."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise QueueError(f"cannot change {', '.join(sorted(unknown))}", hint=f"editable: {', '.join(EDITABLE)}")
    if "status" in changes and changes["status"] not in STATUSES:
        raise QueueError(f"unknown status {changes['status']!r}", hint=f"use one of: {', '.join(STATUSES)}")
    add, remove = _check_tags(add_tags), _check_tags(remove_tags)
    at = now_iso()
    conn.execute("BEGIN IMMEDIATE")
    try:
        sets = ", ".join(f"{k} = ?" for k in changes)
        cur = conn.execute(
            f"UPDATE feedback_items SET {sets + ', ' if sets else ''}updated_at = ?, version = version + 1"
            " WHERE id = ? AND version = ?",
            [*changes.values(), at, item_id, expected_version],
        )
        if cur.rowcount != 1:
            row = conn.execute("SELECT version FROM feedback_items WHERE id = ?", (item_id,)).fetchone()
            conn.execute("ROLLBACK")
            if row is None:
                raise ItemNotFound(f"no feedback item #{item_id}", hint="see `broadcast review list`")
            raise VersionConflict(
                f"feedback item #{item_id} was changed by someone else (now version {row[0]}, "
                f"you had version {expected_version})", hint="reload the item and apply your change again")
        conn.executemany("INSERT OR IGNORE INTO feedback_tags (item_id, tag) VALUES (?, ?)",
                         [(item_id, t) for t in add])
        conn.executemany("DELETE FROM feedback_tags WHERE item_id = ? AND tag = ?", [(item_id, t) for t in remove])
        detail = {k: v for k, v in changes.items() if k != "corrected_transcript"}
        if "corrected_transcript" in changes:
            detail["corrected"] = True
        if add:
            detail["add_tags"] = add
        if remove:
            detail["remove_tags"] = remove
        sha = conn.execute("SELECT sha256 FROM feedback_items WHERE id = ?", (item_id,)).fetchone()[0]
        audit.append(conn, actor=actor or changes.get("reviewer") or "unknown", action="feedback-review",
                     subject=f"feedback:{item_id}", sha256=sha, detail=detail)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return get_item(conn, item_id)


def _current_version(conn: sqlite3.Connection, item_id: int, expected_version: int | None) -> int:
    return expected_version if expected_version is not None else get_item(conn, item_id).version


def tag_item(conn: sqlite3.Connection, item_id: int, tags, *, remove=(), reviewer: str | None = None,
             expected_version: int | None = None) -> FeedbackItem:
    """Add (and optionally remove) tags. Without `expected_version` the current one is used
    (still safe: the update is conditional on it)."""
    changes = {"reviewer": reviewer} if reviewer else {}
    return update_item(conn, item_id, _current_version(conn, item_id, expected_version), actor=reviewer,
                       add_tags=list(tags), remove_tags=list(remove), **changes)


def start_review(conn: sqlite3.Connection, item_id: int, *, reviewer: str,
                 expected_version: int | None = None) -> FeedbackItem:
    return update_item(conn, item_id, _current_version(conn, item_id, expected_version), actor=reviewer,
                       status="in-review", reviewer=reviewer)


def correct(conn: sqlite3.Connection, item_id: int, text: str, *, reviewer: str,
            expected_version: int | None = None) -> FeedbackItem:
    """Store the reviewer's corrected transcript (the machine one stays as it was)."""
    return update_item(conn, item_id, _current_version(conn, item_id, expected_version), actor=reviewer,
                       corrected_transcript=text, reviewer=reviewer)


def resolve(conn: sqlite3.Connection, item_id: int, *, note: str | None = None, reviewer: str | None = None,
            expected_version: int | None = None) -> FeedbackItem:
    return _close(conn, item_id, "resolved", note, reviewer, expected_version)


def dismiss(conn: sqlite3.Connection, item_id: int, *, note: str | None = None, reviewer: str | None = None,
            expected_version: int | None = None) -> FeedbackItem:
    return _close(conn, item_id, "dismissed", note, reviewer, expected_version)


def _close(conn, item_id, status, note, reviewer, expected_version) -> FeedbackItem:
    changes: dict = {"status": status}
    if note is not None:
        changes["note"] = note
    if reviewer:
        changes["reviewer"] = reviewer
    return update_item(conn, item_id, _current_version(conn, item_id, expected_version), actor=reviewer,
                       **changes)


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Items per status (every status present, zeros included)."""
    out = dict.fromkeys(STATUSES, 0)
    for status, n in conn.execute("SELECT status, count(*) FROM feedback_items GROUP BY status"):
        out[status] = n
    return out


def facets(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """The distinct areas, announcement ids and tags in use, sorted: the choices a front end
    offers as filters."""
    return {
        "areas": [r[0] for r in conn.execute(
            "SELECT DISTINCT area FROM feedback_items WHERE area IS NOT NULL ORDER BY area")],
        "announcements": [r[0] for r in conn.execute(
            "SELECT DISTINCT announcement_id FROM feedback_items WHERE announcement_id IS NOT NULL"
            " ORDER BY announcement_id")],
        "tags": [r[0] for r in conn.execute("SELECT DISTINCT tag FROM feedback_tags ORDER BY tag")],
    }
