"""The `[feedback]` table of broadcast.toml: feedback as cases — the commune's units, the
categories (name, working days to answer, usual unit), the holidays skipped when counting
working days, and the days back an aired announcement is suggested. `broadcast init` writes
FEEDBACK_TEMPLATE (part of config.CONFIG_TEMPLATE); what a broadcast.toml leaves out of it is
taken from there."""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime

from broadcast.core.ids import ID_RE

# Working days to answer an item with no category yet (the Law on Complaints 2011 gives ten
# days to accept a complaint).
DEFAULT_ANSWER_DAYS = 10
MAX_ANSWER_DAYS = 365
# How far back an announcement counts as one a recording may answer.
DEFAULT_LINK_DAYS = 14
YEARLY_HOLIDAY_RE = re.compile(r"^(\d{2})-(\d{2})$")


@dataclass(frozen=True)
class Category:
    """A kind of citizens' feedback: its name, the working days to answer it, the unit that
    usually handles it."""

    id: str
    name: str
    days: int
    unit: str | None = None


@dataclass(frozen=True)
class FeedbackRules:
    """Who handles feedback and by when: the commune's units (id → name), the categories, the
    holidays skipped with weekends when counting working days (a date, or (month, day) for
    every year), the working days for an item without a category, and the days back an aired
    announcement is suggested as the one a recording answers."""

    units: dict[str, str] = field(default_factory=dict)
    categories: dict[str, Category] = field(default_factory=dict)
    holidays: tuple[date | tuple[int, int], ...] = ()
    days: int = DEFAULT_ANSWER_DAYS
    link_days: int = DEFAULT_LINK_DAYS


def parse_holiday(value: object) -> date | tuple[int, int]:
    """A holiday of `[feedback] holidays`: a TOML date, "YYYY-MM-DD", or "MM-DD" for every
    year. Raises ValueError with the reason."""
    if isinstance(value, datetime):
        raise ValueError(f"{value.isoformat()} is a moment, not a day")
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date")
    text = value.strip()
    m = YEARLY_HOLIDAY_RE.match(text)
    if m:
        month, day = int(m.group(1)), int(m.group(2))
        date(2000, month, day)   # a leap year: "02-29" is allowed; a bad month or day raises
        return month, day
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value!r} is not a date") from None


def _answer_days(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ANSWER_DAYS:
        return None
    return value


def _days(table: dict, key: str, where: str, example: int, problems: list, *, fallback: object,
          what: str = "working days") -> int | None:
    """`table[key]` (`fallback` when it is left out) as a number of days: 1 … MAX_ANSWER_DAYS;
    None, with the problem added to `problems`, when it is not one."""
    days = _answer_days(table.get(key, fallback))
    if days is None:
        problems.append((where, f"{table.get(key)!r} is not a number of {what}",
                         f"a whole number from 1 to {MAX_ANSWER_DAYS}, e.g. {key} = {example}"))
    return days


@functools.lru_cache(maxsize=1)
def default_feedback() -> dict:
    """The `[feedback]` table `broadcast init` writes (FEEDBACK_TEMPLATE, inside config's
    CONFIG_TEMPLATE): a workspace whose broadcast.toml leaves out units, categories or holidays
    (one made before they existed) gets these, so that one text holds the defaults."""
    return tomllib.loads(FEEDBACK_TEMPLATE)["feedback"]


def feedback_rules(section: object) -> tuple[FeedbackRules, list[tuple[str, str, str | None]]]:
    """The rules in the `[feedback]` table, and its problems as (field, message, hint); what is
    wrong is left out of the rules. Units, categories and holidays left out are the defaults."""
    problems: list[tuple[str, str, str | None]] = []
    section = section if isinstance(section, dict) else {}
    defaults = default_feedback()
    default_categories = "categories" not in section
    section = {**{k: defaults[k] for k in ("units", "categories", "holidays")}, **section}
    units: dict[str, str] = {}
    raw_units = section.get("units", {})
    if not isinstance(raw_units, dict):
        problems.append(("feedback.units", "must be a table", 'write [feedback.units] with kinh-te = "Phòng Kinh tế"'))
        raw_units = {}
    for unit_id, name in raw_units.items():
        if not ID_RE.match(unit_id):
            problems.append((f"feedback.units.{unit_id}", "unit ids may use only a-z, 0-9 and '-'", None))
        elif not isinstance(name, str) or not name.strip():
            problems.append((f"feedback.units.{unit_id}", "must be the unit's name", f'e.g. {unit_id} = "Phòng Kinh tế"'))
        else:
            units[unit_id] = name.strip()
    categories: dict[str, Category] = {}
    raw_categories = section.get("categories", {})
    if not isinstance(raw_categories, dict):
        problems.append(("feedback.categories", "must be a table of tables",
                         'write [feedback.categories.ha-tang] with name = "…" and days = 10'))
        raw_categories = {}
    for cat_id, spec in raw_categories.items():
        where = f"feedback.categories.{cat_id}"
        if not ID_RE.match(cat_id):
            problems.append((where, "category ids may use only a-z, 0-9 and '-'", None))
            continue
        if not isinstance(spec, dict):
            problems.append((where, "must be a table", f'write [{where}] with name = "…" and days = 10'))
            continue
        name = spec.get("name", cat_id)
        if not isinstance(name, str) or not name.strip():
            problems.append((f"{where}.name", "must be the category's name", None))
            name = cat_id
        days = _days(spec, "days", f"{where}.days", DEFAULT_ANSWER_DAYS, problems,
                     fallback=section.get("days", DEFAULT_ANSWER_DAYS))
        if days is None:
            continue
        unit = spec.get("unit")
        if unit is not None and unit not in units and default_categories:
            unit = None    # a default category, the commune's own units: no default unit for it
        elif unit is not None and unit not in units:
            problems.append((f"{where}.unit", f"unknown unit {unit!r}",
                             f"known: {', '.join(units) or 'none (add [feedback.units])'}"))
            unit = None
        categories[cat_id] = Category(cat_id, name.strip(), days, unit)
    holidays: list[date | tuple[int, int]] = []
    raw_holidays = section.get("holidays", [])
    if not isinstance(raw_holidays, list):
        problems.append(("feedback.holidays", "must be a list of dates", 'e.g. holidays = ["09-02", "2027-02-08"]'))
        raw_holidays = []
    for value in raw_holidays:
        try:
            holidays.append(parse_holiday(value))
        except ValueError as exc:
            problems.append(("feedback.holidays", str(exc),
                             'write "YYYY-MM-DD" for one day, "MM-DD" for a holiday every year'))
    days = _days(section, "days", "feedback.days", DEFAULT_ANSWER_DAYS, problems,
                 fallback=DEFAULT_ANSWER_DAYS) or DEFAULT_ANSWER_DAYS
    link_days = _days(section, "link_days", "feedback.link_days", DEFAULT_LINK_DAYS, problems,
                      fallback=DEFAULT_LINK_DAYS, what="days") or DEFAULT_LINK_DAYS
    return FeedbackRules(units, categories, tuple(holidays), days, link_days), problems


FEEDBACK_TEMPLATE = """\
# Citizens' feedback as cases: who handles it, and by when (in working days from receipt).
[feedback]
days = 10                              # working days to answer an item with no category yet
link_days = 14                         # a recording may answer an announcement aired this many days back
# Skipped, with Saturdays and Sundays, when counting working days: "MM-DD" every year,
# "YYYY-MM-DD" once. Add Tết, Giỗ Tổ Hùng Vương, the second day of Quốc khánh and the days
# off in lieu from the government's notice each year, e.g. "2027-02-08".
holidays = ["01-01", "04-30", "05-01", "09-02"]

# The commune's units after the 2025 reform (Decree 150/2025/NĐ-CP); a ward has
# "Phòng Kinh tế, Hạ tầng và Đô thị" in place of "Phòng Kinh tế".
[feedback.units]
van-phong = "Văn phòng HĐND và UBND"
kinh-te = "Phòng Kinh tế"
van-hoa-xa-hoi = "Phòng Văn hóa - Xã hội"
hanh-chinh-cong = "Trung tâm Phục vụ hành chính công"
cong-an = "Công an xã"
quan-su = "Ban Chỉ huy quân sự xã"

# What citizens raise: name, days (working days to answer), unit (who usually handles it).
[feedback.categories.ha-tang]
name = "Hạ tầng, giao thông, điện, nước"
days = 10
unit = "kinh-te"

[feedback.categories.dat-dai]
name = "Đất đai, xây dựng"
days = 15
unit = "kinh-te"

[feedback.categories.moi-truong]
name = "Môi trường, rác thải, vệ sinh"
days = 10
unit = "kinh-te"

[feedback.categories.nong-nghiep]
name = "Nông nghiệp, thiên tai, dịch bệnh"
days = 5
unit = "kinh-te"

[feedback.categories.an-ninh]
name = "An ninh, trật tự, an toàn giao thông"
days = 5
unit = "cong-an"

[feedback.categories.chinh-sach]
name = "Chính sách xã hội, bảo hiểm, người có công"
days = 10
unit = "van-hoa-xa-hoi"

[feedback.categories.y-te-giao-duc]
name = "Y tế, giáo dục"
days = 10
unit = "van-hoa-xa-hoi"

[feedback.categories.thu-tuc]
name = "Thủ tục hành chính"
days = 5
unit = "hanh-chinh-cong"

[feedback.categories.truyen-thanh]
name = "Thông tin, truyền thanh"
days = 5
unit = "van-hoa-xa-hoi"

[feedback.categories.khac]
name = "Khác"
days = 10
unit = "van-phong"

"""
