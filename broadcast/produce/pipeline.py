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
from pathlib import Path

from broadcast import __version__
from broadcast.core import audit, db
from broadcast.core.config import Workspace
from broadcast.core.errors import BroadcastError
from broadcast.core.fsutil import atomic_write_bytes, warn
from broadcast.core.processes import pause_point
from broadcast.produce.cap import package_cap
from broadcast.produce.checkmarks import rundown_statuses
from broadcast.produce.lock import ProduceLock
from broadcast.produce.loudspeaker import package_loudspeaker
from broadcast.produce.manifest import MANIFEST_NAME, ManifestError, read_manifest_or_empty
from broadcast.produce.models import ProduceReport
from broadcast.produce.output import SCRATCH, Output, cleanup_temp_files
from broadcast.produce.cache import masters_dir
from broadcast.produce.integrity import anchor_of, require_intact_audit_log
from broadcast.produce.plan import gate, plan_renditions, profiles_for, schedule, today, withhold
from broadcast.produce.render import FRAMING
from broadcast.produce.workers import render_all
from broadcast.produce.zalo import package_zalo
from broadcast.speech import station_ident
from broadcast.translations.readings import STALE, TO_VERIFY, phrase_reading, phrase_text
from broadcast.translations.state import relative


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
        pause_point("produce.locked")     # test hook, off by default (core.processes)
        require_intact_audit_log(ws, conn)
        cleanup_temp_files(folder)
        cleanup_temp_files(masters_dir(ws))
        scheduled = schedule(ws, day, gate(ws, conn, ids, report, day), report)
        renditions = plan_renditions(ws, conn, scheduled, report)
        anchor = anchor_of(conn, [s.approval.seq for s in scheduled])

        # The station phrases once per run; their fingerprints are part of every master's key.
        phrases, fingerprints = station_phrases(ws, conn, report) if renditions else ({}, {"ident": "none"})
        results = render_all(ws, renditions, profiles_for(renditions), phrases, fingerprints, jobs, report,
                             progress, executor)

        for key, r in renditions.items():
            if key not in results:      # its render failed: said on the run sheets too
                withhold(report, r.announcement, "không tạo được âm thanh (rendering failed)",
                         "see the error above; fix it and run `broadcast produce` again", language=r.language,
                         kind="failed")
        out = Output(ws, day, folder, report, renditions, results, anchor=anchor)
        # Files `broadcast check` did not pass are marked in the run sheet while their bytes are
        # the ones checked (a remade file starts unmarked until it is checked again).
        checked = rundown_statuses(folder)
        for area_id, area in ws.config.areas.items():
            playing = [s for s in scheduled if area_id in s.announcement.areas]
            package_loudspeaker(out, area_id, area, playing, checked)
            package_zalo(out, area_id, area, playing)
        package_cap(out, scheduled)

        write_manifest(ws, conn, out, {s.announcement.id for s in scheduled}, set(ids) if ids else None)
        shutil.rmtree(folder / SCRATCH, ignore_errors=True)
    return report


def station_phrases(ws: Workspace, conn, report: ProduceReport) -> tuple[dict, dict[str, str]]:
    """The phrases around every reading, as render.render_rendition takes them, and their
    fingerprints. The ident is a person's accepted, current reading of it, else the synthetic
    voice; the opening and closing air only as an accepted, current reading (there is no
    synthetic one). A recorded phrase that is stale or not verified is not aired, and said so
    with the fix; the announcements air without it (with the synthetic ident)."""
    phrases: dict[str, tuple] = {}
    fingerprints = {"ident": "none"}
    for name in ("ident", *FRAMING):
        try:
            state = phrase_reading(ws, conn, name)     # only an accepted, current one is .reading
            accepted = state.reading
            if state.state in (STALE, TO_VERIFY):
                instead = "the synthetic ident airs instead" if name == "ident" else \
                    f"the announcements air without the {name}"
                warn(f"{relative(ws, state.path)}: the recorded {name} phrase is not aired "
                     f"({state.state}): {state.reason}; {instead}")
            if name != "ident" and accepted is None:
                continue
            details = accepted.manifest() if accepted else None
            speech = station_ident(ws, accepted.path if accepted else None, text=phrase_text(ws, name),
                                   details=details)
        except BroadcastError as exc:
            report.failures.append(exc)
            continue
        phrases[name] = (speech.samples, speech.sample_rate, details)
        fingerprints[name] = hashlib.sha256(speech.samples.tobytes()).hexdigest() + str(speech.sample_rate)
    return phrases, fingerprints


def why_removed(ws: Workspace, report: ProduceReport, scheduled_ids: set[str], made: set[str],
                only: set[str] | None, entry: dict) -> str | None:
    """Why a file the previous run made may go now, or None to keep it. Only what the workspace
    positively shows removes a file: its area left broadcast.toml, its announcement was made
    again under another name, changed since approval, expired, withdrawn (its file is gone) or
    no longer scheduled, or its translation is no longer approved. A run that merely failed to
    make it (a broken voice, a full disk, an unreadable file) keeps the previous file."""
    area, ann, lang = entry.get("area"), entry.get("announcement"), entry.get("language")
    if area is not None and area not in ws.config.areas:
        return "its area is no longer in broadcast.toml"
    if ann is None:
        return "made again" if entry.get("kind") == "rundown" else None
    if only is not None and ann not in only:
        return None                      # `produce ID…` speaks for those ids only
    if ann in made:
        return "made again under another name"
    for w in report.withheld:
        if w.announcement_id == ann and w.kind != "failed" and (w.language in (None, lang)):
            if area is None or area in w.areas:
                return w.reason
    if ann in report.invalid_ids:
        return None                      # a broken file says nothing about its approval
    if ann not in report.seen_ids:
        return "withdrawn: its announcement file is gone"
    if ann not in scheduled_ids:
        return "no longer scheduled on this date"
    return None


def write_manifest(ws: Workspace, conn, out: Output, scheduled_ids: set[str], only: set[str] | None) -> None:
    """Put the staged files in place, write the manifest (only when it changed; each new manifest
    is recorded in the audit log), then remove what the previous run made that is positively
    gone. Files kept for want of a reason stay listed, so `verify` still vouches for them."""
    report, folder = out.report, out.folder
    try:
        old_manifest = read_manifest_or_empty(folder)
    except ManifestError:
        old_manifest = {}     # a corrupt previous manifest: nothing is removed on its word
    keep = {e["path"] for e in out.entries}
    made = {e["announcement"] for e in out.entries if e.get("announcement")}
    remove: list[str] = []
    old = [e for e in old_manifest.get("files", []) if isinstance(e.get("path"), str)
           and e["path"] not in keep and ".." not in Path(e["path"]).parts]
    kept_areas: set[str] = set()
    for entry in sorted(old, key=lambda e: e.get("kind") == "rundown"):   # the run sheets last
        rel = entry["path"]
        why = why_removed(ws, report, scheduled_ids, made, only, entry)
        if why == "made again" and entry.get("area") in kept_areas:
            why = None            # the old sheet still describes the files kept beside it
        if why is not None:
            remove.append(rel)
        elif (folder / rel).is_file():
            out.entries.append(entry)
            report.kept.append(rel)
            if entry.get("kind") != "rundown" and entry.get("area"):
                kept_areas.add(entry["area"])
    manifest = {
        "date": out.day.isoformat(),
        "commune": ws.config.commune_name,
        "station": ws.config.station,
        "broadcast_version": __version__,
        "audit_anchor": out.anchor,
        "files": out.entries,
        "missing": [asdict(m) for m in report.missing],
        "expired": [{"announcement": i, "reason": why, "areas": list(areas)} for i, why, areas in report.expired],
        "withheld": [asdict(w) for w in report.withheld],
        "failed": [str(f) for f in report.failures],
    }
    data = json.dumps(manifest, ensure_ascii=False, indent=2, default=list).encode("utf-8") + b"\n"
    path = folder / MANIFEST_NAME
    changed = not (path.is_file() and path.read_bytes() == data)
    if changed:
        out.write_if_changed(path, data)
    out.commit()                          # every file, the manifest last
    pause_point("produce.placed")
    # Logged when the manifest is new to the log, not only when it changed on disk: a run
    # stopped after placing it (killed, power cut) left it unlogged, and the next run logs it.
    digest = hashlib.sha256(data).hexdigest()
    if audit.latest_sha256(conn, "produce", out.day.isoformat()) != digest:
        audit.append(conn, actor=os.environ.get("USER", "broadcast"), action="produce",
                     subject=out.day.isoformat(), sha256=digest,
                     detail={"files": len(out.entries), "failed": len(report.failures)})
    for rel in remove:
        (folder / rel).unlink(missing_ok=True)
        report.removed.append(rel)
    report.files = len(out.entries)
