"""Feedback audio: identify (sha256), decode anything PyAV/ffmpeg reads to 16 kHz mono float32
in bounded blocks, and keep a copy of the original in the workspace store."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from broadcast.core.fsutil import sha256_file
from broadcast.feedback.models import AudioError

SAMPLE_RATE = 16000
# A decoded block is at most this long: an hour of hotline audio never sits in memory at once.
BLOCK_SECONDS = 600.0
# Files taken from a folder (an explicit file argument is always tried, whatever its name).
AUDIO_EXTENSIONS = frozenset({
    ".wav", ".mp3", ".m4a", ".aac", ".mp4", ".ogg", ".oga", ".opus", ".webm", ".amr", ".3gp",
    ".flac", ".wma", ".mka", ".caf", ".aiff", ".aif",
})
# Decoded audio shorter than this share of the duration the container declares is a truncated file.
TRUNCATION_RATIO = 0.9
TEMP_SUFFIX = ".part"


@dataclass(frozen=True)
class AudioInfo:
    duration: float | None
    """What the container declares, in seconds (None when it does not say)."""
    codec: str
    container: str


def collect_files(paths: list[Path]) -> tuple[list[Path], list[AudioError]]:
    """Expand folders (recursively, audio extensions only, hidden files skipped) in a stable
    order; a path that does not exist is an error, not a crash."""
    files: list[Path] = []
    missing: list[AudioError] = []
    seen: set[Path] = set()
    for p in paths:
        if p.is_dir():
            found = sorted(
                f for f in p.rglob("*")
                if f.is_file() and f.suffix.lower() in AUDIO_EXTENSIONS
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
        elif p.is_file():
            found = [p]
        else:
            missing.append(AudioError("no such file or folder", p))
            continue
        for f in found:
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                files.append(f)
    return files, missing


def _open(path: Path):
    import av

    try:
        size = path.stat().st_size
    except OSError as exc:
        raise AudioError(f"cannot read: {exc.strerror}", path) from None
    if size == 0:
        raise AudioError("empty file (0 bytes)", path, hint="the recording was not saved or not copied completely")
    with open(path, "rb") as f:
        head = f.read(12)
    _check_riff_length(path, head, size)
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        if head[4:8] == b"ftyp":
            raise AudioError("truncated or damaged MP4/M4A recording (its index, the moov atom, is missing)",
                             path, hint="copy the recording again from its source") from None
        raise AudioError(f"not an audio file ffmpeg can read ({_reason(exc)})", path,
                         hint="check that the file is a voice recording and that it copied completely") from None
    if not container.streams.audio:
        container.close()
        raise AudioError("no audio stream in this file (not an audio recording)", path)
    return container


def _check_riff_length(path: Path, head: bytes, size: int) -> None:
    """ffmpeg quietly plays a WAV cut short (it trusts the file size over the header), so compare
    the RIFF header's declared length with the bytes present."""
    if head[:4] in (b"RIFF", b"RIFX") and head[8:12] == b"WAVE":
        declared = int.from_bytes(head[4:8], "little" if head[:4] == b"RIFF" else "big") + 8
        # 0xFFFFFFFF / 0: streaming writers that never went back to fill the length in.
        if declared not in (8, 0xFFFFFFFF + 8) and size < declared:
            raise AudioError(f"truncated: the WAV header declares {declared} bytes but the file has {size}",
                             path, hint="copy the recording again from its source")


def _reason(exc: Exception) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.split(":", 1)[0].strip() if "Errno" in str(exc) else text


def probe(path: Path) -> AudioInfo:
    """Declared duration and codec, without decoding."""
    container = _open(path)
    try:
        stream = container.streams.audio[0]
        return AudioInfo(_declared_duration(container, stream), stream.codec_context.name,
                         container.format.name)
    finally:
        container.close()


def _declared_duration(container, stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None


def iter_blocks(path: Path, block_seconds: float = BLOCK_SECONDS) -> Iterator[np.ndarray]:
    """Yield the recording as consecutive float32 16 kHz mono blocks of about `block_seconds`.

    Raises AudioError for files that are empty, not audio, damaged mid-stream, or much shorter
    than their container declares (truncated)."""
    import av

    container = _open(path)
    try:
        stream = container.streams.audio[0]
        declared = _declared_duration(container, stream)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        block_samples = int(block_seconds * SAMPLE_RATE)
        pending: list[np.ndarray] = []
        pending_len = 0
        total = 0

        def frames():
            try:
                for frame in container.decode(stream):
                    yield from resampler.resample(frame)
                yield from resampler.resample(None)
            except av.error.FFmpegError as exc:
                raise AudioError(
                    f"damaged or truncated audio after {total / SAMPLE_RATE:.1f} s ({_reason(exc)})", path,
                    hint="copy the recording again from its source") from None

        for frame in frames():
            data = frame.to_ndarray().reshape(-1).astype(np.float32, copy=False)
            pending.append(data)
            pending_len += data.size
            total += data.size
            if pending_len >= block_samples:
                block = np.concatenate(pending)
                yield block[:block_samples]
                rest = block[block_samples:]
                pending, pending_len = ([rest], rest.size) if rest.size else ([], 0)
        if pending_len:
            yield np.concatenate(pending)
        decoded = total / SAMPLE_RATE
        if total == 0:
            raise AudioError("no audio could be decoded (truncated or damaged file)", path,
                             hint="copy the recording again from its source")
        if declared and declared > 1.0 and decoded < declared * TRUNCATION_RATIO:
            raise AudioError(f"truncated: only {decoded:.1f} s of the declared {declared:.1f} s could be decoded",
                             path, hint="copy the recording again from its source")
    finally:
        container.close()


def decode(path: Path) -> np.ndarray:
    """The whole recording as one float32 16 kHz mono array (about 230 MB per hour)."""
    blocks = list(iter_blocks(path))
    return np.concatenate(blocks) if blocks else np.zeros(0, np.float32)


def store_original(path: Path, store_dir: Path, sha256: str) -> Path:
    """Copy the original into `store_dir/<sha256>.<ext>` (temp file + rename: never a half file
    under the final name). Returns the stored path; an existing copy is kept."""
    ext = path.suffix.lower().lstrip(".") or "bin"
    target = store_dir / f"{sha256}.{ext}"
    if target.exists() and target.stat().st_size == path.stat().st_size:
        return target
    store_dir.mkdir(parents=True, exist_ok=True)
    # The writer's pid in the name: remove_dead_temp_files() can tell a copy cut short by a
    # killed run from one a concurrent run is still writing.
    fd, tmp = tempfile.mkstemp(prefix=f".{sha256[:12]}.{os.getpid()}.", suffix=TEMP_SUFFIX, dir=store_dir)
    try:
        with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def remove_dead_temp_files(store_dir: Path) -> list[Path]:
    """Delete temp copies left in the store by runs that died mid-copy (power cut, SIGKILL);
    those of live writers stay. Returns what was removed."""
    removed = []
    if not store_dir.is_dir():
        return removed
    for p in store_dir.glob(f".*{TEMP_SUFFIX}"):
        parts = p.name.split(".")  # '', sha prefix, pid, random + suffix
        pid = int(parts[2]) if len(parts) > 3 and parts[2].isdigit() else None
        if pid is None or not _alive(pid):
            p.unlink(missing_ok=True)
            removed.append(p)
    return removed
