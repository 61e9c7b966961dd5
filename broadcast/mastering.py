"""Mastering: a programme (attention signal, station ident, readings) → an encoded file that
meets its audio profile, measured after encoding.

How one `master()` call spends ffmpeg runs (each a pipe, no temp WAVs; loudness is measured
in numpy with pyloudnorm, so there is no separate measuring pass):
  1. condition: band-limit + gentle compression (loudspeaker), level near the target, limit
     peaks a little below the ceiling (raw float PCM in and out; skipped when the profile has
     no filters and the levelled PCM has no peak over the ceiling);
  2. final trim (computed in numpy on exactly the PCM from 1) + safety limiter + encode to the
     temp file;
  3. decode the encoded file and measure it (BS.1770 loudness + 4× oversampled true peak).
A miss after (3) costs one correction: (2) and (3) again with adjusted gain / ceiling.
"""

from __future__ import annotations

import os
import subprocess
import warnings
from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np
import pyloudnorm
from scipy.signal import resample_poly

from .errors import BroadcastError
from .fsutil import sha256_file, temp_path_for

FFMPEG = os.environ.get("BROADCAST_FFMPEG", "ffmpeg")


class MasteringError(BroadcastError):
    """An audio file that could not be made to meet its profile (or ffmpeg failed)."""


@dataclass(frozen=True)
class AudioProfile:
    """One output format and the loudness targets it must meet (DESIGN.md, "Audio targets")."""

    name: str
    extension: str                  # with the dot: ".mp3"
    mime_type: str
    codec: str                      # ffmpeg encoder
    sample_rate: int
    bitrate_kbps: int
    target_lufs: float              # integrated loudness, ITU-R BS.1770
    tolerance_lu: float             # ± around target_lufs
    max_true_peak_dbtp: float
    highpass_hz: float | None       # band-limit before measuring, so the gain fits what is encoded
    lowpass_hz: float | None
    compress: bool                  # gentle compression (outdoor horns need a steady level)
    # How far below max_true_peak the limiter's sample-peak ceiling sits: lossy encoders add
    # overshoot between samples, more so at low bit rates.
    limiter_margin_db: float = 1.0
    # Loudness the encoder sheds (LAME at 128 kb/s takes ~0.3–0.5 LU off speech); aimed above.
    encoder_loss_lu: float = 0.0
    container: str = "mp3"          # ffmpeg muxer (temp names end in .part, so it is named)

    def meets(self, lufs: float, true_peak: float) -> bool:
        return abs(lufs - self.target_lufs) <= self.tolerance_lu and true_peak <= self.max_true_peak_dbtp


PROFILES: dict[str, AudioProfile] = {
    "loudspeaker": AudioProfile(
        name="loudspeaker", extension=".mp3", mime_type="audio/mpeg", codec="libmp3lame",
        sample_rate=44100, bitrate_kbps=128, target_lufs=-14.0, tolerance_lu=1.0,
        max_true_peak_dbtp=-1.0, highpass_hz=150.0, lowpass_hz=7000.0, compress=True,
        limiter_margin_db=0.8, encoder_loss_lu=0.3, container="mp3",
    ),
    "zalo": AudioProfile(
        name="zalo", extension=".m4a", mime_type="audio/mp4", codec="aac",
        sample_rate=44100, bitrate_kbps=64, target_lufs=-16.0, tolerance_lu=1.0,
        max_true_peak_dbtp=-1.5, highpass_hz=None, lowpass_hz=None, compress=False,
        limiter_margin_db=1.8, container="ipod",
    ),
}

ATTENTION_SECONDS = 3.0
GAP_BETWEEN_READINGS = 1.5
PAUSE_AFTER_ATTENTION = 1.0
PAUSE_AFTER_IDENT = 1.0
TAIL_SILENCE = 0.5
ATTENTION_FREQUENCIES = (853.0, 960.0)   # the EAS / NOAA attention signal

# Below this the programme is silence (BS.1770's absolute gate is -70 LUFS); no gain fixes it.
SILENCE_LUFS = -60.0
# Loudness the compressor sees, so "gentle" means the same whatever level the input came at.
COMPRESSOR_INPUT_LUFS = -20.0
COMPRESSOR = "acompressor=threshold={thr:.6f}:ratio=2.5:attack=10:release=200:knee=2.8:detection=rms"
COMPRESSOR_THRESHOLD_DBFS = -20.0
# Rough loudness the compressor (at that input) and the limiter take off speech; the first
# conditioning run aims this much higher, so one run usually lands within the trim headroom.
COMPRESSOR_MAKEUP_DB = 6.0
LIMITER_MAKEUP_DB = 2.5
# The conditioning limiter sits this far below the final ceiling, so the final trim (usually
# upwards, to make up what limiting took) does not drive peaks into the limiter again.
TRIM_HEADROOM_DB = 1.5
# Conditioning runs allowed to bring peak-dense material up to level (one is usual for speech).
MAX_CONDITION_RUNS = 3
LIMITER = "alimiter=limit={limit:.6f}:attack=5:release=80:level=0:latency=1"

# ID3 TLAN wants ISO 639-2; these tags are two letters in BCP 47. Three-letter tags pass as is.
ISO639_2 = {"vi": "vie", "km": "khm", "zh": "zho", "lo": "lao", "en": "eng"}


# ---------------------------------------------------------------- programme

@dataclass(frozen=True, eq=False)
class Programme:
    """What one file will contain, as float32 mono PCM. `first_reading` is (start, end) in
    seconds of the first reading of the announcement text, for `check` to cut it out."""

    samples: np.ndarray
    sample_rate: int
    first_reading: tuple[float, float]

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


def to_mono_float(samples: np.ndarray) -> np.ndarray:
    """Any PCM array (int or float; mono, or (n, channels)) → float32 mono in [-1, 1] scale."""
    a = np.asarray(samples)
    if np.issubdtype(a.dtype, np.integer):
        a = a.astype(np.float32) / float(np.iinfo(a.dtype).max + 1)
    a = a.astype(np.float32, copy=False)
    if a.ndim == 2:
        a = a.mean(axis=1) if a.shape[1] <= 8 else a.mean(axis=0)
    return a.reshape(-1)


def resample(samples: np.ndarray, rate: int, to_rate: int) -> np.ndarray:
    samples = to_mono_float(samples)
    if rate == to_rate or len(samples) == 0:
        return samples
    g = gcd(int(rate), int(to_rate))
    return resample_poly(samples, to_rate // g, rate // g).astype(np.float32)


def build_programme(reading: np.ndarray, reading_rate: int, *, ident: np.ndarray | None,
                    ident_rate: int | None, readings: int, attention: bool,
                    sample_rate: int = 44100) -> Programme:
    """[attention signal][pause][ident][pause] reading, 1.5 s, reading, … [short tail]."""
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
    start = sum(len(p) for p in parts)
    for i in range(readings):
        if i:
            parts.append(silence(GAP_BETWEEN_READINGS))
        parts.append(text)
    parts.append(silence(TAIL_SILENCE))
    samples = np.concatenate(parts).astype(np.float32, copy=False)
    return Programme(samples=samples, sample_rate=sample_rate,
                     first_reading=(start / sample_rate, (start + len(text)) / sample_rate))


# ---------------------------------------------------------------- measurement

def loudness(samples: np.ndarray, rate: int) -> float:
    """Integrated loudness (LUFS, BS.1770-4); -inf for silence or audio shorter than 0.4 s."""
    x = np.asarray(samples, dtype=np.float64)
    if len(x) < int(0.4 * rate) + 1:
        return float("-inf")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # pyloudnorm warns on clipping; we measure, not judge
        return float(pyloudnorm.Meter(rate).integrated_loudness(x))


def true_peak(samples: np.ndarray, rate: int) -> float:
    """dBTP: peak of the 4× oversampled signal (BS.1770-4 Annex 2; 2× above 96 kHz)."""
    x = np.asarray(samples, dtype=np.float64)
    if len(x) == 0:
        return float("-inf")
    factor = 4 if rate < 96000 else 2
    peak = float(np.max(np.abs(resample_poly(x, factor, 1))))
    peak = max(peak, float(np.max(np.abs(x))))
    return 20 * np.log10(peak) if peak > 0 else float("-inf")


def decode(path: Path, sample_rate: int | None = None) -> tuple[np.ndarray, int]:
    """Decode any audio file with ffmpeg to float32 mono (at its own rate unless given)."""
    path = Path(path)
    rate = sample_rate or _probe_rate(path)
    out = _ffmpeg(["-i", str(path), "-vn", "-ac", "1", "-ar", str(rate), "-f", "f32le", "pipe:1"],
                  path=path, what="decode")
    return np.frombuffer(out, dtype=np.float32), rate


def measure(path: Path) -> tuple[float, float]:
    """Integrated LUFS and true peak dBTP of an encoded file (one ffmpeg decode)."""
    samples, rate = decode(path)
    return loudness(samples, rate), true_peak(samples, rate)


def _probe_rate(path: Path) -> int:
    proc = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "stream=sample_rate",
         "-of", "default=nw=1:nk=1", str(path)], capture_output=True, text=True)
    try:
        return int(proc.stdout.strip().splitlines()[0])
    except (ValueError, IndexError):
        raise MasteringError(f"cannot read the audio stream: {proc.stderr.strip() or 'no audio'}",
                             path) from None


def _ffmpeg(args: list[str], *, path: Path | None, what: str, stdin: bytes | None = None) -> bytes:
    cmd = [FFMPEG, "-hide_banner", "-nostats", "-loglevel", "error", *args]
    try:
        if stdin is None:
            proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True)
        else:
            proc = subprocess.run(cmd, input=stdin, capture_output=True)
    except FileNotFoundError:
        raise MasteringError("ffmpeg is not installed", path,
                             hint="install it: apt-get install ffmpeg") from None
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()[-2000:]
        raise MasteringError(f"ffmpeg {what} failed (exit {proc.returncode}): {err}", path)
    return proc.stdout


def _raw_input(rate: int) -> list[str]:
    return ["-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0"]


# ---------------------------------------------------------------- mastering

@dataclass(frozen=True)
class MasteredFile:
    path: Path
    sha256: str          # of the final bytes, tags included
    size: int
    duration: float      # seconds, as decoded
    integrated_lufs: float
    true_peak_dbtp: float
    profile: str


def prepare(programme: Programme, profile: AudioProfile) -> np.ndarray:
    """The PCM that will be encoded, within a small trim of its final level: band-limited and
    compressed where the profile says so, brought near the target and peak-limited a little
    below the ceiling (one ffmpeg run, skipped when nothing needs it). Loudness is then measured
    on this, so the final gain fits what is encoded and barely touches the limiter again."""
    rate = profile.sample_rate
    x = resample(programme.samples, programme.sample_rate, rate)
    level = loudness(x, rate)
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
        return x.astype(np.float32, copy=False)
    data = np.ascontiguousarray(x, dtype=np.float32).tobytes()
    makeup = (profile.target_lufs - COMPRESSOR_INPUT_LUFS + COMPRESSOR_MAKEUP_DB if profile.compress
              else LIMITER_MAKEUP_DB)
    tries: list[tuple[float, float]] = []
    for _ in range(MAX_CONDITION_RUNS):
        chain = [*filters, f"volume={makeup:.3f}dB", LIMITER.format(limit=_limit(ceiling_db))]
        out = _ffmpeg([*_raw_input(rate), "-af", ",".join(chain), "-f", "f32le", "-ac", "1", "pipe:1"],
                      path=None, what="condition", stdin=data)
        y = np.frombuffer(out, dtype=np.float32)
        level = loudness(y, rate)
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
    return y


def master(programme: Programme, profile: AudioProfile | str, dest: Path, *,
           tags: dict[str, str] | None = None) -> MasteredFile:
    """Encode `programme` to `dest` meeting `profile`, verified by decoding the result.
    Atomic: nothing appears under `dest` unless the file is complete and on target."""
    profile = PROFILES[profile] if isinstance(profile, str) else profile
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(dest)
    try:
        try:
            pcm = prepare(programme, profile)
        except MasteringError as e:
            raise MasteringError(e.reason, dest, hint=e.problem.hint) from None
        rate = profile.sample_rate
        ceiling_db = profile.max_true_peak_dbtp - profile.limiter_margin_db
        gain_db = _trim_for_target(pcm, rate, profile.target_lufs, ceiling_db) + profile.encoder_loss_lu

        measured: tuple[float, float, float] | None = None
        for _attempt in range(2):   # the first try, then one correction
            _encode(pcm, gain_db, ceiling_db, profile, tmp)
            decoded, _ = decode(tmp, rate)
            lufs, tp = loudness(decoded, rate), true_peak(decoded, rate)
            measured = (lufs, tp, len(decoded) / rate)
            if profile.meets(lufs, tp):
                break
            if np.isfinite(lufs):
                gain_db += profile.target_lufs - lufs
            if tp > profile.max_true_peak_dbtp - 0.1:
                ceiling_db -= tp - (profile.max_true_peak_dbtp - 0.3)
        else:
            lufs, tp, _ = measured
            raise MasteringError(
                f"misses the {profile.name} target after one correction: {lufs:.2f} LUFS "
                f"(target {profile.target_lufs:g} ± {profile.tolerance_lu:g}), true peak {tp:.2f} dBTP "
                f"(max {profile.max_true_peak_dbtp:g})", dest)

        if tags:
            write_tags(tmp, profile, tags)
        digest, size = sha256_file(tmp), tmp.stat().st_size
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    lufs, tp, duration = measured
    return MasteredFile(path=dest, sha256=digest, size=size, duration=round(duration, 3),
                        integrated_lufs=round(lufs, 2), true_peak_dbtp=round(tp, 2), profile=profile.name)


def _trim_for_target(pcm: np.ndarray, rate: int, target: float, ceiling_db: float) -> float:
    """Gain (dB) from the prepared PCM to `target`. Where that pushes peaks over the ceiling the
    limiter will cost some loudness: estimate it (as a hard clip) and make up for it."""
    level = loudness(pcm, rate)
    if not np.isfinite(level):
        raise MasteringError("the programme became silent after filtering")
    gain_db = target - level
    ceiling = 10 ** (ceiling_db / 20)
    for _ in range(2):
        g = 10 ** (gain_db / 20)
        if float(np.max(np.abs(pcm))) * g <= ceiling:
            break
        shaved = loudness(np.clip(pcm * g, -ceiling, ceiling), rate)
        if not np.isfinite(shaved):
            break
        gain_db += target - shaved
    return gain_db


def _limit(ceiling_db: float) -> float:
    return min(1.0, max(0.0625, 10 ** (ceiling_db / 20)))


def _encode(pcm: np.ndarray, gain_db: float, ceiling_db: float, profile: AudioProfile, out: Path) -> None:
    data = np.ascontiguousarray(pcm * np.float32(10 ** (gain_db / 20)), dtype=np.float32)
    args = [*_raw_input(profile.sample_rate), "-af", LIMITER.format(limit=_limit(ceiling_db)),
            "-c:a", profile.codec, "-b:a", f"{profile.bitrate_kbps}k",
            "-ar", str(profile.sample_rate), "-ac", "1",
            # no encoder version strings: the same input gives the same bytes
            "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact"]
    if profile.codec == "aac":
        args += ["-profile:a", "aac_low", "-movflags", "+faststart"]
    args += ["-f", profile.container, "-y", str(out)]
    _ffmpeg(args, path=out, what=f"encode ({profile.name})", stdin=data.tobytes())


# ---------------------------------------------------------------- tags

TAG_KEYS = ("title", "language", "announcement_id", "approval_sha256", "artist")


def write_tags(path: Path, profile: AudioProfile, tags: dict[str, str]) -> None:
    """ID3v2.3 for MP3 (TIT2, TLAN, TPE1/TALB, TXXX ids); iTunes atoms for m4a."""
    unknown = set(tags) - set(TAG_KEYS)
    if unknown:
        raise ValueError(f"unknown tag keys: {sorted(unknown)}")
    if profile.extension == ".mp3":
        _tag_mp3(path, tags)
    elif profile.extension == ".m4a":
        _tag_m4a(path, tags)


def _tag_mp3(path: Path, tags: dict[str, str]) -> None:
    from mutagen.id3 import ID3, TALB, TIT2, TLAN, TPE1, TXXX, ID3NoHeaderError

    try:
        id3 = ID3(path)
    except ID3NoHeaderError:
        id3 = ID3()
    if tags.get("title"):
        id3.add(TIT2(encoding=3, text=tags["title"]))
    if tags.get("language"):
        lang = tags["language"]
        id3.add(TLAN(encoding=3, text=ISO639_2.get(lang, lang)))
        id3.add(TXXX(encoding=3, desc="language", text=lang))   # the BCP 47 tag as used here
    if tags.get("artist"):
        id3.add(TPE1(encoding=3, text=tags["artist"]))
        id3.add(TALB(encoding=3, text=tags["artist"]))
    for key in ("announcement_id", "approval_sha256"):
        if tags.get(key):
            id3.add(TXXX(encoding=3, desc=key, text=tags[key]))
    id3.save(path, v2_version=3)


def _tag_m4a(path: Path, tags: dict[str, str]) -> None:
    from mutagen.mp4 import MP4, MP4FreeForm

    mp4 = MP4(path)
    if mp4.tags is None:
        mp4.add_tags()
    if tags.get("title"):
        mp4.tags["\xa9nam"] = [tags["title"]]
    if tags.get("artist"):
        mp4.tags["\xa9ART"] = [tags["artist"]]
        mp4.tags["\xa9alb"] = [tags["artist"]]
    for key in ("language", "announcement_id", "approval_sha256"):
        if tags.get(key):
            mp4.tags[f"----:com.apple.iTunes:{key}"] = [MP4FreeForm(tags[key].encode("utf-8"))]
    mp4.save()
