"""Decoding: any audio FFmpeg reads (a file, or encoded bytes in memory) → float32 mono, in this
process through PyAV — whole, or streamed in bounded blocks — and a probe of what a file declares.

Every failure is an AudioError naming the file (or the label given for bytes): empty, not
audio, no audio stream, damaged mid-stream, or truncated (a WAV shorter than its header says,
an MP4 without its index, or decoded audio much shorter than the container declares)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from broadcast.media.errors import AudioError
from broadcast.media.filters import samples_of

# A streamed block is at most this long: an hour of hotline audio never sits in memory at once.
BLOCK_SECONDS = 600.0
# What speech recognisers (Whisper, its voice activity detector) take.
RECOGNITION_RATE = 16000
# Decoded audio shorter than this share of the duration the container declares is a truncated file.
TRUNCATION_RATIO = 0.9
# RIFF lengths from this up are the placeholders of writers that stream WAV to a pipe and never
# go back to fill the length in (espeak-ng writes 0x7ffff024, others 0xffffffff or 0).
RIFF_UNKNOWN_LENGTH = 0x7FFF0000
COPY_AGAIN = "copy the recording again from its source"
WAV_PROBE_BYTES = 32768


@dataclass(frozen=True)
class AudioInfo:
    duration: float | None
    """What the container declares, in seconds (None when it does not say)."""
    codec: str
    container: str
    sample_rate: int


Source = Path | bytes


def probe(path: Path) -> AudioInfo:
    """Declared duration, codec, container and sample rate of a file, without decoding it."""
    path = Path(path)
    container, declared = _open(path, path)
    try:
        stream = container.streams.audio[0]
        return AudioInfo(declared, stream.codec_context.name, container.format.name,
                         int(stream.codec_context.sample_rate))
    finally:
        container.close()


def decode_file(path: Path, rate: int | None = None) -> tuple[np.ndarray, int]:
    """A whole file → (float32 mono, rate): its own sample rate unless `rate` is given. The same
    samples `ffmpeg -i FILE -ac 1 -f f32le` gives."""
    path = Path(path)
    return _decode_whole(path, path, rate)


def decode_bytes(data: bytes, rate: int | None = None, label: str = "audio") -> tuple[np.ndarray, int]:
    """Encoded audio in memory (an engine's WAV or MP3 output) → (float32 mono, rate), as
    decode_file; `label` names it in errors."""
    return _decode_whole(bytes(data), label, rate)


def iter_blocks(path: Path, block_seconds: float = BLOCK_SECONDS,
                rate: int = RECOGNITION_RATE) -> Iterator[np.ndarray]:
    """The file as consecutive float32 mono blocks at `rate` of `block_seconds` (the last one
    shorter); never more than about one block in memory."""
    path = Path(path)
    container, declared = _open(path, path)
    try:
        block_samples = int(block_seconds * rate)
        pending: list[np.ndarray] = []
        pending_len = 0
        for data in _pcm(container, declared, rate, path):
            pending.append(data)
            pending_len += data.size
            if pending_len >= block_samples:
                block = np.concatenate(pending)
                yield block[:block_samples]
                rest = block[block_samples:]
                pending, pending_len = ([rest], rest.size) if rest.size else ([], 0)
        if pending_len:
            yield np.concatenate(pending)
    finally:
        container.close()


def _decode_whole(source: Source, where, rate: int | None) -> tuple[np.ndarray, int]:
    container, declared = _open(source, where)
    try:
        rate = int(rate or container.streams.audio[0].codec_context.sample_rate)
        chunks = list(_pcm(container, declared, rate, where))
    finally:
        container.close()
    samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    return samples.astype(np.float32, copy=False), rate


def _pcm(container, declared: float | None, rate: int, where) -> Iterator[np.ndarray]:
    """The first audio stream as float32 mono chunks at `rate`; checks it decodes to the end and
    to about the length the container declares."""
    stream = container.streams.audio[0]
    resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
    converted = False
    total = 0
    try:
        for frame in container.decode(stream):
            if (not converted and frame.format.name in ("flt", "fltp") and frame.sample_rate == rate
                    and frame.layout.nb_channels == 1):
                chunks = [frame]            # what the MP3 and AAC decoders give: no conversion
            else:
                converted = True            # from here on every frame goes through the resampler
                chunks = resampler.resample(frame)
            for chunk in chunks:
                data = samples_of(chunk)
                total += data.size
                yield data
        if converted:
            for chunk in resampler.resample(None):
                data = samples_of(chunk)
                total += data.size
                yield data
    except av.error.FFmpegError as exc:
        raise AudioError(f"damaged or truncated audio after {total / rate:.1f} s ({_reason(exc)})", where,
                         hint=COPY_AGAIN) from None
    if total == 0:
        raise AudioError("no audio could be decoded (truncated or damaged file)", where, hint=COPY_AGAIN)
    decoded = total / rate
    if declared and declared > 1.0 and decoded < declared * TRUNCATION_RATIO:
        raise AudioError(f"truncated: only {decoded:.1f} s of the declared {declared:.1f} s could be decoded",
                         where, hint=COPY_AGAIN)


def _open(source: Source, where) -> tuple[av.container.InputContainer, float | None]:
    """The opened container (with at least one audio stream) and its declared duration."""
    if isinstance(source, bytes):
        size, head = len(source), source[:12]
    else:
        try:
            size = source.stat().st_size
            with open(source, "rb") as f:
                head = f.read(12)
        except OSError as exc:
            raise AudioError(f"cannot read: {exc.strerror}", where) from None
    if size == 0:
        raise AudioError("empty file (0 bytes)", where, hint="the recording was not saved or not copied completely")
    streamed_wav = _check_riff_length(head, size, where)
    # An engine's WAV in memory: its header says all there is to know, so ffmpeg need not read
    # seconds of PCM to find the stream's parameters (two thirds of the cost of a short clip).
    options = {"probesize": str(WAV_PROBE_BYTES)} if isinstance(source, bytes) and _is_wav(head) else {}
    try:
        container = av.open(io.BytesIO(source) if isinstance(source, bytes) else str(source),
                            metadata_errors="ignore", options=options)
    except av.error.FFmpegError as exc:
        if head[4:8] == b"ftyp":
            raise AudioError("truncated or damaged MP4/M4A recording (its index, the moov atom, is missing)",
                             where, hint=COPY_AGAIN) from None
        raise AudioError(f"not an audio file ffmpeg can read ({_reason(exc)})", where,
                         hint="check that the file is a voice recording and that it copied completely") from None
    if not container.streams.audio:
        container.close()
        raise AudioError("no audio stream in this file (not an audio recording)", where)
    declared = None if streamed_wav else _declared_duration(container, container.streams.audio[0])
    return container, declared


def _check_riff_length(head: bytes, size: int, where) -> bool:
    """ffmpeg quietly plays a WAV cut short (it trusts the file size over the header), so compare
    the RIFF header's declared length with the bytes present. True for a WAV whose writer left
    the length unknown (its declared duration means nothing)."""
    if not _is_wav(head):
        return False
    declared = int.from_bytes(head[4:8], "little" if head[:4] == b"RIFF" else "big") + 8
    if declared == 8 or declared >= RIFF_UNKNOWN_LENGTH:
        return True
    if size < declared:
        raise AudioError(f"truncated: the WAV header declares {declared} bytes but the file has {size}",
                         where, hint=COPY_AGAIN)
    return False


def _is_wav(head: bytes) -> bool:
    return head[:4] in (b"RIFF", b"RIFX") and head[8:12] == b"WAVE"


def _declared_duration(container, stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None


def _reason(exc: Exception) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.split(":", 1)[0].strip() if "Errno" in str(exc) else text
