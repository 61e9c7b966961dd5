"""A take as it came from the microphone → the reading that is mastered: decoded (anything FFmpeg
reads: WAV, MP3, M4A, Opus/WebM from the browser, AMR from old phones), made mono, high-passed
at 80 Hz (handling rumble and breath pops), gently denoised (FFmpeg `afftdn`, 10 dB at most),
and trimmed of silence at both ends (`silenceremove`, twice with `areverse` between: FFmpeg's
own end trimming would also remove the pauses inside the reading). All in this process, through
PyAV's filter graphs, as mastering does.

The signal is measured on the take as recorded (clipping happens before any filter can hide it)
and after cleaning (loudness, length, how much of it is speech)."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from broadcast.core.errors import BroadcastError
from broadcast.media.decode import RECOGNITION_RATE, decode_file
from broadcast.media.errors import AudioError
from broadcast.media.filters import apply_filters, resample
from broadcast.media.levels import CLIP_LEVEL, SILENCE_DBFS
from broadcast.media.loudness import integrated_loudness
from broadcast.transcription.transcribe import speech_regions

CLEAN_RATE = 48000            # what the studio records (Opus) and what mastering starts from
DENOISE_CHAIN = "highpass=f=80:poles=2,afftdn=nr=10:nf=-50:tn=1"
# Trimming: 50 ms above the threshold starts the reading; a quarter second before it is kept.
TRIM = "silenceremove=start_periods=1:start_duration=0.05:start_threshold={db:.1f}dB:start_silence=0.25:detection=rms"
FRAME_S = 0.02
# The trimming threshold sits this far above the take's noise floor (its quietest frames), within
# [SILENCE_DBFS, speech level - SPEECH_MARGIN_DB]: a phone's hiss is not the reading.
NOISE_MARGIN_DB, SPEECH_MARGIN_DB = 8.0, 20.0


class TakeError(BroadcastError):
    """A take that cannot be used at all (not audio, silent)."""


@dataclass(frozen=True)
class Signal:
    """Figures of one take."""

    duration: float            # seconds, as recorded
    clean_duration: float      # seconds after trimming
    peak_dbfs: float           # loudest sample as recorded
    clipped_samples: int       # samples at full scale as recorded
    clipped_share: float
    longest_clip_run: int
    loudness_lufs: float       # integrated loudness after cleaning (EBU R128, gated)
    speech_seconds: float      # what the voice activity detector calls speech, after cleaning

    def as_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class CleanTake:
    samples: np.ndarray        # float32 mono at `rate`
    rate: int
    signal: Signal

    def wav_bytes(self) -> bytes:
        """16-bit PCM mono WAV: what is stored and mastered."""
        pcm = np.clip(np.round(self.samples * 32767.0), -32768, 32767).astype("<i2")
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(self.rate)
            out.writeframes(pcm.tobytes())
        return buffer.getvalue()


def _clip_runs(samples: np.ndarray) -> tuple[int, int]:
    """(clipped samples, longest run of consecutive clipped samples)."""
    clipped = np.abs(samples) >= CLIP_LEVEL
    count = int(clipped.sum())
    if not count:
        return 0, 0
    edges = np.flatnonzero(np.diff(np.concatenate(([0], clipped.view(np.int8), [0]))))
    return count, int((edges[1::2] - edges[::2]).max())


def frame_db(samples: np.ndarray, rate: int) -> np.ndarray:
    """RMS level of each 20 ms frame, dBFS."""
    n = max(1, int(FRAME_S * rate))
    frames = samples[: len(samples) // n * n].astype(np.float64).reshape(-1, n)
    if not len(frames):
        return np.full(1, -120.0)
    return 20 * np.log10(np.maximum(np.sqrt(np.mean(frames * frames, axis=1)), 1e-6))


def trim_threshold(samples: np.ndarray, rate: int) -> float:
    """Where silence ends, in dBFS, for this take: above its noise floor (10th percentile of the
    frames), below its speech (95th percentile)."""
    levels = frame_db(samples, rate)
    floor, speech = float(np.percentile(levels, 10)), float(np.percentile(levels, 95))
    return float(min(max(floor + NOISE_MARGIN_DB, SILENCE_DBFS), speech - SPEECH_MARGIN_DB))


def speech_seconds(samples: np.ndarray, rate: int) -> float:
    """Seconds of speech by silero VAD (shipped with faster-whisper), any language."""
    audio = resample(samples, rate, RECOGNITION_RATE)
    return sum(r["end"] - r["start"] for r in speech_regions(audio)) / RECOGNITION_RATE


def clean(path: Path) -> CleanTake:
    """Decode and clean one take (TakeError naming the file when it is not usable audio or silent)."""
    try:
        raw, rate = decode_file(path)
    except AudioError as exc:
        raise TakeError(exc.reason, path, hint=exc.problem.hint or "record again, or export the take as WAV, MP3 or M4A") \
            from None
    if raw.size == 0:
        raise TakeError("the take has no audio in it", path, hint="record again")
    peak = float(np.max(np.abs(raw)))
    peak_db = 20 * np.log10(peak) if peak > 0 else -120.0
    if peak_db < SILENCE_DBFS:
        raise TakeError(f"the take is silent (loudest sample {peak_db:.0f} dBFS)", path,
                        hint="check that the microphone is on and not muted, then record again")
    clipped, longest = _clip_runs(raw)
    x = resample(raw, rate, CLEAN_RATE) if rate != CLEAN_RATE else raw
    try:
        denoised = apply_filters(x, CLEAN_RATE, DENOISE_CHAIN, "cleaning the take")
        trim = TRIM.format(db=trim_threshold(denoised, CLEAN_RATE))
        out = apply_filters(denoised, CLEAN_RATE, f"{trim},areverse,{trim},areverse", "trimming the take")
    except AudioError as exc:
        raise TakeError(exc.reason, path) from None
    out = np.clip(out, -1.0, 1.0).astype(np.float32)
    if out.size < CLEAN_RATE // 10:
        raise TakeError("nothing is left of the take after trimming its silence", path,
                        hint="speak closer to the microphone and record again")
    signal = Signal(
        duration=raw.size / rate, clean_duration=out.size / CLEAN_RATE, peak_dbfs=peak_db,
        clipped_samples=clipped, clipped_share=clipped / raw.size, longest_clip_run=longest,
        loudness_lufs=float(integrated_loudness(out, CLEAN_RATE)),
        speech_seconds=speech_seconds(out, CLEAN_RATE))
    return CleanTake(out, CLEAN_RATE, signal)
