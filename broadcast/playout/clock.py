"""The player's clock: the commune's local time, which tests may set.

$BROADCAST_PLAYOUT_NOW (an ISO 8601 time, e.g. 2099-12-14T05:29:50+07:00) makes the clock read
that time when the process starts and run on at real speed from there; it exists for tests
(a slot "a minute ahead" without waiting for the real one) and for rehearsing a day."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from broadcast.core.errors import BroadcastError

ENV_NOW = "BROADCAST_PLAYOUT_NOW"


class Clock:
    def __init__(self, tz: ZoneInfo, start: datetime | None = None) -> None:
        self.tz = tz
        self._offset = timedelta(0)
        if start is not None:
            if start.tzinfo is None:
                start = start.replace(tzinfo=tz)
            self._offset = start - datetime.now(tz)

    @classmethod
    def from_env(cls, tz: ZoneInfo) -> Clock:
        value = os.environ.get(ENV_NOW)
        if not value:
            return cls(tz)
        try:
            return cls(tz, datetime.fromisoformat(value))
        except ValueError:
            raise BroadcastError(f"${ENV_NOW} = {value!r} is not a time",
                                 hint="write it as ISO 8601, e.g. 2099-12-14T05:29:50+07:00, or unset it") from None

    def now(self) -> datetime:
        """The commune's local time (aware)."""
        return (datetime.now(self.tz) + self._offset).astimezone(self.tz)

    def stamp(self, moment: datetime | None = None) -> str:
        """A log time: local, ISO 8601 with the offset, to the millisecond."""
        return (moment or self.now()).astimezone(self.tz).isoformat(timespec="milliseconds")

    @staticmethod
    def monotonic() -> float:
        return time.monotonic()
