"""`broadcast transcribe` and `broadcast review …`: a thin shell over transcribe.py and queue.py."""

from __future__ import annotations

import os
import time
from pathlib import Path

import click

from broadcast.cli.root import PartialFailure, local_time, pass_workspace, report
from broadcast.core.config import ID_RE, Workspace
from broadcast.cli.root import device_option, executor_options
from broadcast.cli.ui import console, progress, show_path, warn
from broadcast.web.text import one_line
from broadcast.core.pg import connect_queue
from broadcast.feedback import cases, queue
from broadcast.feedback.cases import Cases, admit, reply_approval
from broadcast.feedback.export import csv_text
from broadcast.feedback.models import STATUSES
from broadcast.feedback.queue import get_item, iter_all, list_items, parse_date, tag_item
from broadcast.executors import executor_spec
from broadcast.feedback.audio import collect_files
from broadcast.feedback.ingest import Events, IngestSettings, ingest
from broadcast.transcription.pool import EngineSpec, available_cores
from broadcast.transcription.transcribe import (FEEDBACK_ENCODER_MARGIN, TranscribeOptions, check_language,
                                                resolve_device)

# Long recordings print where they are at most this often (seconds of wall time).
PROGRESS_EVERY = 15.0
LONG_RECORDING = 120.0


def _fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def _one_line(text: str, width: int = 70) -> str:
    text = one_line(" ".join(text.split()))
    return text if len(text) <= width else text[: width - 1] + "…"


def _default_reviewer() -> str:
    return os.environ.get("BROADCAST_REVIEWER") or os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--backend", type=click.Choice(["faster-whisper", "openai-whisper"]), default="faster-whisper",
              show_default=True, help="Speech recogniser: faster-whisper (int8, fast) or openai-whisper "
              "(float32, same weights, needs the [openai-whisper] extra).")
@click.option("--model", "model", metavar="M", default=None,
              help="Whisper model: a CTranslate2 model folder, or a name faster-whisper downloads when "
              "online (e.g. small). Default: the packaged multilingual base model, offline.")
@click.option("--language", "language", metavar="L", default=None,
              help="Language spoken (Whisper code, e.g. vi, km, zh) or 'auto'. Default: [feedback] "
              "language in broadcast.toml, else vi.")
@click.option("--announcement", "announcement", metavar="ID", default=None,
              help="Announcement these recordings answer (its id).")
@click.option("--area", "area", metavar="A", default=None, help="Area the recordings come from (id from broadcast.toml).")
@click.option("--jobs", "-j", "jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="Recordings transcribed at once here, each in a worker process holding the model "
              "(~0.4 GB for base) on one CPU thread; 1: in this process, on every core. Queued in input "
              "order, with the same transcripts whatever N. Default: the number of cores.")
@click.option("--full-window", is_flag=True,
              help="Encode every recording in Whisper's full 30 s window, the setting it was trained "
              f"on (about 3x the CPU on voice notes). Default: a short recording is encoded as its "
              f"speech plus {FEEDBACK_ENCODER_MARGIN:g} s, at the same accuracy on the benchmark sets.")
@click.option("--compute-type", default=None, hidden=True, help="CTranslate2 compute type (default int8).")
@executor_options("recordings are transcribed (on Ray, each actor loads the model once)")
@device_option
@pass_workspace
def transcribe(ws: Workspace, paths: tuple[Path, ...], backend: str, model: str | None, language: str | None,
               announcement: str | None, area: str | None, jobs: int | None, full_window: bool,
               compute_type: str | None, executor: str | None, ray_address: str | None, device: str) -> None:
    """Transcribe citizens' voice feedback (files or folders) into the review queue.

    Reads wav, mp3, m4a/aac, ogg/opus, webm, amr — anything ffmpeg decodes. Each recording is
    identified by its sha256: one already queued is skipped. The original is copied into
    feedback/store/. A file that cannot be read (or that crashes its worker) is reported and
    the rest go on (exit 1)."""

    if area is not None and area not in ws.config.areas:
        raise click.BadParameter(f"unknown area {area!r}; known: {', '.join(ws.config.areas)}", param_hint="--area")
    if announcement is not None and not ID_RE.match(announcement):
        raise click.BadParameter("announcement ids use only a-z, 0-9 and '-'", param_hint="--announcement")
    configured = ws.config.section("feedback").get("language", "vi")
    options = TranscribeOptions(language=check_language(language or str(configured)),
                                encoder_margin=None if full_window else FEEDBACK_ENCODER_MARGIN)
    spec = executor_spec(ws, executor, ray_address)
    if spec.kind == "local":
        device = resolve_device(device, backend)   # --device cuda without a GPU stops here, before any work

    files, missing = collect_files(list(paths))
    for exc in missing:
        report(exc)
    if not files:
        if not missing:
            warn("no audio files found")
        if missing:
            raise PartialFailure()
        return
    settings = IngestSettings(EngineSpec(backend, model, compute_type, device), options,
                              jobs or available_cores(), announcement, area)

    def added(path: Path, item) -> None:
        text = _one_line(item.transcript) if item.transcript else "(no speech)"
        console.print(f"#{item.id}  {show_path(path)}  {_fmt_duration(item.duration)}  {text}", markup=False)

    def skipped(path: Path, item) -> None:
        console.print(f"skipped  {show_path(path)}: already queued as #{item.id}")

    with progress(len(files), "transcribing") as advance:
        result = ingest(ws, files, settings, spec, Events(
            added=added, skipped=skipped, failed=report, progress=_progress_printer(),
            done=lambda path: advance(path.name)))
    failed = result.failed + len(missing)
    console.print(f"{result.added} added, {result.skipped} already queued, {failed} failed")
    if result.added:       # due dates, the caller's number, the suggested announcement: at once
        _conn(ws).close()
    if failed:
        raise PartialFailure()


def _progress_printer():
    """Where each long recording is, every PROGRESS_EVERY seconds (short ones stay quiet)."""
    last: dict[Path, float] = {}

    def show(path: Path, done: float, total: float | None) -> None:
        now = time.monotonic()
        if (total or 0) < LONG_RECORDING or now - last.setdefault(path, now) < PROGRESS_EVERY:
            return
        last[path] = now
        pct = f" ({100 * done / total:.0f}%)" if total else ""
        click.echo(f"  {show_path(path)}: {_fmt_duration(done)} of {_fmt_duration(total)}{pct}", err=True)

    return show


# ---------------------------------------------------------------------------------------------- review

def _filters(fn):
    fn = click.option("--status", "status", multiple=True, type=click.Choice(STATUSES),
                      help="Only items in this status (repeat for several).")(fn)
    fn = click.option("--area", default=None, help="Only items from this area.")(fn)
    fn = click.option("--announcement", default=None, metavar="ID", help="Only items about this announcement.")(fn)
    fn = click.option("--tag", default=None, help="Only items carrying this tag.")(fn)
    fn = click.option("--date", "date_range", default=None, metavar="D|FROM..TO",
                      help="Only items received on this date (YYYY-MM-DD) or in this range (inclusive).")(fn)
    fn = click.option("--unit", default=None, metavar="U", help="Only items assigned to this unit (its id).")(fn)
    fn = click.option("--category", default=None, metavar="C", help="Only items in this category (its id).")(fn)
    fn = click.option("--due-before", "due_before", default=None, metavar="DATE",
                      help="Only items due before DATE (YYYY-MM-DD; due on DATE is not before it).")(fn)
    fn = click.option("--overdue", is_flag=True,
                      help="Only open items (new, assigned) whose due date has passed (on --as-of).")(fn)
    fn = click.option("--as-of", "as_of", default=None, metavar="DATE",
                      help="The day --overdue is judged on (YYYY-MM-DD; default: today).")(fn)
    return fn


def _filter_args(ws: Workspace, status, area, announcement, tag, date_range, unit=None, category=None,
                 due_before=None, overdue=False, as_of=None) -> dict:

    date_from = date_to = None
    if date_range:
        if ".." in date_range:
            date_from, date_to = (x.strip() or None for x in date_range.split("..", 1))
        else:
            date_from = date_to = date_range.strip()
    overdue_on = (as_of or Cases.of(ws).today().isoformat()) if overdue else None
    if as_of and not overdue:
        raise click.BadParameter("--as-of goes with --overdue", param_hint="--as-of")
    return dict(status=list(status) or None, area=area, announcement=announcement, tag=tag,
                date_from=date_from, date_to=date_to, unit=unit, category=category, due_before=due_before,
                overdue_on=overdue_on)


def _conn(ws: Workspace):
    """The queue, with the items received since it was last opened given their due dates (and
    the caller's number and suggested announcement): `cases.admit`."""

    conn = connect_queue(ws)
    admit(conn, Cases.of(ws))
    return conn


@click.group()
def review() -> None:
    """Work through the feedback queue as cases: list, show, assign to a unit, reply, correct,
    close, dismiss, tag, group near-duplicates, link to announcements, export."""


@review.command("list")
@_filters
@click.option("--sort", "sort", type=click.Choice(["received", "due"]), default="received", show_default=True,
              help="Order: oldest received first, or earliest due date first.")
@click.option("--limit", default=50, show_default=True, help="Items per page.")
@click.option("--offset", default=0, show_default=True, help="Items to skip (for the next page).")
@pass_workspace
def list_cmd(ws: Workspace, status, area, announcement, tag, date_range, unit, category, due_before, overdue,
             as_of, sort: str, limit: int, offset: int) -> None:
    """One item per line, its id first: id, status, received, due date (with '!' when overdue),
    unit, category, duration, area, announcement, tags, file, transcript."""

    cases = Cases.of(ws)
    page = list_items(_conn(ws), **_filter_args(ws, status, area, announcement, tag, date_range, unit, category,
                                                due_before, overdue, as_of),
                      limit=limit, offset=offset, order=sort)
    judged_on = parse_date(as_of) if as_of else None
    for it in page.items:
        tags = f"[{','.join(it.tags)}]" if it.tags else "-"
        text = _one_line(it.best_transcript, 60) if it.best_transcript else "(no speech)"
        due = (it.due_date or "-") + ("!" if cases.is_overdue(it, judged_on) else "")
        click.echo(f"{it.id}\t{it.status}\t{it.received_at[:16].replace('T', ' ')}\t{due}\t{it.unit or '-'}\t"
                   f"{it.category or '-'}\t{_fmt_duration(it.duration)}\t{it.area or '-'}\t"
                   f"{it.announcement_id or '-'}\t{one_line(tags)}\t{one_line(it.source_name)}\t{text}")
    shown_to = page.offset + len(page.items)
    more = f"; next page: --offset {shown_to}" if shown_to < page.total else ""
    click.echo(f"{len(page.items)} of {page.total} item(s){more}", err=True)


@review.command()
@click.argument("item_id", type=int)
@pass_workspace
def show(ws: Workspace, item_id: int) -> None:
    """Everything about one item: metadata, case (unit, category, due date, reply, history),
    transcript, correction, segments."""

    cases = Cases.of(ws)
    conn = _conn(ws)
    it = get_item(conn, item_id)
    overdue = "  OVERDUE" if cases.is_overdue(it) else ""
    suggested = (f"    suggested: {it.suggested_announcement} (score {it.suggestion_score:.2f}; "
                 f"confirm with `broadcast review link {it.id}`)"
                 if it.suggested_announcement and it.announcement_id is None else "")
    group = f"group #{it.group_id}" if it.group_id is not None else "-"
    lines = [
        f"#{it.id}  {it.status}  (version {it.version})",
        f"file:         {it.source_name}  ({_fmt_duration(it.duration)}, sha256 {it.sha256[:12]})",
        f"stored:       {show_path(ws.feedback_dir / it.stored_path)}",
        f"received:     {local_time(ws, it.received_at)}",
        f"due:          {it.due_date or '-'}{overdue}",
        f"unit:         {it.unit or '-'}  {cases.unit_name(it.unit)}",
        f"category:     {it.category or '-'}  {cases.category_name(it.category)}",
        f"contact:      {it.contact or '-'}",
        f"language:     {it.language or '?'}    model: {it.backend} {it.model}",
        f"area:         {it.area or '-'}    announcement: {it.announcement_id or '-'}{suggested}",
        f"tags:         {', '.join(it.tags) or '-'}    duplicates: {group}",
        f"reviewer:     {it.reviewer or '-'}    updated: {local_time(ws, it.updated_at)}",
        f"note:         {it.note or '-'}",
    ]
    if it.reply_text is not None:
        approval = reply_approval(conn, it)
        approved = f"approved by {approval['by']} at {local_time(ws, approval['at'])}" if approval else "not approved"
        lines += [f"reply:        by {it.reply_by} at {local_time(ws, it.reply_at)}  ({approved})", f"  {it.reply_text}"]
        if it.reply_audio:
            lines.append(f"voice reply:  {show_path(ws.feedback_dir / it.reply_audio)}")
    if it.closed_at:
        lines.append(f"closed:       {local_time(ws, it.closed_at)}")
    if it.assignments:
        lines.append("assignments:")
        for a in it.assignments:
            lines.append(f"  {local_time(ws, a['at'])}  {a['actor']}: {a['unit'] or '-'} / {a['category'] or '-'}, "
                         f"due {a['due_date'] or '-'}" + (f"  ({a['note']})" if a["note"] else ""))
    lines += ["transcript:", f"  {it.transcript or '(no speech)'}"]
    if it.corrected_transcript is not None:
        lines += ["corrected:", f"  {it.corrected_transcript}"]
    lines.append("segments:")
    for s in it.segments:
        mark = f"  (dropped: {s['dropped']})" if s.get("dropped") else ""
        lines.append(f"  {s['start']:7.2f}–{s['end']:7.2f}  logp {s['avg_logprob']:.2f}  "
                     f"nospeech {s['no_speech_prob']:.2f}  {s['text']}{mark}")
    click.echo("\n".join(lines))


@review.command()
@click.argument("item_id", type=int)
@click.argument("tags", nargs=-1, required=True)
@click.option("--remove", "remove", is_flag=True, help="Remove these tags instead of adding them.")
@click.option("--by", "by", default=None, help="Reviewer name (default: $BROADCAST_REVIEWER or $USER).")
@pass_workspace
def tag(ws: Workspace, item_id: int, tags: tuple[str, ...], remove: bool, by: str | None) -> None:
    """Add TAGS to an item (or remove them with --remove)."""

    conn = _conn(ws)
    who = by or get_item(conn, item_id).reviewer or _default_reviewer()
    it = tag_item(conn, item_id, [] if remove else list(tags), remove=list(tags) if remove else [],
                  reviewer=who)
    click.echo(f"#{it.id}  tags: {', '.join(it.tags) or '-'}")


def _closing(status: str):
    @click.argument("item_id", type=int)
    @click.option("--note", default=None, help="What was done or why (kept with the item).")
    @click.option("--by", "by", default=None, help="Reviewer name (default: $BROADCAST_REVIEWER or $USER).")
    @click.option("--on", "on", default=None, metavar="DATE", hidden=status != "closed",
                  help="The day it was closed, when recorded afterwards (YYYY-MM-DD; default: now).")
    @pass_workspace
    def command(ws: Workspace, item_id: int, note: str | None, by: str | None, on: str | None) -> None:
        conn = _conn(ws)
        who = by or queue.get_item(conn, item_id).reviewer or _default_reviewer()
        if status == "closed":
            it = cases.close(conn, cases.Cases.of(ws), item_id, by=who, note=note,
                             on=queue.parse_date(on) if on else None)
        else:
            if on:
                raise click.BadParameter("--on goes with close", param_hint="--on")
            it = cases.dismiss(conn, item_id, by=who, note=note)
        click.echo(f"#{it.id}  {it.status}  by {it.reviewer}" + (f": {it.note}" if it.note else ""))

    return command


review.command("close", help="Close a case: answered, or handled without a written reply (say how in --note).")(
    _closing("closed"))
review.command("resolve", help="Close a case (the older name of `close`), with an optional --note.")(
    _closing("closed"))
review.command("dismiss", help="Mark an item dismissed (no action needed: noise, duplicate, test), "
               "with an optional --note.")(_closing("dismissed"))


@review.command()
@_filters
@click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True, help="Output format.")
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to FILE (default: standard output).")
@click.option("--redact", is_flag=True, help="Mask phone numbers and ID numbers (CCCD, CMND) in the text, "
              "and the citizen's contact.")
@pass_workspace
def export(ws: Workspace, status, area, announcement, tag, date_range, unit, category, due_before, overdue, as_of,
           fmt: str, output: Path | None, redact: bool) -> None:
    """Export the queue (filtered like `list`) as CSV: UTF-8 with BOM, so Excel shows
    Vietnamese correctly; columns include the file name, the transcript and the case."""

    filters = _filter_args(ws, status, area, announcement, tag, date_range, unit, category, due_before, overdue,
                           as_of)
    text = csv_text(iter_all(_conn(ws), **filters), redacted=redact)
    if output is None:
        click.get_binary_stream("stdout").write(text.encode("utf-8"))
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.part")
    tmp.write_bytes(text.encode("utf-8"))
    os.replace(tmp, output)
    click.echo(f"wrote {show_path(output)} ({text.count(chr(10)) - 1} item(s))", err=True)


def register(cli: click.Group) -> None:
    cli.add_command(transcribe)
    cli.add_command(review)
