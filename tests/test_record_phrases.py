"""Recorded opening and closing phrases on air: once `broadcast record phrase opening|closing`
has an accepted, current reading, every programme is [ident][pause][opening][pause] readings
[pause][closing][tail], on the loudspeaker and in the Zalo voice note; the masters are made again
once (the phrases are in the render key) and reused after; Ray renders the same bytes. A phrase
made stale by a change of its text in [record.phrases] is not aired, produce says so with the
fix, the announcement still airs, and the files are byte for byte those made with no recording.
The programme's layout itself is checked on tones, without the models."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from broadcast.mastering import build_programme
from broadcast.mastering.programme import (PAUSE_AFTER_IDENT, PAUSE_AFTER_OPENING, PAUSE_BEFORE_CLOSING,
                                           TAIL_SILENCE)
from broadcast.media.decode import decode_file
from broadcast.recording.calibrate import RATE, read_aloud, spoken
from broadcast.recording.cleanup import CleanTake
from broadcast.translations.readings import phrase_text
from conftest import WorkspaceHelper, tone
from raycluster import ray_head  # noqa: F401  (a fixture)

DAY = "2099-12-14"
BODY = "Ủy ban nhân dân xã thông báo lịch tiêm chủng cho trẻ em dưới 5 tuổi, tại Trạm Y tế xã."
LOUDSPEAKER = "loudspeaker/men/"
HEAR = 16000


def test_the_opening_and_closing_frame_the_readings_in_the_programme():
    rate = 8000
    reading, ident = tone(2.0, 500, rate=rate), tone(1.0, 700, rate=rate)
    opening, closing = tone(1.5, 900, rate=rate), tone(0.75, 300, rate=rate)
    plain = build_programme(reading, rate, ident=ident, ident_rate=rate, readings=2, attention=False,
                            sample_rate=rate)
    framed = build_programme(reading, rate, ident=ident, ident_rate=rate, readings=2, attention=False,
                             sample_rate=rate, opening=(opening, rate), closing=(closing, rate))
    assert framed.first_reading[0] == pytest.approx(plain.first_reading[0] + 1.5 + PAUSE_AFTER_OPENING)
    assert framed.duration == pytest.approx(plain.duration + 1.5 + PAUSE_AFTER_OPENING + PAUSE_BEFORE_CLOSING + 0.75)
    assert plain.after_readings == 0 and framed.after_readings == pytest.approx(PAUSE_BEFORE_CLOSING + 0.75)
    s = framed.samples
    at = int((1.0 + PAUSE_AFTER_IDENT) * rate)
    assert np.array_equal(s[at:at + len(opening)], opening)
    end = len(s) - int(TAIL_SILENCE * rate)
    assert np.array_equal(s[end - len(closing):end], closing)
    # Without them, the programme is the one made before they existed, sample for sample.
    again = build_programme(reading, rate, ident=ident, ident_rate=rate, readings=2, attention=False,
                            sample_rate=rate, opening=None, closing=None)
    assert np.array_equal(again.samples, plain.samples) and again.first_reading == plain.first_reading


def take(path: Path, text: str) -> str:
    path.write_bytes(CleanTake(0.5 * read_aloud(spoken(text)), RATE, None).wav_bytes())
    return str(path)


def audio(root: Path) -> dict[str, bytes]:
    folder = root / "output" / DAY
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.suffix in (".mp3", ".m4a")}


def entries(root: Path) -> dict[str, dict]:
    manifest = json.loads((root / "output" / DAY / "manifest.json").read_text(encoding="utf-8"))
    return {e["path"]: e for e in manifest["files"] if e.get("kind") == "audio"}


def found_at(haystack: np.ndarray, needle: np.ndarray) -> tuple[float, float]:
    """(seconds, normalised correlation) where `needle` best matches inside `haystack`."""
    n = len(haystack) + len(needle)
    size = 1 << (n - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(haystack, size) * np.conj(np.fft.rfft(needle, size)), size)
    corr = corr[:len(haystack) - len(needle) + 1]
    energy = np.sqrt(np.convolve(haystack ** 2, np.ones(len(needle)), "valid")) * np.linalg.norm(needle)
    score = corr / np.maximum(energy, 1e-9)
    best = int(np.argmax(score))
    return best / HEAR, float(score[best])


def set_phrases(root: Path, **texts: str) -> None:
    toml = root / "broadcast.toml"
    body = toml.read_text(encoding="utf-8").split("\n[record.phrases]\n")[0]
    lines = "".join(f'{k} = "{v}"\n' for k, v in texts.items())
    toml.write_text(body + ("\n[record.phrases]\n" + lines if texts else ""), encoding="utf-8")


@pytest.mark.slow
def test_recorded_phrases_go_on_air_and_stale_ones_are_said_and_left_out(ws, tmp_path, ray_head, monkeypatch):
    ws.write("tiem", body=BODY, languages="[vi]", areas="[men]", repeat="2", channels="[loudspeaker, zalo]")
    assert ws.run("approve", str(ws.root / "announcements" / "tiem.md"), "--by", "Chủ tịch").exit_code == 0
    result = ws.run("produce", "--date", DAY, "--jobs", "1")
    assert result.exit_code == 0 and "warning" not in result.output, result.output
    before, before_meta = audio(ws.root), entries(ws.root)
    speaker = next(p for p in before if p.startswith(LOUDSPEAKER))
    zalo = next(p for p in before if p.endswith(".m4a"))
    assert "phrases" not in before_meta[speaker]

    w = ws.load()
    for name in ("opening", "closing"):
        result = ws.run("record", "phrase", name, take(tmp_path / f"{name}.wav", phrase_text(w, name)),
                        "--by", "Lò Thị Mai")
        assert result.exit_code == 0, result.output
    phrase = {n: decode_file(ws.root / "voices" / f"{n}.wav", HEAR)[0] for n in ("opening", "closing")}
    seconds = {n: len(s) / HEAR for n, s in phrase.items()}

    result = ws.run("produce", "--date", DAY, "--jobs", "1")
    assert result.exit_code == 0 and "1 renditions made, 0 reused" in result.output, result.output
    after, meta = audio(ws.root), entries(ws.root)
    assert after.keys() == before.keys()
    framing = seconds["opening"] + PAUSE_AFTER_OPENING + PAUSE_BEFORE_CLOSING + seconds["closing"]
    for path in (speaker, zalo):
        longer = meta[path]["duration"] - before_meta[path]["duration"]
        assert longer == pytest.approx(framing, abs=0.1), path
        assert meta[path]["first_reading"][0] == pytest.approx(
            before_meta[path]["first_reading"][0] + seconds["opening"] + PAUSE_AFTER_OPENING, abs=0.05)
        assert meta[path]["phrases"]["opening"]["reader"] == "Lò Thị Mai"
        assert meta[path]["phrases"]["closing"]["how"] == "verified"
    # On air: the opening right before the first reading, the closing right before the tail.
    heard, _ = decode_file(ws.root / "output" / DAY / speaker, HEAR)
    opening_at = meta[speaker]["first_reading"][0] - PAUSE_AFTER_OPENING - seconds["opening"]
    lo = int((opening_at - 1.0) * HEAR)
    window = heard[lo:lo + int((seconds["opening"] + 2.0) * HEAR)]
    at, score = found_at(window, phrase["opening"])
    assert score > 0.6 and lo / HEAR + at == pytest.approx(opening_at, abs=0.05), (at, score)
    assert found_at(window, phrase["closing"])[1] < 0.3          # the measure tells phrases apart
    closing_at = len(heard) / HEAR - TAIL_SILENCE - seconds["closing"]
    lo = int((closing_at - 1.0) * HEAR)
    at, score = found_at(heard[lo:], phrase["closing"])
    assert score > 0.6 and lo / HEAR + at == pytest.approx(closing_at, abs=0.05), (at, score)

    result = ws.run("produce", "--date", DAY, "--jobs", "1")
    assert "0 renditions made, 1 reused" in result.output and "0 files written" in result.output, result.output
    # `check` expects the closing in the file's length (it was 'truncated or the wrong file?')
    checked = ws.run("check", "--date", DAY)
    assert "truncated" not in checked.output and ", 0 fail;" in checked.output, checked.output

    # Ray gets the phrases too: a copy rendered on the cluster has the same bytes.
    ray_copy = tmp_path / "ray"
    shutil.copytree(ws.root, ray_copy, ignore=shutil.ignore_patterns("output", "cache"))
    monkeypatch.setenv("RAY_ADDRESS", ray_head.address)
    result = WorkspaceHelper(ray_copy).run("produce", "--date", DAY, "--executor", "ray")
    assert result.exit_code == 0 and "1 renditions made" in result.output, result.output
    assert audio(ray_copy) == after
    monkeypatch.delenv("RAY_ADDRESS")

    # The opening's text changes in broadcast.toml: its reading is stale, said, not aired.
    set_phrases(ws.root, opening="Kính thưa toàn thể bà con, sau đây là thông báo của {commune}.")
    result = ws.run("produce", "--date", DAY, "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert "voices/opening.wav: the recorded opening phrase is not aired (stale)" in result.output
    assert "broadcast record phrase opening FILE --by NAME" in result.output
    meta = entries(ws.root)
    assert list(meta[speaker]["phrases"]) == ["closing"]
    assert meta[speaker]["duration"] - before_meta[speaker]["duration"] == pytest.approx(
        PAUSE_BEFORE_CLOSING + seconds["closing"], abs=0.1)
    # Both stale: the files are the ones made before anything was recorded, byte for byte.
    set_phrases(ws.root, opening="Kính thưa toàn thể bà con.", closing="Cảm ơn bà con.")
    result = ws.run("produce", "--date", DAY, "--jobs", "1")
    assert result.exit_code == 0 and "recorded closing phrase is not aired (stale)" in result.output
    assert audio(ws.root) == before
    assert entries(ws.root) == before_meta
