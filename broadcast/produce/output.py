"""The date folder being filled: where each file goes, what the manifest lists, what the report
says. Every file is placed atomically and only when its bytes differ, so an unchanged rerun
rewrites nothing and a reader never sees half a file."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from broadcast.core.config import Area, Workspace
from broadcast.core.fsutil import atomic_target, atomic_write_bytes, is_temp_name, sha256_file
from broadcast.core.languages import SOURCE_LANGUAGE
from broadcast.core.models import Announcement
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
    entries: list[dict] = field(default_factory=list)

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

    def place(self, r: Rendition, res: RenderResult, profile: str, dest: Path, **where) -> dict:
        """Copy the `profile` master under `dest` and list it in the manifest; returns the master."""
        m = res.masters[profile]
        if dest.is_file() and sha256_file(dest) == m["sha256"]:
            self.report.unchanged += 1
        else:
            with atomic_target(dest) as tmp:
                shutil.copyfile(m["cache"], tmp)
            self.report.written.append(self.rel(dest))
        self.entries.append(self.entry(dest, m["sha256"], **audio_meta(r, res, profile, **where)))
        return m

    def write_if_changed(self, path: Path, data: bytes) -> None:
        if path.is_file() and path.read_bytes() == data:
            self.report.unchanged += 1
            return
        atomic_write_bytes(path, data)
        self.report.written.append(self.rel(path))

    def write_generated(self, dest_dir: Path, writer: Callable[[Path], None], names: tuple[str, ...]) -> None:
        """Let a writer make files `names` in a scratch folder, then place each only if it differs."""
        scratch = self.folder / SCRATCH / dest_dir.name
        scratch.mkdir(parents=True, exist_ok=True)
        writer(scratch)
        for name in names:
            self.write_if_changed(dest_dir / name, (scratch / name).read_bytes())
        shutil.rmtree(scratch, ignore_errors=True)

    def entry(self, path: Path, sha256: str | None = None, **extra) -> dict:
        """A manifest entry; `sha256` when the bytes are already known (a master just placed)."""
        return {"path": self.rel(path), "sha256": sha256 or sha256_file(path), "size": path.stat().st_size, **extra}

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
    }


def remove_stale(folder: Path, old_manifest: dict, keep: set[str], report: ProduceReport) -> None:
    """Files the previous run made that this plan no longer has (an order that moved, an
    announcement withdrawn) are removed, so operators never play a stale file."""
    for entry in old_manifest.get("files", []):
        rel = entry.get("path") if isinstance(entry, dict) else None
        if not rel or rel in keep or ".." in Path(rel).parts:
            continue
        path = folder / rel
        if path.is_file():
            path.unlink()
            report.removed.append(rel)


def cleanup_temp_files(folder: Path) -> None:
    """Temp files left by a run that was killed; never under a final name."""
    if not folder.is_dir():
        return
    for p in folder.rglob("*"):
        if p.is_file() and is_temp_name(p):
            p.unlink(missing_ok=True)
    shutil.rmtree(folder / SCRATCH, ignore_errors=True)
