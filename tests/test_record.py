"""`broadcast record` end to end on real speech: espeak-ng reads (standing in for a person), ffmpeg's
filters clean, the packaged Whisper base model hears, and the verdict is judged against the
approved text. A true reading with hesitations is accepted and enters the audit log; a sentence
left out, a number changed, another announcement, noise and silence are refused; a reading
becomes stale when its text changes; a fixed phrase is recorded the same way."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest

from broadcast.core import db
from broadcast.recording.calibrate import RATE, hesitant, read_aloud, spoken
from broadcast.recording.cleanup import CleanTake
from broadcast.translations.readings import current_reading, phrase_reading

pytestmark = pytest.mark.slow

BODY = ("Ủy ban nhân dân xã thông báo lịch tiêm chủng cho trẻ em dưới 5 tuổi.\n\n"
        "Thời gian từ 7 giờ sáng ngày 15/12, tại Trạm Y tế xã.")
OTHER = "Đề nghị bà con không đi qua ngầm tràn, không vớt củi trên suối khi có mưa lớn."


def take(path, samples):
    path.write_bytes(CleanTake(np.asarray(samples, np.float32), RATE, None).wav_bytes())
    return str(path)


def reading(tmp_path, text=BODY, name="take.wav", **kw):
    return take(tmp_path / name, read_aloud(spoken(text), **kw))


@pytest.fixture
def approved(ws):
    path = ws.write("tiem", body=BODY, languages="[vi]")
    assert ws.run("approve", str(path), "--by", "Chủ tịch").exit_code == 0
    return path


def accepted_entries(ws):
    conn = sqlite3.connect(ws.root / "state" / "broadcast.db")
    conn.row_factory = sqlite3.Row
    return [dict(r) for r in conn.execute("SELECT * FROM audit_log WHERE action = 'accept-reading' ORDER BY seq")]


def state(ws, lang="vi"):
    w = ws.load()
    from broadcast.recording.takes import find_announcement

    return current_reading(w, db.connect(w.db_path), find_announcement(w, "tiem"), lang)


def test_a_true_reading_with_hesitations_is_verified_accepted_and_logged(ws, approved, tmp_path):
    sentences, pauses = hesitant(spoken(BODY))          # "ờ", a word said twice, a 1.5 s pause
    path = take(tmp_path / "mai.m4a.wav", read_aloud(sentences, 140, pauses))
    result = ws.run("record", "tiem", "--lang", "vi", path, "--by", "Lò Thị Mai")
    assert result.exit_code == 0, result.output
    assert "tiem [vi]: verified" in result.output and "2/2 sentences and 3/3 numbers heard" in result.output
    final = ws.root / "translations" / "tiem" / "vi.wav"
    assert final.is_file()
    (entry,) = accepted_entries(ws)
    detail = json.loads(entry["detail"])
    from broadcast.core.fsutil import sha256_file

    assert entry["subject"] == "tiem/vi" and entry["sha256"] == sha256_file(final)
    assert entry["actor"] == "Lò Thị Mai" and detail["reader"] == "Lò Thị Mai" and detail["how"] == "verified"
    w = ws.load()
    from broadcast.recording.takes import find_announcement

    assert detail["text_sha256"] == find_announcement(w, "tiem").text_sha256
    st = state(ws)
    assert st.state == "verified" and st.reading.path == final
    assert "verified" in ws.run("record", "list").output
    assert "vi (reading verified)" in ws.run("status").output

    # the text changes and is approved again: the reading is stale, and says how to fix it
    approved.write_text(approved.read_text(encoding="utf-8").replace("7 giờ", "8 giờ"), encoding="utf-8")
    assert ws.run("approve", str(approved), "--by", "Chủ tịch").exit_code == 0
    st = state(ws)
    assert st.state == "stale" and st.reading is None
    assert "older text" in st.reason and "broadcast record tiem --lang vi FILE --by NAME" in st.reason
    assert "vi (reading stale)" in ws.run("status").output
    listing = ws.run("record", "list").output
    assert "stale" in listing


def test_a_sentence_left_out_is_refused_naming_it_and_can_be_accepted_with_a_reason(ws, approved, tmp_path):
    path = reading(tmp_path, BODY.split("\n\n")[0])
    result = ws.run("record", "tiem", "--lang", "vi", path, "--by", "Lò Thị Mai")
    assert result.exit_code == 1
    assert "sentence 2 not heard" in result.output
    assert "read again:\n  2. Thời gian từ 7 giờ sáng ngày 15/12, tại Trạm Y tế xã." in result.output
    assert not (ws.root / "translations" / "tiem" / "vi.wav").exists()
    assert state(ws).state == "to verify" and "--accept --reason" in state(ws).reason
    assert accepted_entries(ws) == []

    result = ws.run("record", "tiem", "--lang", "vi", path, "--by", "Lò Thị Mai", "--accept")
    assert result.exit_code == 1 and "--accept needs --reason" in result.output
    result = ws.run("record", "tiem", "--lang", "vi", path, "--by", "Cán bộ Hà", "--reader", "Lò Thị Mai",
                    "--accept", "--reason", "the time is read out at the meeting")
    assert result.exit_code == 0, result.output
    (entry,) = accepted_entries(ws)
    detail = json.loads(entry["detail"])
    assert entry["actor"] == "Cán bộ Hà" and detail["reader"] == "Lò Thị Mai"
    assert detail["how"] == "overridden" and detail["reason"] == "the time is read out at the meeting"
    assert state(ws).state == "verified"


def test_a_changed_number_is_refused(ws, approved, tmp_path):
    path = reading(tmp_path, BODY.replace("15/12", "16/12"))
    result = ws.run("record", "tiem", "--lang", "vi", path, "--by", "Lò Thị Mai")
    assert result.exit_code == 1, result.output
    assert "number “15/12” of sentence 2 not heard as written" in result.output
    assert not (ws.root / "translations" / "tiem" / "vi.wav").exists()


def test_a_reading_of_another_announcement_noise_and_silence_are_refused(ws, approved, tmp_path):
    result = ws.run("record", "tiem", "--lang", "vi", reading(tmp_path, OTHER), "--by", "Lò Thị Mai")
    assert result.exit_code == 1
    assert "is not a reading of this text" in result.output and "read again" not in result.output

    noise = np.random.default_rng(3).normal(0, 0.05, RATE * 6)
    result = ws.run("record", "tiem", "--lang", "vi", take(tmp_path / "noise.wav", noise), "--by", "Lò Thị Mai")
    assert result.exit_code == 1 and ("no speech" in result.output), result.output

    result = ws.run("record", "tiem", "--lang", "vi", take(tmp_path / "silence.wav", np.zeros(RATE * 3)),
                    "--by", "Lò Thị Mai")
    assert result.exit_code == 1 and "silence.wav: the take is silent" in result.output
    assert "Traceback" not in result.output
    assert accepted_entries(ws) == []


def test_the_station_ident_is_recorded_and_verified_like_a_reading(ws, tmp_path):
    text = "Đây là Đài truyền thanh xã Chiềng Sinh."
    result = ws.run("record", "phrase", "ident", reading(tmp_path, text), "--by", "Lò Thị Mai")
    assert result.exit_code == 0, result.output
    assert (ws.root / "voices" / "ident.wav").is_file()
    w = ws.load()
    st = phrase_reading(w, db.connect(w.db_path), "ident")
    assert st.state == "verified" and st.reading.reader == "Lò Thị Mai"
    # the station is renamed in broadcast.toml: the ident reads the old name
    toml = ws.root / "broadcast.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("xã Chiềng Sinh\"", "xã Chiềng Cơi\""), encoding="utf-8")
    w = ws.load()
    assert phrase_reading(w, db.connect(w.db_path), "ident").state == "stale"
