"""The monthly feedback report: what was received in a month and how each case stood at the
end of it, by category, unit and area, then the items overdue on that day.

A case counts once, in one column (`cases.Cases.state_on`): answered on time (reply dated on
or before the due date), answered late, open within its deadline, overdue (open past it), or
dismissed. The report is taken as of the month's last day (today while the month runs, or any
`as_of`): an answer dated after that day did not exist yet, so a report printed again later
gives the same figures. The overdue list holds every item overdue on that day, those carried
over from earlier months included.

Two forms: CSV (UTF-8 with BOM and CRLF, cells made spreadsheet-safe, as the queue export) and
HTML that prints on A4 (templates/feedback_report.html). Transcripts are redacted; contacts are
left out."""

from __future__ import annotations

import calendar as month_calendar
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from broadcast.feedback.cases import Cases, admit
from broadcast.feedback.export import BOM, spreadsheet_safe
from broadcast.feedback.models import FeedbackItem, QueueError
from broadcast.feedback.queue import iter_all
from broadcast.feedback.redact import redact

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
COUNTS = ("received", "on_time", "late", "open", "overdue", "dismissed")
DIMENSIONS = ("category", "unit", "area")
# Column headings: Vietnamese for the printed page, the CSV keeps the English keys.
HEADINGS = {
    "received": "Tiếp nhận", "on_time": "Trả lời đúng hạn", "late": "Trả lời quá hạn",
    "open": "Đang xử lý, trong hạn", "overdue": "Quá hạn, chưa trả lời", "dismissed": "Không xử lý",
}
DIMENSION_TITLES = {"category": "Theo lĩnh vực", "unit": "Theo đơn vị xử lý", "area": "Theo địa bàn"}
NONE_NAMES = {"category": "(chưa phân loại)", "unit": "(chưa giao)", "area": "(không rõ)"}
STATE_COLUMN = {"on-time": "on_time", "late": "late", "open": "open", "overdue": "overdue",
                "dismissed": "dismissed"}
SUMMARY_CHARS = 160
TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class Row:
    key: str
    name: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))

    def add(self, state: str) -> None:
        self.counts["received"] += 1
        self.counts[STATE_COLUMN[state]] += 1


@dataclass(frozen=True)
class OverdueItem:
    id: int
    received: date
    due: date
    working_days_late: int
    category: str
    unit: str
    area: str
    status: str
    summary: str


@dataclass
class MonthReport:
    month: str
    first: date
    last: date
    as_of: date
    commune: str
    station: str
    total: Row
    by: dict[str, list[Row]]
    overdue: list[OverdueItem]


def month_bounds(month: str) -> tuple[date, date]:
    m = MONTH_RE.match(month.strip())
    if not m:
        raise QueueError(f"bad month {month!r}", hint="write it as YYYY-MM, e.g. 2026-12")
    year, number = int(m.group(1)), int(m.group(2))
    return date(year, number, 1), date(year, number, month_calendar.monthrange(year, number)[1])


def _summary(item: FeedbackItem) -> str:
    text = " ".join((redact(item.best_transcript) or "").split())
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


def monthly_report(conn, cases: Cases, month: str, *, as_of: date | None = None) -> MonthReport:
    """Count the items received in `month` (YYYY-MM) as they stood on `as_of` (default: the
    month's last day, or today while the month runs), and list the items overdue then."""
    first, last = month_bounds(month)
    as_of = as_of or min(last, cases.today())
    if as_of < first:
        raise QueueError(f"{as_of} is before {month} began", hint="give an --as-of day in or after the month")
    admit(conn, cases, link=False)    # every item has its due date
    config = cases.ws.config
    names = {
        "category": lambda k: cases.category_name(k),
        "unit": lambda k: cases.unit_name(k),
        "area": lambda k: config.areas[k].name if k in config.areas else k,
    }
    total = Row("", "Tổng cộng")
    rows: dict[str, dict[str, Row]] = {d: {} for d in DIMENSIONS}
    overdue: list[OverdueItem] = []
    for item in iter_all(conn, date_to=as_of if as_of < last else last):
        received = cases.local_date(item.received_at)
        state = cases.state_on(item, as_of)
        if received >= first:
            total.add(state)
            for dim in DIMENSIONS:
                key = getattr(item, dim) or ""
                row = rows[dim].get(key)
                if row is None:
                    row = rows[dim][key] = Row(key, names[dim](key) if key else NONE_NAMES[dim])
                row.add(state)
        if state == "overdue":
            due = date.fromisoformat(item.due_date)
            overdue.append(OverdueItem(
                item.id, received, due, cases.calendar.between(due, as_of), cases.category_name(item.category),
                cases.unit_name(item.unit), names["area"](item.area) if item.area else "", item.status,
                _summary(item)))
    by = {d: sorted(rows[d].values(), key=lambda r: (r.key == "", -r.counts["received"], r.key))
          for d in DIMENSIONS}
    overdue.sort(key=lambda o: (o.due, o.id))
    return MonthReport(month, first, last, as_of, config.commune_name, config.station, total, by, overdue)


def report_csv(report: MonthReport) -> str:
    """The counts (one row per category, unit and area, and the total), an empty row, then
    the overdue items."""
    buf = io.StringIO(newline="")
    buf.write(BOM)
    writer = csv.writer(buf, lineterminator="\r\n")

    def put(cells) -> None:
        writer.writerow([spreadsheet_safe(str(c)) for c in cells])

    put(["month", "as_of", "dimension", "key", "name", *COUNTS])
    put([report.month, report.as_of.isoformat(), "total", "", report.total.name,
         *(report.total.counts[c] for c in COUNTS)])
    for dim in DIMENSIONS:
        for row in report.by[dim]:
            put([report.month, report.as_of.isoformat(), dim, row.key, row.name, *(row.counts[c] for c in COUNTS)])
    writer.writerow([])
    put(["overdue_id", "received", "due_date", "working_days_late", "category", "unit", "area", "status",
         "summary"])
    for o in report.overdue:
        put([o.id, o.received.isoformat(), o.due.isoformat(), o.working_days_late, o.category, o.unit, o.area,
             o.status, o.summary])
    return buf.getvalue()


def report_html(report: MonthReport, *, generated: str) -> str:
    """The report as one HTML page laid out for A4 paper (and readable on screen)."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    return env.get_template("feedback_report.html").render(
        r=report, counts=COUNTS, headings=HEADINGS, dimensions=DIMENSIONS, dimension_titles=DIMENSION_TITLES,
        generated=generated)
