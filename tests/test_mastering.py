"""Mastering, measured independently: ffprobe for the stream, the ffmpeg program's ebur128 filter
for loudness and true peak, mutagen for tags. Inputs are generated signals of known level."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from mutagen.id3 import ID3
from mutagen.mp4 import MP4
from conftest import speech_like, tone

from broadcast import mastering
from broadcast.mastering import (
    ATTENTION_SECONDS,
    GAP_BETWEEN_READINGS,
    PROFILES,
    MasteringError,
    attention_signal,
    build_programme,
    master,
)
from broadcast.mastering import render
from broadcast.media.decode import decode_file

RATE = 44100
TAGS = {"title": "Lịch tiêm chủng <tháng 12>", "language": "vi", "announcement_id": "tiem-chung",
        "approval_sha256": "ab" * 32, "artist": "Đài truyền thanh xã Chiềng Sinh"}


def loud_clipped(seconds: float, rate: int = RATE) -> np.ndarray:
    rng = np.random.default_rng(3)
    return np.clip(rng.standard_normal(int(seconds * rate)) * 0.8, -1, 1).astype(np.float32)


SIGNALS = {
    "quiet-tone": lambda: (tone(3.0, 1000, dbfs=-30, rate=RATE), RATE),
    "loud-clipped": lambda: (loud_clipped(3.0), RATE),
    "speech-like-22k": lambda: (speech_like(5.0, 22050), 22050),
}


def ffprobe(path: Path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_streams",
                          "-show_format", str(path)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def ebur128(path: Path) -> tuple[float, float]:
    """Integrated loudness and true peak from ffmpeg's own meter (not our code path)."""
    proc = subprocess.run(["ffmpeg", "-nostats", "-hide_banner", "-i", str(path), "-af",
                           "ebur128=peak=true", "-f", "null", "-"], capture_output=True, text=True)
    summary = proc.stderr[proc.stderr.rindex("Summary:"):]
    lufs = float(re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))
    return lufs, peak


@pytest.fixture(scope="module")
def mastered(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("mastered")
    files = {}
    for name, make in SIGNALS.items():
        samples, rate = make()
        programme = build_programme(samples, rate, ident=None, ident_rate=None, readings=2, attention=False)
        for profile in PROFILES:
            dest = out / f"{name}{PROFILES[profile].extension}"
            files[name, profile] = master(programme, profile, dest, tags=TAGS)
    return files


@pytest.mark.parametrize("signal", list(SIGNALS))
@pytest.mark.parametrize("profile", list(PROFILES))
def test_master_meets_profile_measured_independently(mastered, signal, profile):
    result = mastered[signal, profile]
    prof = PROFILES[profile]
    lufs, peak = ebur128(result.path)
    assert abs(lufs - prof.target_lufs) <= prof.tolerance_lu, (lufs, result)
    assert peak <= prof.max_true_peak_dbtp, (peak, result)
    # our own measurement agrees with ffmpeg's meter
    assert abs(result.integrated_lufs - lufs) <= 0.3
    assert abs(result.true_peak_dbtp - peak) <= 0.5

    info = ffprobe(result.path)
    stream = info["streams"][0]
    assert stream["channels"] == 1
    assert int(stream["sample_rate"]) == prof.sample_rate
    if profile == "loudspeaker":
        assert stream["codec_name"] == "mp3"
        assert int(stream["sample_rate"]) == 44100
        assert int(stream["bit_rate"]) >= 96000 and int(stream["bit_rate"]) == prof.bitrate_kbps * 1000
    else:
        assert stream["codec_name"] == "aac" and stream["profile"] == "LC"
        assert "m4a" in info["format"]["format_name"] or "mp4" in info["format"]["format_name"]
        # ffmpeg's AAC encoder holds 64 kb/s as a ceiling; a pure tone needs fewer bits
        assert 32000 <= int(stream["bit_rate"]) <= 64000 * 1.1
    assert result.size == result.path.stat().st_size
    assert result.sha256 == hashlib.sha256(result.path.read_bytes()).hexdigest()
    assert abs(result.duration - float(info["format"]["duration"])) < 0.1


def test_loudspeaker_is_band_limited(mastered, tmp_path):
    """A 60 Hz hum is mostly gone from the loudspeaker master (high-pass at ~150 Hz)."""
    samples = tone(3.0, 60, dbfs=-20, rate=RATE) + tone(3.0, 1000, dbfs=-20, rate=RATE)
    programme = build_programme(samples, RATE, ident=None, ident_rate=None, readings=1, attention=False)
    out = master(programme, "loudspeaker", tmp_path / "hum.mp3")
    decoded, rate = decode_file(out.path)
    spectrum = np.abs(np.fft.rfft(decoded))
    freqs = np.fft.rfftfreq(len(decoded), 1 / rate)
    hum = spectrum[(freqs > 55) & (freqs < 65)].max()
    voice = spectrum[(freqs > 995) & (freqs < 1005)].max()
    assert 20 * np.log10(voice / hum) > 12


def test_tags_read_back(mastered):
    id3 = ID3(mastered["quiet-tone", "loudspeaker"].path)
    assert id3["TIT2"].text == [TAGS["title"]]
    assert id3["TLAN"].text == ["vie"]          # ISO 639-2 as ID3 wants
    assert id3["TXXX:language"].text == ["vi"]
    assert id3["TXXX:announcement_id"].text == ["tiem-chung"]
    assert id3["TXXX:approval_sha256"].text == [TAGS["approval_sha256"]]
    assert id3["TPE1"].text == [TAGS["artist"]]

    mp4 = MP4(mastered["quiet-tone", "zalo"].path)
    assert mp4.tags["\xa9nam"] == [TAGS["title"]]
    assert bytes(mp4.tags["----:com.apple.iTunes:announcement_id"][0]) == b"tiem-chung"
    assert bytes(mp4.tags["----:com.apple.iTunes:approval_sha256"][0]) == TAGS["approval_sha256"].encode()
    assert bytes(mp4.tags["----:com.apple.iTunes:language"][0]) == b"vi"


def test_silence_cannot_be_mastered_and_leaves_nothing(tmp_path):
    programme = build_programme(np.zeros(RATE * 3, dtype=np.float32), RATE, ident=None, ident_rate=None,
                                readings=1, attention=False)
    dest = tmp_path / "silence.mp3"
    with pytest.raises(MasteringError) as err:
        master(programme, "loudspeaker", dest)
    assert "silence.mp3" in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_missed_target_after_correction_raises_and_leaves_nothing(tmp_path, monkeypatch):
    """An encoder that always comes out 3 LU too quiet: one correction, then an error."""
    real_decode = render.decode_file
    monkeypatch.setattr(render, "decode_file", lambda path, rate=None: (
        (lambda s_r: (s_r[0] * np.float32(10 ** (-3 / 20)) if Path(path).name.endswith(".part")
                      else s_r[0], s_r[1]))(real_decode(path, rate))))
    monkeypatch.setattr(render, "_encode", _quiet_encode(render._encode))
    programme = build_programme(tone(2.0, 1000, dbfs=-20, rate=RATE), RATE, ident=None, ident_rate=None, readings=1,
                                attention=False)
    dest = tmp_path / "x.m4a"
    with pytest.raises(MasteringError, match="after one correction") as err:
        master(programme, "zalo", dest)
    assert "x.m4a" in str(err.value)
    assert list(tmp_path.iterdir()) == []


def _quiet_encode(real):
    # ignore the correction: always encode at the first gain
    first: list[float] = []

    def encode(pcm, gain_db, ceiling_db, profile, out):
        if not first:
            first.append(gain_db)
        return real(pcm, first[0] - 3.0, ceiling_db, profile, out)
    return encode


def test_existing_file_untouched_when_mastering_fails(tmp_path):
    dest = tmp_path / "keep.mp3"
    dest.write_bytes(b"previous good file")
    programme = build_programme(np.zeros(RATE * 2, dtype=np.float32), RATE, ident=None, ident_rate=None,
                                readings=1, attention=False)
    with pytest.raises(MasteringError):
        master(programme, "loudspeaker", dest)
    assert dest.read_bytes() == b"previous good file"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.mp3"]


def test_no_temp_left_after_success(mastered):
    folder = next(iter(mastered.values())).path.parent
    assert all(not p.name.startswith(".") for p in folder.iterdir())


def test_attention_signal_has_853_and_960_hz():
    sig = attention_signal(RATE)
    assert len(sig) == int(ATTENTION_SECONDS * RATE)
    assert np.max(np.abs(sig)) <= 0.5 + 1e-6
    spectrum = np.abs(np.fft.rfft(sig))
    freqs = np.fft.rfftfreq(len(sig), 1 / RATE)
    top_two = sorted(freqs[np.argsort(spectrum)[-2:]])
    assert abs(top_two[0] - 853) < 1 and abs(top_two[1] - 960) < 1
    assert abs(sig[0]) < 1e-3 and abs(sig[-1]) < 1e-3     # faded in and out


def test_programme_layout():
    reading = tone(2.0, 500, dbfs=-10, rate=22050)
    ident = tone(1.0, 700, dbfs=-10, rate=16000)
    p = build_programme(reading, 22050, ident=ident, ident_rate=16000, readings=3, attention=True)
    assert p.sample_rate == 44100
    start, end = p.first_reading
    expected_start = ATTENTION_SECONDS + mastering.PAUSE_AFTER_ATTENTION + 1.0 + mastering.PAUSE_AFTER_IDENT
    assert start == pytest.approx(expected_start, abs=0.01)
    assert end - start == pytest.approx(2.0, abs=0.01)
    # three readings separated by 1.5 s of silence
    total = expected_start + 3 * 2.0 + 2 * GAP_BETWEEN_READINGS + mastering.TAIL_SILENCE
    assert p.duration == pytest.approx(total, abs=0.02)
    r = p.sample_rate
    gap = p.samples[int((end + 0.01) * r):int((end + GAP_BETWEEN_READINGS - 0.01) * r)]
    assert np.max(np.abs(gap)) == 0
    second = p.samples[int((end + GAP_BETWEEN_READINGS + 0.05) * r):int((end + GAP_BETWEEN_READINGS + 0.5) * r)]
    assert np.max(np.abs(second)) > 0.1
    # attention first: the 853/960 Hz signal occupies the opening seconds
    assert np.max(np.abs(p.samples[: int(0.5 * r)])) > 0.1


def test_programme_without_attention_or_ident_starts_with_the_reading():
    p = build_programme(tone(1.0, 500, dbfs=-10, rate=RATE), RATE, ident=None, ident_rate=None, readings=1, attention=False)
    assert p.first_reading == (0.0, pytest.approx(1.0))
