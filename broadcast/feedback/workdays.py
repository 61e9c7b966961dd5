"""Working-day arithmetic for answer deadlines.

A commune office works Monday to Friday; Saturdays, Sundays and the public holidays listed in
`[feedback] holidays` are skipped. A deadline of N working days runs from the day after the
item was received: received on a Friday with 1 day to answer, it is due on Monday; received
on a Saturday, the count starts on Monday all the same.

Holidays are given as dates ("2027-02-08", once) or as month and day ("09-02", every year):
the fixed holidays recur, while Tết, Giỗ Tổ Hùng Vương and the days off in lieu move with the
lunar calendar and the government's yearly notice."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from broadcast.core.feedback_rules import parse_holiday

WEEKEND = frozenset({5, 6})   # date.weekday(): Saturday, Sunday
# Far more than any deadline: guards against a calendar with no working day at all.
MAX_SPAN_DAYS = 3660


@dataclass(frozen=True)
class Calendar:
    """Which days are working days: not a weekend day, not a dated holiday, not a yearly one."""

    holidays: frozenset[date] = frozenset()
    yearly: frozenset[tuple[int, int]] = frozenset()   # (month, day), every year

    def is_workday(self, day: date) -> bool:
        return (day.weekday() not in WEEKEND and day not in self.holidays
                and (day.month, day.day) not in self.yearly)

    def add(self, start: date, days: int) -> date:
        """The day `days` working days after `start` (`start` itself is not counted; 0 gives
        `start`)."""
        if days < 0:
            raise ValueError("a deadline cannot be negative")
        day = start
        for _ in range(days):
            day = self.next_workday(day)
        return day

    def next_workday(self, day: date) -> date:
        """The first working day after `day`."""
        for _ in range(MAX_SPAN_DAYS):
            day += timedelta(days=1)
            if self.is_workday(day):
                return day
        raise ValueError("no working day within ten years: check the holidays")

    def between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end`; negative when `end` is before
        `start` (how many working days early). `between(d, add(d, n)) == n`."""
        if end < start:
            return -self.between(end, start)
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_workday(day)
        return count


def calendar(holidays: Iterable[object] = ()) -> Calendar:
    """A Calendar from the values of `[feedback] holidays` (see parse_holiday)."""
    dated: set[date] = set()
    yearly: set[tuple[int, int]] = set()
    for value in holidays:
        parsed = value if isinstance(value, tuple) else parse_holiday(value)
        (dated.add if isinstance(parsed, date) else yearly.add)(parsed)
    return Calendar(frozenset(dated), frozenset(yearly))
