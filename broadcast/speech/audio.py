"""Raw audio in and out of the speech stage: WAV bytes from engines, any file through ffmpeg,
silence trimming. Samples are always float32 mono in [-1, 1]."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np

from broadcast.media.levels import SILENCE_DBFS
from broadcast.speech.errors import SpeechError

FFMPEG_TIMEOUT_S = 120


def parse_wav(data: bytes, source: str = "engine output") -> tuple[np.ndarray, int]:
    """PCM WAV bytes → (mono float32, rate). Tolerates the bogus chunk sizes that programs
    writing WAV to a pipe put in the header (espeak-ng writes 0x7fffffff)."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise SpeechError(f"{source} is not a WAV stream")
    pos, fmt = 12, None
    while pos + 8 <= len(data):
        chunk, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = pos + 8
        if chunk == b"fmt ":
            fmt = struct.unpack("<HHIIHH", data[body:body + 16])
        elif chunk == b"data":
            if fmt is None:
                raise SpeechError(f"{source}: WAV data before its format")
            tag, channels, rate, _, _, bits = fmt
            payload = data[body:body + size] if body + size <= len(data) else data[body:]
            if tag == 1 and bits == 16:
                pcm = np.frombuffer(payload[: len(payload) // 2 * 2], dtype="<i2").astype(np.float32) / 32768.0
            elif tag == 3 and bits == 32:
                pcm = np.frombuffer(payload[: len(payload) // 4 * 4], dtype="<f4").astype(np.float32)
            else:
                raise SpeechError(f"{source}: unsupported WAV encoding (format {tag}, {bits} bit)")
            if channels > 1:
                pcm = pcm[: len(pcm) // channels * channels].reshape(-1, channels).mean(axis=1)
            return np.clip(pcm, -1.0, 1.0).astype(np.float32), int(rate)
        pos = body + size + (size & 1)
    raise SpeechError(f"{source}: WAV stream without audio data")


def ffmpeg_binary(name: str = "ffmpeg") -> str:
    path = shutil.which(name)
    if path is None:
        raise SpeechError(f"{name} is not installed", hint="install the Debian package ffmpeg")
    return path


def probe_sample_rate(path: Path) -> int:
    cmd = [ffmpeg_binary("ffprobe"), "-v", "error", "-select_streams", "a:0",
           "-show_entries", "stream=sample_rate", "-of", "json", str(path)]
    try:
        out = subprocess.run(cmd, capture_output=True, timeout=FFMPEG_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise SpeechError("ffprobe did not finish", path) from None
    try:
        return int(json.loads(out.stdout)["streams"][0]["sample_rate"])
    except (ValueError, KeyError, IndexError, TypeError):
        tail = out.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no audio stream"]
        raise SpeechError(f"not a readable audio file ({tail[0]})", path,
                          hint="save the recording as WAV, MP3 or M4A") from None


def decode(source: Path | bytes, rate: int | None = None, label: str | None = None) -> tuple[np.ndarray, int]:
    """Any audio ffmpeg reads (a file, or encoded bytes such as gTTS's MP3) → mono float32.
    Keeps the file's own sample rate unless `rate` is given."""
    where = str(label or (source if isinstance(source, Path) else "audio"))
    if rate is None:
        if not isinstance(source, Path):
            raise ValueError("decoding bytes needs an explicit rate")
        rate = probe_sample_rate(source)
    cmd = [ffmpeg_binary(), "-v", "error", "-nostdin"]
    cmd += ["-i", str(source) if isinstance(source, Path) else "pipe:0"]
    cmd += ["-ac", "1", "-ar", str(rate), "-f", "f32le", "-acodec", "pcm_f32le", "pipe:1"]
    try:
        out = subprocess.run(cmd, input=None if isinstance(source, Path) else source,
                             capture_output=True, timeout=FFMPEG_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise SpeechError(f"ffmpeg did not finish decoding within {FFMPEG_TIMEOUT_S} s", where) from None
    if out.returncode != 0:
        tail = out.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise SpeechError(f"ffmpeg could not decode it: {tail[0]}", where)
    samples = np.frombuffer(out.stdout[: len(out.stdout) // 4 * 4], dtype="<f4").astype(np.float32)
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


def resample(samples: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    """Linear resampling; only used to join clips from one voice that disagree on rate."""
    if source_rate == target_rate or samples.size == 0:
        return samples
    n = int(round(samples.size * target_rate / source_rate))
    x = np.linspace(0, samples.size - 1, n)
    return np.interp(x, np.arange(samples.size), samples).astype(np.float32)
