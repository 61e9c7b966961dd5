"""The intake commands: `init`, `validate`, `approve`, `status`."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from broadcast.cli.preview import print_preview, voice_line
from broadcast.cli.root import PartialFailure, local_time, pass_workspace, report
from broadcast.cli.ui import console, error, show_path, warn
from broadcast.core import audit, db
from broadcast.core.config import CONFIG_NAME, CONFIG_TEMPLATE, DEFAULT_PATHS, Workspace
from broadcast.core.errors import BroadcastError
from broadcast.intake.announcements import announcement_files, load_announcements
from broadcast.intake.approval import approve as approve_one
from broadcast.intake.approval import load_for_approval, states
from broadcast.produce.integrity import audit_problems, require_intact_audit_log
from broadcast.produce.status import produced_ids, translation_summary
from broadcast.speech.preview import Preview, VoiceChoice, choose_voice, spoken_sentences
from broadcast.speech.voices import install_default_voices


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--name", default="Xã Mới", show_default=True, help="Commune name for broadcast.toml.")
def init(directory: Path, name: str) -> None:
    """Create a workspace in DIRECTORY: broadcast.toml and the folders announcements/,
    translations/, voices/, feedback/, output/."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / CONFIG_NAME
    if config.exists():
        console.print(f"{show_path(config)} already exists; left unchanged")
    else:
        config.write_text(CONFIG_TEMPLATE.format(name=name), encoding="utf-8")
        console.print(f"created {show_path(config)}")
    for key, folder in DEFAULT_PATHS.items():
        if key != "state":
            (directory / folder).mkdir(exist_ok=True)
    copied = install_default_voices(directory / DEFAULT_PATHS["voices"])
    if copied:
        console.print(f"installed default voices: {', '.join(copied)}")
    console.print(f"workspace ready in {show_path(directory) or '.'}; "
                  f"edit {CONFIG_NAME} to name your areas and slots")


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@pass_workspace
def validate(ws: Workspace, paths: tuple[Path, ...]) -> None:
    """Check announcement files (default: the workspace's announcements folder).

    Every problem is reported with file, line and field. Exit 1 if any file is invalid."""
    targets = list(paths) or [ws.announcements_dir]
    missing = [p for p in targets if not p.exists()]
    for p in missing:
        error(f"{show_path(p)}: no such file or folder")
    good, bad = load_announcements([p for p in targets if p.exists()], ws.config)
    for ann in good:
        console.print(f"ok  {show_path(ann.path)}  ({ann.id})")
    for exc in bad:
        report(exc)
    console.print(f"{len(good)} valid, {len(bad) + len(missing)} invalid")
    if bad or missing:
        raise PartialFailure()


def _show_spoken(ws: Workspace, ann, full: bool) -> None:
    """Before an approval: the sentences holding numbers, dates, codes or abbreviations as the
    voice will read them (`full`: every sentence, and the voice)."""
    result = Preview("vi", spoken_sentences(ann.body, "vi"), VoiceChoice("vi"))
    if full:
        try:
            console.print(f"{ann.id}: {ann.title} — read by {voice_line(choose_voice(ws, 'vi'), ann.id)}", markup=False)
        except BroadcastError as exc:
            report(exc)
    elif result.normalised:
        console.print(f"{ann.id}: read aloud as", markup=False)
    if not full and not result.normalised:
        console.print(f"{ann.id}: no numbers, dates, codes or abbreviations; read as written", markup=False)
        return
    print_preview(result, only_normalised=not full, indent="  ")


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--by", "by", required=True, help="Name of the person approving (recorded in the audit log).")
@click.option("--preview", "full_preview", is_flag=True,
              help="Show every sentence as the voice will read it, and the voice, then ask before recording "
              "each approval.")
@click.option("--yes", "-y", "yes", is_flag=True, help="With --preview: show, but do not ask.")
@pass_workspace
def approve(ws: Workspace, files: tuple[Path, ...], by: str, full_preview: bool, yes: bool) -> None:
    """Record approval of the exact content of each FILE (or every file in a folder).

    First shows how the sentences holding numbers, dates, codes or abbreviations will be read
    aloud (`broadcast preview ID` shows every sentence). The sha256 of the canonical content is
    written to the workspace's append-only audit log; any later edit makes the file
    'changed-since-approval' until it is approved again."""
    failed = 0
    paths = announcement_files(list(files))
    if not paths:
        raise BroadcastError("no announcement files (*.md) here", ", ".join(map(str, files)),
                             hint="give the announcement files, or the folder holding them")
    conn = db.connect(ws.db_path)
    # An approval written into a log that lost entries would start a new chain that the existing
    # output and run sheets cannot be traced to: restore the log first.
    require_intact_audit_log(ws, conn)
    for path in paths:
        try:
            ann = load_for_approval(path, ws)
            if audit.approval_for(conn, ann.id, ann.sha256) is None:
                _show_spoken(ws, ann, full_preview)
                if full_preview and not yes and not click.confirm(f"Approve {ann.id} as it will be read?"):
                    console.print(f"not approved  {ann.id}  (nothing recorded)")
                    failed += 1
                    continue
            approval, new = approve_one(conn, ann, by)
        except BroadcastError as exc:
            report(exc)
            failed += 1
            continue
        verb = "approved" if new else "already approved"
        console.print(f"{verb}  {ann.id}  by {approval.by} at {local_time(ws, approval.at)}  "
                      f"sha256 {ann.sha256[:12]}")
    if failed:
        raise PartialFailure()


@click.command()
@pass_workspace
def status(ws: Workspace) -> None:
    """Each announcement: draft / approved / changed-since-approval / produced, with who
    approved it and when."""
    conn = db.connect(ws.db_path)
    for problem in audit_problems(ws, conn):
        warn(f"{show_path(ws.db_path)}: {problem} — the states below cannot be trusted; "
             "restore the database (`broadcast restore FILE`)")
    rows = states(ws, conn, produced_ids=produced_ids(ws, conn))
    table = Table(show_edge=False, pad_edge=False)
    for col in ("id", "state", "approved by", "languages", "file"):
        table.add_column(col)
    for s in rows:
        if s.announcement is None:
            table.add_row("-", "[red]invalid[/red]", "", "", show_path(s.path))
            continue
        colour = {"draft": "yellow", "approved": "green", "produced": "cyan",
                  "changed-since-approval": "red"}.get(s.state, "white")
        who = f"{s.approval.by} {local_time(ws, s.approval.at)}" if s.approval else ""
        table.add_row(s.announcement.id, f"[{colour}]{s.state}[/{colour}]", who,
                      translation_summary(ws, conn, s.announcement), show_path(s.path))
    console.print(table)
    counts: dict[str, int] = {}
    for s in rows:
        counts[s.state] = counts.get(s.state, 0) + 1
    console.print(", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "no announcements")
    for s in rows:
        if s.error is not None:
            report(s.error)


def register(cli: click.Group) -> None:
    for command in (init, validate, approve, status):
        cli.add_command(command)
