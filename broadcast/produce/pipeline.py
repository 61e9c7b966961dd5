"""The main job: approved announcements for one date → mastered loudspeaker MP3s with playlist and
run sheet per area, Zalo voice files and message texts, CAP 1.2 alerts, and a manifest.

Stages, each a plain function:
  plan        which renditions (announcement × language) and which files per area and slot
  render      speech → programme → mastered file per profile, once per rendition (parallel)
  place       copy each master under its final names (only where the bytes differ)
  package     playlists, run sheets, Zalo texts, CAP, manifest (written only when changed)

A rendition is synthesised once per announcement and language and mastered once per profile,
whatever the number of areas and slots that play it; masters are cached by the hash of
everything that goes into them, so an unchanged rerun renders and rewrites nothing."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from broadcast import __version__
from broadcast.core import audit, db
from broadcast.intake.approval import require_approved
from broadcast.core.config import Workspace, load_workspace
from broadcast.core.errors import BroadcastError
from broadcast.core.fsutil import atomic_target, atomic_write_bytes, is_temp_name, sha1_file, sha256_file
from broadcast.core.languages import SOURCE_LANGUAGE, language_name
from broadcast.core.models import PRIORITY_ORDER, Announcement, Approval
from broadcast.produce.checkmarks import rundown_statuses
from broadcast.produce.manifest import MANIFEST_NAME, read_manifest_or_empty, ManifestError

# Bump when the way a master is made changes, so cached masters are redone.
RENDER_VERSION = "2"   # 2: conditioning, AAC encode and verification in process (PyAV)
LOCK_NAME = "produce.lock"


# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class Rendition:
    """One announcement in one language: synthesised once, mastered once per profile."""

    announcement: Announcement
    approval: Approval
    language: str
    text: str
    text_sha256: str
    recording: str | None = None          # path of a human reading, when that is the route
    translation_approval: dict | None = None

    @property
    def key(self) -> str:
        return f"{self.announcement.id}/{self.language}"


@dataclass(frozen=True)
class Missing:
    announcement_id: str
    language: str
    area: str
    reason: str


@dataclass
class RenderResult:
    rendition_key: str
    masters: dict[str, dict]               # profile → {"cache": path, sha256, duration, lufs, ...}
    speech: dict                           # engine, voice, engine_version, fallbacks
    first_reading: list[float]
    rendered: bool                         # False when everything came from the cache


@dataclass
class ProduceReport:
    day: date
    folder: Path
    rendered: int = 0
    reused: int = 0
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    failures: list[BroadcastError] = field(default_factory=list)
    expired: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)
    not_approved: list[str] = field(default_factory=list)
    files: int = 0


class ProduceLocked(BroadcastError):
    """Another `broadcast produce` holds this workspace and date."""


# ---------------------------------------------------------------- lock


class ProduceLock:
    """An advisory lock per workspace (flock, so a crashed holder releases it at once); the
    file names the holder's pid for the message a second run prints. One lock for the whole
    workspace, not per date, because runs share the master cache and its cleanup."""

    def __init__(self, state_dir: Path, wait: bool) -> None:
        self.path = state_dir / LOCK_NAME
        self.wait = wait
        self.fh = None

    def __enter__(self) -> ProduceLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if self.wait else fcntl.LOCK_NB))
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            fh.close()
            raise ProduceLocked(
                f"another `broadcast produce` (pid {holder}) is running in this workspace", self.path,
                hint="wait for it to finish, or run again with --wait to queue behind it",
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self.fh = fh
        return self

    def __exit__(self, *exc) -> None:
        if self.fh is not None:
            fcntl.flock(self.fh, fcntl.LOCK_UN)
            self.fh.close()


# ---------------------------------------------------------------- plan


def today(ws: Workspace) -> date:
    return datetime.now(ws.config.tz).date()


def slot_moment(ws: Workspace, day: date, slot: str) -> datetime:
    return datetime.combine(day, ws.config.slots[slot], tzinfo=ws.config.tz)


def renditions_for(ws: Workspace, conn: sqlite3.Connection, ann: Announcement, approval: Approval,
                   report: ProduceReport) -> dict[str, Rendition]:
    """Every language this announcement is played in, in some area, that can be produced now;
    the others are reported missing with the reason and the command that fixes it."""
    wanted: list[str] = []
    for area_id in ann.areas:
        area = ws.config.areas[area_id]
        for lang in ann.languages:
            if (lang == SOURCE_LANGUAGE or lang in area.languages) and lang not in wanted:
                wanted.append(lang)
    out: dict[str, Rendition] = {}
    for lang in wanted:
        if lang == SOURCE_LANGUAGE:
            out[lang] = Rendition(ann, approval, lang, ann.body, ann.text_sha256)
            continue
        rendition, reason = _translated_rendition(ws, conn, ann, approval, lang)
        if rendition is not None:
            out[lang] = rendition
        else:
            for area_id in ann.areas:
                if lang in ws.config.areas[area_id].languages:
                    report.missing.append(Missing(ann.id, lang, area_id, reason))
    return out


def _translated_rendition(ws: Workspace, conn, ann: Announcement, approval: Approval,
                          lang: str) -> tuple[Rendition | None, str]:
    try:
        from broadcast.translations import translation_state
    except ImportError:
        return None, f"no approved {language_name(lang)} translation (translations are not available)"
    state = translation_state(ws, conn, ann, lang)
    if state.state != "approved" or not state.text:
        return None, f"{language_name(lang)} translation {state.state}: {state.reason}"
    if state.recording is None:
        from broadcast.speech import has_speech_route

        ok, why = has_speech_route(ws, lang)
        if not ok:
            return None, (f"approved {language_name(lang)} text but no speech route: {why}; add a recording "
                          f"translations/{ann.id}/{lang}.wav (or .mp3/.m4a) of a local speaker reading it")
    return Rendition(ann, approval, lang, state.text, state.text_sha256 or "",
                     recording=str(state.recording) if state.recording else None,
                     translation_approval=state.approval), ""


# ---------------------------------------------------------------- render


def _render_key(ws: Workspace, r: Rendition, ident_fingerprint: str, profiles: list[str]) -> str:
    from broadcast.mastering import master as mastering
    from broadcast.speech import speech_fingerprint

    if r.recording:
        speech_fp = "recorded:" + sha256_file(r.recording)
    else:
        speech_fp = speech_fingerprint(ws, r.language, r.text)
    ann = r.announcement
    material = {
        "render": RENDER_VERSION,
        "speech": speech_fp,
        "ident": ident_fingerprint,
        "readings": ann.readings,
        "attention": ann.priority == "emergency",
        "profiles": {p: asdict(mastering.PROFILES[p]) for p in profiles},
        "tags": [ann.title, r.language, ann.id, r.approval.sha256],
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()


def _masters_dir(ws: Workspace) -> Path:
    d = ws.cache_dir / "masters"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _cached(ws: Workspace, key: str, profiles: list[str]) -> RenderResult | None:
    meta_path = _masters_dir(ws) / f"{key}.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for p in profiles:
        m = meta["masters"].get(p)
        if m is None or not Path(m["cache"]).is_file() or sha256_file(m["cache"]) != m["sha256"]:
            return None
    return RenderResult(meta["rendition_key"], meta["masters"], meta["speech"], meta["first_reading"], False)


def render_rendition(root: str, r: Rendition, key: str, profiles: list[str],
                     ident: tuple | None) -> RenderResult:
    """Speech → programme → one master per profile, into the master cache. Runs in a worker."""
    return render_in(load_workspace(root), r, key, profiles, ident)


def render_in(ws: Workspace, r: Rendition, key: str, profiles: list[str], ident: tuple | None) -> RenderResult:
    """render_rendition on a loaded workspace (a Ray worker renders into a scratch workspace
    of its own and sends the masters back by value: broadcast/executors.py)."""
    from broadcast.mastering import master as mastering
    from broadcast.speech import load_recording, synthesize

    cached = _cached(ws, key, profiles)
    if cached is not None:
        return cached
    ann = r.announcement
    if r.recording:
        speech = load_recording(Path(r.recording), r.text, r.language)
    else:
        speech = synthesize(ws, r.language, r.text)
    tags = {"title": ann.title, "language": r.language, "announcement_id": ann.id,
            "approval_sha256": r.approval.sha256, "artist": ws.config.station}
    masters: dict[str, dict] = {}
    first_reading: list[float] = []
    for profile in profiles:
        loudspeaker = profile == "loudspeaker"
        programme = mastering.build_programme(
            speech.samples, speech.sample_rate,
            ident=ident[0] if ident else None, ident_rate=ident[1] if ident else None,
            # The loudspeaker programme repeats the reading and sounds the attention signal;
            # a Zalo voice note is listened to on a phone, once, without the siren.
            readings=ann.readings if loudspeaker else 1,
            attention=loudspeaker and ann.priority == "emergency",
        )
        dest = _masters_dir(ws) / f"{key}-{profile}{mastering.PROFILES[profile].extension}"
        mastered = mastering.master(programme, profile, dest, tags=tags)
        masters[profile] = {
            "cache": str(dest), "sha256": mastered.sha256, "size": mastered.size,
            "duration": round(mastered.duration, 3), "integrated_lufs": round(mastered.integrated_lufs, 2),
            "true_peak_dbtp": round(mastered.true_peak_dbtp, 2),
            "first_reading": [round(x, 3) for x in programme.first_reading],
        }
        if loudspeaker or not first_reading:
            first_reading = [round(x, 3) for x in programme.first_reading]
    speech_meta = {"engine": speech.engine, "voice": speech.voice, "engine_version": speech.engine_version,
                   "fallbacks": list(speech.fallbacks), "warnings": list(getattr(speech, "warnings", ()))}
    result = RenderResult(r.key, masters, speech_meta, first_reading, True)
    write_cache_meta(ws, key, result)
    return result


def write_cache_meta(ws: Workspace, key: str, result: RenderResult) -> None:
    """The master cache's record of a rendition (written last: it is what makes the masters count)."""
    atomic_write_bytes(_masters_dir(ws) / f"{key}.json",
                       json.dumps(asdict(result), ensure_ascii=False, indent=1).encode())


# ---------------------------------------------------------------- place and package


def _place(src: Path, dest: Path, sha256: str, report: ProduceReport, folder: Path) -> None:
    """Copy a master under its final name unless the same bytes are already there."""
    if dest.is_file() and sha256_file(dest) == sha256:
        report.unchanged += 1
        return
    with atomic_target(dest) as tmp:
        shutil.copyfile(src, tmp)
    report.written.append(str(dest.relative_to(folder)))


def _write_if_changed(path: Path, data: bytes, report: ProduceReport, folder: Path) -> None:
    if path.is_file() and path.read_bytes() == data:
        report.unchanged += 1
        return
    atomic_write_bytes(path, data)
    report.written.append(str(path.relative_to(folder)))


def _file_entry(folder: Path, path: Path, sha256: str | None = None, **extra) -> dict:
    """`sha256` when the bytes are already known (a master just placed), else it is hashed."""
    return {"path": str(path.relative_to(folder)), "sha256": sha256 or sha256_file(path),
            "size": path.stat().st_size, **extra}


def produce(ws: Workspace, *, ids: list[str] | None = None, day: date | None = None,
            jobs: int | None = None, wait: bool = False,
            progress: Callable[[int], Callable[[str], None]] | None = None,
            executor=None) -> ProduceReport:
    """Produce everything scheduled on `day` (default: today in the commune's timezone).
    `executor` (broadcast.executors.ExecutorSpec) renders on a Ray cluster; default: local processes."""
    from broadcast.mastering import master as mastering

    day = day or today(ws)
    folder = ws.output_dir / day.isoformat()
    report = ProduceReport(day=day, folder=folder)
    conn = db.connect(ws.db_path)
    with ProduceLock(ws.state_dir, wait):
        _cleanup_temp_files(folder)
        _cleanup_temp_files(_masters_dir(ws))
        approved = _gate(ws, conn, ids, report)

        # Which slots play what today; expired items are left out and listed.
        scheduled: list[tuple[Announcement, Approval, list[str]]] = []
        for ann, approval in approved:
            if day not in ann.dates:
                continue
            slots = [s for s in ann.slots if not ann.expired_at(slot_moment(ws, day, s))]
            for s in ann.slots:
                if s not in slots:
                    report.expired.append((ann.id, f"expired {ann.expires.isoformat()}, left out of {s}",
                                           ann.areas))
            if slots:
                scheduled.append((ann, approval, slots))

        renditions: dict[str, Rendition] = {}
        for ann, approval, _slots in scheduled:
            for r in renditions_for(ws, conn, ann, approval, report).values():
                renditions[r.key] = r

        # Ident once per run; its fingerprint is part of every master's key.
        ident = None
        ident_fp = "none"
        if renditions:
            from broadcast.speech import station_ident

            try:
                speech = station_ident(ws)
                ident = (speech.samples, speech.sample_rate)
                ident_fp = hashlib.sha256(speech.samples.tobytes()).hexdigest() + str(speech.sample_rate)
            except BroadcastError as exc:
                report.failures.append(exc)

        profiles_for: dict[str, list[str]] = {}
        for key, r in renditions.items():
            chans = r.announcement.channels
            profiles_for[key] = [p for p, ch in (("loudspeaker", "loudspeaker"), ("zalo", "zalo")) if ch in chans]
            if "cap" in chans and "loudspeaker" not in profiles_for[key]:
                profiles_for[key].append("loudspeaker")
        results = _render_all(ws, renditions, profiles_for, ident, ident_fp, jobs, report, progress, executor)

        entries = _package(ws, conn, day, folder, scheduled, renditions, results, report)
        old_manifest = _read_manifest(folder)
        manifest = {
            "date": day.isoformat(),
            "commune": ws.config.commune_name,
            "station": ws.config.station,
            "broadcast_version": __version__,
            "files": entries,
            "missing": [asdict(m) for m in report.missing],
            "expired": [{"announcement": i, "reason": why, "areas": list(areas)}
                        for i, why, areas in report.expired],
            "failed": [str(f) for f in report.failures],
        }
        _remove_stale(folder, old_manifest, {e["path"] for e in entries}, report)
        data = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
        manifest_path = folder / MANIFEST_NAME
        if not (manifest_path.is_file() and manifest_path.read_bytes() == data):
            atomic_write_bytes(manifest_path, data)
            report.written.append(MANIFEST_NAME)
            audit.append(conn, actor=os.environ.get("USER", "broadcast"), action="produce",
                         subject=day.isoformat(), sha256=hashlib.sha256(data).hexdigest(),
                         detail={"files": len(entries), "failed": len(report.failures)})
        report.files = len(entries)
        shutil.rmtree(folder / ".scratch", ignore_errors=True)
    return report


def _gate(ws: Workspace, conn, ids: list[str] | None, report: ProduceReport) -> list[tuple[Announcement, Approval]]:
    """Only the exact approved content goes on: invalid files and files changed since approval
    are failures; never-approved drafts are listed (a failure only when asked for by id)."""
    from broadcast.intake.announcements import load_announcements
    from broadcast.core.errors import NotApproved

    good, bad = load_announcements([ws.announcements_dir], ws.config, check_expiry=False)
    wanted = set(ids or [])
    if not ids:
        report.failures.extend(bad)
    out: list[tuple[Announcement, Approval]] = []
    for ann in good:
        if wanted and ann.id not in wanted:
            continue
        try:
            out.append((ann, require_approved(conn, ann)))
        except NotApproved as exc:
            now = datetime.now(ws.config.tz)
            if exc.reason == "not approved" and ann.expired_at(now):
                # it could not have been approved: say why it is left out
                report.expired.append((ann.id, f"expired {ann.expires.isoformat()}, left out", ann.areas))
            elif exc.reason == "not approved" and not wanted:
                report.not_approved.append(ann.id)
            else:
                report.failures.append(exc)
    for i in sorted(wanted - {a.id for a in good}):
        report.failures.append(BroadcastError(
            f"no valid announcement with id {i!r}", ws.announcements_dir,
            hint="check the id with `broadcast status`; `broadcast validate` shows broken files"))
        report.failures.extend(e for e in bad if Path(str(e.path)).stem == i)
    return out


def _render_all(ws, renditions, profiles_for, ident, ident_fp, jobs, report, progress,
                executor=None) -> dict[str, RenderResult]:
    keys = {k: _render_key(ws, r, ident_fp, profiles_for[k]) for k, r in renditions.items() if profiles_for[k]}
    results: dict[str, RenderResult] = {}
    todo: list[str] = []
    for k in keys:
        cached = _cached(ws, keys[k], profiles_for[k])
        if cached is not None:
            results[k] = cached
            report.reused += 1
        else:
            todo.append(k)
    if not todo:
        return results
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
    advance = progress(len(todo)) if progress else (lambda _label: None)
    root = str(ws.root)

    def done(k: str, fn) -> None:
        try:
            results[k] = fn()
            report.rendered += 1
        except BroadcastError as exc:
            report.failures.append(exc)
        except Exception as exc:  # a bug must not cost the rest of the batch
            if os.environ.get("BROADCAST_DEBUG"):
                import traceback

                traceback.print_exc()
            report.failures.append(BroadcastError(
                f"rendering {k} failed unexpectedly: {type(exc).__name__}: {exc}",
                renditions[k].announcement.path,
                hint="this is a bug in broadcast; rerun with BROADCAST_DEBUG=1 and report the traceback"))
        advance(k)

    if executor is not None and executor.kind == "ray":
        from broadcast.executors.cluster import render_on_ray

        render_on_ray(executor, ws, {k: renditions[k] for k in todo}, keys, profiles_for, ident, done)
        return results
    if jobs == 1:
        for k in todo:
            done(k, lambda k=k: render_rendition(root, renditions[k], keys[k], profiles_for[k], ident))
        return results
    import multiprocessing

    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(render_rendition, root, renditions[k], keys[k], profiles_for[k], ident): k
                   for k in todo}
        for fut in as_completed(futures):
            done(futures[fut], fut.result)
    return results


def _package(ws: Workspace, conn, day: date, folder: Path, scheduled, renditions: dict[str, Rendition],
             results: dict[str, RenderResult], report: ProduceReport) -> list[dict]:
    from broadcast.produce import cap, rundown, zalo
    from broadcast.mastering import master as mastering

    entries: list[dict] = []
    # Files `broadcast check` did not pass are marked in the run sheet while their bytes are
    # the ones checked (a remade file starts unmarked until it is checked again).
    checked = rundown_statuses(folder)

    def audio_meta(r: Rendition, res: RenderResult, profile: str, **where) -> dict:
        m = res.masters[profile]
        return {
            "kind": "audio", "profile": profile, "announcement": r.announcement.id, "language": r.language,
            **where, "duration": m["duration"], "integrated_lufs": m["integrated_lufs"],
            "true_peak_dbtp": m["true_peak_dbtp"], "first_reading": m.get("first_reading", res.first_reading),
            **res.speech, "approved_text_sha256": r.text_sha256,
            "approval": r.approval.as_dict(), "translation_approval": r.translation_approval,
        }

    def ready(ann: Announcement, area, profile: str):
        """(rendition, result) for each language of `ann` heard in `area` that has a `profile` master."""
        for lang in ann.languages:
            if lang != SOURCE_LANGUAGE and lang not in area.languages:
                continue
            r = renditions.get(f"{ann.id}/{lang}")
            res = results.get(f"{ann.id}/{lang}")
            if r is not None and res is not None and profile in res.masters:
                yield r, res

    def place(r: Rendition, res: RenderResult, profile: str, dest: Path, **where) -> dict:
        """Copy the `profile` master under `dest` and list it in the manifest; returns the master."""
        m = res.masters[profile]
        _place(Path(m["cache"]), dest, m["sha256"], report, folder)
        entries.append(_file_entry(folder, dest, m["sha256"], **audio_meta(r, res, profile, **where)))
        return m

    slot_names = list(ws.config.slots)
    for area_id, area in ws.config.areas.items():
        playing = [(ann, ap, slots) for ann, ap, slots in scheduled if area_id in ann.areas]
        # ---- loudspeaker: one file per slot, language and announcement, in play order
        ls_entries: list[rundown.RundownEntry] = []
        ls_folder = folder / "loudspeaker" / area_id
        order = 0
        for slot in slot_names:
            in_slot = [(ann, ap) for ann, ap, slots in playing if slot in slots and "loudspeaker" in ann.channels]
            in_slot.sort(key=lambda x: rundown.play_order_key(x[0].priority, x[0].id))
            for ann, _ap in in_slot:
                for r, res in ready(ann, area, "loudspeaker"):
                    order += 1
                    name = (f"{order:02d}-{slot}-{ann.priority}-{ann.id}-{r.language}"
                            f"{mastering.PROFILES['loudspeaker'].extension}")
                    m = place(r, res, "loudspeaker", ls_folder / name, area=area_id, slot=slot, order=order)
                    sha, status = checked.get(entries[-1]["path"], (None, "ok"))
                    ls_entries.append(rundown.RundownEntry(
                        order=order, slot=slot, slot_time=ws.config.slots[slot], priority=ann.priority,
                        announcement_id=ann.id, title=ann.title, language=r.language, filename=name,
                        duration=m["duration"], readings=ann.readings,
                        status=status if sha == m["sha256"] else "ok"))
        if ls_entries or any(area_id in areas for _i, _w, areas in report.expired) or \
                any("loudspeaker" in a.channels for a, _, _ in playing):
            ls_folder.mkdir(parents=True, exist_ok=True)
            missing = [(m.announcement_id, m.language, m.reason) for m in report.missing if m.area == area_id]
            expired = [(i, why) for i, why, areas in report.expired if area_id in areas]

            def write_sheets(d: Path) -> None:
                rundown.write_playlist(d / "playlist.m3u8", ls_entries)
                rundown.write_rundown(d, area_name=area.name, station=ws.config.station, day=day,
                                      entries=ls_entries, expired=expired, missing=missing)

            sheets = ("playlist.m3u8", "rundown.txt", "rundown.html")
            _write_generated(folder, ls_folder, write_sheets, sheets, report)
            for name in sheets:
                entries.append(_file_entry(folder, ls_folder / name, kind="rundown", area=area_id))

        # ---- Zalo: one voice file and one message text per announcement and language
        z_folder = folder / "zalo" / area_id
        for ann, _ap, _slots in sorted(playing, key=lambda x: rundown.play_order_key(x[0].priority, x[0].id)):
            if "zalo" not in ann.channels:
                continue
            for r, res in ready(ann, area, "zalo"):
                lang = r.language
                place(r, res, "zalo", z_folder / f"{ann.id}-{lang}{mastering.PROFILES['zalo'].extension}",
                      area=area_id)
                text = zalo.zalo_message(ann.title, day, lang, r.text, station=ws.config.station)
                txt = z_folder / f"{ann.id}-{lang}.txt"
                _write_if_changed(txt, text.encode("utf-8"), report, folder)
                entries.append(_file_entry(folder, txt, kind="zalo-text", announcement=ann.id, language=lang,
                                           area=area_id, approved_text_sha256=r.text_sha256))

    # ---- CAP: one alert per announcement with the cap channel
    for ann, ap, _slots in scheduled:
        if "cap" not in ann.channels:
            continue
        infos = []
        for lang in ann.languages:
            r = renditions.get(f"{ann.id}/{lang}")
            res = results.get(f"{ann.id}/{lang}")
            if r is None or res is None:
                continue
            resources = []
            listed: set[str] = set()   # the same master under several names (areas, slots): once
            for e in entries:
                if e.get("kind") == "audio" and e["announcement"] == ann.id and e["language"] == lang:
                    if e["sha256"] in listed:
                        continue
                    listed.add(e["sha256"])
                    prof = mastering.PROFILES[e["profile"]]
                    resources.append(cap.CapResource(
                        description=f"{ann.title} ({language_name(lang)}, {prof.name})",
                        mime_type=prof.mime_type, size=e["size"], digest_sha1=sha1_file(folder / e["path"]),
                        uri=e["path"]))
            infos.append(cap.CapInfo(language=lang, headline=ann.title if lang == SOURCE_LANGUAGE else
                                     f"{ann.title} ({language_name(lang)})",
                                     description=r.text, resources=resources))
        if not infos:
            continue
        xml = cap.build_alert(
            identifier=f"{_slug_sender(ws)}-{ann.id}-{day.isoformat()}-{ap.sha256[:8]}",
            sender=ws.config.sender, sent=_sent_time(ws, ap), priority=ann.priority, category=ann.category,
            event=ann.title, expires=ann.expires, area_descs=[ws.config.areas[a].name for a in ann.areas],
            infos=infos, sender_name=ws.config.station)
        path = folder / "cap" / f"{ann.id}.xml"
        _write_if_changed(path, xml, report, folder)
        entries.append(_file_entry(folder, path, kind="cap", announcement=ann.id,
                                   approval=ap.as_dict()))
    return entries


def _slug_sender(ws: Workspace) -> str:
    return ws.config.sender.split("@")[0]


def _sent_time(ws: Workspace, approval: Approval) -> datetime:
    # The alert's <sent> is the approval time: stable across reruns, and honest about when the
    # content was cleared for release.
    return datetime.fromisoformat(approval.at).astimezone(ws.config.tz).replace(microsecond=0)


def _write_generated(folder: Path, dest_dir: Path, writer, names: tuple[str, ...],
                     report: ProduceReport) -> None:
    """Let a writer make files `names` in a scratch folder, then place each only if it differs."""
    scratch = folder / ".scratch" / dest_dir.name
    scratch.mkdir(parents=True, exist_ok=True)
    writer(scratch)
    for name in names:
        _write_if_changed(dest_dir / name, (scratch / name).read_bytes(), report, folder)
    shutil.rmtree(scratch, ignore_errors=True)


def _read_manifest(folder: Path) -> dict:
    try:
        return read_manifest_or_empty(folder)
    except ManifestError:
        return {}


def _remove_stale(folder: Path, old_manifest: dict, keep: set[str], report: ProduceReport) -> None:
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


def _cleanup_temp_files(folder: Path) -> None:
    """Temp files left by a run that was killed; never under a final name."""
    if not folder.is_dir():
        return
    for p in folder.rglob("*"):
        if p.is_file() and is_temp_name(p):
            p.unlink(missing_ok=True)
    shutil.rmtree(folder / ".scratch", ignore_errors=True)


# ---------------------------------------------------------------- verify


def verify(ws: Workspace, day: date) -> list[str]:
    """Files under the date folder that differ from the manifest (edited, missing, unlisted)."""
    folder = ws.output_dir / day.isoformat()
    manifest = _read_manifest(folder)
    if not manifest:
        return [f"{folder / MANIFEST_NAME}: no manifest"]
    problems: list[str] = []
    listed = set()
    for e in manifest.get("files", []):
        listed.add(e["path"])
        path = folder / e["path"]
        if not path.is_file():
            problems.append(f"{e['path']}: missing")
        elif sha256_file(path) != e["sha256"]:
            problems.append(f"{e['path']}: changed after production (sha256 differs from the manifest)")
    for p in folder.rglob("*"):
        rel = str(p.relative_to(folder))
        if p.is_file() and rel not in listed and p.name not in (MANIFEST_NAME, LOCK_NAME) \
                and not rel.startswith("check"):
            problems.append(f"{rel}: not in the manifest")
    return problems
