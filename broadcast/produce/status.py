"""What `broadcast status` reports beyond approval: production and translations."""

from __future__ import annotations

import sqlite3

from broadcast.core import audit
from broadcast.core.config import Workspace
from broadcast.core.errors import BroadcastError
from broadcast.core.models import Announcement
from broadcast.produce.manifest import ManifestError, read_manifest
from broadcast.speech import has_speech_route
from broadcast.translations import translation_state
from broadcast.translations.models import SOURCE
from broadcast.translations.readings import current_reading


def produced_ids(ws: Workspace, conn: sqlite3.Connection) -> set[str]:
    """Ids produced from their current approval: some date's manifest lists a file of the id made
    from the approval the audit log holds now (a re-approved text not produced again is not)."""
    current = {i: a.sha256 for i, a in audit.latest_approvals(conn).items()}
    ids: set[str] = set()
    out = ws.output_dir
    if not out.is_dir():
        return ids
    for folder in sorted(p for p in out.iterdir() if p.is_dir()):
        try:
            data = read_manifest(folder)
        except ManifestError:
            continue
        for entry in data.get("files", []):
            ann = entry.get("announcement")
            approval = entry.get("approval") if isinstance(entry.get("approval"), dict) else {}
            if ann and ann in current and approval.get("sha256") == current[ann]:
                ids.add(ann)
    return ids


def _speech_route(ws: Workspace, lang: str, reading) -> str | None:
    """"reading verified" (or "reading stale", "reading to verify": a human reading that is not
    aired), "voice", "no speech route", or None when the speech stage cannot tell."""
    if reading is not None and reading.state != "none":
        return f"reading {reading.state}"
    try:
        ok, _why = has_speech_route(ws, lang)
    except Exception:  # a broken voices/ file must not break `status`
        return None
    return "voice" if ok else "no speech route"


def translation_summary(ws: Workspace, conn: sqlite3.Connection, ann: Announcement) -> str:
    """Per language: the translation state (untranslated / draft / approved / stale) and the
    speech route, e.g. "vi (voice), hmn: approved (reading verified), blt: stale (no speech route)"."""
    parts = []
    for lang in ann.languages:
        try:
            st = translation_state(ws, conn, ann, lang)
            reading = current_reading(ws, conn, ann, lang)
        except (BroadcastError, OSError, sqlite3.Error) as exc:  # one bad file must not hide the table
            parts.append(f"{lang}: unreadable ({exc})")
            continue
        route = _speech_route(ws, lang, reading)
        label = lang if st.state == SOURCE else f"{lang}: {st.state}"
        parts.append(f"{label} ({route})" if route else label)
    return ", ".join(parts)
