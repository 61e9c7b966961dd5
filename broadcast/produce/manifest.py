"""manifest.json: what `produce` placed under output/<date>/, one entry per file with its sha256.

The one reader of the file: every stage that looks at a day's output (check, verify, status,
playout) goes through `read_manifest`, so a missing manifest and a corrupt one are told apart
the same way everywhere."""

from __future__ import annotations

import json
from pathlib import Path

from broadcast.core.errors import BroadcastError

MANIFEST_NAME = "manifest.json"


class ManifestError(BroadcastError):
    """A date's manifest is missing, unreadable or not a manifest."""


def manifest_path(folder: Path) -> Path:
    return folder / MANIFEST_NAME


def read_manifest(folder: Path) -> dict:
    """The manifest of a date folder. Raises ManifestError saying whether it is missing or corrupt."""
    path = manifest_path(folder)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError("nothing produced for this date (no manifest)", path,
                            hint="run `broadcast produce --date …` first, or pick the date with --date") from None
    except UnicodeDecodeError as exc:
        raise ManifestError(f"corrupt manifest (not UTF-8: {exc.reason})", path,
                            hint="run `broadcast produce` for this date again to rewrite it") from None
    except ValueError as exc:
        raise ManifestError(f"corrupt manifest (not JSON: {exc})", path,
                            hint="run `broadcast produce` for this date again to rewrite it") from None
    except OSError as exc:
        raise ManifestError(f"unreadable manifest: {exc.strerror or exc}", path,
                            hint="check the file's permissions and the disk") from None
    if not isinstance(data, dict) or not isinstance(data.get("files", []), list) \
            or not all(isinstance(e, dict) and isinstance(e.get("path"), str) for e in data.get("files", [])):
        raise ManifestError("corrupt manifest (not the shape `produce` writes: files must be a list of "
                            "entries with a path)", path,
                            hint="run `broadcast produce` for this date again to rewrite it")
    return data


def read_manifest_or_empty(folder: Path) -> dict:
    """The manifest, or {} when there is none yet. A corrupt manifest still raises: it must
    never pass for a missing one (that would let `produce` forget what it placed)."""
    try:
        return read_manifest(folder)
    except ManifestError:
        if not manifest_path(folder).exists():
            return {}
        raise
