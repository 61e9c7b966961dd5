"""The `broadcast` command line: a thin shell over the library. Library errors become
one-line messages here and nowhere else.

Exit codes: 0 all done; 1 some items failed (the rest were done, each failure reported);
2 usage error (bad options, no workspace)."""

from __future__ import annotations

import errno
import functools
import importlib
import os
import sqlite3
import traceback
from dataclasses import replace
from datetime import date
from pathlib import Path

import click

from broadcast import __version__
from broadcast.cli.ui import error, show_path
from broadcast.core.config import Workspace, load_workspace
from broadcast.core.display import local_time as show_local_time
from broadcast.core.errors import OS_ERROR_HINTS, BroadcastError, WorkspaceError, os_error_hint

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2


class PartialFailure(Exception):
    """Some items failed; each was already reported."""


def _format_problem(problem) -> str:
    return str(replace(problem, path=show_path(problem.path) if problem.path is not None else None))


def report(exc: BroadcastError) -> None:
    for p in exc.problems:
        error(_format_problem(p))


def local_time(ws: Workspace, iso: str) -> str:
    """An audit-log time (UTC) as the commune reads it: local date and time with its offset."""
    return show_local_time(iso, ws.config.tz)


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


def os_error_message(exc: OSError) -> str:
    """One line: the file, what happened, what to do."""
    where = exc.filename if exc.filename is not None else "(file unknown)"
    if exc.filename2 is not None:
        where = f"{exc.filename} → {exc.filename2}"
    what = exc.strerror or str(exc)
    hint = os_error_hint(exc)
    return f"{show_path(where) if isinstance(where, (str, Path)) else where}: {what} — {hint}"


def sqlite_error_message(exc: sqlite3.Error, db_path: Path | None) -> str:
    where = show_path(db_path) if db_path else "the workspace database"
    text = str(exc)
    if "not a database" in text or "malformed" in text or "file is encrypted" in text:
        hint = ("the database is corrupt: restore it from a copy made with `broadcast backup` "
                "(`broadcast restore FILE`)")
    elif "full" in text:
        hint = OS_ERROR_HINTS[errno.ENOSPC]
    elif "readonly" in text or "read-only" in text:
        hint = "the database cannot be written: check its owner and mode, and `lsattr` (`chattr -i`)"
    elif "locked" in text or "busy" in text:
        hint = "another broadcast command holds the database: wait for it, then run again"
    elif "unable to open" in text:
        hint = "check that state/ exists and can be written"
    else:
        hint = "check the file and the disk; `broadcast restore FILE` puts back a copy made with `broadcast backup`"
    return f"{where}: database error: {text} — {hint}"


# Each command name → the modules that make it (each module's `register(cli)` adds its
# commands; later modules add subcommands to a group the first one made). Loaded by name when
# the command is used, so one command's libraries (Whisper, the web server, Ray) never load for
# another. A new command module adds its line here.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "init": ("broadcast.cli.intake",),
    "validate": ("broadcast.cli.intake",),
    "approve": ("broadcast.cli.intake",),
    "status": ("broadcast.cli.intake",),
    "backup": ("broadcast.cli.backup",),
    "restore": ("broadcast.cli.backup",),
    "produce": ("broadcast.cli.produce",),
    "verify": ("broadcast.cli.produce",),
    "check": ("broadcast.cli.check",),
    "voices": ("broadcast.cli.voices",),
    "translate": ("broadcast.cli.translations",),
    "translations": ("broadcast.cli.translations",),
    "transcribe": ("broadcast.cli.review",),
    "review": ("broadcast.cli.review", "broadcast.cli.review_cases", "broadcast.cli.web"),
    "serve": ("broadcast.cli.review", "broadcast.cli.web"),
    "play": ("broadcast.cli.play",),
    "report": ("broadcast.cli.report", "broadcast.cli.report_feedback"),
    "record": ("broadcast.cli.record",),
    "preview": ("broadcast.cli.preview",),
}


class BroadcastGroup(click.Group):
    """Turns library errors into messages and exit codes, for the console script and for
    CliRunner alike: a project error as its file/what/fix line; an operating-system or database
    error as one line with the file and the fix; anything else as one line (BROADCAST_DEBUG=1
    shows the traceback). Never a traceback for an ordinary fault.

    Commands load on first use from COMMAND_MODULES."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMAND_MODULES))

    def get_command(self, ctx: click.Context, name: str):
        # Every module of the name, even when the command exists already: `transcribe` loads
        # broadcast.cli.review, which makes the `review` group that review_cases adds to.
        for module in COMMAND_MODULES.get(name, ()):
            if module not in self._registered:
                self._registered.add(module)
                importlib.import_module(module).register(self)
        return super().get_command(ctx, name)

    _registered: set[str] = set()

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except PartialFailure:
            ctx.exit(EXIT_PARTIAL)
        except WorkspaceError as exc:
            report(exc)
            ctx.exit(EXIT_USAGE)
        except BroadcastError as exc:
            report(exc)
            ctx.exit(EXIT_PARTIAL)
        except OSError as exc:
            self._debug()
            error(os_error_message(exc))
            ctx.exit(EXIT_PARTIAL)
        except sqlite3.Error as exc:
            self._debug()
            ws = (ctx.obj or {}).get("workspace")
            error(sqlite_error_message(exc, ws.db_path if ws is not None else None))
            ctx.exit(EXIT_PARTIAL)
        except Exception as exc:  # a bug: one line here, the traceback on request
            self._debug()
            error(f"unexpected {type(exc).__name__}: {exc} (a bug in broadcast; "
                  "set BROADCAST_DEBUG=1 for details and report it)")
            ctx.exit(EXIT_PARTIAL)

    @staticmethod
    def _debug() -> None:
        if os.environ.get("BROADCAST_DEBUG"):
            traceback.print_exc()


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


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="broadcast")


def parse_day(value: str | None) -> date | None:
    """A --date option's value (YYYY-MM-DD), or None when it was not given."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; write it as YYYY-MM-DD") from None


# ---------------------------------------------------------------- options shared by commands

def executor_options(what: str):
    """`--executor local|ray` and `--ray-address`; `what` says what runs where."""

    def decorate(fn):
        fn = click.option("--ray-address", metavar="ADDR", default=None,
                          help="Ray cluster to use with --executor ray (default: $RAY_ADDRESS, else a Ray "
                          "instance started on this PC).")(fn)
        return click.option("--executor", type=click.Choice(["local", "ray"]), default=None,
                            help=f"Where {what}: here, or on a Ray cluster (default: [cluster] executor in "
                            "broadcast.toml, else local).")(fn)

    return decorate


device_option = click.option(
    "--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
    help="Where the model runs: cpu (int8), cuda (an NVIDIA GPU, float16), or auto (cuda when usable). "
    "With --executor ray: the workers' device; cuda gives each actor one GPU.")
