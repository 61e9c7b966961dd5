"""The `broadcast` command line: a thin shell over the library. Library errors become
one-line messages here and nowhere else.

Exit codes: 0 all done; 1 some items failed (the rest were done, each failure reported);
2 usage error (bad options, no workspace)."""

from __future__ import annotations

import functools
from pathlib import Path

import click

from broadcast import __version__
from broadcast.core.config import CONFIG_NAME, CONFIG_TEMPLATE, DEFAULT_PATHS, Workspace, load_workspace
from broadcast.core.errors import BroadcastError, WorkspaceError
from broadcast.cli.ui import console, error, show_path

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2


class PartialFailure(Exception):
    """Some items failed; each was already reported."""


def _format_problem(problem) -> str:
    from dataclasses import replace

    return str(replace(problem, path=show_path(problem.path) if problem.path is not None else None))


def report(exc: BroadcastError) -> None:
    for p in exc.problems:
        error(_format_problem(p))


def local_time(ws: Workspace, iso: str) -> str:
    """An audit-log time (UTC) as the commune reads it: local date and time with its offset."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(iso).astimezone(ws.config.tz).strftime("%Y-%m-%d %H:%M %z")
    except ValueError:
        return iso


def pass_workspace(fn):
    """Give the command the workspace found from --workspace, $BROADCAST_HOME or the folders above."""

    @click.pass_context
    @functools.wraps(fn)
    def wrapper(ctx: click.Context, *args, **kwargs):
        ws = ctx.obj.get("workspace") if ctx.obj else None
        if ws is None:
            ws = load_workspace(ctx.obj.get("workspace_arg") if ctx.obj else None)
            ctx.obj["workspace"] = ws
        return fn(ws, *args, **kwargs)

    return wrapper


class BroadcastGroup(click.Group):
    """Turns library errors into messages and exit codes, for the console script and for
    CliRunner alike."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except PartialFailure:
            ctx.exit(EXIT_PARTIAL)
        except WorkspaceError as exc:
            report(exc)
            ctx.exit(EXIT_USAGE)
        except BroadcastError as exc:
            report(exc)
            ctx.exit(EXIT_PARTIAL)


@click.group(cls=BroadcastGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--workspace", "-w", "workspace_arg", type=click.Path(file_okay=False, path_type=Path),
              envvar=None, help="Workspace folder (default: $BROADCAST_HOME, else the nearest folder "
              "upwards holding broadcast.toml).")
@click.version_option(__version__, prog_name="broadcast")
@click.pass_context
def cli(ctx: click.Context, workspace_arg: Path | None) -> None:
    """Turn approved commune announcements into loudspeaker and Zalo audio, and citizens'
    voice feedback into a review queue — offline, on one PC.

    \b
    Typical day:
      broadcast validate                 check the announcement files
      broadcast approve FILE --by NAME   record the leadership's approval
      broadcast produce                  make today's audio, run sheets and messages
      broadcast status                   what is draft, approved, changed, produced
    """
    ctx.ensure_object(dict)
    ctx.obj["workspace_arg"] = workspace_arg


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--name", default="Xã Mới", show_default=True, help="Commune name for broadcast.toml.")
def init(directory: Path, name: str) -> None:
    """Create a workspace in DIRECTORY: broadcast.toml and the folders announcements/,
    translations/, voices/, feedback/, output/."""
    from broadcast.speech.voices import install_default_voices

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


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@pass_workspace
def validate(ws: Workspace, paths: tuple[Path, ...]) -> None:
    """Check announcement files (default: the workspace's announcements folder).

    Every problem is reported with file, line and field. Exit 1 if any file is invalid."""
    from broadcast.intake.announcements import load_announcements

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


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--by", "by", required=True, help="Name of the person approving (recorded in the audit log).")
@pass_workspace
def approve(ws: Workspace, files: tuple[Path, ...], by: str) -> None:
    """Record approval of the exact content of each FILE (or every file in a folder).

    The sha256 of the canonical content is written to the workspace's append-only audit log;
    any later edit makes the file 'changed-since-approval' until it is approved again."""
    from broadcast.core import db
    from broadcast.intake.announcements import announcement_files
    from broadcast.intake.approval import approve as approve_one
    from broadcast.intake.approval import load_for_approval

    failed = 0
    paths = announcement_files(list(files))
    if not paths:
        raise BroadcastError("no announcement files (*.md) here", ", ".join(map(str, files)),
                             hint="give the announcement files, or the folder holding them")
    conn = db.connect(ws.db_path)
    for path in paths:
        try:
            ann = load_for_approval(path, ws)
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


@cli.command()
@pass_workspace
def status(ws: Workspace) -> None:
    """Each announcement: draft / approved / changed-since-approval / produced, with who
    approved it and when."""
    from rich.table import Table

    from broadcast.core import db
    from broadcast.intake.approval import states
    from broadcast.produce.status import produced_ids, translation_summary

    conn = db.connect(ws.db_path)
    rows = states(ws, conn, produced_ids=produced_ids(ws))
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


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="broadcast")


# Modules that add commands to `cli`; each has `register(cli)`. Imported lazily by name so
# that `broadcast --help` stays fast and one stage's heavy imports do not load for another.
COMMAND_MODULES: list[str] = ["broadcast.cli.produce", "broadcast.cli.translations", "broadcast.cli.review", "broadcast.cli.review_cases", "broadcast.cli.voices", "broadcast.cli.web", "broadcast.cli.check", "broadcast.cli.play"]


def _register_subcommands() -> None:
    import importlib

    for module in COMMAND_MODULES:
        importlib.import_module(module).register(cli)


_register_subcommands()
