"""Feedback as cases: the rules a reviewer's actions follow, over the queue (`queue`).

An item is received (new), handed to a unit (assigned), answered (the reply: text, by whom,
when), and closed; or dismissed. Its due date is a number of working days from the day it
was received (`workdays`): the days of its category (`[feedback.categories.*]`), or
`[feedback] days` while it has none, recomputed whenever the category changes. Every change
goes through `queue.update_item`, so it is versioned and written to the audit log; each
assignment is also a row of the item's assignment history.

`admit` prepares items the queue received without these fields (from `broadcast transcribe`,
or a queue made before cases): their due date, the caller's number found in the recording,
and the announcement the transcript most likely answers (`linking`), for the reviewer to
confirm."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from broadcast.core import audit
from broadcast.core.config import Workspace
from broadcast.core.feedback_rules import FeedbackRules
from broadcast.feedback import linking, queue
from broadcast.feedback.contact import check_contact, contact_from_recording
from broadcast.feedback.models import OPEN_STATUSES, FeedbackItem, QueueError
from broadcast.feedback.workdays import Calendar, calendar
from broadcast.intake.announcements import sha256_text

# What may follow what (dismissed items stay dismissed; a closed item is done).
CAN_ASSIGN = ("new", "assigned", "answered")
CAN_REPLY = ("new", "assigned", "answered")
CAN_CLOSE = ("new", "assigned", "answered")
CAN_DISMISS = ("new", "assigned", "answered", "closed")
# How a case stands on a given day (the monthly report and the web page).
STATES = ("on-time", "late", "open", "overdue", "dismissed")
# The audit action of an official's approval of a reply text (the gate before a voice reply).
APPROVE_REPLY = "approve-reply"
# A reply recorded afterwards with only its date is taken as given at noon, local time.
NOON = time(12, 0)


@dataclass(frozen=True)
class Cases:
    """The workspace's case rules, ready to use: units, categories, the working-day calendar,
    and the commune's time zone (dates are the commune's dates)."""

    ws: Workspace
    rules: FeedbackRules
    calendar: Calendar

    @classmethod
    def of(cls, ws: Workspace) -> Cases:
        rules = ws.config.feedback
        return cls(ws, rules, calendar(rules.holidays))

    @property
    def tz(self):
        return self.ws.config.tz

    def local_date(self, iso: str) -> date:
        """The commune's date of a stored time (ISO, with an offset; a bare one is local)."""
        moment = datetime.fromisoformat(iso)
        if moment.tzinfo is None:
            return moment.date()
        return moment.astimezone(self.tz).date()

    def now(self) -> datetime:
        return datetime.now(self.tz).replace(microsecond=0)

    def today(self) -> date:
        return self.now().date()

    def days_for(self, category: str | None) -> int:
        return self.rules.categories[category].days if category else self.rules.days

    def due_date(self, received_at: str, category: str | None) -> str:
        """The last working day to answer an item received then, in that category."""
        return self.calendar.add(self.local_date(received_at), self.days_for(category)).isoformat()

    def check_unit(self, unit: str) -> str:
        if unit not in self.rules.units:
            known = ", ".join(self.rules.units) or "none yet"
            raise QueueError(f"unknown unit {unit!r}", self.ws.root / "broadcast.toml",
                             hint=f"known units: {known} ([feedback.units] in broadcast.toml)")
        return unit

    def check_category(self, category: str) -> str:
        if category not in self.rules.categories:
            known = ", ".join(self.rules.categories) or "none yet"
            raise QueueError(f"unknown category {category!r}", self.ws.root / "broadcast.toml",
                             hint=f"known categories: {known} ([feedback.categories.*] in broadcast.toml)")
        return category

    def unit_name(self, unit: str | None) -> str:
        return self.rules.units.get(unit, unit) if unit else ""

    def category_name(self, category: str | None) -> str:
        cat = self.rules.categories.get(category) if category else None
        return cat.name if cat else (category or "")

    # ------------------------------------------------------------------ state on a day

    def answered_on(self, item: FeedbackItem) -> date | None:
        """The day the citizen was answered: the reply's date, else (closed without a written
        reply, e.g. by telephone) the day it was closed."""
        if item.reply_at:
            return self.local_date(item.reply_at)
        if item.status == "closed" and item.closed_at:
            return self.local_date(item.closed_at)
        return None

    def state_on(self, item: FeedbackItem, day: date) -> str:
        """How the case stood at the end of `day`: answered on time or late, open within its
        deadline, overdue, or dismissed. An answer dated after `day` did not exist yet."""
        if item.status == "dismissed":
            return "dismissed"
        answered = self.answered_on(item)
        due = date.fromisoformat(item.due_date) if item.due_date else None
        if answered is not None and answered <= day:
            return "late" if due is not None and answered > due else "on-time"
        return "overdue" if due is not None and day > due else "open"

    def is_overdue(self, item: FeedbackItem, day: date | None = None) -> bool:
        return (item.status in OPEN_STATUSES and item.due_date is not None
                and (day or self.today()).isoformat() > item.due_date)


def _moment(cases: Cases, on: date | None, what: str) -> datetime:
    """Now, or noon on the day `on` for something recorded afterwards (never in the future)."""
    if on is None:
        return cases.now()
    if on > cases.today():
        raise QueueError(f"the {what} date {on} is in the future", hint="give today's date or an earlier one")
    return datetime.combine(on, NOON, cases.tz)


def _refuse(item: FeedbackItem, action: str, allowed: tuple[str, ...]) -> None:
    if item.status not in allowed:
        raise QueueError(f"feedback item #{item.id} is {item.status}: cannot {action} it",
                         hint=f"only items that are {', '.join(allowed)} can be")


def _get(conn, item_id: int, expected_version: int | None) -> tuple[FeedbackItem, int]:
    item = queue.get_item(conn, item_id)
    return item, expected_version if expected_version is not None else item.version


# ---------------------------------------------------------------------- admitting new items

def admit(conn, cases: Cases, *, link: bool = True) -> int:
    """Give every item that has no due date yet its due date, the caller's number from the
    recording (when it carries one and none was typed) and, with `link`, the announcement it
    most likely answers. Returns the number of items admitted. Not a reviewer's change: the
    item's version stays, so a page open on it is not invalidated."""
    rows = conn.execute("SELECT id FROM feedback_items WHERE due_date IS NULL ORDER BY id").fetchall()
    if not rows:
        return 0
    aired = linking.AiredAnnouncements(cases.ws, cases.rules.link_days) if link else None
    for (item_id,) in rows:
        item = queue.get_item(conn, item_id)
        fields: dict = {"due_date": cases.due_date(item.received_at, item.category)}
        if item.contact is None:
            stored = (cases.ws.feedback_dir / item.stored_path) if item.stored_path else None
            fields["contact"] = contact_from_recording(stored, item.source_name)
        if aired is not None and item.announcement_id is None and item.suggested_announcement is None:
            best = aired.suggest(item.best_transcript, area=item.area, day=cases.local_date(item.received_at))
            if best is not None:
                fields["suggested_announcement"] = best.announcement_id
                fields["suggestion_score"] = round(best.score, 3)
        sets = ", ".join(f"{k} = ?" for k in fields)
        conn.execute(f"UPDATE feedback_items SET {sets} WHERE id = ? AND due_date IS NULL",
                     [*fields.values(), item_id])
    return len(rows)


# ---------------------------------------------------------------------- a reviewer's actions

def assign(conn, cases: Cases, item_id: int, *, unit: str | None, category: str | None = None, by: str,
           note: str | None = None, expected_version: int | None = None) -> FeedbackItem:
    """Hand the item to `unit` (default: the category's unit), optionally in `category`; the
    due date is recomputed when the category changes. Recorded in the assignment history."""
    item, version = _get(conn, item_id, expected_version)
    _refuse(item, "assign", CAN_ASSIGN)
    if category is not None:
        cases.check_category(category)
    if unit is None:
        unit = cases.rules.categories[category].unit if category else None
        if unit is None:
            raise QueueError(f"no unit given for feedback item #{item_id}",
                             hint="pass --unit (or a category with a default unit)")
    cases.check_unit(unit)
    changes: dict = {"status": "assigned", "unit": unit, "reviewer": by}
    new_category = category if category is not None else item.category
    if category is not None and category != item.category or item.due_date is None:
        changes["category"] = new_category
        changes["due_date"] = cases.due_date(item.received_at, new_category)
    due = changes.get("due_date", item.due_date)
    return queue.update_item(conn, item_id, version, actor=by, action="feedback-assign",
                             assignment={"unit": unit, "category": new_category, "due_date": due, "note": note},
                             **changes)


def categorise(conn, cases: Cases, item_id: int, category: str | None, *, by: str,
               expected_version: int | None = None) -> FeedbackItem:
    """Set (or with None clear) the category; the due date follows it."""
    item, version = _get(conn, item_id, expected_version)
    if category is not None:
        cases.check_category(category)
    return queue.update_item(conn, item_id, version, actor=by, reviewer=by, category=category,
                             due_date=cases.due_date(item.received_at, category))


def reply(conn, cases: Cases, item_id: int, *, text: str, by: str, on: date | None = None,
          expected_version: int | None = None, group: bool = False) -> list[FeedbackItem]:
    """Record the reply to the citizen (status answered), dated now or, when it is recorded
    afterwards, on the day `on`. With `group`, every open item of the item's group of
    near-duplicates gets the same reply. A changed reply text voids an earlier voice reply
    (the file is removed) and needs a new approval before another is made."""
    text = text.strip()
    if not text:
        raise QueueError("the reply is empty", hint="give the reply's text with --text")
    at = _moment(cases, on, "reply")
    item, version = _get(conn, item_id, expected_version)
    _refuse(item, "reply to", CAN_REPLY)
    targets = [(item, version)]
    if group and item.group_id is not None:
        members = queue.iter_all(conn, group=item.group_id, status=list(OPEN_STATUSES))
        targets += [(m, m.version) for m in members if m.id != item.id]
    done = []
    for target, target_version in targets:
        done.append(_reply_one(conn, cases, target, target_version, text, by, at))
    return done


def reply_sha256(text: str) -> str:
    """What an approval of a reply covers: the sha256 of its exact text."""
    return sha256_text(text)


def subject(item_id: int) -> str:
    return f"feedback:{item_id}"


def reply_approval(conn, item: FeedbackItem) -> dict | None:
    """The approval ({seq, by, at, sha256}) that covers the item's reply as it is now, or None
    (no reply, never approved, or changed since)."""
    if item.reply_text is None:
        return None
    r = conn.execute("SELECT * FROM audit_log WHERE action = ? AND subject = ? ORDER BY seq DESC LIMIT 1",
                     (APPROVE_REPLY, subject(item.id))).fetchone()
    if r is None or r["sha256"] != reply_sha256(item.reply_text):
        return None
    return {"seq": r["seq"], "by": r["actor"], "at": r["at"], "sha256": r["sha256"]}


def approve_reply(conn, item_id: int, *, by: str) -> tuple[dict, bool]:
    """Record `by`'s approval of the item's reply text as it is now: (approval, True), or
    (the approval already covering it, False)."""
    item = queue.get_item(conn, item_id)
    if item.reply_text is None:
        raise QueueError(f"feedback item #{item_id} has no reply to approve",
                         hint=f"write it first: `broadcast review reply {item_id} --text … --by NAME`")
    existing = reply_approval(conn, item)
    if existing is not None:
        return existing, False
    audit.append(conn, actor=by, action=APPROVE_REPLY, subject=subject(item.id),
                 sha256=reply_sha256(item.reply_text),
                 detail={"reply_by": item.reply_by, "reply_at": item.reply_at})
    return reply_approval(conn, item), True


def _reply_one(conn, cases: Cases, item: FeedbackItem, version: int, text: str, by: str,
               at: datetime) -> FeedbackItem:
    changes: dict = {"status": "answered", "reply_text": text, "reply_by": by,
                     "reply_at": at.isoformat(timespec="seconds")}
    if item.reply_text != text and item.reply_audio:
        # made from the old text: it must not be sent by mistake
        (cases.ws.feedback_dir / item.reply_audio).unlink(missing_ok=True)
        changes["reply_audio"] = None
    return queue.update_item(conn, item.id, version, actor=by, action="feedback-reply",
                             audit_detail={"reply_sha256": reply_sha256(text)}, **changes)


def correct(conn, item_id: int, text: str, *, by: str, expected_version: int | None = None) -> FeedbackItem:
    """The reviewer's corrected transcript (the machine's stays beside it)."""
    text = text.strip()
    if not text:
        raise QueueError("the corrected transcript is empty", hint="give the text the citizen said")
    return queue.correct(conn, item_id, text, reviewer=by, expected_version=expected_version)


def close(conn, cases: Cases, item_id: int, *, by: str, note: str | None = None, on: date | None = None,
          expected_version: int | None = None) -> FeedbackItem:
    """Close the case: answered, or handled without a written reply (say how in `note`; its
    date, now or `on`, then counts as the day the citizen was answered)."""
    at = _moment(cases, on, "closing")
    item, version = _get(conn, item_id, expected_version)
    _refuse(item, "close", CAN_CLOSE)
    changes: dict = {"status": "closed", "closed_at": at.isoformat(timespec="seconds"), "reviewer": by}
    if note is not None:
        changes["note"] = note
    return queue.update_item(conn, item_id, version, actor=by, action="feedback-close", **changes)


def dismiss(conn, item_id: int, *, by: str, note: str | None = None,
            expected_version: int | None = None) -> FeedbackItem:
    item, version = _get(conn, item_id, expected_version)
    _refuse(item, "dismiss", CAN_DISMISS)
    return queue.dismiss(conn, item_id, note=note, reviewer=by, expected_version=version)


def set_contact(conn, item_id: int, contact: str | None, *, by: str,
                expected_version: int | None = None) -> FeedbackItem:
    """The citizen's phone number, typed by the reviewer (None clears it)."""
    phone = check_contact(contact) if contact else None
    item, version = _get(conn, item_id, expected_version)
    return queue.update_item(conn, item_id, version, actor=by, reviewer=by, contact=phone)


def link(conn, item_id: int, announcement_id: str | None, *, by: str,
         expected_version: int | None = None) -> FeedbackItem:
    """Confirm the suggested announcement (`announcement_id` None) or set another one."""
    item, version = _get(conn, item_id, expected_version)
    chosen = announcement_id or item.suggested_announcement
    if chosen is None:
        raise QueueError(f"feedback item #{item_id} has no suggested announcement to confirm",
                         hint="give the announcement id: `broadcast review link ID ANNOUNCEMENT`")
    return queue.update_item(conn, item_id, version, actor=by, reviewer=by, announcement_id=chosen,
                             audit_detail={"confirmed_suggestion": chosen == item.suggested_announcement})


def group(conn, item_ids: list[int], *, by: str) -> list[FeedbackItem]:
    """Put the items (and the groups they are already in) into one group, named by its
    lowest item id, so that they can be answered together."""
    if len(set(item_ids)) < 2:
        raise QueueError("a group needs two items or more", hint="give the ids of the near-duplicates")
    items = [queue.get_item(conn, i) for i in sorted(set(item_ids))]
    members = {i.id: i for i in items}
    for old_group in {i.group_id for i in items if i.group_id is not None}:
        for m in queue.iter_all(conn, group=old_group):
            members.setdefault(m.id, m)
    group_id = min(members)
    return [m if m.group_id == group_id else queue.update_item(conn, m.id, m.version, actor=by, group_id=group_id)
            for m in sorted(members.values(), key=lambda i: i.id)]


def ungroup(conn, item_id: int, *, by: str, expected_version: int | None = None) -> FeedbackItem:
    item, version = _get(conn, item_id, expected_version)
    return queue.update_item(conn, item_id, version, actor=by, group_id=None)

