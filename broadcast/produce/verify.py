"""`broadcast verify`: does every file under output/<date>/ still match the manifest?"""

from __future__ import annotations

from datetime import date

from broadcast.core.config import Workspace
from broadcast.core.fsutil import sha256_file
from broadcast.produce.checkmarks import CHECK_NAME
from broadcast.produce.lock import LOCK_NAME
from broadcast.produce.manifest import MANIFEST_NAME, read_manifest


def verify(ws: Workspace, day: date) -> list[str]:
    """Files under the date folder that differ from the manifest (edited, missing, unlisted),
    as paths relative to the date folder with what is wrong. A missing or corrupt manifest
    raises ManifestError (the two are told apart)."""
    folder = ws.output_dir / day.isoformat()
    manifest = read_manifest(folder)
    problems: list[str] = []
    listed = set()
    for e in manifest.get("files", []):
        listed.add(e["path"])
        path = folder / e["path"]
        if not path.is_file():
            problems.append(f"{e['path']}: missing")
        elif sha256_file(path) != e.get("sha256"):
            problems.append(f"{e['path']}: changed after production (sha256 differs from the manifest)")
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        if p.is_file() and rel not in listed and p.name not in (MANIFEST_NAME, LOCK_NAME, CHECK_NAME):
            problems.append(f"{rel}: not in the manifest")
    return problems
