"""The review queue: feedback items in the workspace database. This module is the whole API a
front end needs (the CLI and the review web page): add, find, list with filters, sorting and
pagination, get, update with an expected version, tag, close, dismiss. What a change means for a
case (due dates, replies, assignment) is decided in `cases`, which writes through here.

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
from broadcast.core.processes import pause_point
from broadcast.feedback.models import (
    OLD_STATUSES,
    OPEN_STATUSES,
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
EDITABLE = ("status", "corrected_transcript", "announcement_id", "area", "reviewer", "note",
            "category", "unit", "due_date", "contact", "reply_text", "reply_by", "reply_at", "closed_at",
            "group_id", "suggested_announcement", "suggestion_score", "reply_audio")
# Written to the audit log as "changed", never as text: the log is append-only, and these hold
# what a citizen said or their phone number (the reply is logged by its sha256 instead).
UNLOGGED = ("corrected_transcript", "contact", "reply_text")
CASE_FIELDS = ("category", "unit", "due_date", "contact", "reply_text", "reply_by", "reply_at", "closed_at",
               "group_id", "suggested_announcement", "suggestion_score", "reply_audio")
ORDERS = ("received", "due")


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
    contact: str | None = None
    category: str | None = None
    unit: str | None = None
    due_date: str | None = None


def status_name(status: str) -> str:
    """A status as stored now: the names of the queue before cases map to theirs."""
    return OLD_STATUSES.get(status, status)


def _check_status(status: str) -> str:
    status = status_name(status)
    if status not in STATUSES:
        raise QueueError(f"unknown status {status!r}", hint=f"use one of: {', '.join(STATUSES)}")
    return status


def _item(conn: sqlite3.Connection, row: sqlite3.Row) -> FeedbackItem:
    tags = [r[0] for r in conn.execute("SELECT tag FROM feedback_tags WHERE item_id = ? ORDER BY tag", (row["id"],))]
    assignments = [
        {"at": r["at"], "actor": r["actor"], "unit": r["unit"], "category": r["category"],
         "due_date": r["due_date"], "note": r["note"]}
        for r in conn.execute("SELECT * FROM feedback_assignments WHERE item_id = ? ORDER BY id", (row["id"],))]
    return FeedbackItem(
        id=row["id"], source_name=row["source_name"], sha256=row["sha256"], stored_path=row["stored_path"],
        received_at=row["received_at"], duration=row["duration"], language=row["language"],
        transcript=row["transcript"], segments=json.loads(row["segments"]),
        corrected_transcript=row["corrected_transcript"], announcement_id=row["announcement_id"],
        area=row["area"], status=row["status"], tags=tags, reviewer=row["reviewer"], note=row["note"],
        backend=row["backend"], model=row["model"], created_at=row["created_at"],
        updated_at=row["updated_at"], version=row["version"],
        **{k: row[k] for k in CASE_FIELDS}, assignments=assignments,
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
            " transcript, segments, announcement_id, area, backend, model, created_at, updated_at,"
            " contact, category, unit, due_date)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (new.source_name, new.sha256, new.stored_path, new.received_at, t.duration, t.language, t.text,
             json.dumps([s.to_dict() for s in t.segments], ensure_ascii=False), new.announcement_id, new.area,
             t.backend, t.model, at, at, new.contact, new.category, new.unit, new.due_date),
        )
        pause_point("transcribe.inserted")     # test hook, off by default (core.processes)
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


def parse_date(value: str | date) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise QueueError(f"bad date {value!r}", hint="write it as YYYY-MM-DD") from None


def list_items(conn: sqlite3.Connection, *, status: str | list[str] | None = None, area: str | None = None,
               announcement: str | None = None, tag: str | None = None, date_from: str | date | None = None,
               date_to: str | date | None = None, search: str | None = None, unit: str | None = None,
               category: str | None = None, due_before: str | date | None = None,
               overdue_on: str | date | None = None, group: int | None = None,
               limit: int = DEFAULT_PAGE_SIZE, offset: int = 0, newest_first: bool = False,
               order: str = "received") -> Page:
    """A page of items matching every given filter, oldest received first (the order a
    reviewer works through them) unless `newest_first`; `order="due"` puts the earliest due
    date first (items without one last; `newest_first` then orders only items due the same
    day). Dates are received dates, inclusive (the date part of `received_at`, in the
    workspace's local time). `due_before` keeps items due before that day;
    `overdue_on` the open items (new, assigned) whose due date had passed on that day."""
    where: list[str] = []
    args: list = []
    statuses = [_check_status(s) for s in ([status] if isinstance(status, str) else list(status or []))]
    if order not in ORDERS:
        raise QueueError(f"unknown order {order!r}", hint=f"use one of: {', '.join(ORDERS)}")
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
    for column, value in (("unit", unit), ("category", category), ("group_id", group)):
        if value is not None and value != "":
            where.append(f"{column} = ?")
            args.append(value)
    if due_before:
        where.append("due_date < ?")
        args.append(parse_date(due_before).isoformat())
    if overdue_on:
        where.append(f"status IN ({', '.join('?' * len(OPEN_STATUSES))}) AND due_date < ?")
        args += [*OPEN_STATUSES, parse_date(overdue_on).isoformat()]
    if date_from:
        where.append("substr(received_at, 1, 10) >= ?")
        args.append(parse_date(date_from).isoformat())
    if date_to:
        where.append("substr(received_at, 1, 10) <= ?")
        args.append(parse_date(date_to).isoformat())
    if search:
        where.append("(transcript LIKE ? OR coalesce(corrected_transcript, '') LIKE ? OR source_name LIKE ?"
                     " OR coalesce(note, '') LIKE ?)")
        args += [f"%{search}%"] * 4
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    limit = max(1, min(int(limit), MAX_PAGE_SIZE))
    offset = max(0, int(offset))
    total = conn.execute(f"SELECT count(*) FROM feedback_items{clause}", args).fetchone()[0]
    direction = "DESC" if newest_first else "ASC"
    sort = f"received_at {direction}, id {direction}"
    if order == "due":   # the earliest due first, whichever way ties (and undated items) are received
        sort = "CASE WHEN due_date IS NULL THEN 1 ELSE 0 END, due_date ASC, " + sort
    rows = conn.execute(f"SELECT * FROM feedback_items{clause} ORDER BY {sort}"
                        " LIMIT ? OFFSET ?", [*args, limit, offset]).fetchall()
    filters = {k: v for k, v in dict(status=statuses or None, area=area, announcement=announcement, tag=tag,
                                     date_from=date_from, date_to=date_to, search=search, unit=unit,
                                     category=category, due_before=due_before, overdue_on=overdue_on,
                                     group=group).items() if v}
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
                action: str = "feedback-review", assignment: dict | None = None, audit_detail: dict | None = None,
                **changes) -> FeedbackItem:
    """Change EDITABLE fields and tags of an item the caller read at `expected_version`, and
    write one audit entry (`action`, plus `audit_detail`); with `assignment` (unit, category,
    due_date, note) a row of the assignment history too, in the same transaction.
    Raises VersionConflict when someone else changed it meanwhile, ItemNotFound, QueueError."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise QueueError(f"cannot change {', '.join(sorted(unknown))}", hint=f"editable: {', '.join(EDITABLE)}")
    if "status" in changes:
        changes["status"] = _check_status(changes["status"])
        if changes["status"] == "closed" and "closed_at" not in changes:
            changes["closed_at"] = now_iso()   # the day a case closed counts (the monthly report)
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
        detail = {k: v for k, v in changes.items() if k not in UNLOGGED}
        if "corrected_transcript" in changes:
            detail["corrected"] = True
        if "contact" in changes:
            detail["contact_changed"] = True
        detail.update(audit_detail or {})
        if assignment is not None:
            conn.execute("INSERT INTO feedback_assignments (item_id, at, actor, unit, category, due_date, note)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (item_id, at, actor or "unknown", assignment.get("unit"), assignment.get("category"),
                          assignment.get("due_date"), assignment.get("note")))
        if add:
            detail["add_tags"] = add
        if remove:
            detail["remove_tags"] = remove
        sha = conn.execute("SELECT sha256 FROM feedback_items WHERE id = ?", (item_id,)).fetchone()[0]
        audit.append(conn, actor=actor or changes.get("reviewer") or "unknown", action=action,
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
    """The reviewer takes the item (its status is set by assigning it to a unit: `cases`)."""
    return update_item(conn, item_id, _current_version(conn, item_id, expected_version), actor=reviewer,
                       reviewer=reviewer)


def correct(conn: sqlite3.Connection, item_id: int, text: str, *, reviewer: str,
            expected_version: int | None = None) -> FeedbackItem:
    """Store the reviewer's corrected transcript (the machine one stays as it was)."""
    return update_item(conn, item_id, _current_version(conn, item_id, expected_version), actor=reviewer,
                       corrected_transcript=text, reviewer=reviewer)


def resolve(conn: sqlite3.Connection, item_id: int, *, note: str | None = None, reviewer: str | None = None,
            expected_version: int | None = None) -> FeedbackItem:
    """Close the item (the name of the queue before cases; see `cases.close` for the case rules)."""
    return _close(conn, item_id, "closed", note, reviewer, expected_version)


def dismiss(conn: sqlite3.Connection, item_id: int, *, note: str | None = None, reviewer: str | None = None,
            expected_version: int | None = None) -> FeedbackItem:
    return _close(conn, item_id, "dismissed", note, reviewer, expected_version)


def _close(conn, item_id, status, note, reviewer, expected_version) -> FeedbackItem:
    changes: dict = {"status": status}
    if status == "closed":
        changes["closed_at"] = now_iso()
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
        "units": [r[0] for r in conn.execute(
            "SELECT DISTINCT unit FROM feedback_items WHERE unit IS NOT NULL ORDER BY unit")],
        "categories": [r[0] for r in conn.execute(
            "SELECT DISTINCT category FROM feedback_items WHERE category IS NOT NULL ORDER BY category")],
    }
