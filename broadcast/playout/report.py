"""The as-run report (`broadcast report aired`): every attempt of a day or a month, totals per
announcement and per area, the slots scheduled but not (fully) aired, and how long each
emergency took from approval to its first airing. CSV for spreadsheets (UTF-8 with a BOM, CRLF,
no cell that a spreadsheet would run as a formula) or HTML that prints on A4."""

from __future__ import annotations

import calendar
import csv
import io
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from jinja2 import Environment, PackageLoader, select_autoescape

from broadcast.core.config import Workspace
from broadcast.core.display import format_duration
from broadcast.core.errors import BroadcastError
from broadcast.feedback.export import BOM, spreadsheet_safe
from broadcast.playout import asrun
from broadcast.playout.clock import Clock
from broadcast.playout.gate import Announcements
from broadcast.playout.outputs import settings
from broadcast.playout.plan import load_day, slot_moment

RESULT_LABELS = {"aired": "đã phát (aired)", "refused": "từ chối (refused)", "interrupted": "bị ngắt (interrupted)",
                 "failed": "lỗi (failed)", "started": "không ghi kết thúc (no end recorded)"}
STARTED_BY_LABELS = {"schedule": "lịch (schedule)", "operator": "người vận hành (operator)",
                     "emergency": "khẩn cấp (emergency)"}
ROW_COLUMNS = ("day", "area", "slot", "planned_at", "started_at", "ended_at", "aired_seconds", "file_seconds",
               "result", "reason", "announcement", "title", "language", "priority", "file", "sha256",
               "approved_text_sha256", "approved_by", "approved_at", "output", "started_by", "operator", "seq")


@dataclass
class AsRunReport:
    station: str
    commune: str
    period: str
    area: str | None
    generated_at: str
    attempts: list[dict] = field(default_factory=list)
    by_announcement: list[dict] = field(default_factory=list)
    by_area: list[dict] = field(default_factory=list)
    missed: list[dict] = field(default_factory=list)
    emergencies: list[dict] = field(default_factory=list)
    broken_chain: list[int] = field(default_factory=list)


def month_days(month: str) -> list[date]:
    try:
        year, mon = (int(x) for x in month.split("-"))
        first = date(year, mon, 1)
    except ValueError:
        raise BroadcastError(f"{month!r} is not a month", hint="write it as YYYY-MM, e.g. 2026-12") from None
    return [first + timedelta(days=i) for i in range(calendar.monthrange(year, mon)[1])]


def build_report(ws: Workspace, conn: sqlite3.Connection, days: list[date], *, period: str,
                 area: str | None = None, clock: Clock | None = None) -> AsRunReport:
    clock = clock or Clock.from_env(ws.config.tz)
    now = clock.now()
    titles = {a.id: a.title for a in Announcements.load(ws).good.values()}
    rep = AsRunReport(ws.config.station, ws.config.commune_name, period, area, clock.stamp(now))
    rep.broken_chain = asrun.verify_chain(conn)
    rep.attempts = [{**a, "title": titles.get(a["announcement"] or "", a["announcement"] or ""),
                     "approved_at": _local(ws, a["approved_at"])}
                    for a in asrun.attempts(conn, [d.isoformat() for d in days], area)]
    aired = [a for a in rep.attempts if a["result"] == "aired"]

    per_ann: dict[str, dict] = {}
    per_area: dict[str, dict] = {}
    for a in rep.attempts:
        ar = per_area.setdefault(a["area"], {"area": a["area"], "name": _area_name(ws, a["area"]), "plays": 0,
                                             "seconds": 0.0, "refused": 0, "interrupted": 0, "failed": 0})
        if a["result"] in ("refused", "interrupted", "failed"):
            ar[a["result"]] += 1
        if a["result"] != "aired":
            continue
        ar["plays"] += 1
        ar["seconds"] += a["aired_seconds"] or 0.0
        an = per_ann.setdefault(a["announcement"], {"announcement": a["announcement"], "title": a["title"],
                                                    "priority": a["priority"], "plays": 0, "seconds": 0.0,
                                                    "areas": set()})
        an["plays"] += 1
        an["seconds"] += a["aired_seconds"] or 0.0
        an["areas"].add(a["area"])
    rep.by_announcement = [{**v, "areas": ", ".join(sorted(v["areas"]))} for _k, v in sorted(per_ann.items())]
    rep.by_area = [v for _k, v in sorted(per_area.items())]
    rep.missed = _missed(ws, conn, days, area, aired, now, titles)
    rep.emergencies = _emergencies(ws, aired)
    return rep


def _local(ws: Workspace, iso: str | None) -> str | None:
    """An audit-log time (UTC) in the commune's time zone."""
    if not iso:
        return iso
    try:
        return datetime.fromisoformat(iso).astimezone(ws.config.tz).isoformat(timespec="seconds")
    except ValueError:
        return iso


def _area_name(ws: Workspace, area_id: str) -> str:
    a = ws.config.areas.get(area_id)
    return a.name if a else area_id


def _missed(ws: Workspace, conn, days: list[date], area: str | None, aired: list[dict], now: datetime,
            titles: dict[str, str]) -> list[dict]:
    """Slots whose time (and late window) has passed with scheduled items not aired."""
    late = timedelta(minutes=settings(ws).late_minutes)
    out = []
    for day in days:
        try:
            plan = load_day(ws, conn, day)
        except BroadcastError:
            continue           # nothing produced that day: nothing was scheduled for the air
        areas = [area] if area else sorted({i.area for i in plan.items})
        for a in areas:
            for slot in sorted(ws.config.slots, key=lambda s: ws.config.slots[s]):
                items = plan.for_slot(a, slot)
                moment = slot_moment(ws, day, slot)
                if not items or moment + late > now:
                    continue
                missing = [i for i in items if not _aired_in_slot(i, aired, moment, late)]
                if missing:
                    out.append({"day": day.isoformat(), "area": a, "slot": slot, "planned_at": moment.isoformat(),
                                "scheduled": len(items), "aired": len(items) - len(missing),
                                "missing": ", ".join(f"{titles.get(i.announcement, i.announcement)} [{i.language}]"
                                                     for i in missing)})
    return out


def _aired_in_slot(item, aired: list[dict], moment: datetime, late: timedelta) -> bool:
    for a in aired:
        if (a["day"], a["area"], a["announcement"], a["language"]) != \
                (item.day.isoformat(), item.area, item.announcement, item.language):
            continue
        if a["slot"] == item.slot:
            return True
        if a["slot"] is None and a["started_at"] and moment <= datetime.fromisoformat(a["started_at"]) < moment + late:
            return True            # an emergency aired at once while its slot was open
    return False


def _emergencies(ws: Workspace, aired: list[dict]) -> list[dict]:
    first: dict[tuple, dict] = {}
    for a in aired:
        if a["priority"] != "emergency" or not a["started_at"]:
            continue
        key = (a["announcement"], a["area"], a["approval_sha256"])
        if key not in first or a["started_at"] < first[key]["started_at"]:
            first[key] = a
    out = []
    for (ann, area, _sha), a in sorted(first.items(), key=lambda kv: kv[1]["started_at"]):
        approved = datetime.fromisoformat(a["approved_at"]) if a["approved_at"] else None
        aired_at = datetime.fromisoformat(a["started_at"])
        seconds = (aired_at - approved).total_seconds() if approved else None
        out.append({"announcement": ann, "title": a["title"], "area": area,
                    "approved_at": a["approved_at"] or "",
                    "approved_by": a["approved_by"] or "", "first_aired_at": a["started_at"],
                    "response_seconds": round(seconds, 1) if seconds is not None else None,
                    "started_by": a["started_by"]})
    return out


# ---------------------------------------------------------------- CSV


def to_csv(rep: AsRunReport) -> str:
    """Sections one under another, each with a title line and its own header row."""
    buf = io.StringIO(newline="")
    buf.write(BOM)
    w = csv.writer(buf, lineterminator="\r\n")

    def section(title: str, header: tuple[str, ...], rows) -> None:
        w.writerow([spreadsheet_safe(title)])
        w.writerow(header)
        for r in rows:
            w.writerow([spreadsheet_safe(_cell(r.get(c))) for c in header])
        w.writerow([])

    section(f"as-run {rep.period}" + (f" {rep.area}" if rep.area else "") + f" — {rep.station}", ROW_COLUMNS,
            rep.attempts)
    section("totals per announcement", ("announcement", "title", "priority", "plays", "minutes", "areas"),
            [{**r, "minutes": r["seconds"] / 60} for r in rep.by_announcement])
    section("totals per area", ("area", "name", "plays", "minutes", "refused", "interrupted", "failed"),
            [{**r, "minutes": r["seconds"] / 60} for r in rep.by_area])
    section("missed slots (scheduled, not aired)", ("day", "area", "slot", "planned_at", "scheduled", "aired",
                                                    "missing"), rep.missed)
    section("emergency response (approval → first airing)", ("announcement", "title", "area", "approved_at",
                                                              "approved_by", "first_aired_at", "response_seconds",
                                                              "started_by"), rep.emergencies)
    if rep.broken_chain:
        w.writerow([f"WARNING: as-run log rows {', '.join(map(str, rep.broken_chain))} do not match their hash "
                    "(changed outside broadcast)"])
    return buf.getvalue()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"
    return str(value)


# ---------------------------------------------------------------- HTML


def to_html(rep: AsRunReport, ws: Workspace) -> str:
    env = Environment(loader=PackageLoader("broadcast.playout", "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    return env.get_template("asrun.html").render(
        r=rep, duration=lambda s: format_duration(s) if s is not None else "—",
        minutes=lambda s: f"{(s or 0) / 60:.1f}", result_label=lambda x: RESULT_LABELS.get(x, x),
        started_by_label=lambda x: STARTED_BY_LABELS.get(x, x), hm=_hm, area_name=lambda a: _area_name(ws, a),
        slot_name=ws.config.slot_name)


def _hm(iso: str | None) -> str:
    if not iso:
        return "—"
    try:
        return datetime.fromisoformat(iso).strftime("%d/%m %H:%M:%S")
    except ValueError:
        return iso
