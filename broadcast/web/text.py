"""How values look on the web pages: the Jinja2 filters for durations and times, and the one
template environment every page renders with (autoescaped)."""

from __future__ import annotations

from datetime import datetime

from jinja2 import Environment, PackageLoader

from broadcast.core.display import format_duration


def duration(seconds: float | None) -> str:
    return "?" if seconds is None else format_duration(seconds)


def seg_time(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


def when(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def environment() -> Environment:
    """The templates of broadcast/web/templates, every value autoescaped."""
    env = Environment(loader=PackageLoader("broadcast.web", "templates"), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(duration=duration, seg_time=seg_time, when=when)
    return env
