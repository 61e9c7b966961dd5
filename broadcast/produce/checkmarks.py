"""check.json: what `broadcast check` found in a date's files, as the run sheets read it.

`check` writes the file; `produce` reads it to mark files on the run sheets. The format lives
here, below both, so neither imports the other for it."""

from __future__ import annotations

import json
from pathlib import Path

CHECK_NAME = "check.json"
CHECK_FORMAT = 1
FLAGS = ("ok", "review", "fail")
# What the run sheet shows for a file whose check did not pass (RundownEntry.status).
RUNDOWN_STATUS = {"fail": "check-failed", "review": "review"}


def rundown_statuses(folder: Path) -> dict[str, tuple[str, str]]:
    """From a date's check.json: manifest path → (sha256 checked, run-sheet status) for each file
    that did not pass. `produce` marks them in the run sheet only while the bytes are the same."""
    try:
        data = json.loads((folder / CHECK_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out: dict[str, tuple[str, str]] = {}
    for f in data.get("files", []) if isinstance(data, dict) else []:
        status = RUNDOWN_STATUS.get(f.get("flag")) if isinstance(f, dict) else None
        if status and f.get("path") and f.get("sha256"):
            out[f["path"]] = (f["sha256"], status)
    return out
