"""The date folder being filled: where each file goes, what the manifest lists, what the report
says.

Nothing under a final name changes until everything is ready: each new or changed file is first
written into the folder's scratch area (`stage`), and only once all of them are there does
`commit` rename them into place — renames need no space, so a disk that fills mid-run leaves the
previous output exactly as it was. Files whose bytes are already right are not touched, so an
unchanged rerun rewrites nothing."""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from broadcast.core.config import Area, Workspace
from broadcast.core.fsutil import is_temp_name, sha256_file
from broadcast.core.languages import SOURCE_LANGUAGE
from broadcast.core.models import Announcement
from broadcast.core.processes import pause_point
from broadcast.produce.models import ProduceReport, Rendition, RenderResult

SCRATCH = ".scratch"


@dataclass
class Output:
    ws: Workspace
    day: date
    folder: Path
    report: ProduceReport
    renditions: dict[str, Rendition]
    results: dict[str, RenderResult]
    anchor: dict | None = None            # the audit-log entry the output is made from
    entries: list[dict] = field(default_factory=list)
    pending: list[tuple[Path, Path]] = field(default_factory=list)   # (staged file, final name)
    sources: dict[str, Path] = field(default_factory=dict)   # manifest path → where its bytes are now
    _counter: Iterator[int] = field(default_factory=itertools.count)

    # ---- what can be placed

    def ready(self, ann: Announcement, area: Area, profile: str) -> Iterator[tuple[Rendition, RenderResult]]:
        """(rendition, result) for each language of `ann` heard in `area` that has a `profile` master."""
        for lang in ann.languages:
            if lang != SOURCE_LANGUAGE and lang not in area.languages:
                continue
            r = self.renditions.get(f"{ann.id}/{lang}")
            res = self.results.get(f"{ann.id}/{lang}")
            if r is not None and res is not None and profile in res.masters:
                yield r, res

    # ---- placing files

    def stage_path(self, dest: Path) -> Path:
        pause_point("produce.stage")      # test hook, off by default (core.processes)
        stage = self.folder / SCRATCH / "stage"
        stage.mkdir(parents=True, exist_ok=True)
        return stage / f"{next(self._counter):05d}-{dest.name}"

    def place(self, r: Rendition, res: RenderResult, profile: str, dest: Path, **where) -> dict:
        """Stage the `profile` master for `dest` (unless the same bytes are there) and list it in
        the manifest; returns the master."""
        m = res.masters[profile]
        if dest.is_file() and sha256_file(dest) == m["sha256"]:
            self.report.unchanged += 1
        else:
            staged = self.stage_path(dest)
            shutil.copyfile(m["cache"], staged)
            self.pending.append((staged, dest))
            self.report.written.append(self.rel(dest))
        self.sources[self.rel(dest)] = Path(m["cache"])
        self.entries.append({"path": self.rel(dest), "sha256": m["sha256"], "size": m["size"],
                             **audio_meta(r, res, profile, **where)})
        return m

    def write_if_changed(self, path: Path, data: bytes) -> Path:
        """Stage `data` for `path` unless it holds those bytes already; returns where the bytes
        are now (the staged file or `path`)."""
        if path.is_file() and path.read_bytes() == data:
            self.report.unchanged += 1
            return path
        staged = self.stage_path(path)
        staged.write_bytes(data)
        self.pending.append((staged, path))
        self.report.written.append(self.rel(path))
        return staged

    def write_generated(self, dest_dir: Path, writer: Callable[[Path], None], names: tuple[str, ...],
                        **extra) -> None:
        """Let a writer make files `names` in a scratch folder, then stage each that differs and
        list it in the manifest with `extra`."""
        scratch = self.folder / SCRATCH / "gen" / f"{next(self._counter):05d}"
        scratch.mkdir(parents=True, exist_ok=True)
        writer(scratch)
        for name in names:
            self.add_file(dest_dir / name, (scratch / name).read_bytes(), **extra)

    def add_file(self, path: Path, data: bytes, **extra) -> None:
        """Stage `data` for `path` and list it in the manifest with `extra`."""
        self.write_if_changed(path, data)
        self.entries.append({"path": self.rel(path), "sha256": hashlib.sha256(data).hexdigest(),
                             "size": len(data), **extra})

    def commit(self) -> None:
        """Rename every staged file into place (after all of them were written)."""
        for staged, dest in self.pending:
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, dest)
            pause_point("produce.committed")
        self.pending.clear()

    def rel(self, path: Path) -> str:
        return str(path.relative_to(self.folder))


def audio_meta(r: Rendition, res: RenderResult, profile: str, **where) -> dict:
    """What the manifest says of an audio file: where it plays, how it measures, what speaks it,
    and the approval it was made from."""
    m = res.masters[profile]
    return {
        "kind": "audio", "profile": profile, "announcement": r.announcement.id, "language": r.language,
        **where, "duration": m["duration"], "integrated_lufs": m["integrated_lufs"],
        "true_peak_dbtp": m["true_peak_dbtp"], "first_reading": m.get("first_reading", res.first_reading),
        **res.speech, "approved_text_sha256": r.text_sha256,
        "approval": r.approval.as_dict(), "translation_approval": r.translation_approval,
        **({"reading": r.reading} if r.reading else {}),
    }


def cleanup_temp_files(folder: Path) -> None:
    """Temp files left by a run that was killed; never under a final name."""
    if not folder.is_dir():
        return
    for p in folder.rglob("*"):
        if p.is_file() and is_temp_name(p):
            p.unlink(missing_ok=True)
    shutil.rmtree(folder / SCRATCH, ignore_errors=True)
