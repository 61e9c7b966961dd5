"""Mastering: a programme (attention signal, station ident, readings) → an encoded file that
meets its audio profile, measured after encoding.

What one `master()` call costs — no program is started (loudness and true peak are measured in
numpy, BS.1770-4; FFmpeg's filters, AAC encoder and decoders run in this process through PyAV):
  1. condition: band-limit + gentle compression (loudspeaker), level near the target, limit
     peaks a little below the ceiling (skipped when the profile has no filters and no peak is
     over; a second run when the first lands well under the target);
  2. final trim (computed on exactly the PCM from 1) + safety limiter + encode to the temp file:
     AAC through PyAV; MP3 through the system's libmp3lame (ctypes), because the LAME inside
     PyAV's wheel is built without its assembly and takes ~2.5× the CPU (the `ffmpeg` program
     where that library cannot be loaded);
  3. decode the encoded file and measure it (loudness + 4× oversampled true peak).
A miss after (3) costs one correction: (2) and (3) again with adjusted gain / ceiling.
"""

from __future__ import annotations

import functools
import os
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from broadcast.core.errors import BroadcastError
from broadcast.core.fsutil import atomic_target, sha256_file

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
    # FFmpeg's resampler (swresample), in this process: no program start, no scipy import.
    out = _filter(samples, int(rate), f"aresample={int(to_rate)}", "resampling")
    return out.astype(np.float32, copy=False)


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

# Silence and clips shorter than one 400 ms gating block measure as this (ffmpeg's floor).
_EBUR128_FLOOR_LUFS = -70.0


def measure_pcm(samples: np.ndarray, rate: int, *, peak: bool = True) -> tuple[float, float]:
    """Integrated loudness (LUFS, ITU-R BS.1770-4 / EBU R128) and true peak (dBTP, 4×
    oversampled) of mono PCM, by FFmpeg's `ebur128` filter run in this process through PyAV —
    the same meter as `ffmpeg -af ebur128=peak=true`, without starting a program. Silence, or
    audio under half a second, gives -inf."""
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    if len(x) == 0 or not np.any(x):
        return float("-inf"), float("-inf")
    short = len(x) < int(rate) // 2
    if short:   # the filter reports nothing before its first 100 ms step; zeros add no loudness or peak
        x = np.pad(x, (0, int(rate) // 2 - len(x)))
    last: dict = {}

    def keep(frame) -> None:
        last.update(frame.metadata)

    import av

    try:
        _run_filters(x, int(rate), "ebur128=metadata=1" + (":peak=true" if peak else ""), keep)
    except av.error.FFmpegError as exc:
        raise MasteringError(f"loudness measurement failed: {exc}") from None
    integrated = float(last.get("lavfi.r128.I", _EBUR128_FLOOR_LUFS))
    lufs = float("-inf") if short or integrated <= _EBUR128_FLOOR_LUFS else integrated
    tp = float("-inf")
    if peak:
        linear = float(last.get("lavfi.r128.true_peak", 0.0))
        tp = 20 * np.log10(linear) if linear > 0 else float("-inf")
    return lufs, tp


def loudness(samples: np.ndarray, rate: int) -> float:
    """Integrated loudness (LUFS) of mono PCM; -inf for silence or under 0.4 s (see measure_pcm)."""
    return measure_pcm(samples, rate, peak=False)[0]


def true_peak(samples: np.ndarray, rate: int) -> float:
    """True peak (dBTP, BS.1770-4 Annex 2) of mono PCM (see measure_pcm)."""
    return measure_pcm(samples, rate)[1]


def decode(path: Path, sample_rate: int | None = None) -> tuple[np.ndarray, int]:
    """Decode any audio file to float32 mono (at its own rate unless given), in this process
    with FFmpeg's decoders through PyAV (the same samples `ffmpeg -ac 1 -f f32le` gives)."""
    import av

    path = Path(path)
    chunks: list[np.ndarray] = []
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise MasteringError("cannot read the audio stream: no audio", path)
            stream = container.streams.audio[0]
            rate = int(sample_rate or stream.codec_context.sample_rate)
            resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
            converted = False
            for frame in container.decode(stream):
                if (not converted and frame.format.name in ("flt", "fltp") and frame.sample_rate == rate
                        and frame.layout.nb_channels == 1):
                    chunks.append(frame.to_ndarray().reshape(-1))   # MP3/AAC decoders give this
                else:
                    converted = True
                    chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
            if converted:
                chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    except av.error.FFmpegError as exc:
        raise MasteringError(f"cannot decode the audio: {exc}", path) from None
    samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    return samples.astype(np.float32, copy=False), rate


def measure(path: Path) -> tuple[float, float]:
    """Integrated LUFS and true peak dBTP of an encoded file."""
    samples, rate = decode(path)
    return measure_pcm(samples, rate)


def _ffmpeg(args: list[str], *, path: Path | None, what: str, stdin: bytes | None = None) -> bytes:
    # One thread per run: `produce --jobs N` already keeps every core busy with N workers.
    cmd = [FFMPEG, "-hide_banner", "-nostats", "-loglevel", "error", "-threads", "1",
           "-filter_threads", "1", *args]
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


# ---------------------------------------------------------------- FFmpeg filters in process

FRAME_SAMPLES = 1 << 16   # PCM handed to libav a frame at a time


def _frames(pcm: np.ndarray, rate: int):
    import av

    pcm = np.ascontiguousarray(pcm, dtype=np.float32)
    for start in range(0, len(pcm), FRAME_SAMPLES):
        frame = av.AudioFrame.from_ndarray(pcm[start:start + FRAME_SAMPLES].reshape(1, -1),
                                           format="flt", layout="mono")
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        yield frame


def _filter_graph(chain: str, rate: int):
    """An ffmpeg `-af` chain ("name=args,name=args") as a libav graph: mono float in and out."""
    import av

    graph = av.filter.Graph()
    graph.threads = 1       # mono audio gains nothing from a pool; `--jobs` workers use the cores
    node = graph.add_abuffer(format="flt", sample_rate=rate, layout="mono", time_base=Fraction(1, rate))
    for part in [*chain.split(","), "aformat=sample_fmts=flt:channel_layouts=mono"]:
        name, _, args = part.partition("=")
        nxt = graph.add(name, args or None)
        node.link_to(nxt)
        node = nxt
    sink = graph.add("abuffersink")
    node.link_to(sink)
    graph.configure()
    return graph


def _run_filters(pcm: np.ndarray, rate: int, chain: str, consume) -> None:
    """Push `pcm` through `chain`, handing each filtered frame to `consume`."""
    import av

    graph = _filter_graph(chain, rate)

    def drain() -> None:
        while True:
            try:
                consume(graph.pull())
            except (BlockingIOError, av.error.EOFError):
                return

    for frame in _frames(pcm, rate):
        graph.push(frame)
        drain()
    graph.push(None)
    drain()


def _filter(pcm: np.ndarray, rate: int, chain: str, what: str) -> np.ndarray:
    import av

    out: list[np.ndarray] = []
    try:
        _run_filters(pcm, rate, chain, lambda f: out.append(f.to_ndarray().reshape(-1)))
    except av.error.FFmpegError as exc:
        raise MasteringError(f"{what} failed: {exc}") from None
    return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)


def _filter_and_measure(pcm: np.ndarray, rate: int, chain: str, what: str) -> tuple[np.ndarray, float]:
    """`_filter` with FFmpeg's ebur128 meter after the chain: the output and its loudness (LUFS)."""
    import av

    out: list[np.ndarray] = []
    last: dict = {}

    def keep(frame) -> None:
        out.append(frame.to_ndarray().reshape(-1))
        last.update(frame.metadata)

    try:
        _run_filters(pcm, rate, chain + ",ebur128=metadata=1", keep)
    except av.error.FFmpegError as exc:
        raise MasteringError(f"{what} failed: {exc}") from None
    y = np.concatenate(out) if out else np.zeros(0, dtype=np.float32)
    integrated = float(last.get("lavfi.r128.I", _EBUR128_FLOOR_LUFS))
    if len(y) < rate // 2 or integrated <= _EBUR128_FLOOR_LUFS:
        return y, float("-inf")
    return y, integrated


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


def _prepare(programme: Programme, profile: AudioProfile) -> tuple[np.ndarray, float | None]:
    """The PCM that will be encoded, within a small trim of its final level: band-limited and
    compressed where the profile says so, brought near the target and peak-limited a little
    below the ceiling (FFmpeg's filters, run in this process; skipped when nothing needs it).
    Loudness is then measured on this, so the final gain fits what is encoded and barely touches
    the limiter again. Returns the PCM and that loudness (None where nothing was run)."""
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
        return x.astype(np.float32, copy=False), None
    makeup = (profile.target_lufs - COMPRESSOR_INPUT_LUFS + COMPRESSOR_MAKEUP_DB if profile.compress
              else LIMITER_MAKEUP_DB)
    tries: list[tuple[float, float]] = []
    for _ in range(MAX_CONDITION_RUNS):
        chain = [*filters, f"volume={makeup:.3f}dB", LIMITER.format(limit=_limit(ceiling_db))]
        # the meter rides at the end of the same graph: one pass filters and measures
        y, level = _filter_and_measure(x, rate, ",".join(chain), "condition")
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


def master(programme: Programme, profile: AudioProfile | str, dest: Path, *,
           tags: dict[str, str] | None = None) -> MasteredFile:
    """Encode `programme` to `dest` meeting `profile`, verified by decoding the result.
    Atomic: nothing appears under `dest` unless the file is complete and on target."""
    profile = PROFILES[profile] if isinstance(profile, str) else profile
    dest = Path(dest)
    with atomic_target(dest) as tmp:
        try:
            pcm, level = _prepare(programme, profile)
        except MasteringError as e:
            raise MasteringError(e.reason, dest, hint=e.problem.hint) from None
        rate = profile.sample_rate
        ceiling_db = profile.max_true_peak_dbtp - profile.limiter_margin_db
        gain_db = _trim_for_target(pcm, rate, profile.target_lufs, ceiling_db, level) + profile.encoder_loss_lu

        measured: tuple[float, float, float] | None = None
        for _attempt in range(2):   # the first try, then one correction
            _encode(pcm, gain_db, ceiling_db, profile, tmp)
            decoded, _ = decode(tmp, rate)
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
                f"(max {profile.max_true_peak_dbtp:g})", dest)

        if tags:
            write_tags(tmp, profile, tags)
        digest, size = sha256_file(tmp), tmp.stat().st_size
    lufs, tp, duration = measured
    return MasteredFile(path=dest, sha256=digest, size=size, duration=round(duration, 3),
                        integrated_lufs=round(lufs, 2), true_peak_dbtp=round(tp, 2), profile=profile.name)


def _trim_for_target(pcm: np.ndarray, rate: int, target: float, ceiling_db: float,
                     level: float | None = None) -> float:
    """Gain (dB) from the prepared PCM (at `level` LUFS, measured when not given) to `target`.
    Where that pushes peaks over the ceiling the limiter will cost some loudness: estimate it
    (as a hard clip) and make up for it."""
    if level is None:
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
    limiter = LIMITER.format(limit=_limit(ceiling_db))
    if profile.codec in IN_PROCESS_CODECS:
        _encode_in_process(data, limiter, profile, out)
        return
    if profile.codec == "libmp3lame" and _system_lame() is not None:
        _encode_mp3_with_system_lame(_filter(data, profile.sample_rate, limiter, f"encode ({profile.name})"),
                                     profile, out)
        return
    args = [*_raw_input(profile.sample_rate), "-af", limiter,
            "-c:a", profile.codec, "-b:a", f"{profile.bitrate_kbps}k",
            "-ar", str(profile.sample_rate), "-ac", "1",
            # no encoder version strings: the same input gives the same bytes
            "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact"]
    if profile.codec == "aac":
        args += ["-profile:a", "aac_low", "-movflags", "+faststart"]
    args += ["-f", profile.container, "-y", str(out)]
    _ffmpeg(args, path=out, what=f"encode ({profile.name})", stdin=data.tobytes())


# Encoders run in this process through PyAV (no program start per file). Not libmp3lame: the
# LAME inside PyAV's wheel is built without its assembly and takes ~2.5× the CPU of the system's
# (the one the ffmpeg program uses), so MP3 goes to the system's libmp3lame directly, or to the
# ffmpeg program where that library cannot be loaded.
IN_PROCESS_CODECS = frozenset({"aac"})
LAME_MONO, LAME_CBR, LAME_QUALITY = 3, 0, 3     # lame.h: MONO, vbr_off; 3 = LAME's (and ffmpeg's) default


@functools.lru_cache(maxsize=1)
def _system_lame():
    """The system's libmp3lame (installed with ffmpeg) through ctypes, or None."""
    import ctypes
    import ctypes.util

    try:
        lib = ctypes.CDLL(ctypes.util.find_library("mp3lame") or "libmp3lame.so.0")
        handle, integer, pointer = ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p
        lib.lame_init.restype = handle
        lib.lame_init.argtypes = []
        for name in ("lame_set_in_samplerate", "lame_set_out_samplerate", "lame_set_num_channels",
                     "lame_set_mode", "lame_set_VBR", "lame_set_brate", "lame_set_quality",
                     "lame_set_bWriteVbrTag"):
            getattr(lib, name).argtypes = [handle, integer]
        lib.lame_init_params.argtypes = [handle]
        lib.lame_close.argtypes = [handle]
        lib.lame_encode_buffer_ieee_float.argtypes = [handle, pointer, pointer, integer, pointer, integer]
        lib.lame_encode_flush.argtypes = [handle, pointer, integer]
        lib.lame_get_lametag_frame.argtypes = [handle, pointer, ctypes.c_size_t]
        lib.lame_get_lametag_frame.restype = ctypes.c_size_t
    except (OSError, AttributeError):
        return None
    return lib


def _encode_mp3_with_system_lame(pcm: np.ndarray, profile: AudioProfile, out: Path) -> None:
    """CBR mono MP3 with the settings `ffmpeg -c:a libmp3lame -b:a …k` gives LAME, and LAME's
    own Info/LAME tag frame first (encoder delay and padding, so decoders return exactly the
    samples that went in, as with ffmpeg's muxer)."""
    import ctypes

    lame = _system_lame()
    pcm = np.ascontiguousarray(pcm, dtype=np.float32)
    gfp = lame.lame_init()
    if not gfp:
        raise MasteringError(f"encode ({profile.name}) failed: lame_init", out)
    try:
        for setter, value in (("in_samplerate", profile.sample_rate), ("out_samplerate", profile.sample_rate),
                              ("num_channels", 1), ("mode", LAME_MONO), ("VBR", LAME_CBR),
                              ("brate", profile.bitrate_kbps), ("quality", LAME_QUALITY), ("bWriteVbrTag", 1)):
            getattr(lame, f"lame_set_{setter}")(gfp, value)
        if lame.lame_init_params(gfp) < 0:
            raise MasteringError(f"encode ({profile.name}) failed: LAME refused the settings", out)
        buffer = ctypes.create_string_buffer(int(1.25 * len(pcm)) + 7200)   # lame.h's worst case
        size = lame.lame_encode_buffer_ieee_float(gfp, pcm.ctypes.data, None, len(pcm), buffer, len(buffer))
        if size < 0:
            raise MasteringError(f"encode ({profile.name}) failed: LAME error {size}", out)
        data = bytearray(buffer.raw[:size])
        size = lame.lame_encode_flush(gfp, buffer, len(buffer))
        if size < 0:
            raise MasteringError(f"encode ({profile.name}) failed: LAME error {size}", out)
        data += buffer.raw[:size]
        tag = ctypes.create_string_buffer(4096)
        tag_size = lame.lame_get_lametag_frame(gfp, tag, len(tag))
        data[:tag_size] = tag.raw[:tag_size]     # over the placeholder LAME left for it
    finally:
        lame.lame_close(gfp)
    with open(out, "wb") as fh:
        fh.write(data)


def _encode_in_process(data: np.ndarray, limiter: str, profile: AudioProfile, out: Path) -> None:
    """Limiter + encoder + muxer in this process: the same libav code the ffmpeg program runs,
    with the same options (bit-exact, so the same input gives the same bytes)."""
    import av

    options = {"fflags": "+bitexact"}
    codec_options = {"flags": "+bitexact"}
    if profile.codec == "aac":
        # the coder named, so a different FFmpeg build cannot change it (twoloop: the default
        # of both the ffmpeg program and PyAV here, and better than "fast" at 64 kb/s)
        options["movflags"] = "+faststart"
        codec_options.update(profile="aac_low", aac_coder="twoloop")
    try:
        with av.open(str(out), "w", format=profile.container, container_options=options) as container:
            stream = container.add_stream(profile.codec, rate=profile.sample_rate)
            stream.layout = "mono"
            stream.bit_rate = profile.bitrate_kbps * 1000
            stream.codec_context.options = codec_options
            stream.codec_context.thread_count = 1

            def encode(frame) -> None:
                frame.pts = None          # the encoder counts samples itself
                for packet in stream.encode(frame):
                    container.mux(packet)

            _run_filters(data, profile.sample_rate, limiter, encode)
            for packet in stream.encode(None):
                container.mux(packet)
    except av.error.FFmpegError as exc:
        raise MasteringError(f"encode ({profile.name}) failed: {exc}", out) from None


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
