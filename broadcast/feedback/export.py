"""CSV export of the review queue, and redaction of personal numbers in transcripts.

The CSV is UTF-8 with a byte-order mark and CRLF line ends: Excel on Windows then opens
Vietnamese text correctly instead of as mojibake."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

from broadcast.feedback.models import FeedbackItem

BOM = "\ufeff"
COLUMNS = ("id", "received_at", "source_name", "duration_s", "language", "status", "area", "announcement_id",
           "tags", "transcript", "corrected_transcript", "reviewer", "note", "updated_at", "sha256")
PHONE_MASK = "[số điện thoại đã ẩn]"
ID_MASK = "[số giấy tờ đã ẩn]"

# Vietnamese phone numbers: 0 or +84/84, then 8–10 more digits, possibly grouped by spaces,
# dots or dashes ("0912 345 678", "+84 912.345.678", "024 3825 1234").
PHONE_RE = re.compile(r"(?<![\d+])(?:\+84|84|0)(?:[ .\-]?\d){8,10}(?![\d])")
# Citizen ID (CCCD, 12 digits) and the old identity card (CMND, 9 digits), written in one run.
ID_RE = re.compile(r"(?<!\d)(?:\d{12}|\d{9})(?!\d)")
# A number read out as words ("không chín một hai …"): eight or more digit words in a row.
_DIGIT_WORDS = r"(?:không|một|mốt|hai|ba|bốn|tư|năm|lăm|sáu|bảy|bẩy|tám|chín|linh|lẻ)"
SPOKEN_NUMBER_RE = re.compile(rf"(?<!\w){_DIGIT_WORDS}(?:[ ,.\-]+{_DIGIT_WORDS}){{7,}}(?!\w)", re.IGNORECASE)


def redact(text: str | None) -> str | None:
    """Mask phone numbers and ID numbers (CCCD, CMND), in digits or read out as words."""
    if not text:
        return text
    text = PHONE_RE.sub(PHONE_MASK, text)
    text = ID_RE.sub(ID_MASK, text)
    return SPOKEN_NUMBER_RE.sub(PHONE_MASK, text)


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
    }


def write_csv(items: Iterable[FeedbackItem], out: io.TextIOBase, *, redacted: bool = False) -> int:
    """Write the BOM, a header and one row per item to a text stream opened with newline='';
    returns the number of items."""
    out.write(BOM)
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    n = 0
    for item in items:
        writer.writerow(row(item, redacted=redacted))
        n += 1
    return n


def csv_text(items: Iterable[FeedbackItem], *, redacted: bool = False) -> str:
    buf = io.StringIO(newline="")
    write_csv(items, buf, redacted=redacted)
    return buf.getvalue()
