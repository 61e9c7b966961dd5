"""The conditioning chain: band-limit and gently compress (loudspeaker), bring the programme near
its target and limit peaks a little below the ceiling, then the final trim to the target.
FFmpeg's filters run in this process; loudness is measured on exactly the PCM that is encoded."""

from __future__ import annotations

import numpy as np

from broadcast.mastering.errors import MasteringError
from broadcast.mastering.profiles import AudioProfile
from broadcast.mastering.programme import Programme
from broadcast.media.filters import resample
from broadcast.media.loudness import filter_and_measure, integrated_loudness

# Below this the programme is silence (BS.1770's absolute gate is -70 LUFS); no gain fixes it.
SILENCE_LUFS = -60.0
# Loudness the compressor sees, so "gentle" means the same whatever level the input came at.
COMPRESSOR_INPUT_LUFS = -20.0
COMPRESSOR = "acompressor=threshold={thr:.6f}:ratio=2.5:attack=10:release=200:knee=2.8:detection=rms"
COMPRESSOR_THRESHOLD_DBFS = -20.0
# Rough loudness the compressor (at that input) and the limiter take off speech; the first
# conditioning run aims this much higher, so one run usually lands within the trim headroom.
# (Aiming higher saves a second run but sends a bigger final trim into the encode's limiter,
# and MP3 then overshoots the true-peak ceiling on some speech: kept as measured.)
COMPRESSOR_MAKEUP_DB = 6.0
LIMITER_MAKEUP_DB = 2.5
# The conditioning limiter sits this far below the final ceiling, so the final trim (usually
# upwards, to make up what limiting took) does not drive peaks into the limiter again.
TRIM_HEADROOM_DB = 1.5
# Conditioning runs allowed to bring peak-dense material up to level (one is usual for speech).
MAX_CONDITION_RUNS = 3
LIMITER = "alimiter=limit={limit:.6f}:attack=5:release=80:level=0:latency=1"


def limiter(ceiling_db: float) -> str:
    """The limiter filter for a sample-peak ceiling (dBFS), within what alimiter accepts."""
    return LIMITER.format(limit=min(1.0, max(0.0625, 10 ** (ceiling_db / 20))))


def condition(programme: Programme, profile: AudioProfile) -> tuple[np.ndarray, float | None]:
    """The PCM that will be encoded, within a small trim of its final level: band-limited and
    compressed where the profile says so, brought near the target and peak-limited a little
    below the ceiling (skipped when nothing needs it). Loudness is then measured on this, so the
    final gain fits what is encoded and barely touches the limiter again. Returns the PCM and
    that loudness (None where nothing was run)."""
    rate = profile.sample_rate
    x = resample(programme.samples, programme.sample_rate, rate)
    level = integrated_loudness(x, rate)
    if not np.isfinite(level) or level < SILENCE_LUFS:
        raise MasteringError(f"cannot reach {profile.target_lufs:g} LUFS: the programme is silent "
                             f"or too short ({level:.1f} LUFS)")
    filters = []
    if profile.highpass_hz:
        filters.append(f"highpass=f={profile.highpass_hz:g}:poles=2")
    if profile.lowpass_hz:
        filters.append(f"lowpass=f={profile.lowpass_hz:g}:poles=2")
    if profile.compress:
        # The compressor sees a fixed loudness, so "gentle" means the same for any input level;
        # the makeup after it is a guess that the measurement below corrects.
        x = x * np.float32(10 ** ((COMPRESSOR_INPUT_LUFS - level) / 20))
        filters.append(COMPRESSOR.format(thr=10 ** (COMPRESSOR_THRESHOLD_DBFS / 20)))
    else:
        x = x * np.float32(10 ** ((profile.target_lufs - level) / 20))
    ceiling_db = profile.max_true_peak_dbtp - profile.limiter_margin_db - TRIM_HEADROOM_DB
    if not filters and float(np.max(np.abs(x))) <= 10 ** (ceiling_db / 20):
        return x.astype(np.float32, copy=False), None
    makeup = (profile.target_lufs - COMPRESSOR_INPUT_LUFS + COMPRESSOR_MAKEUP_DB if profile.compress
              else LIMITER_MAKEUP_DB)
    tries: list[tuple[float, float]] = []
    for _ in range(MAX_CONDITION_RUNS):
        chain = [*filters, f"volume={makeup:.3f}dB", limiter(ceiling_db)]
        # the meter rides at the end of the same graph: one pass filters and measures
        y, level = filter_and_measure(x, rate, ",".join(chain), "condition")
        # Close enough when the final trim up to the target stays inside the headroom left
        # for it (a trim down is always safe).
        if not np.isfinite(level) or level >= profile.target_lufs - TRIM_HEADROOM_DB:
            break
        # Peak-dense material loses loudness to the limiter faster than gain adds it: step by
        # the measured slope (secant), not 1:1.
        tries.append((makeup, level))
        slope = 0.7   # a first guess: the limiter always takes some
        if len(tries) >= 2:
            (g0, l0), (g1, l1) = tries[-2], tries[-1]
            slope = min(1.0, max(0.15, (l1 - l0) / (g1 - g0))) if g1 != g0 else 1.0
        makeup += (profile.target_lufs - level) / slope
    return y, level


def trim_for_target(pcm: np.ndarray, rate: int, target: float, ceiling_db: float,
                    level: float | None = None) -> float:
    """Gain (dB) from the conditioned PCM (at `level` LUFS, measured when not given) to `target`.
    Where that pushes peaks over the ceiling the limiter will cost some loudness: estimate it
    (as a hard clip) and make up for it."""
    if level is None:
        level = integrated_loudness(pcm, rate)
    if not np.isfinite(level):
        raise MasteringError("the programme became silent after filtering")
    gain_db = target - level
    ceiling = 10 ** (ceiling_db / 20)
    for _ in range(2):
        g = 10 ** (gain_db / 20)
        if float(np.max(np.abs(pcm))) * g <= ceiling:
            break
        shaved = integrated_loudness(np.clip(pcm * g, -ceiling, ceiling), rate)
        if not np.isfinite(shaved):
            break
        gain_db += target - shaved
    return gain_db
