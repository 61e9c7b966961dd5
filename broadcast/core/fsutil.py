"""Atomic file writes and file hashing.

Every output file goes through here: data is written to a hidden temp file beside the final
name and renamed over it, so an interrupted run never leaves a half file under a final name.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHUNK = 1 << 20


def temp_path_for(dest: Path | str) -> Path:
    """A hidden, unique temp name in `dest`'s folder (same filesystem, so rename is atomic).
    It keeps `dest`'s suffix before `.part` so tools that pick a format by extension still work."""
    dest = Path(dest)
    return dest.with_name(f".{dest.stem}.{secrets.token_hex(4)}{dest.suffix}.part")


def is_temp_name(path: Path | str) -> bool:
    """True for names made by `temp_path_for` (left behind only if the process was killed)."""
    name = Path(path).name
    return name.startswith(".") and name.endswith(".part")


@contextmanager
def atomic_target(dest: Path | str) -> Iterator[Path]:
    """Yield a temp path to write; on success it replaces `dest`, on any error it is removed."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(dest)
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"nothing was written to {tmp}")
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    with atomic_target(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())


def atomic_write_text(path: Path | str, text: str, encoding: str = "utf-8") -> None:
    atomic_write_bytes(path, text.encode(encoding))


def sha256_file(path: Path | str) -> str:
    return _hash_file(path, hashlib.sha256())


def sha1_file(path: Path | str) -> str:
    """SHA-1 hex, as CAP 1.2 `<digest>` specifies."""
    return _hash_file(path, hashlib.sha1())


def _hash_file(path: Path | str, h) -> str:
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def warn(message: str) -> None:
    """A warning for the person running the command (stderr, one line), from any stage or
    worker process: a damaged cache entry dropped, a file kept."""
    import sys

    print(f"warning: {message}", file=sys.stderr, flush=True)
