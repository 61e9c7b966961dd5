"""Feedback audio files: which files a folder holds, their identity (sha256), and a copy of each
original kept in the workspace store. Decoding them is broadcast.media.decode's."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from broadcast.core.fsutil import sha256_file
from broadcast.core.processes import pause_point
from broadcast.media.errors import AudioError

# Files taken from a folder (an explicit file argument is always tried, whatever its name).
AUDIO_EXTENSIONS = frozenset({
    ".wav", ".mp3", ".m4a", ".aac", ".mp4", ".ogg", ".oga", ".opus", ".webm", ".amr", ".3gp",
    ".flac", ".wma", ".mka", ".caf", ".aiff", ".aif",
})
TEMP_SUFFIX = ".part"

__all__ = ["AUDIO_EXTENSIONS", "collect_files", "sha256_file", "store_original", "remove_dead_temp_files"]


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
        pause_point("transcribe.store-written")   # test hook, off by default (core.processes)
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
