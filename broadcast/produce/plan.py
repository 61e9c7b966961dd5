"""Plan a day: which approved announcements play in which slots, and which renditions
(announcement × language) must be made for the areas that hear them. Nothing is written."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

from broadcast.core.config import Workspace
from broadcast.core.errors import BroadcastError, NotApproved
from broadcast.core.languages import SOURCE_LANGUAGE, language_name
from broadcast.core.models import Announcement, Approval
from broadcast.intake.announcements import load_announcements
from broadcast.intake.approval import require_approved
from broadcast.produce.models import Missing, ProduceReport, Rendition, Scheduled, Withheld
from broadcast.speech import has_speech_route, reading_first
from broadcast.translations import translation_state
from broadcast.translations.readings import STALE, TO_VERIFY, VERIFIED, current_reading
from broadcast.translations.state import relative

# Which master profiles each channel needs; CAP links the loudspeaker master.
CHANNEL_PROFILES = (("loudspeaker", "loudspeaker"), ("zalo", "zalo"))


def today(ws: Workspace) -> date:
    return datetime.now(ws.config.tz).date()


def slot_moment(ws: Workspace, day: date, slot: str) -> datetime:
    return datetime.combine(day, ws.config.slots[slot], tzinfo=ws.config.tz)


def withhold(report: ProduceReport, ann: Announcement, reason: str, fix: str = "", *, kind: str,
             slots: tuple[str, ...] | None = None, language: str | None = None,
             areas: tuple[str, ...] | None = None) -> None:
    report.withheld.append(Withheld(ann.id, ann.title, ann.priority, areas or ann.areas, slots, language,
                                    reason, fix, kind))


def gate(ws: Workspace, conn, ids: list[str] | None, report: ProduceReport,
         day: date | None = None) -> list[tuple[Announcement, Approval]]:
    """Only the exact approved content goes on: invalid files and files changed since approval
    are failures; never-approved drafts are listed (a failure only when asked for by id). Those
    scheduled on `day` are also withheld on the run sheets, with the fix."""
    good, bad = load_announcements([ws.announcements_dir], ws.config, check_expiry=False)
    report.seen_ids = {a.id for a in good}
    report.invalid_ids = {Path(str(e.path)).stem for e in bad}
    wanted = set(ids or [])
    if not ids:
        report.failures.extend(bad)
    out: list[tuple[Announcement, Approval]] = []
    for ann in good:
        if wanted and ann.id not in wanted:
            continue
        try:
            out.append((ann, require_approved(conn, ann, ws.config.tz)))
        except NotApproved as exc:
            now = datetime.now(ws.config.tz)
            if day is not None and day in ann.dates and not ann.expired_at(now):
                why = "chưa được duyệt (not approved)" if exc.reason == "not approved" else \
                    f"đã sửa sau khi duyệt (changed since approval): {exc.reason}"
                # The run sheet names the file relative to the workspace: output must not depend on
                # where the workspace lies (a copy, a Ray worker, a moved folder).
                fix = (exc.problem.hint or "").replace(str(ann.path), relative(ws, ann.path))
                why = why.replace(str(ann.path), relative(ws, ann.path))
                withhold(report, ann, why, fix,
                         kind="not-approved" if exc.reason == "not approved" else "changed")
            if exc.reason == "not approved" and ann.expired_at(now):
                # it could not have been approved: say why it is left out
                report.expired.append((ann.id, f"expired {ann.expires.isoformat()}, left out", ann.areas))
            elif exc.reason == "not approved" and not wanted:
                report.not_approved.append(ann.id)
            else:
                report.failures.append(exc)
    for i in sorted(wanted - {a.id for a in good}):
        report.failures.append(BroadcastError(
            f"no valid announcement with id {i!r}", ws.announcements_dir,
            hint="check the id with `broadcast status`; `broadcast validate` shows broken files"))
        report.failures.extend(e for e in bad if Path(str(e.path)).stem == i)
    return out


def schedule(ws: Workspace, day: date, approved: list[tuple[Announcement, Approval]],
             report: ProduceReport) -> list[Scheduled]:
    """Which slots play what on `day`; slots past an announcement's expiry are left out and listed."""
    scheduled: list[Scheduled] = []
    for ann, approval in approved:
        if day not in ann.dates:
            continue
        slots = [s for s in ann.slots if not ann.expired_at(slot_moment(ws, day, s))]
        for s in ann.slots:
            if s not in slots:
                report.expired.append((ann.id, f"expired {ann.expires.isoformat()}, left out of {s}", ann.areas))
                withhold(report, ann, f"hết hạn (expired {ann.expires.isoformat()})",
                         "approve a new version with a later `expires:` if it must still be read", slots=(s,),
                         kind="expired")
        if slots:
            scheduled.append(Scheduled(ann, approval, slots))
    return scheduled


def renditions_for(ws: Workspace, conn: sqlite3.Connection, ann: Announcement, approval: Approval,
                   report: ProduceReport) -> dict[str, Rendition]:
    """Every language this announcement is played in, in some area, that can be produced now;
    the others are reported missing with the reason and the command that fixes it."""
    wanted: list[str] = []
    for area_id in ann.areas:
        area = ws.config.areas[area_id]
        for lang in ann.languages:
            if (lang == SOURCE_LANGUAGE or lang in area.languages) and lang not in wanted:
                wanted.append(lang)
    out: dict[str, Rendition] = {}
    for lang in wanted:
        rendition, reason = _rendition(ws, conn, ann, approval, lang)
        if rendition is not None:
            out[lang] = rendition
            continue
        areas = tuple(a for a in ann.areas if lang == SOURCE_LANGUAGE or lang in ws.config.areas[a].languages)
        for area_id in areas:
            report.missing.append(Missing(ann.id, lang, area_id, reason))
        if areas:
            withhold(report, ann, f"thiếu bản {language_name(lang)} (missing rendition): {reason}",
                     language=lang, areas=areas, kind="missing")
    return out


def _reading_first(ws: Workspace, lang: str) -> bool:
    try:
        return reading_first(ws, lang)
    except BroadcastError:
        return True          # a broken voices file: the person's reading still comes first


def _rendition(ws: Workspace, conn, ann: Announcement, approval: Approval,
               lang: str) -> tuple[Rendition | None, str]:
    """The rendition of `ann` in `lang`, or (None, why not with the fix). A current, accepted
    human reading is the language's first route (unless voices/<lang>.toml puts a usable voice
    before it); a reading that is stale or not yet verified is never aired, and it is not
    silently replaced by a synthetic voice either: the rendition is missing, with the fix."""
    if lang == SOURCE_LANGUAGE:
        text, text_sha, translation_approval = ann.body, ann.text_sha256, None
    else:
        state = translation_state(ws, conn, ann, lang)
        if state.state != "approved" or not state.text:
            return None, f"{language_name(lang)} translation {state.state}: {state.reason}"
        text, text_sha, translation_approval = state.text, state.text_sha256 or "", state.approval
    if _reading_first(ws, lang):
        rs = current_reading(ws, conn, ann, lang)
        if rs.state == VERIFIED and rs.reading is not None:
            return Rendition(ann, approval, lang, text, text_sha, recording=str(rs.reading.path),
                             translation_approval=translation_approval, reading=rs.reading.manifest()), ""
        if rs.state in (STALE, TO_VERIFY):
            return None, f"reading {rs.state}: {rs.reason}"
    ok, why = has_speech_route(ws, lang)
    if not ok:
        return None, (f"approved {language_name(lang)} text but no speech route: {why}; record a local "
                      f"speaker reading it: broadcast record {ann.id} --lang {lang} FILE --by NAME")
    return Rendition(ann, approval, lang, text, text_sha, translation_approval=translation_approval), ""


def plan_renditions(ws: Workspace, conn, scheduled: list[Scheduled], report: ProduceReport) -> dict[str, Rendition]:
    renditions: dict[str, Rendition] = {}
    for s in scheduled:
        for r in renditions_for(ws, conn, s.announcement, s.approval, report).values():
            renditions[r.key] = r
    return renditions


def profiles_for(renditions: dict[str, Rendition]) -> dict[str, list[str]]:
    """The master profiles each rendition needs, from its announcement's channels."""
    out: dict[str, list[str]] = {}
    for key, r in renditions.items():
        chans = r.announcement.channels
        out[key] = [p for p, ch in CHANNEL_PROFILES if ch in chans]
        if "cap" in chans and "loudspeaker" not in out[key]:
            out[key].append("loudspeaker")
    return out
