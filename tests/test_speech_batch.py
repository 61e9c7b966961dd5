"""espeak-ng reads a whole text in one run, cut back into sentences at long SSML breaks: each
sentence comes back as it would read alone, and an unclean cut falls back to one run a sentence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from broadcast.speech.audio import split_at_silences, trim_silence
from broadcast.speech.engines import EspeakEngine
from broadcast.speech.voices import load_voice_list

RATE = 22050


def tone(seconds: float) -> np.ndarray:
    return (0.3 * np.sin(2 * np.pi * 300 * np.arange(int(seconds * RATE)) / RATE)).astype(np.float32)


def gap(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.float32)


def test_split_at_the_long_silences_only():
    x = np.concatenate([gap(0.2), tone(1), gap(0.3), tone(0.5), gap(1.6), tone(1), gap(1.5), tone(0.7), gap(0.2)])
    pieces = split_at_silences(x, RATE, 3, min_s=1.2, max_inner_s=0.9)
    assert pieces is not None and len(pieces) == 3
    assert [round(len(trim_silence(p, RATE, pad_s=0)) / RATE, 2) for p in pieces] == [1.8, 1.0, 0.7]
    assert sum(len(p) for p in pieces) == len(x)


@pytest.mark.parametrize("x, parts", [
    (np.concatenate([tone(1), gap(1.6), tone(1)]), 3),                       # fewer breaks than cuts
    (np.concatenate([tone(1), gap(1.6), tone(1), gap(1.0), tone(1)]), 2),    # a long pause inside
    (np.concatenate([tone(1), gap(0.5), tone(1)]), 2),                       # break too short
])
def test_unclean_cut_is_refused(x, parts):
    assert split_at_silences(x, RATE, parts, min_s=1.2, max_inner_s=0.9) is None


def test_one_run_gives_each_sentence_as_read_alone():
    voice = load_voice_list(Path("/nonexistent"), "vi").voices[0]
    engine = EspeakEngine()
    if not engine.available(voice)[0]:
        pytest.fail("espeak-ng with a Vietnamese voice is required")
    sentences = ["Xin chào bà con.", "Lịch tiêm chủng vào ngày mười hai, từ bảy giờ.", "Mang theo sổ."]
    together = engine.synthesize_sentences(sentences, voice)
    alone = [engine.synthesize(s, voice) for s in sentences]
    assert len(together) == 3
    for (a, rate), (b, rate_b) in zip(together, alone):
        assert rate == rate_b
        assert abs(len(trim_silence(a, rate)) - len(trim_silence(b, rate))) / rate < 0.1
