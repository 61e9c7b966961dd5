"""The main job: approved announcements for one date → mastered loudspeaker MP3s with playlist and
run sheet per area, Zalo voice files and message texts, CAP 1.2 alerts, and a manifest.

Stages, each a plain function from data to data:
  plan     (plan.py)     which renditions (announcement × language) play where and when
  render   (workers.py)  speech → programme → mastered file per profile, once per rendition
  package  (loudspeaker.py, zalo.py, cap.py)  each channel's files under their final names
  manifest (here)        every file with its sha256, written last and only when it changed

A rendition is synthesised once per announcement and language and mastered once per profile,
whatever the number of areas and slots that play it; masters are cached by the hash of
everything that goes into them (cache.py), so an unchanged rerun renders and rewrites nothing."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict
from datetime import date

from broadcast import __version__
from broadcast.core import audit, db
from broadcast.core.config import Workspace
from broadcast.core.errors import BroadcastError
from broadcast.core.fsutil import atomic_write_bytes
from broadcast.produce.cap import package_cap
from broadcast.produce.checkmarks import rundown_statuses
from broadcast.produce.lock import ProduceLock
from broadcast.produce.loudspeaker import package_loudspeaker
from broadcast.produce.manifest import MANIFEST_NAME, ManifestError, read_manifest_or_empty
from broadcast.produce.models import ProduceReport
from broadcast.produce.output import SCRATCH, Output, cleanup_temp_files, remove_stale
from broadcast.produce.cache import masters_dir
from broadcast.produce.plan import gate, plan_renditions, profiles_for, schedule, today
from broadcast.produce.workers import render_all
from broadcast.produce.zalo import package_zalo
from broadcast.speech import station_ident


def produce(ws: Workspace, *, ids: list[str] | None = None, day: date | None = None,
            jobs: int | None = None, wait: bool = False,
            progress: Callable[[int], Callable[[str], None]] | None = None,
            executor=None) -> ProduceReport:
    """Produce everything scheduled on `day` (default: today in the commune's timezone).
    `executor` (broadcast.executors.ExecutorSpec) renders on a Ray cluster; default: local processes."""
    day = day or today(ws)
    folder = ws.output_dir / day.isoformat()
    report = ProduceReport(day=day, folder=folder)
    conn = db.connect(ws.db_path)
    with ProduceLock(ws.state_dir, wait):
        cleanup_temp_files(folder)
        cleanup_temp_files(masters_dir(ws))
        scheduled = schedule(ws, day, gate(ws, conn, ids, report), report)
        renditions = plan_renditions(ws, conn, scheduled, report)

        # Ident once per run; its fingerprint is part of every master's key.
        ident = None
        ident_fp = "none"
        if renditions:
            try:
                speech = station_ident(ws)
                ident = (speech.samples, speech.sample_rate)
                ident_fp = hashlib.sha256(speech.samples.tobytes()).hexdigest() + str(speech.sample_rate)
            except BroadcastError as exc:
                report.failures.append(exc)
        results = render_all(ws, renditions, profiles_for(renditions), ident, ident_fp, jobs, report,
                             progress, executor)

        out = Output(ws, day, folder, report, renditions, results)
        # Files `broadcast check` did not pass are marked in the run sheet while their bytes are
        # the ones checked (a remade file starts unmarked until it is checked again).
        checked = rundown_statuses(folder)
        for area_id, area in ws.config.areas.items():
            playing = [s for s in scheduled if area_id in s.announcement.areas]
            package_loudspeaker(out, area_id, area, playing, checked)
            package_zalo(out, area_id, area, playing)
        package_cap(out, scheduled)

        write_manifest(ws, conn, out)
        shutil.rmtree(folder / SCRATCH, ignore_errors=True)
    return report


def write_manifest(ws: Workspace, conn, out: Output) -> None:
    """Remove what the previous manifest listed and this run no longer makes, then write the
    manifest (only when it changed; each new manifest is recorded in the audit log)."""
    report, folder = out.report, out.folder
    try:
        old_manifest = read_manifest_or_empty(folder)
    except ManifestError:
        old_manifest = {}     # a corrupt previous manifest: nothing is removed on its word
    manifest = {
        "date": out.day.isoformat(),
        "commune": ws.config.commune_name,
        "station": ws.config.station,
        "broadcast_version": __version__,
        "files": out.entries,
        "missing": [asdict(m) for m in report.missing],
        "expired": [{"announcement": i, "reason": why, "areas": list(areas)} for i, why, areas in report.expired],
        "failed": [str(f) for f in report.failures],
    }
    remove_stale(folder, old_manifest, {e["path"] for e in out.entries}, report)
    data = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
    path = folder / MANIFEST_NAME
    if not (path.is_file() and path.read_bytes() == data):
        atomic_write_bytes(path, data)
        report.written.append(MANIFEST_NAME)
        audit.append(conn, actor=os.environ.get("USER", "broadcast"), action="produce",
                     subject=out.day.isoformat(), sha256=hashlib.sha256(data).hexdigest(),
                     detail={"files": len(out.entries), "failed": len(report.failures)})
    report.files = len(out.entries)
