"""`broadcast backup` and `broadcast restore`: copies of the workspace database (the audit log,
the review queue, the as-run log), made with SQLite's online backup API so they are consistent
even while other commands write."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import click

from broadcast.cli.root import pass_workspace
from broadcast.cli.ui import console, show_path
from broadcast.core import backup as backups
from broadcast.core.config import Workspace


@click.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@pass_workspace
def backup(ws: Workspace, file: Path | None) -> None:
    """Copy the workspace database to FILE (default: state/backups/broadcast-<time>.db).

    Keep copies off the PC (a USB stick): `broadcast restore FILE` puts one back if the
    database is lost or damaged. The copy is checked (audit log hash chain) before it is kept."""
    if file is None:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        file = ws.state_dir / "backups" / f"broadcast-{stamp}.db"
    info = backups.backup(ws.db_path, file)
    console.print(f"backed up {show_path(ws.db_path)} to {show_path(file)}: {info.entries} audit-log entries, "
                  f"last {info.head_code or '(none)'}")


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Restore even if the copy lacks audit-log entries the current database holds (they are lost).")
@pass_workspace
def restore(ws: Workspace, file: Path, force: bool) -> None:
    """Put back the database from FILE, a copy made with `broadcast backup`.

    The copy is checked first (a SQLite file with an intact audit log). The current database is
    kept beside it in state/backups/ before it is replaced. A copy older than the current
    database is refused unless --force, because the entries after it would be lost."""
    info, kept = backups.restore(ws.db_path, file, force=force, actor=os.environ.get("USER", "broadcast"))
    if kept is not None:
        console.print(f"the previous database is kept as {show_path(kept)}")
    console.print(f"restored {show_path(ws.db_path)} from {show_path(file)}: {info.entries} audit-log entries, "
                  f"last {info.head_code or '(none)'}; run `broadcast verify --all` to check the output against it")


def register(cli: click.Group) -> None:
    cli.add_command(backup)
    cli.add_command(restore)
