"""`broadcast report feedback`: the monthly feedback report, added to the `report` group."""

from __future__ import annotations

from pathlib import Path

import click

from broadcast.cli.report import report
from broadcast.cli.review import _conn
from broadcast.cli.root import pass_workspace
from broadcast.cli.ui import show_path
from broadcast.core.config import Workspace
from broadcast.core.fsutil import atomic_write_text
from broadcast.feedback.cases import Cases
from broadcast.feedback.queue import parse_date
from broadcast.feedback.report import monthly_report, report_csv, report_html


@report.command("feedback")
@click.option("--month", required=True, metavar="YYYY-MM", help="The month whose feedback is counted.")
@click.option("--as-of", "as_of", default=None, metavar="DATE",
              help="The day the cases are judged on (YYYY-MM-DD; default: the month's last day, or today "
              "while the month runs).")
@click.option("--format", "fmt", type=click.Choice(["csv", "html"]), default="csv", show_default=True,
              help="CSV for a spreadsheet (UTF-8 with BOM), or HTML to print on A4.")
@click.option("--output", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report to this file (default: standard output).")
@pass_workspace
def feedback(ws: Workspace, month: str, as_of: str | None, fmt: str, out: Path | None) -> None:
    """Citizens' feedback received in a month: answered on time, answered late, open within
    the deadline, overdue, dismissed — by category, unit and area — then the items overdue
    (those carried over from earlier months too). Transcripts are redacted."""

    cases = Cases.of(ws)
    rep = monthly_report(_conn(ws), cases, month, as_of=parse_date(as_of) if as_of else None)
    if fmt == "csv":
        text = report_csv(rep)
    else:
        text = report_html(rep, generated=cases.now().strftime("%d/%m/%Y %H:%M"))
    if out is None:
        click.get_binary_stream("stdout").write(text.encode("utf-8"))
        return
    atomic_write_text(out, text)
    click.echo(f"wrote {show_path(out)}: {rep.total.counts['received']} received in {rep.month}, "
               f"{len(rep.overdue)} overdue on {rep.as_of}", err=True)


def register(cli: click.Group) -> None:
    """The command attaches to the `report` group when this module is imported."""
