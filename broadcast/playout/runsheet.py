"""The run sheet with what has aired marked: the day's run sheet for an area (as `produce`
lays it out) with each item's last result from the as-run log beside it — aired at what time,
or refused / interrupted / failed and why.

`produce` owns output/<date>/, whose files the manifest lists and `broadcast verify` checks, so
this sheet is written under state/asrun/<date>/<area>-rundown.html (after each slot the player
airs) and shown by `broadcast report aired --date D --area A --format runsheet`."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

from broadcast.core.config import Workspace
from broadcast.core.errors import BroadcastError
from broadcast.core.fsutil import atomic_write_text
from broadcast.playout import asrun
from broadcast.playout.gate import Announcements
from broadcast.playout.plan import load_day
from broadcast.produce import rundown
from broadcast.produce.checkmarks import rundown_statuses

RESULT_WORDS = {"aired": "đã phát (aired)", "refused": "không phát (refused)", "interrupted": "bị ngắt (interrupted)",
                "failed": "lỗi (failed)", "started": "đang phát hoặc bị cắt (on air or cut off)"}


def marks(conn: sqlite3.Connection, day: date, area: str) -> dict[str, tuple[str, str]]:
    """File name → (result, label) of the last attempt in the item's own slot; an item that
    aired keeps that mark even if a later attempt was refused."""
    out: dict[str, tuple[str, str]] = {}
    for a in asrun.attempts(conn, [day.isoformat()], area):
        if not a["file"] or a["slot"] is None:
            continue
        name = Path(a["file"]).name
        if out.get(name, ("",))[0] == "aired":
            continue
        when = _hms(a["started_at"])
        label = RESULT_WORDS.get(a["result"], a["result"]) + (f" {when}" if when else "")
        if a["result"] != "aired" and a["reason"]:
            label += f": {a['reason']}"
        out[name] = (a["result"], label)
    return out


def _hms(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso).strftime("%H:%M:%S")
    except ValueError:
        return ""


def render(ws: Workspace, conn: sqlite3.Connection, day: date, area: str) -> str:
    """The marked run sheet, HTML (ManifestError when nothing was produced that day)."""
    plan = load_day(ws, conn, day)
    anns = Announcements.load(ws).good
    checks = rundown_statuses(plan.folder)
    entries = []
    for item in plan.for_area(area):
        ann = anns.get(item.announcement)
        entries.append(rundown.RundownEntry(
            order=item.order, slot=item.slot, slot_time=ws.config.slots.get(item.slot, datetime.min.time()),
            priority=item.priority, announcement_id=item.announcement, title=ann.title if ann else item.announcement,
            language=item.language, filename=Path(item.path).name, duration=item.duration,
            readings=ann.readings if ann else 0, status=checks.status_for(item.path, item.sha256)))
    return rundown.render_html(area_name=ws.config.areas[area].name, station=ws.config.station, day=day,
                               entries=entries, expired=[], missing=[], aired=marks(conn, day, area),
                               slot_names=ws.config.slot_names)


def sheet_path(ws: Workspace, day: date, area: str) -> Path:
    return ws.state_dir / "asrun" / day.isoformat() / f"{area}-rundown.html"


def write(ws: Workspace, conn: sqlite3.Connection, day: date, area: str) -> Path:
    path = sheet_path(ws, day, area)
    atomic_write_text(path, render(ws, conn, day, area))
    return path


def refresh(ws: Workspace, conn: sqlite3.Connection, day: date, area: str, say) -> Path | None:
    """`write`, telling (not raising) what stopped it: a run sheet must never stop the air."""
    try:
        return write(ws, conn, day, area)
    except (BroadcastError, OSError) as exc:
        say(f"the marked run sheet was not written: {getattr(exc, 'reason', None) or exc}")
        return None
