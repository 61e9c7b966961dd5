"""Citizen-controlled text stays on its line, and stored times are shown in the commune's zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from broadcast.core import db
from broadcast.feedback import queue
from broadcast.transcription.models import Segment, Transcript
from broadcast.web.text import when


def test_review_list_keeps_one_line_per_item_whatever_the_file_name(ws):
    conn = db.connect(ws.load().db_path)
    names = ["ghi âm\nrm -rf ~.m4a", "invoice\u202egpj.exe", "plain.wav"]
    for i, name in enumerate(names):
        transcript = Transcript(f"Đường bản {i} bị sạt lở", [Segment(0.0, 1.0, "x", -0.2, 0.1)], 1.0, "vi",
                                "faster-whisper", "base")
        queue.add_item(conn, queue.NewItem(name, f"{i:064d}", f"store/{i}", "2099-12-14T08:00:00+00:00",
                                           transcript))
    result = ws.run("review", "list")
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if "\t" in line]
    assert len(rows) == 3
    assert any("ghi âm\\nrm -rf ~.m4a" in r for r in rows) and any("invoice\\u202egpj.exe" in r for r in rows)


def test_times_on_the_pages_are_in_the_communes_zone():
    hcm = ZoneInfo("Asia/Ho_Chi_Minh")
    assert when("2026-12-01T09:59:26+00:00", hcm) == "2026-12-01 16:59 +0700"
    assert when("2026-12-01T09:59:26+00:00") == "2026-12-01 09:59"
    assert when("not a time", hcm) == "not a time" and when(None, hcm) == ""
