"""Loudness and true peak as broadcast.media measures them (FFmpeg's ebur128, in process), against
references: a 997 Hz sine of known level (BS.1770's own check), pyloudnorm, the ffmpeg
program's own ebur128 summary, and scipy's resample_poly for the 4× oversampled peak."""

from __future__ import annotations

import re
import subprocess
import warnings

import numpy as np
import pyloudnorm
import pytest
from scipy.signal import resample_poly

from conftest import speech_like, tone, write_wav

from broadcast import mastering
from broadcast.media.decode import decode_file
from broadcast.media.filters import resample
from broadcast.media.loudness import integrated_loudness, measure_pcm, true_peak


PHASE = 0.3    # the sines here start off zero


@pytest.mark.parametrize("rate", [44100, 48000])
def test_full_scale_997_hz_sine_reads_minus_3_01_lufs(rate):
    assert integrated_loudness(tone(5.0, 997, 1.0, rate, phase=PHASE), rate) == pytest.approx(-3.01, abs=0.02)


@pytest.mark.parametrize("make", [lambda r: speech_like(20, r), lambda r: tone(3, 440, 0.1, r, phase=PHASE),
                                  lambda r: np.clip(np.random.default_rng(1).standard_normal(3 * r), -1, 1)])
def test_loudness_agrees_with_pyloudnorm(make):
    x = np.asarray(make(44100), dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = pyloudnorm.Meter(44100).integrated_loudness(x.astype(np.float64))
    # pyloudnorm's K-weighting is an approximation of the standard's; within 0.1 LU
    assert integrated_loudness(x, 44100) == pytest.approx(reference, abs=0.1)


def test_loudness_of_silence_and_short_audio_is_minus_inf():
    assert integrated_loudness(np.zeros(44100 * 2, np.float32), 44100) == float("-inf")
    assert integrated_loudness(np.full(1000, 0.5, np.float32), 44100) == float("-inf")


@pytest.mark.parametrize("name, x", [
    ("speech", speech_like(8, 44100)),
    ("speech-limited", np.clip(speech_like(8, 44100) * 3, -0.8, 0.8)),
    ("tone", tone(2, 1000, 0.3, 44100, phase=PHASE)),
    ("quarter-rate sine", tone(2, 11025.3, 0.5, 44100, phase=PHASE)),
    ("noise", np.clip(np.random.default_rng(3).standard_normal(44100) * 0.8, -1, 1)),
    ("step", np.r_[np.zeros(500), np.full(100, 0.1), np.zeros(500)]),
])
def test_true_peak_agrees_with_a_4x_oversampled_reference(name, x):
    x = np.asarray(x, dtype=np.float32)
    full = float(np.max(np.abs(resample_poly(x.astype(np.float64), 4, 1))))
    expected = 20 * np.log10(max(full, float(np.max(np.abs(x)))))
    # two different interpolation filters: within 0.3 dB, and never below the sample peak
    assert true_peak(x, 44100) == pytest.approx(expected, abs=0.3), name
    assert true_peak(x, 44100) >= 20 * np.log10(float(np.max(np.abs(x)))) - 0.01


def test_true_peak_of_silence():
    assert true_peak(np.zeros(100, np.float32), 44100) == float("-inf")
    assert true_peak(np.zeros(0, np.float32), 44100) == float("-inf")


def test_measure_matches_the_ffmpeg_program(tmp_path):
    x = speech_like(6, 44100)
    wav = tmp_path / "x.wav"
    write_wav(wav, x, 44100)
    err = subprocess.run(["ffmpeg", "-nostats", "-i", str(wav), "-af", "ebur128=peak=true", "-f", "null", "-"],
                         capture_output=True, text=True).stderr
    summary = err[err.rindex("Summary:"):]
    lufs = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))
    ours = measure_pcm(np.asarray(write_wav and x, np.float32), 44100)
    assert ours[0] == pytest.approx(lufs, abs=0.1)  # the WAV is 16-bit: a hair of quantisation
    assert ours[1] == pytest.approx(peak, abs=0.1)


def test_resample_keeps_length_and_level():
    x = tone(2.0, 440, 0.5, 22050, phase=PHASE)
    y = resample(x, 22050, 44100)
    assert abs(len(y) - 2 * len(x)) <= 64
    assert float(np.max(np.abs(y[1000:-1000]))) == pytest.approx(0.5, abs=0.01)


def test_decode_matches_the_ffmpeg_program(tmp_path):
    programme = mastering.build_programme(speech_like(3, 22050), 22050, ident=None, ident_rate=None,
                                          readings=1, attention=False)
    for profile in mastering.PROFILES.values():
        out = mastering.master(programme, profile, tmp_path / f"x{profile.extension}")
        ours, rate = decode_file(out.path)
        cli = subprocess.run(["ffmpeg", "-v", "error", "-i", str(out.path), "-ac", "1", "-f", "f32le", "pipe:1"],
                             capture_output=True, check=True).stdout
        theirs = np.frombuffer(cli, dtype=np.float32)
        assert rate == profile.sample_rate and len(ours) == len(theirs)
        np.testing.assert_allclose(ours, theirs, atol=1e-6)
