"""check.json: what `broadcast check` found in a date's files, as the run sheets read it.

`check` writes the file; `produce` reads it to mark files on the run sheets. The format lives
here, below both, so neither imports the other for it."""

from __future__ import annotations

import json
from pathlib import Path

from broadcast.core.fsutil import warn

CHECK_NAME = "check.json"
CHECK_FORMAT = 1
FLAGS = ("ok", "review", "fail")
# What the run sheet shows for a file whose check did not pass (RundownEntry.status).
RUNDOWN_STATUS = {"fail": "check-failed", "review": "review"}


class CheckMarks:
    """What the run sheets show for each file, from a date's check.json."""

    def __init__(self, marks: dict[str, tuple[str, str]], *, corrupt: str | None = None) -> None:
        self.marks = marks
        self.corrupt = corrupt
        """Why check.json could not be read (then every file is marked review), or None."""

    def status_for(self, path: str, sha256: str) -> str:
        """`check-failed` / `review` while the file's bytes are the ones checked, else ok; every
        file `review` when check.json is corrupt (its verdicts are unknown, not good)."""
        if self.corrupt is not None:
            return "review"
        sha, status = self.marks.get(path, (None, "ok"))
        return status if sha == sha256 else "ok"


def rundown_statuses(folder: Path) -> CheckMarks:
    """From a date's check.json: manifest path → (sha256 checked, run-sheet status) for each file
    that did not pass. `produce` marks them in the run sheet only while the bytes are the same.
    No check.json: nothing is marked. A corrupt one marks every file for review."""
    path = folder / CHECK_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return CheckMarks({})
    except (OSError, ValueError) as exc:
        return _corrupt(path, f"unreadable ({exc})")
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list):
        return _corrupt(path, "not the shape `broadcast check` writes (files must be a list)")
    out: dict[str, tuple[str, str]] = {}
    for f in files:
        if not isinstance(f, dict):
            return _corrupt(path, "not the shape `broadcast check` writes (each file must be an object)")
        status = RUNDOWN_STATUS.get(f.get("flag"))
        if status and isinstance(f.get("path"), str) and isinstance(f.get("sha256"), str):
            out[f["path"]] = (f["sha256"], status)
    return CheckMarks(out)


def _corrupt(path: Path, why: str) -> CheckMarks:
    warn(f"{path}: corrupt check results, {why}; every file is marked 'review' on the run sheets "
         "until `broadcast check` runs again")
    return CheckMarks({}, corrupt=why)
