"""How values look on the web pages: durations and times, and text from outside (file names
as citizens' phones sent them, transcripts, names) made safe to show.

Escaping HTML is Jinja2's job (autoescape). What it lets through are characters that change
how the text *around* them looks: bidirectional-text controls (U+202E, right-to-left
override, makes "invoice" + U+202E + "gpj.exe" read "invoiceexe.jpg" on screen) and control
characters (a newline in a file name breaks a one-line listing). `shown` — the template environment's `finalize`, so it
applies to every `{{ … }}` — writes those characters as visible escapes (\\u202e, \\x1b);
`one_line` also writes newlines and tabs as \\n, \\t for values that must stay on one line."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from broadcast.core.display import format_duration

# Embedding, override and isolate controls, and the invisible direction marks.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
# Characters that end a line on some screen (terminals, editors, spreadsheets).
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(c: str) -> str:
    if c in SHORT_ESCAPES:
        return SHORT_ESCAPES[c]
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def _hidden(c: str) -> bool:
    """A character that would not show as itself: a bidi control or a control character."""
    return c in BIDI_CONTROLS or c in LINE_BREAKS or unicodedata.category(c) == "Cc"


def shown(value):
    """Every template value as displayed: bidi and control characters (but newlines and tabs,
    which multi-line text keeps) written as escapes. Non-strings pass through."""
    if not isinstance(value, str) or not any(_hidden(c) for c in value) or hasattr(value, "__html__"):
        return value
    return "".join(_escape(c) if _hidden(c) and c not in "\n\t" else c for c in value)


def one_line(value) -> str:
    """A value shown on one line (a file name, a name): newlines and tabs escaped too."""
    if value is None:
        return ""
    text = str(value)
    return "".join(_escape(c) if _hidden(c) or c == "\t" else c for c in text)


def reviewer_name(text: str) -> str:
    """A name typed at sign-in, as stored and shown: one line (whitespace runs, newlines too,
    become one space), no control or bidi characters, at most 80 characters."""
    kept = "".join(c for c in text if c.isspace() or not _hidden(c))
    return " ".join(kept.split())[:80]


def duration(seconds: float | None) -> str:
    return "?" if seconds is None else format_duration(seconds)


def seg_time(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


def when(iso: str | None, tz=None) -> str:
    """A stored time (ISO, usually UTC) as the commune reads it: in `tz`, with its offset."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if tz is not None and moment.tzinfo is not None:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %z")
    return moment.strftime("%Y-%m-%d %H:%M")


FILTERS = {"duration": duration, "seg_time": seg_time, "when": when, "one_line": one_line}
