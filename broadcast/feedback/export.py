"""CSV export of the review queue, optionally with personal numbers masked (see `redact`).

The CSV is UTF-8 with a byte-order mark and CRLF line ends: Excel on Windows then opens
Vietnamese text correctly instead of as mojibake. It is opened in a spreadsheet, so no cell
may start like a formula (`spreadsheet_safe`): transcripts, notes and file names come from
citizens."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from broadcast.feedback.models import FeedbackItem
from broadcast.feedback.redact import CCCD_MASK, CMND_MASK, ID_MASK, NUMBER_MASK, PHONE_MASK, redact

__all__ = ["BOM", "CCCD_MASK", "CMND_MASK", "COLUMNS", "ID_MASK", "NUMBER_MASK", "PHONE_MASK",
           "csv_text", "redact", "row", "spreadsheet_safe", "write_csv"]

BOM = "\ufeff"
COLUMNS = ("id", "received_at", "source_name", "duration_s", "language", "status", "area", "announcement_id",
           "tags", "transcript", "corrected_transcript", "reviewer", "note", "updated_at", "sha256",
           "category", "unit", "due_date", "contact", "reply_text", "reply_by", "reply_at", "closed_at", "group_id")
# Cells a spreadsheet would read as a formula (OWASP "CSV injection"): "=HYPERLINK(…)" in a
# transcript or in a file name the citizen chose would run when a clerk opens the file.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """The cell as text a spreadsheet shows but never evaluates: a leading "'" before a
    formula-starting character."""
    return "'" + value if value.startswith(FORMULA_START) else value


def row(item: FeedbackItem, *, redacted: bool = False) -> dict[str, str]:
    clean = redact if redacted else (lambda t: t)
    return {
        "id": str(item.id),
        "received_at": item.received_at,
        "source_name": clean(item.source_name) or "",
        "duration_s": f"{item.duration:.1f}",
        "language": item.language or "",
        "status": item.status,
        "area": item.area or "",
        "announcement_id": item.announcement_id or "",
        "tags": ", ".join(item.tags),
        "transcript": clean(item.transcript) or "",
        "corrected_transcript": clean(item.corrected_transcript) or "",
        "reviewer": item.reviewer or "",
        "note": clean(item.note) or "",
        "updated_at": item.updated_at,
        "sha256": item.sha256,
        "category": item.category or "",
        "unit": item.unit or "",
        "due_date": item.due_date or "",
        # the contact is nothing but a phone number: redacted, it is only said to exist
        "contact": (PHONE_MASK if redacted else item.contact) if item.contact else "",
        "reply_text": clean(item.reply_text) or "",
        "reply_by": item.reply_by or "",
        "reply_at": item.reply_at or "",
        "closed_at": item.closed_at or "",
        "group_id": str(item.group_id) if item.group_id is not None else "",
    }


def write_csv(items: Iterable[FeedbackItem], out: io.TextIOBase, *, redacted: bool = False) -> int:
    """Write the BOM, a header and one row per item to a text stream opened with newline='';
    returns the number of items. Every cell goes through `spreadsheet_safe`."""
    out.write(BOM)
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    n = 0
    for item in items:
        writer.writerow({k: spreadsheet_safe(v) for k, v in row(item, redacted=redacted).items()})
        n += 1
    return n


def csv_text(items: Iterable[FeedbackItem], *, redacted: bool = False) -> str:
    buf = io.StringIO(newline="")
    write_csv(items, buf, redacted=redacted)
    return buf.getvalue()
