"""The signal side of `broadcast check`: silence at the ends, clipping, and the length a file must
have. The silence floor and the clip level are media.levels'; the programme layout mastering's."""

from __future__ import annotations

import numpy as np

from broadcast.check.models import SignalReport
from broadcast.mastering.programme import GAP_BETWEEN_READINGS, PAUSE_BEFORE_CLOSING, TAIL_SILENCE
from broadcast.media.levels import CLIP_LEVEL, SILENCE_DBFS

# 20 ms frames; a frame quieter than SILENCE_DBFS (RMS) is silence. Mastered speech sits around
# -14 LUFS, its pauses far below -50 dBFS.
FRAME_SECONDS = 0.02


def frame_levels(samples: np.ndarray, rate: int) -> np.ndarray:
    """RMS level (dBFS) of each FRAME_SECONDS frame."""
    n = max(1, int(FRAME_SECONDS * rate))
    frames = len(samples) // n
    if frames == 0:
        return np.full(1, -np.inf)
    x = samples[:frames * n].astype(np.float64).reshape(frames, n)
    rms = np.sqrt(np.mean(x * x, axis=1))
    with np.errstate(divide="ignore"):
        return 20 * np.log10(rms)


def sound_span(samples: np.ndarray, rate: int) -> tuple[float, float] | None:
    """(first, last) second with sound, or None for silence."""
    loud = np.flatnonzero(frame_levels(samples, rate) > SILENCE_DBFS)
    if loud.size == 0:
        return None
    step = max(1, int(FRAME_SECONDS * rate)) / rate
    return float(loud[0] * step), float((loud[-1] + 1) * step)


def analyse_signal(samples: np.ndarray, rate: int) -> SignalReport:
    """Length, silence at both ends, clipping and peak of a whole file, as it will be played."""
    duration = len(samples) / rate if rate else 0.0
    span = sound_span(samples, rate)
    lead, trail = (duration, duration) if span is None else (span[0], max(0.0, duration - span[1]))
    clipped = int(np.count_nonzero(np.abs(samples) >= CLIP_LEVEL))
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    return SignalReport(duration=round(duration, 3), leading_silence=round(lead, 2),
                        trailing_silence=round(trail, 2), clipped_samples=clipped,
                        clipped_share=clipped / max(1, samples.size),
                        peak_dbfs=round(20 * np.log10(peak), 2) if peak > 0 else float("-inf"))


def expected_duration(first_reading: list[float], readings: int, closing: float = 0.0) -> float:
    """What the file's length must be: everything before the first reading (tones, ident,
    opening) as made, then the readings with their gaps, the recorded closing phrase (`closing`
    seconds, 0: none) after its pause, then the tail (mastering's programme layout)."""
    start, end = first_reading
    after = PAUSE_BEFORE_CLOSING + closing if closing > 0 else 0.0
    return start + readings * (end - start) + (readings - 1) * GAP_BETWEEN_READINGS + after + TAIL_SILENCE


def pieces(samples: np.ndarray, rate: int, longest: float, pause: float) -> list[tuple[int, int]]:
    """Sample ranges covering `samples`, each at most `longest` seconds, cut in the middle of a
    pause (at least `pause` seconds under the silence floor) — the last one that fits — or, in a
    stretch with none, at its quietest frame in the last third."""
    levels = frame_levels(samples, rate)
    frame = max(1, int(FRAME_SECONDS * rate))
    quiet = np.concatenate(([False], levels <= SILENCE_DBFS, [False]))
    edges = np.flatnonzero(np.diff(quiet.astype(np.int8)))
    need = max(1, int(round(pause / FRAME_SECONDS)))
    middles = [(a + b) // 2 for a, b in zip(edges[::2], edges[1::2]) if b - a >= need and a > 0 and b < len(levels)]
    most = max(1, int(longest / FRAME_SECONDS))
    cuts: list[int] = []
    start = 0
    while len(levels) - start > most:
        inside = [c for c in middles if start < c <= start + most]
        if inside:
            cut = inside[-1]
        else:
            lo = start + most * 2 // 3
            cut = lo + int(np.argmin(levels[lo:start + most]))
        cuts.append(cut)
        start = cut
    bounds = [0] + [c * frame for c in cuts] + [len(samples)]
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]
