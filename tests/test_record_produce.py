"""A verified human reading on air: `produce` takes the current, accepted reading as the
language's first speech route, masters it like synthetic speech and names its reader and
acceptance in the manifest; `check` compares the recorded file like any other; a reading made
stale by a text change never reaches output/ and the run sheet lists the rendition as missing
with the fix."""

from __future__ import annotations

import json

import pytest

from broadcast.recording.calibrate import RATE, read_aloud, spoken
from broadcast.recording.cleanup import CleanTake

pytestmark = pytest.mark.slow

DAY = "2099-12-14"
BODY = ("Ủy ban nhân dân xã thông báo lịch tiêm chủng cho trẻ em dưới 5 tuổi.\n\n"
        "Thời gian từ 7 giờ sáng ngày 15/12, tại Trạm Y tế xã.")


def test_a_verified_reading_is_aired_and_a_stale_one_is_not(ws, tmp_path):
    path = ws.write("tiem", body=BODY, languages="[vi]", areas="[men]", repeat="1", channels="[loudspeaker]")
    assert ws.run("approve", str(path), "--by", "Chủ tịch").exit_code == 0
    take = tmp_path / "take.wav"
    take.write_bytes(CleanTake(0.5 * read_aloud(spoken(BODY)), RATE, None).wav_bytes())
    result = ws.run("record", "tiem", "--lang", "vi", str(take), "--by", "Lò Thị Mai")
    assert result.exit_code == 0, result.output

    result = ws.run("produce", "--date", DAY, "--jobs", "1")
    assert result.exit_code == 0, result.output
    day = ws.root / "output" / DAY
    manifest = json.loads((day / "manifest.json").read_text(encoding="utf-8"))
    entry = next(e for e in manifest["files"] if e["path"].endswith("-tiem-vi.mp3"))
    assert entry["engine"] == "recorded"
    assert entry["reading"]["reader"] == "Lò Thị Mai" and entry["reading"]["how"] == "verified"
    result = ws.run("check", "--date", DAY)
    report = json.loads((day / "check.json").read_text(encoding="utf-8"))
    assert all(f["transcribed"] for f in report["files"]), result.output

    path.write_text(path.read_text(encoding="utf-8").replace("7 giờ", "8 giờ"), encoding="utf-8")
    assert ws.run("approve", str(path), "--by", "Chủ tịch").exit_code == 0
    result = ws.run("produce", "--date", DAY, "--jobs", "1")
    assert "reading stale" in result.output and "broadcast record tiem --lang vi" in result.output
    assert not list(day.rglob("*-tiem-vi.mp3"))
    sheet = (day / "loudspeaker" / "men" / "rundown.txt").read_text(encoding="utf-8")
    assert "tiem" in sheet and "broadcast record tiem --lang vi" in sheet
