"""Terminal output: tables and progress on a terminal, plain lines in CI and pipes."""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path

import click
from rich.console import Console

# Off a terminal (pipes, CI, logs) tables are not squeezed into 80 columns.
console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def interactive() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


def show_path(path: Path | str | None) -> str:
    """A path relative to the current folder when it is below it: shorter messages."""
    if path is None:
        return ""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(p)


def error(message: str) -> None:
    click.echo(f"error: {message}", err=True)


def warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


@contextmanager
def progress(total: int, description: str):
    """Yield an `advance(label)` callable: a rich progress bar on a terminal, a plain line per
    item otherwise (CI logs stay readable)."""
    if interactive() and total > 1:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=err_console, transient=True) as bar:
            task = bar.add_task(description, total=total)

            def advance(label: str = "") -> None:
                bar.update(task, advance=1, description=f"{description} {label}".strip())

            yield advance
    else:
        done = [0]

        def advance(label: str = "") -> None:
            done[0] += 1
            click.echo(f"[{done[0]}/{total}] {label}".rstrip(), err=True)

        yield advance


@contextmanager
def deferred_progress(description: str):
    """Yield `start(total) -> advance` for a stage that learns how many items it has only once
    it runs: the bar opens when `start` is called (if ever) and closes when the block ends."""
    with ExitStack() as stack:
        yield lambda total: stack.enter_context(progress(total, description))
