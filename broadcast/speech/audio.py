"""Raw audio in the speech stage: engine output and recordings decoded through broadcast.media
(errors become SpeechError, so a failing voice falls back like any other), silence trimming.
Samples are always float32 mono in [-1, 1]."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from broadcast.media.decode import decode_bytes, decode_file
from broadcast.media.errors import AudioError
from broadcast.media.levels import SILENCE_DBFS
from broadcast.speech.errors import SpeechError


def decode(source: Path | bytes, rate: int | None = None, label: str | None = None) -> tuple[np.ndarray, int]:
    """A file (a speaker's recording) or encoded bytes (espeak-ng's WAV, gTTS's MP3) → (mono
    float32 clipped to [-1, 1], rate): its own rate unless `rate` is given. `label` names bytes
    in errors."""
    try:
        if isinstance(source, bytes):
            samples, rate = decode_bytes(source, rate, label or "engine output")
        else:
            samples, rate = decode_file(Path(source), rate)
    except AudioError as exc:
        raise SpeechError(exc.reason, exc.path, hint=exc.problem.hint) from None
    return np.clip(samples, -1.0, 1.0), rate


def trim_silence(samples: np.ndarray, rate: int, pad_s: float = 0.05) -> np.ndarray:
    """Drop leading and trailing silence (engines add their own, we set the pauses)."""
    if samples.size == 0:
        return samples
    threshold = 10 ** (SILENCE_DBFS / 20)
    loud = np.flatnonzero(np.abs(samples) > threshold)
    if loud.size == 0:
        return samples[:0]
    pad = int(pad_s * rate)
    return samples[max(0, loud[0] - pad): loud[-1] + pad + 1]


def silence(seconds: float, rate: int) -> np.ndarray:
    return np.zeros(int(round(seconds * rate)), dtype=np.float32)
