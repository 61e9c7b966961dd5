"""What `broadcast check` checks: the loudspeaker files of a date's manifest, each with the
approved text (announcement body or approved translation) it must say."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from broadcast.check.errors import CheckError
from broadcast.core import db
from broadcast.core.config import Workspace
from broadcast.core.languages import SOURCE_LANGUAGE
from broadcast.intake.announcements import load_announcements
from broadcast.produce.manifest import ManifestError
from broadcast.produce.manifest import read_manifest as _read_manifest
from broadcast.translations import translation_state

CHECKED_PROFILE = "loudspeaker"


@dataclass(frozen=True)
class Target:
    """A produced loudspeaker file and what it should say."""

    entry: dict                 # its manifest entry
    text: str | None            # the approved text it was made from (None: see problem)
    readings: int | None
    problem: str | None = None


def read_manifest(folder: Path) -> dict:
    """The date folder's manifest.json; missing or corrupt: a CheckError saying which and why."""
    try:
        return _read_manifest(folder)
    except ManifestError as exc:
        raise CheckError(exc.problem.message, exc.path, hint=exc.problem.hint) from None


def targets(ws: Workspace, manifest: dict, ids: list[str] | None) -> list[Target]:
    """The loudspeaker files of the manifest, each with the approved text it must say. A text
    that changed since production (sha256 differs) cannot vouch for the file: it is a problem."""
    entries = [e for e in manifest.get("files", []) if e.get("kind") == "audio"
               and e.get("profile") == CHECKED_PROFILE and (not ids or e.get("announcement") in ids)]
    if not entries:
        return []
    good, _bad = load_announcements([ws.announcements_dir], ws.config, check_expiry=False)
    anns = {a.id: a for a in good}
    conn = db.connect(ws.db_path)
    texts: dict[tuple[str, str], tuple[str | None, str | None]] = {}
    out: list[Target] = []
    for e in entries:
        ann = anns.get(e["announcement"])
        key = (e["announcement"], e["language"])
        if ann is None:
            out.append(Target(e, None, None, "the announcement file is gone or invalid now"))
            continue
        if key not in texts:
            if e["language"] == SOURCE_LANGUAGE:
                texts[key] = (ann.body, ann.text_sha256)
            else:
                st = translation_state(ws, conn, ann, e["language"])
                texts[key] = (st.text if st.approved else None, st.text_sha256)
        text, sha = texts[key]
        if text is None or sha != e.get("approved_text_sha256"):
            out.append(Target(e, None, ann.readings, "the approved text changed since this file was "
                              "produced (produce again)"))
        else:
            out.append(Target(e, text, ann.readings))
    return out
