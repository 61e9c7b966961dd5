"""`master()`: a programme → an encoded file that meets its audio profile, measured after encoding.

What one call costs — no program is started (FFmpeg's filters, meter, AAC encoder and decoders
run in this process through PyAV, MP3 through the system's LAME; see broadcast.media):
  1. condition (condition.py): band-limit + gentle compression (loudspeaker), level near the
     target, limit peaks a little below the ceiling (skipped when the profile has no filters and
     no peak is over; a second run when the first lands well under the target);
  2. final trim (computed on exactly the PCM from 1) + safety limiter + encode to the temp file;
  3. decode the encoded file and measure it (loudness + 4× oversampled true peak).
A miss after (3) costs one correction: (2) and (3) again with adjusted gain / ceiling."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from broadcast.core.errors import BroadcastError
from broadcast.core.fsutil import atomic_target, sha256_file
from broadcast.mastering.condition import condition, limiter, trim_for_target
from broadcast.mastering.errors import MasteringError
from broadcast.mastering.profiles import PROFILES, AudioProfile
from broadcast.mastering.programme import Programme
from broadcast.media.decode import decode_file
from broadcast.media.encode import encode_pcm
from broadcast.media.loudness import measure_pcm
from broadcast.media.tags import write_tags


@dataclass(frozen=True)
class MasteredFile:
    path: Path
    sha256: str          # of the final bytes, tags included
    size: int
    duration: float      # seconds, as decoded
    integrated_lufs: float
    true_peak_dbtp: float
    profile: str


def master(programme: Programme, profile: AudioProfile | str, dest: Path, *,
           tags: dict[str, str] | None = None) -> MasteredFile:
    """Encode `programme` to `dest` meeting `profile`, verified by decoding the result.
    Atomic: nothing appears under `dest` unless the file is complete and on target."""
    profile = PROFILES[profile] if isinstance(profile, str) else profile
    dest = Path(dest)
    with atomic_target(dest) as tmp:
        try:
            measured = _master_to(tmp, programme, profile, tags)
        except BroadcastError as exc:   # ours (no path yet), or media's AudioError about the temp file
            raise MasteringError(exc.reason, dest, hint=exc.problem.hint) from None
        digest, size = sha256_file(tmp), tmp.stat().st_size
    lufs, tp, duration = measured
    return MasteredFile(path=dest, sha256=digest, size=size, duration=round(duration, 3),
                        integrated_lufs=round(lufs, 2), true_peak_dbtp=round(tp, 2), profile=profile.name)


def _master_to(tmp: Path, programme: Programme, profile: AudioProfile,
               tags: dict[str, str] | None) -> tuple[float, float, float]:
    """Steps 1–3 (and the correction) into `tmp`, then the tags: (LUFS, dBTP, seconds) as decoded."""
    pcm, level = condition(programme, profile)
    rate = profile.sample_rate
    ceiling_db = profile.max_true_peak_dbtp - profile.limiter_margin_db
    gain_db = trim_for_target(pcm, rate, profile.target_lufs, ceiling_db, level) + profile.encoder_loss_lu

    measured: tuple[float, float, float] | None = None
    for _attempt in range(2):   # the first try, then one correction
        _encode(pcm, gain_db, ceiling_db, profile, tmp)
        decoded, _ = decode_file(tmp, rate)
        lufs, tp = measure_pcm(decoded, rate)
        measured = (lufs, tp, len(decoded) / rate)
        if profile.meets(lufs, tp):
            break
        # Loudness well inside the window is left alone: raising it into a lowered ceiling
        # (a true-peak miss) only makes the encoder overshoot more.
        if np.isfinite(lufs) and abs(lufs - profile.target_lufs) > profile.tolerance_lu / 2:
            gain_db += profile.target_lufs - lufs
        if tp > profile.max_true_peak_dbtp - 0.1:
            # The encoder's overshoot past the limiter is the miss: scale the whole signal
            # and the ceiling down together, so the limiter does the same work and the
            # overshoot shrinks with the level. (A lower ceiling alone limits harder, and
            # the sharper limiting overshoots as much or more: measured on espeak-ng speech.)
            excess = tp - (profile.max_true_peak_dbtp - 0.3)
            ceiling_db -= excess
            gain_db -= excess
    else:
        lufs, tp, _ = measured
        raise MasteringError(
            f"misses the {profile.name} target after one correction: {lufs:.2f} LUFS "
            f"(target {profile.target_lufs:g} ± {profile.tolerance_lu:g}), true peak {tp:.2f} dBTP "
            f"(max {profile.max_true_peak_dbtp:g})")
    if tags:
        write_tags(tmp, profile.extension, tags)
    return measured


def _encode(pcm: np.ndarray, gain_db: float, ceiling_db: float, profile: AudioProfile, out: Path) -> None:
    """The final trim, the safety limiter and the encoder, into `out`."""
    data = np.ascontiguousarray(pcm * np.float32(10 ** (gain_db / 20)), dtype=np.float32)
    encode_pcm(data, profile.sample_rate, out, codec=profile.codec, bitrate_kbps=profile.bitrate_kbps,
               container=profile.container, chain=limiter(ceiling_db))
