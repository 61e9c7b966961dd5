"""The whole H'Mông path: translate → a translator fills the XLIFF → import → a local speaker's
recording → produce → an hmn MP3 in the right area and an hmn Zalo text. Nothing unapproved
is ever produced."""

from __future__ import annotations

import json

import pytest
from conftest import speak
from translate.storage import xliff

DAY = "2099-12-14"
pytestmark = pytest.mark.slow

BODY = "Ủy ban nhân dân xã thông báo họp dân vào sáng thứ Ba.\n\nMời mỗi hộ một người đến dự."
HMN = {
    "Ủy ban nhân dân xã thông báo họp dân vào sáng thứ Ba.": "Pawg thawj coj hauv zos qhia tias yuav sib tham hnub Tuesday sawv ntxov.",
    "Mời mỗi hộ một người đến dự.": "Thov txhua tsev neeg xa ib tug neeg tuaj koom.",
}


def fill(path):
    store = xliff.xlifffile.parsestring(path.read_bytes())
    for unit in store.units:
        unit.target = HMN[str(unit.source)]
        unit.set_state_n(unit.statemap["final"])
    path.write_bytes(bytes(store))


def test_hmong_path_from_translation_to_loudspeaker(ws):
    path = ws.write("hop-dan", areas="[ly-xom, men]", languages="[vi, hmn]", repeat="1", body=BODY)
    assert ws.run("approve", str(path), "--by", "Chủ tịch").exit_code == 0

    # before translation: vi is produced, hmn reported missing with the command that fixes it
    result = ws.run("produce", "--date", DAY, "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert "missing hop-dan [hmn] for men" in result.output and "broadcast translate" in result.output

    assert ws.run("translate", "hop-dan", "--to", "hmn").exit_code == 0
    xlf = ws.root / "translations" / "hop-dan" / "hmn.xlf"
    fill(xlf)
    result = ws.run("translations", "import", str(xlf), "--by", "Vàng A Sử")
    assert result.exit_code == 0, result.output
    assert (ws.root / "translations" / "hop-dan" / "hmn.md").is_file()

    # a local speaker's reading (here espeak-ng stands in for the person)
    text = " ".join(HMN.values())
    wav = speak(ws.root / "take-hmn.wav", text, speed=140)
    # Whisper does not hear H'Mông: the take waits until a second person has listened to it
    result = ws.run("record", "hop-dan", "--lang", "hmn", str(wav), "--by", "Vàng Thị Mai")
    assert "second person" in result.output, result.output
    result = ws.run("produce", "--date", DAY, "--jobs", "1")
    assert "missing hop-dan [hmn] for men" in result.output and "listen" in result.output
    result = ws.run("record", "approve", "hop-dan", "--lang", "hmn", "--by", "Lò Văn Minh")
    assert result.exit_code == 0, result.output

    result = ws.run("produce", "--date", DAY, "--jobs", "1")
    assert result.exit_code == 0, result.output
    day = ws.root / "output" / DAY
    men = sorted(p.name for p in (day / "loudspeaker" / "men").glob("*.mp3"))
    assert "02-morning-normal-hop-dan-hmn.mp3" in men and "01-morning-normal-hop-dan-vi.mp3" in men
    assert not list((day / "loudspeaker" / "ly-xom").glob("*-hmn.mp3"))  # ly-xom speaks vi and blt
    zalo_text = (day / "zalo" / "men" / "hop-dan-hmn.txt").read_text(encoding="utf-8")
    assert "Thov txhua tsev neeg" in zalo_text
    manifest = json.loads((day / "manifest.json").read_text(encoding="utf-8"))
    hmn = next(e for e in manifest["files"] if e["path"].endswith("hop-dan-hmn.mp3"))
    assert hmn["engine"] == "recorded" and hmn["translation_approval"]["by"] == "Vàng A Sử"

    # the source changes and is approved again: the hmn translation is stale and leaves the output
    path.write_text(path.read_text(encoding="utf-8").replace("thứ Ba", "thứ Tư"), encoding="utf-8")
    assert ws.run("approve", str(path), "--by", "Chủ tịch").exit_code == 0
    result = ws.run("produce", "--date", DAY, "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert "missing hop-dan [hmn] for men" in result.output and "stale" in result.output.lower()
    assert not list(day.rglob("*-hmn.*"))
    assert "hmn: stale" in ws.run("status").output
