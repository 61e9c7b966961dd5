"""Slots with display names: `morning = { time = "05:30", name = "Buổi sáng" }` beside the old
`morning = "05:30"`; run sheets and previews show the name, everything else keeps the id and the
time of day."""

from __future__ import annotations

from datetime import date, time

import pytest

from broadcast.core.config import CONFIG_TEMPLATE, load_config
from broadcast.produce.rundown import RundownEntry, WithheldLine, write_rundown
from conftest import CONFIG

NAMED = CONFIG.replace('morning = "05:30"\nevening = "17:00"',
                       'morning = { time = "05:30", name = "Buổi sáng" }\nevening = "17:00"\n'
                       'noon = { time = "11:15" }')
DAY = "2099-12-14"


def named(ws) -> None:
    (ws.root / "broadcast.toml").write_text(NAMED, encoding="utf-8")


def test_both_forms_parse_and_slots_stay_times(ws) -> None:
    named(ws)
    config = ws.load().config
    assert config.slots == {"morning": time(5, 30), "evening": time(17, 0), "noon": time(11, 15)}
    assert config.slot_names == {"morning": "Buổi sáng", "evening": "evening", "noon": "noon"}
    assert config.slot_name("morning") == "Buổi sáng" and config.slot_name("evening") == "evening"


def test_the_old_form_alone_still_works(ws) -> None:
    config = ws.load().config
    assert config.slots == {"morning": time(5, 30), "evening": time(17, 0)}
    assert config.slot_names == {"morning": "morning", "evening": "evening"}


def test_init_writes_named_slots(tmp_path) -> None:
    (tmp_path / "broadcast.toml").write_text(CONFIG_TEMPLATE.format(name="Xã Mới"), encoding="utf-8")
    config = load_config(tmp_path / "broadcast.toml")
    assert config.slots == {"morning": time(5, 30), "evening": time(17, 0)}
    assert config.slot_names == {"morning": "Buổi sáng", "evening": "Buổi chiều"}


@pytest.mark.parametrize("slot, field, words", [
    ('morning = { name = "Buổi sáng" }', "slots.morning", "missing time"),
    ('morning = { time = "5h30", name = "Buổi sáng" }', "slots.morning.time", "'5h30' is not a time of day"),
    ('morning = { time = "05:30", ten = "Buổi sáng" }', "slots.morning", "unknown key ten"),
    ('morning = { time = "05:30", name = "  " }', "slots.morning.name", "is not a name"),
    ('morning = { time = "05:30", name = 5 }', "slots.morning.name", "5 is not a name"),
    ('morning = 530', "slots.morning", "530 is not a time of day"),
])
def test_a_bad_slot_is_one_line_naming_the_file_and_field(ws, slot, field, words) -> None:
    (ws.root / "broadcast.toml").write_text(CONFIG.replace('morning = "05:30"', slot), encoding="utf-8")
    result = ws.run("status")
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert "broadcast.toml" in lines[0] and f"{field}: " in lines[0] and words in lines[0]
    assert '{ time = "HH:MM", name = "Buổi sáng" }' in lines[0] or "e.g." in lines[0]


def entry(order: int, slot: str, at: time) -> RundownEntry:
    return RundownEntry(order=order, slot=slot, slot_time=at, priority="normal", announcement_id="tiem-chung",
                        title="Lịch tiêm chủng", language="vi", filename=f"{order:02d}-{slot}-normal-tiem-chung-vi.mp3",
                        duration=60.0, readings=2)


def test_run_sheet_shows_the_display_names(tmp_path) -> None:
    withheld = [WithheldLine("hop", "Họp dân", "normal", "morning", "vi", "chưa được duyệt (not approved)")]
    write_rundown(tmp_path, area_name="Bản Mến", station="Đài", day=date(2099, 12, 14),
                  entries=[entry(1, "morning", time(5, 30)), entry(2, "evening", time(17, 0))],
                  expired=[], missing=[], withheld=withheld,
                  slot_names={"morning": "Buổi sáng", "evening": "evening"})
    txt = (tmp_path / "rundown.txt").read_text(encoding="utf-8")
    assert "== 05:30 Buổi sáng (morning) — tổng thời lượng" in txt
    assert "== 17:00 evening — tổng thời lượng" in txt          # no name: the id, as before
    assert "Họp dân (hop) — Buổi sáng (morning) · Tiếng Việt" in txt
    html = (tmp_path / "rundown.html").read_text(encoding="utf-8")
    assert '05:30 · Buổi sáng <small class="en">morning</small>' in html
    assert "17:00 · evening</span>" in html
    assert "(hop · Buổi sáng (morning) · Tiếng Việt)" in html
    # without names (the old callers): ids
    write_rundown(tmp_path, area_name="Bản Mến", station="Đài", day=date(2099, 12, 14),
                  entries=[entry(1, "morning", time(5, 30))], expired=[], missing=[])
    assert "== 05:30 morning — " in (tmp_path / "rundown.txt").read_text(encoding="utf-8")


@pytest.mark.slow
def test_produce_puts_the_names_on_the_run_sheets_and_keeps_ids_in_file_names(ws) -> None:
    named(ws)
    path = ws.write(areas="[men]", repeat="1",
                    schedule=f"\n  dates: [{DAY}]\n  slots: [morning, evening]", channels="[loudspeaker]")
    assert ws.run("approve", str(path), "--by", "Chủ tịch").exit_code == 0
    result = ws.run("produce", "--date", DAY)
    assert result.exit_code == 0, result.output
    folder = ws.root / "output" / DAY / "loudspeaker" / "men"
    txt = (folder / "rundown.txt").read_text(encoding="utf-8")
    assert "== 05:30 Buổi sáng (morning)" in txt and "== 17:00 evening" in txt
    assert "Buổi sáng" in (folder / "rundown.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in folder.glob("*.mp3")) == ["01-morning-normal-tiem-chung-vi.mp3",
                                                            "02-evening-normal-tiem-chung-vi.mp3"]


def test_preview_shows_the_slot_names(ws) -> None:
    named(ws)
    ws.write()
    result = ws.run("preview", "tiem-chung")
    assert result.exit_code == 0, result.output
    assert "on air 14/12/2099, 15/12/2099 · 05:30 Buổi sáng, 17:00 evening" in result.output
