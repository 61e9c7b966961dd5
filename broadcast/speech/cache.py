"""Finished speech on disk, keyed by a fingerprint of (spoken text, voice settings, engine
version): unchanged text is never synthesised twice. Writes are atomic (temporary file in the
same folder, then os.replace), so parallel `produce --jobs N` workers never see half a file."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

CACHE_FORMAT = 1


def cache_dir(root: Path) -> Path:
    d = root / "speech"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _path(root: Path, key: str) -> Path:
    return cache_dir(root) / f"{key}.npz"


def load(root: Path, key: str) -> tuple[np.ndarray, int, dict] | None:
    path = _path(root, key)
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("format") != CACHE_FORMAT:
                return None
            return data["samples"].astype(np.float32), int(data["rate"]), meta
    except (OSError, ValueError, KeyError, json.JSONDecodeError):
        return None  # missing or unreadable: synthesise again and overwrite


def store(root: Path, key: str, samples: np.ndarray, rate: int, meta: dict) -> Path:
    path = _path(root, key)
    fd, tmp = tempfile.mkstemp(prefix=f".{key[:16]}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, samples=samples.astype(np.float32), rate=np.int64(rate),
                     meta=np.array(json.dumps({**meta, "format": CACHE_FORMAT}, ensure_ascii=False)))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path
