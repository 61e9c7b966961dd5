"""Finished speech on disk, keyed by a fingerprint of (spoken text, voice settings, engine
version): unchanged text is never synthesised twice. Writes are atomic (broadcast.core.fsutil),
so parallel `produce --jobs N` workers never see half a file; an entry damaged anyway (a full
disk, a crash of the machine, a hand edit) is dropped with a warning and synthesised again."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from broadcast.core.fsutil import atomic_target, warn

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
            if not isinstance(meta, dict) or meta.get("format") != CACHE_FORMAT:
                return None
            return data["samples"].astype(np.float32), int(data["rate"]), meta
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        warn(f"{path}: damaged speech-cache entry ({type(exc).__name__}: {exc}); dropped, speaking it again")
        path.unlink(missing_ok=True)
        return None


def store(root: Path, key: str, samples: np.ndarray, rate: int, meta: dict) -> Path:
    path = _path(root, key)
    with atomic_target(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, samples=samples.astype(np.float32), rate=np.int64(rate),
                 meta=np.array(json.dumps({**meta, "format": CACHE_FORMAT}, ensure_ascii=False)))
    return path
