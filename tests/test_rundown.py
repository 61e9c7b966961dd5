from __future__ import annotations

from datetime import date, time

from broadcast.core.display import format_duration
from broadcast.produce.rundown import (
    RundownEntry,
    play_order_key,
    write_playlist,
    write_rundown,
)


def entry(order, slot="morning", at=time(5, 30), priority="normal", ann="tiem-chung", lang="vi",
          duration=95.4, title="Lịch tiêm chủng"):
    return RundownEntry(order=order, slot=slot, slot_time=at, priority=priority, announcement_id=ann,
                        title=title, language=lang, filename=f"{order:02d}-{slot}-{priority}-{ann}-{lang}.mp3",
                        duration=duration, readings=2)


def test_play_order_emergency_priority_normal_then_id():
    items = [("normal", "a"), ("emergency", "z"), ("priority", "b"), ("normal", "0"), ("emergency", "c")]
    assert sorted(items, key=lambda x: play_order_key(*x)) == [
        ("emergency", "c"), ("emergency", "z"), ("priority", "b"), ("normal", "0"), ("normal", "a")]


def test_playlist(tmp_path):
    entries = [entry(2, ann="b", duration=61.6), entry(1, priority="emergency", ann="a", lang="hmn")]
    path = tmp_path / "playlist.m3u8"
    write_playlist(path, entries)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines == ["#EXTM3U",
                     "#EXTINF:95,Lịch tiêm chủng (H'Mông)", "01-morning-emergency-a-hmn.mp3",
                     "#EXTINF:62,Lịch tiêm chủng (Tiếng Việt)", "02-morning-normal-b-vi.mp3"]
    assert [p.name for p in tmp_path.iterdir()] == ["playlist.m3u8"]


def test_rundown_slots_totals_warning_expired_missing(tmp_path):
    entries = [entry(1, priority="emergency", ann="lu"), entry(2, ann="tiem-chung", duration=30),
               entry(3, slot="evening", at=time(17, 0), ann="hop", duration=3500),
               entry(4, slot="evening", at=time(17, 0), ann="hop", lang="blt", duration=200)]
    write_rundown(tmp_path, area_name="Bản Ly Xôm", station="Đài truyền thanh xã Chiềng Sinh",
                  day=date(2026, 12, 5), entries=entries,
                  expired=[("cu", "expired 2026-12-04T00:00:00+07:00, left out of morning")],
                  missing=[("hop", "hmn", "no approved translation — run broadcast translate hop")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rundown.html", "rundown.txt"]
    txt = (tmp_path / "rundown.txt").read_text(encoding="utf-8")
    assert "05/12/2026" in txt and "Bản Ly Xôm" in txt
    morning, evening = txt.index("05:30 morning"), txt.index("17:00 evening")
    assert morning < txt.index("1. Lịch tiêm chủng") < evening
    assert "2:05" in txt                               # 95.4 + 30 s morning total
    assert "1:01:40" in txt                            # evening total
    warning = txt.index("60 phút")
    assert warning > evening                           # only the evening slot is over an hour
    assert txt.count("60 phút") == 1
    assert "cu: expired 2026-12-04T00:00:00+07:00, left out of morning" in txt
    assert "hop [H'Mông]: no approved translation" in txt

    html = (tmp_path / "rundown.html").read_text(encoding="utf-8")
    assert '<meta name="viewport"' in html and "@media print" in html and "A4" in html
    assert "Cảnh báo" in html and "1:01:40" in html
    assert "expired 2026-12-04" in html


def test_rundown_html_escapes(tmp_path):
    evil = "<script>alert('x')</script>"
    write_rundown(tmp_path, area_name=evil, station="Đài & <b>", day=date(2026, 1, 1),
                  entries=[entry(1, title=evil)], expired=[(evil, evil)], missing=[])
    html = (tmp_path / "rundown.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>" not in html


def test_empty_day(tmp_path):
    write_rundown(tmp_path, area_name="Bản Mến", station="Đài", day=date(2026, 1, 1), entries=[],
                  expired=[], missing=[])
    assert "Không có bản tin" in (tmp_path / "rundown.txt").read_text(encoding="utf-8")


def test_format_duration():
    assert format_duration(0) == "0:00"
    assert format_duration(59.6) == "1:00"
    assert format_duration(3725) == "1:02:05"
