"""What `broadcast status` reports beyond approval: production and translations."""

from __future__ import annotations

import json
import sqlite3

from .config import Workspace
from .models import Announcement


def produced_ids(ws: Workspace) -> set[str]:
    """Ids that appear in any date's manifest.json under output/."""
    ids: set[str] = set()
    out = ws.output_dir
    if not out.is_dir():
        return ids
    for manifest in out.glob("*/manifest.json"):
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for entry in data.get("files", []):
            if isinstance(entry, dict) and entry.get("announcement"):
                ids.add(entry["announcement"])
    return ids


def translation_summary(ws: Workspace, conn: sqlite3.Connection, ann: Announcement) -> str:
    """Per language: the source language, or the state of its translation."""
    parts = []
    for lang in ann.languages:
        parts.append(lang if lang == "vi" else f"{lang}: untranslated")
    return ", ".join(parts)
