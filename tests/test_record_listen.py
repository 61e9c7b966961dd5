"""Readings in languages Whisper does not hear (H'Mông here): the sound and the length are checked,
then a second person listens and approves (`broadcast record approve`); the reader cannot approve
their own take. A file dropped beside the translation is not aired until it goes through
`broadcast record`; a new translation makes the reading stale. Takes that clip or are too quiet
are refused with what to do. espeak-ng stands in for the reader; no Whisper model is loaded."""

from __future__ import annotations

import json
import sqlite3
import subprocess

import numpy as np
import pytest
from translate.storage import xliff

from broadcast.core import db
from broadcast.recording.calibrate import RATE, espeak
from broadcast.recording.cleanup import CleanTake
from broadcast.recording.takes import find_announcement
from broadcast.translations.readings import current_reading

BODY = "Ủy ban nhân dân xã thông báo họp dân vào sáng thứ Ba.\n\nMời mỗi hộ một người đến dự."
HMN = {
    "Ủy ban nhân dân xã thông báo họp dân vào sáng thứ Ba.": "Pawg thawj coj hauv zos qhia tias yuav sib tham hnub Tuesday sawv ntxov.",
    "Mời mỗi hộ một người đến dự.": "Thov txhua tsev neeg xa ib tug neeg tuaj koom.",
}


def import_translation(ws, table=HMN, by="Vàng A Sử"):
    assert ws.run("translate", "hop-dan", "--to", "hmn").exit_code == 0
    path = ws.root / "translations" / "hop-dan" / "hmn.xlf"
    store = xliff.xlifffile.parsestring(path.read_bytes())
    for unit in store.units:
        unit.target = table[str(unit.source)]
        unit.set_state_n(unit.statemap["final"])
    path.write_bytes(bytes(store))
    result = ws.run("translations", "import", str(path), "--by", by)
    assert result.exit_code == 0, result.output


@pytest.fixture
def hmn(ws):
    path = ws.write("hop-dan", areas="[men]", languages="[vi, hmn]", body=BODY)
    assert ws.run("approve", str(path), "--by", "Chủ tịch").exit_code == 0
    import_translation(ws)
    return path


def take(tmp_path, samples, name="hmn.wav"):
    path = tmp_path / name
    path.write_bytes(CleanTake(np.asarray(samples, np.float32), RATE, None).wav_bytes())
    return str(path)


def hmong_reading(tmp_path, name="hmn.wav", gain=1.0):
    return take(tmp_path, espeak(" ".join(HMN.values())) * gain, name)


def state(ws):
    w = ws.load()
    return current_reading(w, db.connect(w.db_path), find_announcement(w, "hop-dan"), "hmn")


def entries(ws):
    conn = sqlite3.connect(ws.root / "state" / "broadcast.db")
    return [json.loads(d) | {"actor": a, "sha256": s} for a, d, s in conn.execute(
        "SELECT actor, detail, sha256 FROM audit_log WHERE action = 'accept-reading' ORDER BY seq")]


def test_a_second_person_listens_and_approves_and_a_new_translation_makes_it_stale(ws, hmn, tmp_path):
    result = ws.run("record", "hop-dan", "--lang", "hmn", hmong_reading(tmp_path), "--by", "Sùng Thị Dợ")
    assert result.exit_code == 0, result.output
    assert "waits for a second person to listen" in result.output
    assert "broadcast record approve hop-dan --lang hmn --by NAME" in result.output
    assert state(ws).state == "to verify" and not (ws.root / "translations" / "hop-dan" / "hmn.wav").exists()

    result = ws.run("record", "approve", "hop-dan", "--lang", "hmn", "--by", "sùng thị dợ")
    assert result.exit_code == 1 and "a second person must listen" in result.output
    result = ws.run("record", "approve", "hop-dan", "--lang", "hmn", "--by", "Vàng A Sử")
    assert result.exit_code == 0, result.output
    (entry,) = entries(ws)
    assert (entry["actor"], entry["reader"], entry["how"]) == ("Vàng A Sử", "Sùng Thị Dợ", "listened")
    st = state(ws)
    assert st.state == "verified" and st.reading.manifest()["accepted_by"] == "Vàng A Sử"
    assert "hmn: approved (reading verified)" in ws.run("status").output
    # nothing more waits
    assert "no take" in ws.run("record", "approve", "hop-dan", "--lang", "hmn", "--by", "Vàng A Sử").output

    # the translator's corrected file is imported: the reading reads the old text
    import_translation(ws, {**HMN, "Mời mỗi hộ một người đến dự.": "Thov txhua tsev xa ib tug neeg tuaj."})
    st = state(ws)
    assert st.state == "stale" and st.reading is None
    assert "broadcast record hop-dan --lang hmn FILE --by NAME" in st.reason


def test_a_file_dropped_beside_the_translation_is_not_aired_until_recorded(ws, hmn, tmp_path):
    dropped = ws.root / "translations" / "hop-dan" / "hmn.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-i", hmong_reading(tmp_path), "-c:a", "aac", str(dropped)], check=True)
    st = state(ws)
    assert st.state == "to verify" and st.reading is None
    assert "translations/hop-dan/hmn.m4a has not been verified" in st.reason
    assert "broadcast record hop-dan --lang hmn translations/hop-dan/hmn.m4a --by NAME" in st.reason
    result = ws.run("record", "hop-dan", "--lang", "hmn", str(dropped), "--by", "Sùng Thị Dợ")
    assert result.exit_code == 0, result.output
    assert ws.run("record", "approve", "hop-dan", "--lang", "hmn", "--by", "Vàng A Sử").exit_code == 0
    assert state(ws).reading.path == ws.root / "translations" / "hop-dan" / "hmn.wav"


def test_takes_that_clip_are_too_quiet_or_too_short_are_refused_with_the_fix(ws, hmn, tmp_path):
    result = ws.run("record", "hop-dan", "--lang", "hmn", hmong_reading(tmp_path, "loud.wav", 8.0), "--by", "Dợ")
    assert result.exit_code == 1 and "the take clips" in result.output and "input level lower" in result.output
    result = ws.run("record", "hop-dan", "--lang", "hmn", hmong_reading(tmp_path, "quiet.wav", 0.01), "--by", "Dợ")
    assert result.exit_code == 1 and "too quiet" in result.output and "closer to the microphone" in result.output
    short = take(tmp_path, espeak("Pawg"), "short.wav")
    result = ws.run("record", "hop-dan", "--lang", "hmn", short, "--by", "Dợ")
    assert result.exit_code == 1 and "is this the reading of this text?" in result.output
    assert state(ws).state == "to verify" and "refused" in state(ws).reason
    # a person may still send a refused take to the listener, with a reason
    result = ws.run("record", "hop-dan", "--lang", "hmn", short, "--by", "Dợ", "--accept",
                    "--reason", "short greeting agreed with the village head")
    assert result.exit_code == 0 and "waits for a second person" in result.output
    assert entries(ws) == []


def test_whisper_languages_are_not_approved_by_ear_and_bad_input_is_one_line(ws, hmn, tmp_path):
    result = ws.run("record", "approve", "hop-dan", "--lang", "vi", "--by", "Vàng A Sử")
    assert result.exit_code == 1 and "verified by transcription" in result.output
    result = ws.run("record", "hop-dan", "--lang", "blt", hmong_reading(tmp_path), "--by", "Dợ")
    assert result.exit_code == 1 and "not broadcast in" in result.output
    result = ws.run("record", "nope", "--lang", "hmn", hmong_reading(tmp_path), "--by", "Dợ")
    assert result.exit_code == 1 and "no announcement with id 'nope'" in result.output
    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(b"RIFF\0\0\0\0WAVEnot audio at all")
    result = ws.run("record", "hop-dan", "--lang", "hmn", str(garbage), "--by", "Dợ")
    assert result.exit_code == 1 and "garbage.wav" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
