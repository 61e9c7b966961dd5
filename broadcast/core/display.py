"""How durations and times are shown to people (run sheets, the review page, reports)."""

from __future__ import annotations


def format_duration(seconds: float) -> str:
    """m:ss (h:mm:ss from an hour up), rounded to the second."""
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"
