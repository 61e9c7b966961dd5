"""How durations and times are shown to people (run sheets, the review page, reports)."""

from __future__ import annotations

from datetime import datetime, tzinfo


def format_duration(seconds: float) -> str:
    """m:ss (h:mm:ss from an hour up), rounded to the second."""
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def local_time(moment: str | datetime | None, tz: tzinfo | None) -> str:
    """A stored time (the audit log and the queue keep UTC) as the commune reads it: its local
    date and time with the offset, "2026-12-01 16:59 +0700". A value that is not an ISO time
    with an offset, or no `tz`, is shown as it is."""
    if moment is None:
        return ""
    try:
        value = moment if isinstance(moment, datetime) else datetime.fromisoformat(str(moment))
    except ValueError:
        return str(moment)
    if tz is None or value.tzinfo is None:
        return str(moment)
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M %z")
