"""broadcast.media on real files made at test time: decoding files and bytes (espeak-ng's piped
WAV included), the errors for bad files, the resampler, encoding and encoder_id."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from conftest import pcm16, tone, write_tone, write_wav

from broadcast.media import encode as encode_mod
from broadcast.media.decode import decode_bytes, decode_file, iter_blocks, probe
from broadcast.media.encode import encode_pcm, encoder_id
from broadcast.media.errors import AudioError
from broadcast.media.filters import resample
from broadcast.media.loudness import measure_pcm


def test_decode_file_keeps_rate_and_exact_16_bit_samples(tmp_path):
    samples = pcm16(tone(1.5, rate=22050))
    path = write_wav(tmp_path / "a.wav", samples, 22050)
    decoded, rate = decode_file(path)
    assert rate == 22050 and decoded.dtype == np.float32
    np.testing.assert_array_equal(decoded, samples.astype(np.float32) / 32768)
    info = probe(path)
    assert (info.codec, info.sample_rate) == ("pcm_s16le", 22050)
    assert info.duration == pytest.approx(1.5, abs=0.01)


def test_decode_file_to_a_rate_downmixes_and_resamples_as_the_ffmpeg_program(tmp_path):
    stereo = np.stack([pcm16(tone(2.0, rate=48000)), pcm16(tone(2.0, 300.0, rate=48000))], axis=1)
    path = write_wav(tmp_path / "s.wav", stereo, 48000)
    decoded, rate = decode_file(path, 16000)
    cli = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-ac", "1", "-ar", "16000", "-f", "f32le",
                          "pipe:1"], capture_output=True, check=True).stdout
    theirs = np.frombuffer(cli, dtype=np.float32)
    assert rate == 16000 and abs(len(decoded) - 32000) <= 32
    n = min(len(decoded), len(theirs))
    np.testing.assert_allclose(decoded[:n], theirs[:n], atol=1e-4)


def test_decode_bytes_of_espeak_ng_piped_wav(tmp_path):
    """espeak-ng --stdout leaves placeholder lengths (0x7ffff0..) in the WAV header: accepted,
    and the samples are the 16-bit PCM in it."""
    data = subprocess.run(["espeak-ng", "-v", "vi", "--stdout"], input="Xin chào bà con".encode(),
                          capture_output=True, check=True).stdout
    assert int.from_bytes(data[4:8], "little") > len(data)
    decoded, rate = decode_bytes(data, label="espeak-ng output")
    assert rate == 22050
    payload = data[44:]
    expected = np.frombuffer(payload[: len(payload) // 2 * 2], dtype="<i2").astype(np.float32) / 32768
    np.testing.assert_array_equal(decoded, expected)


def test_decode_bytes_of_mp3_at_a_given_rate(tmp_path):
    mp3 = tmp_path / "a.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=500:duration=2:sample_rate=24000",
                    "-c:a", "libmp3lame", "-b:a", "64k", str(mp3)], check=True)
    decoded, rate = decode_bytes(mp3.read_bytes(), 44100, label="gTTS audio")
    assert rate == 44100 and abs(len(decoded) / rate - 2.0) < 0.1


@pytest.mark.parametrize("cut", ["wav", "m4a", "empty", "garbage"])
def test_bad_files_raise_audio_error_naming_the_file(tmp_path, cut):
    good = write_tone(tmp_path / "good.wav", 3.0, rate=22050)
    if cut == "wav":
        path = tmp_path / "cut.wav"
        path.write_bytes(good.read_bytes()[:30000])
        message = "truncated: the WAV header declares"
    elif cut == "m4a":
        m4a = tmp_path / "good.m4a"
        subprocess.run(["ffmpeg", "-v", "error", "-i", str(good), "-c:a", "aac", str(m4a)], check=True)
        path = tmp_path / "cut.m4a"
        path.write_bytes(m4a.read_bytes()[: m4a.stat().st_size // 2])
        message = "truncated or damaged MP4/M4A"
    elif cut == "empty":
        path = tmp_path / "empty.mp3"
        path.write_bytes(b"")
        message = "empty file"
    else:
        path = tmp_path / "noise.mp3"
        path.write_bytes(np.random.default_rng(0).bytes(4000))
        message = "not an audio file ffmpeg can read"
    for read in (decode_file, lambda p: list(iter_blocks(p)), probe):
        with pytest.raises(AudioError) as info:
            read(path)
        assert message in str(info.value) and str(path) in str(info.value)
        assert "\n" not in str(info.value)
    with pytest.raises(AudioError) as info:
        decode_bytes(path.read_bytes(), label="engine output")
    assert message in str(info.value) and "engine output" in str(info.value)


def test_missing_file_is_an_audio_error(tmp_path):
    with pytest.raises(AudioError, match="cannot read"):
        decode_file(tmp_path / "nope.wav")


@pytest.mark.parametrize("rate, to_rate", [(22050, 44100), (48000, 16000), (16000, 16000)])
def test_resample_keeps_duration_frequency_and_level(rate, to_rate):
    x = pcm16(tone(2.0, 440.0, rate=rate)).astype(np.float32) / 32768
    y = resample(x, rate, to_rate)
    assert y.dtype == np.float32
    assert abs(len(y) - 2.0 * to_rate) <= 64
    inner = y[to_rate // 10:-to_rate // 10]
    assert float(np.max(np.abs(inner))) == pytest.approx(0.3, abs=0.01)
    spectrum = np.abs(np.fft.rfft(inner))
    assert np.fft.rfftfreq(len(inner), 1 / to_rate)[int(np.argmax(spectrum))] == pytest.approx(440, abs=2)
    if rate == to_rate:
        np.testing.assert_array_equal(y, x)


def test_resample_takes_int_and_stereo_input():
    stereo = np.stack([pcm16(tone(1.0, rate=8000)), pcm16(tone(1.0, rate=8000))], axis=1)
    y = resample(stereo, 8000, 16000)
    assert y.ndim == 1 and abs(len(y) - 16000) <= 64


@pytest.mark.parametrize("codec, container, suffix", [("libmp3lame", "mp3", ".mp3"), ("aac", "ipod", ".m4a")])
def test_encode_round_trips_length_and_level(tmp_path, codec, container, suffix):
    rate = 44100
    x = pcm16(tone(3.0, 1000.0, rate=rate)).astype(np.float32) / 32768
    out = tmp_path / f"x{suffix}.part"             # the temp name mastering writes to
    encode_pcm(x, rate, out, codec=codec, bitrate_kbps=128 if codec != "aac" else 64, container=container,
               chain="alimiter=limit=0.5:level=0")
    again = tmp_path / f"y{suffix}"
    encode_pcm(x, rate, again, codec=codec, bitrate_kbps=128 if codec != "aac" else 64, container=container,
               chain="alimiter=limit=0.5:level=0")
    assert out.read_bytes() == again.read_bytes()  # bit-exact: same input, same bytes
    decoded, r = decode_file(out, rate)
    # LAME's tag frame tells the decoder its delay and padding: exactly the samples that went in
    assert len(decoded) - len(x) == 0 if codec == "libmp3lame" else 0 <= len(decoded) - len(x) <= 2048
    lufs, _ = measure_pcm(decoded, r)
    # under the 0.5 limit the limiter leaves it alone; LAME sheds ~0.5 LU (mastering aims above)
    assert measure_pcm(x, rate)[0] - 0.6 <= lufs <= measure_pcm(x, rate)[0] + 0.1


def test_encoder_id_names_encoder_and_version():
    assert encoder_id("libmp3lame").startswith("lame 3.")
    assert encoder_id("aac").startswith("aac libavcodec ")
    with pytest.raises(AudioError, match="no nosuchcodec encoder"):
        encoder_id("nosuchcodec")


def test_missing_lame_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(encode_mod, "_system_lame", lambda: None)
    out = tmp_path / "x.mp3"
    with pytest.raises(AudioError) as info:
        encode_pcm(np.zeros(4410, np.float32), 44100, out, codec="libmp3lame", bitrate_kbps=128, container="mp3")
    assert "libmp3lame is not installed" in str(info.value) and "apt-get install" in str(info.value)
    assert str(out) in str(info.value) and not out.exists()
    with pytest.raises(AudioError, match="not installed"):
        encoder_id("libmp3lame")
