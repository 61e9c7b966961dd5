"""Voice registry (placeholder until speech synthesis lands)."""

from __future__ import annotations

from pathlib import Path


def install_default_voices(target: Path) -> list[str]:
    target.mkdir(parents=True, exist_ok=True)
    return []
