"""The loudspeaker operator's run sheet (rundown.txt, rundown.html) and playlist (playlist.m3u8)."""

from __future__ import annotations

import functools
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from broadcast.core.display import format_duration
from broadcast.core.fsutil import atomic_write_text
from broadcast.core.languages import language_name
from broadcast.core.models import PRIORITY_ORDER

# A slot longer than this runs into the next programme on the air.
SLOT_WARNING_SECONDS = 60 * 60

PRIORITY_LABELS = {
    "emergency": ("Khẩn cấp", "emergency"),
    "priority": ("Ưu tiên", "priority"),
    "normal": ("Thông thường", "normal"),
}


# How the run sheet shows a file `broadcast check` did not pass (RundownEntry.status).
STATUS_LABELS = {
    "check-failed": "KHÔNG PHÁT — kiểm tra không đạt (CHECK FAILED: do not play unreviewed)",
    "review": "NGHE LẠI trước khi phát (REVIEW: listen before playing)",
}


@dataclass(frozen=True)
class RundownEntry:
    order: int
    slot: str
    slot_time: time
    priority: str
    announcement_id: str
    title: str
    language: str
    filename: str
    duration: float
    readings: int
    status: str = "ok"   # "check-failed" once `broadcast check` finds the speech unintelligible


@dataclass(frozen=True)
class SlotSummary:
    name: str
    time: time
    entries: list[RundownEntry]
    label: str = ""   # the display name (`[slots] morning = { time = …, name = "Buổi sáng" }`)

    @property
    def title(self) -> str:
        """What the sheet calls the slot: "Buổi sáng (morning)", or the id alone when it has no name."""
        return f"{self.label} ({self.name})" if self.label and self.label != self.name else self.name

    @property
    def total(self) -> float:
        return sum(e.duration for e in self.entries)

    @property
    def over_limit(self) -> bool:
        return self.total > SLOT_WARNING_SECONDS


def play_order_key(priority: str, announcement_id: str) -> tuple:
    """Within a slot: emergency, then priority, then normal; then by id."""
    return (PRIORITY_ORDER.get(priority, len(PRIORITY_ORDER)), announcement_id)


def group_by_slot(entries: list[RundownEntry], slot_names: dict[str, str] | None = None) -> list[SlotSummary]:
    slots: OrderedDict[str, list[RundownEntry]] = OrderedDict()
    for e in sorted(entries, key=lambda e: (e.slot_time, e.order)):
        slots.setdefault(e.slot, []).append(e)
    names = slot_names or {}
    return [SlotSummary(name, items[0].slot_time, items, names.get(name, "")) for name, items in slots.items()]


def write_playlist(path: Path, entries: list[RundownEntry]) -> None:
    """Extended M3U in play order, UTF-8, file names relative to the playlist."""
    lines = ["#EXTM3U"]
    for e in sorted(entries, key=lambda e: e.order):
        title = f"{e.title} ({language_name(e.language)})".replace("\n", " ")
        lines.append(f"#EXTINF:{int(round(e.duration))},{title}")
        lines.append(e.filename)
    atomic_write_text(path, "\n".join(lines) + "\n")


@dataclass(frozen=True)
class WithheldLine:
    """One line of the run sheet's 'not on air' list: what, where (slot, language), why, the fix."""

    announcement_id: str
    title: str
    priority: str
    slot: str | None
    language: str | None
    reason: str
    fix: str = ""

    @property
    def emergency(self) -> bool:
        return self.priority == "emergency"


def order_withheld(lines: list[WithheldLine]) -> list[WithheldLine]:
    """Emergencies first (they stand at the top of the sheet), then by priority and id."""
    return sorted(lines, key=lambda w: (play_order_key(w.priority, w.announcement_id), w.slot or "", w.language or ""))


def _context(*, area_name: str, station: str, day: date, entries: list[RundownEntry],
             expired: list[tuple[str, str]], missing: list[tuple[str, str, str]],
             withheld: list[WithheldLine] = (), anchor: str | None = None,
             aired: dict[str, tuple[str, str]] | None = None, slot_names: dict[str, str] | None = None) -> dict:
    """`aired` (from the as-run log, broadcast/playout): file name → (result, label) marks what
    went on air (result "aired") or was kept off it ("refused", "interrupted", "failed").
    `slot_names`: slot id → display name (Config.slot_names); a slot not in it is shown by its id."""
    names = slot_names or {}
    return {
        "slot_title": lambda slot: f"{names[slot]} ({slot})" if names.get(slot, slot) != slot else slot,
        "area_name": area_name, "station": station, "day": day.strftime("%d/%m/%Y"),
        "withheld": order_withheld(list(withheld)), "anchor": anchor, "aired": aired or {},
        "day_iso": day.isoformat(), "slots": group_by_slot(entries, names), "expired": expired,
        "missing": missing, "language_name": language_name, "duration": format_duration,
        "priority_label": lambda p: PRIORITY_LABELS.get(p, (p, p)),
        "limit_minutes": SLOT_WARNING_SECONDS // 60, "status_label": lambda st: STATUS_LABELS.get(st, st),
    }


def render_text(**kw) -> str:
    c = _context(**kw)
    out = [f"{c['station']}", f"LỊCH PHÁT / RUN SHEET — {c['area_name']} — ngày {c['day']}", ""]
    if c["withheld"]:
        out.append("!! KHÔNG PHÁT — đã lên lịch nhưng không được phát (WITHHELD FROM AIR: scheduled, not on air):")
        for w in c["withheld"]:
            where = " · ".join(x for x in (c["slot_title"](w.slot) if w.slot else None,
                                           language_name(w.language) if w.language else None) if x)
            mark = "[KHẨN CẤP / EMERGENCY] " if w.emergency else ""
            out.append(f"  - {mark}{w.title} ({w.announcement_id}){' — ' + where if where else ''}: {w.reason}")
            if w.fix:
                out.append(f"      cách sửa (fix): {w.fix}")
        out.append("")
    if not c["slots"]:
        out.append("Không có bản tin nào trong ngày (no announcements today).")
    for slot in c["slots"]:
        out.append(f"== {slot.time.strftime('%H:%M')} {slot.title} — tổng thời lượng (total) "
                   f"{format_duration(slot.total)} ==")
        if slot.over_limit:
            out.append(f"!! CẢNH BÁO: quá {c['limit_minutes']} phút (WARNING: slot runs over "
                       f"{c['limit_minutes']} minutes)")
        for e in slot.entries:
            label = PRIORITY_LABELS.get(e.priority, (e.priority,))[0]
            flag = "" if e.status == "ok" else f"  [{e.status}] {STATUS_LABELS.get(e.status, '')}".rstrip()
            mark = f"  {'✓' if c['aired'][e.filename][0] == 'aired' else '✗'} {c['aired'][e.filename][1]}" \
                if e.filename in c["aired"] else ""
            out.append(f"{e.order:>3}. {e.title} [{language_name(e.language)}] ({label}) "
                       f"{format_duration(e.duration)} · {e.readings} lần đọc{flag}{mark}")
            out.append(f"     {e.filename}")
        out.append("")
    if c["expired"]:
        out.append("Hết hạn, không phát (expired, left out):")
        out += [f"  - {i}: {why}" for i, why in c["expired"]]
        out.append("")
    if c["missing"]:
        out.append("Thiếu bản ngôn ngữ (missing renditions):")
        out += [f"  - {i} [{language_name(lang)}]: {why}" for i, lang, why in c["missing"]]
        out.append("")
    if c["anchor"]:
        out.append(f"Mã nhật ký duyệt (audit anchor): {c['anchor']}")
    return "\n".join(out).rstrip("\n") + "\n"


@functools.lru_cache(maxsize=1)
def _template():
    """The run-sheet template, compiled once per process (not once per area)."""
    env = Environment(loader=PackageLoader("broadcast.produce", "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    return env.get_template("rundown.html")


def render_html(**kw) -> str:
    return _template().render(**_context(**kw))


def write_rundown(folder: Path, *, area_name: str, station: str, day: date, entries: list[RundownEntry],
                  expired: list[tuple[str, str]], missing: list[tuple[str, str, str]],
                  withheld: list[WithheldLine] = (), anchor: str | None = None,
                  slot_names: dict[str, str] | None = None) -> None:
    """rundown.txt and rundown.html in `folder`, each written atomically; slots are shown by
    their display names (`slot_names`, Config.slot_names) where they have one."""
    kw = dict(area_name=area_name, station=station, day=day, entries=entries, expired=expired, missing=missing,
              withheld=withheld, anchor=anchor, slot_names=slot_names)
    folder = Path(folder)
    atomic_write_text(folder / "rundown.txt", render_text(**kw))
    atomic_write_text(folder / "rundown.html", render_html(**kw))
