"""Working-day arithmetic for answer deadlines, as a table worked out by hand on a calendar."""

from __future__ import annotations

from datetime import date

import pytest

from broadcast.core.feedback_rules import parse_holiday
from broadcast.feedback.workdays import calendar

# The fixed public holidays every year, and a Tết week (Monday 8 to Friday 12 February 2027)
# given as dates, the way the government's yearly notice lists it.
CAL = calendar(["01-01", "04-30", "05-01", "09-02",
                "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11", "2027-02-12"])

D = date.fromisoformat

DEADLINES = [
    # received        days  due              why
    ("2026-12-01", 0, "2026-12-01"),    # no time at all: the same day
    ("2026-12-01", 1, "2026-12-02"),    # Tuesday → Wednesday
    ("2026-12-04", 1, "2026-12-07"),    # Friday → Monday, over the weekend
    ("2026-12-05", 1, "2026-12-07"),    # received on Saturday: the count starts on Monday
    ("2026-12-06", 5, "2026-12-11"),    # Sunday + 5 → the Friday after
    ("2026-12-01", 10, "2026-12-15"),   # two weekends inside
    ("2026-12-24", 5, "2026-12-31"),    # Ho Chi Minh City's 1022: five working days
    ("2026-12-24", 10, "2027-01-08"),   # the Law on Complaints' ten: over New Year's Day
    ("2026-12-30", 2, "2027-01-04"),    # Thursday, then 1 January (Friday) and the weekend
    ("2027-01-01", 1, "2027-01-04"),    # received on a holiday
    ("2027-02-05", 1, "2027-02-15"),    # Friday before Tết: the whole week off, then a weekend
    ("2027-02-05", 5, "2027-02-19"),
    ("2026-04-29", 1, "2026-05-04"),    # 30 April and 1 May (Thursday, Friday), then the weekend
    ("2026-09-01", 1, "2026-09-03"),    # National Day on a Wednesday
    ("2028-09-01", 1, "2028-09-04"),    # yearly holidays recur: 2 September 2028 is a Saturday anyway
    ("2028-05-01", 1, "2028-05-02"),    # 1 May 2028 is a Monday: received on the holiday itself
]


@pytest.mark.parametrize("received, days, due", DEADLINES)
def test_deadline_in_working_days(received, days, due):
    assert CAL.add(D(received), days) == D(due)
    # and back: the working days from receipt to the due date are the deadline
    assert CAL.between(D(received), D(due)) == days


@pytest.mark.parametrize("start, end, count", [
    ("2026-12-04", "2026-12-07", 1),     # Friday → Monday
    ("2026-12-07", "2026-12-04", -1),    # early: negative
    ("2026-12-07", "2026-12-07", 0),
    ("2026-12-05", "2026-12-06", 0),     # a weekend holds no working day
    ("2027-02-07", "2027-02-14", 0),     # nor does Tết week with its weekends
    ("2026-12-15", "2026-12-22", 5),     # a week late
])
def test_working_days_between(start, end, count):
    assert CAL.between(D(start), D(end)) == count


@pytest.mark.parametrize("day, working", [
    ("2026-12-01", True), ("2026-12-05", False), ("2026-12-06", False), ("2027-01-01", False),
    ("2027-02-10", False), ("2027-02-15", True), ("2026-09-02", False), ("2026-09-03", True),
])
def test_is_workday(day, working):
    assert CAL.is_workday(D(day)) is working


def test_without_holidays_only_weekends_are_skipped():
    plain = calendar()
    assert plain.add(D("2026-12-31"), 1) == D("2027-01-01")
    assert plain.add(D("2026-12-31"), 2) == D("2027-01-04")


@pytest.mark.parametrize("value, parsed", [
    ("2027-01-01", date(2027, 1, 1)), (date(2027, 1, 1), date(2027, 1, 1)), ("09-02", (9, 2)),
    (" 02-29 ", (2, 29)),
])
def test_holiday_forms(value, parsed):
    assert parse_holiday(value) == parsed


@pytest.mark.parametrize("bad", ["2027-13-01", "13-01", "02-30", "1/1/2027", "", 20270101, None])
def test_bad_holidays_are_refused(bad):
    with pytest.raises(ValueError):
        parse_holiday(bad)


def test_negative_deadline_is_refused():
    with pytest.raises(ValueError):
        CAL.add(D("2026-12-01"), -1)
