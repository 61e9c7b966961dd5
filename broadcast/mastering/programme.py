"""The programme: what one file will contain — [attention signal][pause][station ident][pause]
[opening][pause] reading, gap, reading, … [pause][closing][short tail] — as float32 mono PCM at
the output rate. The opening and closing are there only when a person's reading of them is given
(there is no synthetic one)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from broadcast.mastering.errors import MasteringError
from broadcast.media.filters import resample

ATTENTION_SECONDS = 3.0
GAP_BETWEEN_READINGS = 1.5
PAUSE_AFTER_ATTENTION = 1.0
PAUSE_AFTER_IDENT = 1.0
PAUSE_AFTER_OPENING = 1.0
PAUSE_BEFORE_CLOSING = 1.0
TAIL_SILENCE = 0.5
ATTENTION_FREQUENCIES = (853.0, 960.0)   # the EAS / NOAA attention signal


@dataclass(frozen=True, eq=False)
class Programme:
    """What one file will contain, as float32 mono PCM. `first_reading` is (start, end) in
    seconds of the first reading of the announcement text, for `check` to cut it out;
    `after_readings` the seconds between the end of the last reading and the tail (the pause and
    the closing; 0 without one)."""

    samples: np.ndarray
    sample_rate: int
    first_reading: tuple[float, float]
    after_readings: float = 0.0

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


def attention_signal(sample_rate: int, seconds: float = ATTENTION_SECONDS) -> np.ndarray:
    """Two simultaneous sine tones, 853 Hz + 960 Hz, with 20 ms fades (no clicks), peak 0.5."""
    n = int(round(seconds * sample_rate))
    t = np.arange(n) / sample_rate
    tone = sum(np.sin(2 * np.pi * f * t) for f in ATTENTION_FREQUENCIES) * 0.25
    fade = min(int(0.02 * sample_rate), n // 2)
    if fade:
        ramp = np.linspace(0.0, 1.0, fade)
        tone[:fade] *= ramp
        tone[n - fade:] *= ramp[::-1]
    return tone.astype(np.float32)


def build_programme(reading: np.ndarray, reading_rate: int, *, ident: np.ndarray | None,
                    ident_rate: int | None, readings: int, attention: bool,
                    sample_rate: int = 44100, opening: tuple[np.ndarray, int] | None = None,
                    closing: tuple[np.ndarray, int] | None = None) -> Programme:
    """[attention signal][pause][ident][pause][opening][pause] reading, 1.5 s, reading, …
    [pause][closing][short tail]. `opening` / `closing`: (samples, rate) of a recorded phrase."""
    if readings < 1:
        raise ValueError("readings must be at least 1")
    text = resample(reading, reading_rate, sample_rate)
    if len(text) == 0:
        raise MasteringError("the reading is empty (no speech was produced)")
    parts: list[np.ndarray] = []

    def silence(seconds: float) -> np.ndarray:
        return np.zeros(int(round(seconds * sample_rate)), dtype=np.float32)

    if attention:
        parts += [attention_signal(sample_rate), silence(PAUSE_AFTER_ATTENTION)]
    if ident is not None and len(ident):
        if ident_rate is None:
            raise ValueError("ident_rate is required with an ident")
        parts += [resample(ident, ident_rate, sample_rate), silence(PAUSE_AFTER_IDENT)]
    if opening is not None and len(opening[0]):
        parts += [resample(opening[0], opening[1], sample_rate), silence(PAUSE_AFTER_OPENING)]
    start = sum(len(p) for p in parts)
    for i in range(readings):
        if i:
            parts.append(silence(GAP_BETWEEN_READINGS))
        parts.append(text)
    end = sum(len(p) for p in parts)
    if closing is not None and len(closing[0]):
        parts += [silence(PAUSE_BEFORE_CLOSING), resample(closing[0], closing[1], sample_rate)]
    after = sum(len(p) for p in parts) - end
    parts.append(silence(TAIL_SILENCE))
    samples = np.concatenate(parts).astype(np.float32, copy=False)
    return Programme(samples=samples, sample_rate=sample_rate,
                     first_reading=(start / sample_rate, (start + len(text)) / sample_rate),
                     after_readings=after / sample_rate)
