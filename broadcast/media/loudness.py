"""Integrated loudness (ITU-R BS.1770-4 / EBU R128) and true peak (4× oversampled, BS.1770-4
Annex 2) of mono PCM, by FFmpeg's `ebur128` filter run in this process — the same meter as
`ffmpeg -af ebur128=peak=true`, without starting a program."""

from __future__ import annotations

from collections import deque

import av
import numpy as np

from broadcast.media.errors import AudioError
from broadcast.media.filters import run_filters, samples_of

# Silence and clips shorter than one 400 ms gating block measure as this (ffmpeg's floor).
EBUR128_FLOOR_LUFS = -70.0
# The meter tags each 100 ms frame with the readings so far (integrated loudness, the true peak
# so far); only the trailing remainder goes untagged. The last few frames are kept, not all.
TAIL_FRAMES = 4


def _final_reading(frames) -> dict:
    """The metadata of the last tagged frame: the meter's readings over the whole signal."""
    for frame in reversed(frames):
        metadata = frame.metadata
        if metadata:
            return metadata
    return {}


def measure_pcm(samples: np.ndarray, rate: int, *, peak: bool = True) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) of mono PCM. Silence, or audio under half a second,
    gives -inf; without `peak` the second value is -inf (and the meter does less work)."""
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    if len(x) == 0 or not np.any(x):
        return float("-inf"), float("-inf")
    short = len(x) < int(rate) // 2
    if short:   # the filter reports nothing before its first 100 ms step; zeros add no loudness or peak
        x = np.pad(x, (0, int(rate) // 2 - len(x)))
    tail: deque = deque(maxlen=TAIL_FRAMES)
    try:
        run_filters(x, int(rate), "ebur128=metadata=1" + (":peak=true" if peak else ""), tail.append)
    except av.error.FFmpegError as exc:
        raise AudioError(f"loudness measurement failed: {exc}") from None
    last = _final_reading(tail)
    integrated = float(last.get("lavfi.r128.I", EBUR128_FLOOR_LUFS))
    lufs = float("-inf") if short or integrated <= EBUR128_FLOOR_LUFS else integrated
    tp = float("-inf")
    if peak:
        linear = float(last.get("lavfi.r128.true_peak", 0.0))
        tp = 20 * np.log10(linear) if linear > 0 else float("-inf")
    return lufs, tp


def integrated_loudness(samples: np.ndarray, rate: int) -> float:
    """Integrated loudness (LUFS) of mono PCM; -inf for silence or under 0.4 s (see measure_pcm)."""
    return measure_pcm(samples, rate, peak=False)[0]


def true_peak(samples: np.ndarray, rate: int) -> float:
    """True peak (dBTP) of mono PCM (see measure_pcm)."""
    return measure_pcm(samples, rate)[1]


def filter_and_measure(pcm: np.ndarray, rate: int, chain: str, what: str = "filtering") -> tuple[np.ndarray, float]:
    """`pcm` through the filter chain with the ebur128 meter riding at its end (one pass filters
    and measures): the filtered PCM and its integrated loudness (LUFS, -inf as measure_pcm)."""
    out: list[np.ndarray] = []
    tail: deque = deque(maxlen=TAIL_FRAMES)

    def keep(frame) -> None:
        out.append(samples_of(frame))
        tail.append(frame)

    try:
        run_filters(pcm, rate, chain + ",ebur128=metadata=1", keep)
    except av.error.FFmpegError as exc:
        raise AudioError(f"{what} failed: {exc}") from None
    y = np.concatenate(out) if out else np.zeros(0, dtype=np.float32)
    integrated = float(_final_reading(tail).get("lavfi.r128.I", EBUR128_FLOOR_LUFS))
    if len(y) < rate // 2 or integrated <= EBUR128_FLOOR_LUFS:
        return y, float("-inf")
    return y, integrated
