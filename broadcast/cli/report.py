"""`broadcast report`: reports for the province. `report aired` is the as-run report; other
modules add their reports to the group with `report.add_command(...)`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from broadcast.cli.root import PartialFailure, pass_workspace
from broadcast.cli.ui import error, show_path
from broadcast.core.config import Workspace
from broadcast.core import db
from broadcast.core.fsutil import atomic_write_text
from broadcast.playout.report import build_report, month_days, to_csv, to_html
from broadcast.playout.runs import check_names
from broadcast.playout import runsheet


@click.group()
def report() -> None:
    """Reports: what was aired (`report aired`), as CSV or HTML that prints on A4."""


@report.command()
@click.option("--date", "day", metavar="YYYY-MM-DD", help="One broadcast date.")
@click.option("--month", metavar="YYYY-MM", help="A whole month (the monthly report to the province).")
@click.option("--area", metavar="AREA", help="Only this area (default: all).")
@click.option("--format", "fmt", type=click.Choice(["csv", "html", "runsheet"]), default="csv", show_default=True,
              help="CSV for a spreadsheet (UTF-8 with BOM), HTML to print on A4, or runsheet: the day's run "
              "sheet for --area with what aired marked (needs --date and --area).")
@click.option("--output", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report to this file (default: standard output).")
@pass_workspace
def aired(ws: Workspace, day: str | None, month: str | None, area: str | None, fmt: str, out: Path | None) -> None:
    """What went on air: every attempt (with the file's sha256), totals per announcement and per
    area (plays, minutes), missed slots (scheduled but not aired), and emergency response times
    (approval → first airing). Exit 1 if the as-run log was changed outside broadcast."""

    if bool(day) == bool(month):
        raise click.UsageError("give --date YYYY-MM-DD or --month YYYY-MM")
    if day:
        try:
            days = [date.fromisoformat(day)]
        except ValueError:
            raise click.BadParameter(f"{day!r} is not a date; write it as YYYY-MM-DD", param_hint="--date") from None
    else:
        days = month_days(month)
    if area:
        check_names(ws, area=area)
    conn = db.connect(ws.db_path)
    if fmt == "runsheet":
        if not (day and area):
            raise click.UsageError("--format runsheet needs --date and --area")
        text = runsheet.render(ws, conn, days[0], area)
        if out is None:
            click.echo(text, nl=False)
        else:
            atomic_write_text(out, text)
            click.echo(f"wrote {show_path(out)}", err=True)
        return
    rep = build_report(ws, conn, days, period=day or month, area=area)
    text = to_csv(rep) if fmt == "csv" else to_html(rep, ws)
    if out is None:
        click.echo(text, nl=False)
    else:
        atomic_write_text(out, text)
        click.echo(f"wrote {show_path(out)}: {len(rep.attempts)} attempts, {len(rep.missed)} missed slots", err=True)
    if rep.broken_chain:
        error(f"{show_path(ws.db_path)}: as-run log rows {', '.join(map(str, rep.broken_chain))} do not match "
              "their hash (changed outside broadcast)")
        raise PartialFailure()


def register(cli: click.Group) -> None:
    cli.add_command(report)
