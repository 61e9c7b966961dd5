"""The approval gate: what was approved, what changed since, and the only door downstream
stages use to get announcement content."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from broadcast.core import audit
from broadcast.intake.announcements import (
    announcement_files,
    duplicate_id,
    load_announcements,
    parse_announcement,
)
from broadcast.core.config import Workspace
from broadcast.core.display import local_time
from broadcast.core.errors import InvalidAnnouncement, NotApproved
from broadcast.core.models import Announcement, Approval

DRAFT = "draft"
APPROVED = "approved"
CHANGED = "changed-since-approval"
PRODUCED = "produced"
INVALID = "invalid"


@dataclass(frozen=True)
class AnnouncementState:
    path: Path
    state: str
    announcement: Announcement | None = None
    approval: Approval | None = None
    error: InvalidAnnouncement | None = None


def approve(conn: sqlite3.Connection, ann: Announcement, by: str) -> tuple[Approval, bool]:
    """Record an approval of exactly this content. Returns (approval, newly_recorded)."""
    if not by.strip():
        raise NotApproved("approver name is empty", ann.path, hint="pass --by 'Full Name'")
    current = audit.approval_for(conn, ann.id, ann.sha256)
    if current is not None:
        return current, False
    approval = audit.record_approval(conn, announcement_id=ann.id, sha256=ann.sha256, by=by.strip(),
                                     path=str(ann.path), text_sha256=ann.text_sha256)
    return approval, True


def states(ws: Workspace, conn: sqlite3.Connection, *, now: datetime | None = None,
           produced_ids: set[str] | None = None) -> list[AnnouncementState]:
    """Every announcement file in the workspace with its state."""
    approvals = audit.latest_approvals(conn)
    good, bad = load_announcements([ws.announcements_dir], ws.config, now=now, check_expiry=False)
    out: list[AnnouncementState] = []
    for ann in good:
        approval = approvals.get(ann.id)
        if approval is None:
            state = DRAFT
        elif approval.sha256 != ann.sha256:
            state = CHANGED
        elif produced_ids and ann.id in produced_ids:
            state = PRODUCED
        else:
            state = APPROVED
        out.append(AnnouncementState(ann.path, state, ann, approval))
    for err in bad:
        out.append(AnnouncementState(Path(err.path), INVALID, error=err))
    return sorted(out, key=lambda s: (s.announcement.id if s.announcement else "~", str(s.path)))


def require_approved(conn: sqlite3.Connection, ann: Announcement, tz: tzinfo | None = None) -> Approval:
    """The approval of this exact content, or NotApproved naming the file and the fix (times
    in `tz`, the commune's time zone, when given)."""
    approval = audit.approval_for(conn, ann.id, ann.sha256)
    if approval is not None:
        return approval
    previous = audit.latest_approvals(conn).get(ann.id)
    if previous is None:
        raise NotApproved("not approved", ann.path,
                          hint=f"have it approved: broadcast approve {ann.path} --by NAME")
    raise NotApproved(
        f"changed since it was approved by {previous.by} at {local_time(previous.at, tz)}; it needs approval again",
        ann.path, hint=f"review the change, then: broadcast approve {ann.path} --by NAME",
    )


def approved_announcements(ws: Workspace, conn: sqlite3.Connection, *, now: datetime | None = None,
                           check_expiry: bool = False):
    """(approved announcements with their approvals, failures) for the workspace. Failures are
    invalid files and files without an approval of their exact content."""
    good, bad = load_announcements([ws.announcements_dir], ws.config, now=now, check_expiry=check_expiry)
    ok: list[tuple[Announcement, Approval]] = []
    failures: list = list(bad)
    for ann in good:
        try:
            ok.append((ann, require_approved(conn, ann, ws.config.tz)))
        except NotApproved as exc:
            failures.append(exc)
    return ok, failures


def load_for_approval(path: Path, ws: Workspace) -> Announcement:
    """The announcement in `path`, checked as for approval: valid, not expired, and the only
    file with its id among the workspace's announcements (an approval is recorded for the id,
    so approving one of two files with the same id would void the other's approval)."""
    ann = parse_announcement(path, ws.config)
    mine = _file_key(path)
    others = [p for p, ann_id in _workspace_ids(ws).items()
              if ann_id == ann.id and _file_key(p) != mine and _id_of(p, ws) == ann.id]
    if others:
        raise duplicate_id(ann, others)
    return ann


# id(ws) -> (ws, {path: id}): `approve` of a folder checks each file against the whole
# workspace; the folder is read once per command (each command loads its own Workspace), and
# a file found with the same id is read again before it is named.
_SCANS: dict[int, tuple[Workspace, dict[Path, str]]] = {}


def _file_key(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def _id_of(path: Path, ws: Workspace) -> str | None:
    try:
        return parse_announcement(path, ws.config, check_expiry=False).id
    except InvalidAnnouncement:
        return None


def _workspace_ids(ws: Workspace) -> dict[Path, str]:
    """The id of every valid announcement file in the workspace's announcements folder."""
    scan = _SCANS.get(id(ws))
    if scan is not None and scan[0] is ws:
        return scan[1]
    ids = {p: ann_id for p in announcement_files([ws.announcements_dir])
           if (ann_id := _id_of(p, ws)) is not None}
    if len(_SCANS) >= 8:
        _SCANS.clear()
    _SCANS[id(ws)] = (ws, ids)
    return ids
