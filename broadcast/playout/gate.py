"""The checks before each item goes on air. `refusal` returns why an item must not be aired, or
None: the bytes must be the manifest's (and the manifest the one `produce` recorded), and the
announcement's approval must still be current — not changed, not withdrawn, not expired, and
for a translation, the translation still approved. A file `broadcast check` failed is refused
too: its run sheet says not to play it."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from broadcast.core.config import Workspace
from broadcast.core.display import local_time
from broadcast.core.errors import InvalidAnnouncement, NotApproved
from broadcast.core.languages import SOURCE_LANGUAGE
from broadcast.core.models import Announcement
from broadcast.intake.announcements import load_announcements
from broadcast.intake.approval import require_approved
from broadcast.playout.plan import DayPlan, Item
from broadcast.produce.checkmarks import rundown_statuses
from broadcast.translations import APPROVED, translation_state


@dataclass(frozen=True)
class Announcements:
    """The workspace's announcement files as they are now, by id."""

    good: dict[str, Announcement]
    bad: dict[str, InvalidAnnouncement]

    @classmethod
    def load(cls, ws: Workspace) -> Announcements:
        good, bad = load_announcements([ws.announcements_dir], ws.config, check_expiry=False)
        return cls({a.id: a for a in good}, {Path(str(e.path)).stem: e for e in bad})


def read_verified(plan: DayPlan, item: Item) -> tuple[bytes | None, str | None]:
    """(the file's bytes, None) when they hash to the manifest's sha256, else (None, why).
    The bytes checked are the bytes aired: nothing reads the file again after this."""
    path = plan.path_of(item)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, f"file missing: {item.path}"
    except OSError as exc:
        return None, f"file unreadable: {item.path}: {exc.strerror or exc}"
    actual = hashlib.sha256(data).hexdigest()
    if actual != item.sha256:
        return None, (f"file changed after production: {item.path} has sha256 {actual[:12]}…, "
                      f"the manifest says {item.sha256[:12]}… — `broadcast produce --date {item.day.isoformat()}` "
                      "makes it again")
    return data, None


def refusal(ws: Workspace, conn: sqlite3.Connection, plan: DayPlan, item: Item, now: datetime,
            anns: Announcements | None = None) -> str | None:
    """Why `item` must not go on air now, or None. (The bytes are checked by `read_verified`.)"""
    if plan.untrusted:
        return plan.untrusted
    anns = anns or Announcements.load(ws)
    ann = anns.good.get(item.announcement)
    if ann is None:
        broken = anns.bad.get(item.announcement)
        if broken is not None:
            return f"the announcement file is invalid now ({broken.reason}): fix it and have it approved again"
        return f"withdrawn: no announcement {item.announcement!r} in {ws.announcements_dir.name}/ any more"
    try:
        approval = require_approved(conn, ann, ws.config.tz)
    except NotApproved as exc:
        return f"announcement {exc.reason}"
    if approval.sha256 != item.approval.get("sha256"):
        return (f"made from an earlier approved version (approved by {item.approval.get('by')}); "
                f"the current one was approved by {approval.by} at {local_time(approval.at, ws.config.tz)}: run `broadcast produce` again")
    if ann.expired_at(now):
        return f"expired at {ann.expires.isoformat()}"
    if item.language == SOURCE_LANGUAGE:
        if item.approved_text_sha256 and item.approved_text_sha256 != ann.text_sha256:
            return "the approved text changed since production: run `broadcast produce` again"
    else:
        why = _translation_refusal(ws, conn, ann, item)
        if why:
            return why
    if rundown_statuses(plan.folder).status_for(item.path, item.sha256) == "check-failed":
        return "`broadcast check` failed this file (the run sheet says do not play it unreviewed)"
    return None


def _translation_refusal(ws: Workspace, conn, ann: Announcement, item: Item) -> str | None:
    state = translation_state(ws, conn, ann, item.language)
    if state.state != APPROVED:
        return f"translation into {item.language} is {state.state} now: {state.reason}"
    if item.approved_text_sha256 and state.text_sha256 != item.approved_text_sha256:
        return f"the approved {item.language} translation changed since production: run `broadcast produce` again"
    return None
