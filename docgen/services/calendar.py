"""The reporting calendar: which duty of the profile is due on which day.

The duties are the profile's ``[[duties]]`` (seed 000: 科室 report every
Thursday and on the 23rd, the two offices report to the leaders by the 27th …).
A duty whose day is a weekend or public holiday is due on the working day
before it (make-up workdays count as working days, ``dates.is_working_day``);
the entry then says which day it moved from. Knows nothing of Flask.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from docgen.errors import ErrorDetail, HolidayDataMissing, InvalidPayload
from docgen.profile import Duty, Profile
from docgen.services.dates import is_working_day

# how far back a duty can move: the longest run of days off (春节 and its weekends) is under this
_MOST_DAYS_MOVED = 20


@dataclass(frozen=True)
class CalendarEntry:
    """One duty on one day."""

    date: dt.date
    duty: str
    who: str
    rule: str
    moved_from: dt.date | None = None  # the rule's own day, when that was no working day


def parse_month(text: str, loc: str = "month") -> tuple[int, int]:
    """``2026-12`` -> (2026, 12); years 2000–2100. Anything else is a 422 naming ``loc``."""
    year_text, sep, month_text = (text or "").strip().partition("-")
    if sep and len(year_text) == 4 and year_text.isdigit() and month_text.isdigit() and len(month_text) <= 2:
        year, month = int(year_text), int(month_text)
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    raise InvalidPayload("月份有误", [ErrorDetail(loc, f"应为 2026-12 这样的年月（2000 至 2100 年），现为 {text!r}")])


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    """The first and the last day of a month."""
    return dt.date(year, month, 1), dt.date(year, month, _calendar.monthrange(year, month)[1])


def _on_day(year: int, month: int, day: int) -> dt.date:
    """Day ``day`` of the month, or its last day when the month is shorter (31 -> 2月28日)."""
    return dt.date(year, month, min(day, _calendar.monthrange(year, month)[1]))


def rule_days(duty: Duty, start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """The days the rule names from ``start`` to ``end`` (before any move to a working day)."""
    if duty.every == "week":
        day = start + dt.timedelta(days=(duty.weekday - 1 - start.weekday()) % 7)
        while day <= end:
            yield day
            day += dt.timedelta(days=7)
        return
    year, month = start.year, start.month
    while dt.date(year, month, 1) <= end:
        wanted = (
            duty.every == "month"
            or (duty.every == "quarter" and (month - 1) % 3 == (duty.month or 1) - 1)
            or (duty.every == "year" and month == duty.month)
        )
        if wanted:
            day = _on_day(year, month, duty.day or 1)
            if start <= day <= end:
                yield day
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def working_day_on_or_before(day: dt.date, loc: str = "month") -> dt.date:
    """``day`` if it is a working day, else the last working day before it."""
    try:
        while not is_working_day(day, loc):
            day -= dt.timedelta(days=1)
    except HolidayDataMissing:
        raise HolidayDataMissing(
            f"节假日数据尚未覆盖 {day.year} 年，排不出这段时间的报告日历",
            [ErrorDetail(loc, f"{day.year} 年的法定节假日和调休安排尚未收录；管理员可用 DOCGEN_HOLIDAYS 指定的文件补充该年")],
        ) from None
    return day


def duties_between(profile: Profile, start: dt.date, end: dt.date, loc: str = "month") -> list[CalendarEntry]:
    """Every duty due from ``start`` to ``end`` (both included), by date, then in the profile's order.

    A duty whose own day lies a little after ``end`` but moves back into the
    range is listed; one that moves out of the range is not. Raises
    HolidayDataMissing (422, naming ``loc``) for a year without holiday data.
    """
    entries: list[tuple[dt.date, int, CalendarEntry]] = []
    look_until = end + dt.timedelta(days=_MOST_DAYS_MOVED)
    for order, duty in enumerate(profile.duties):
        for own_day in rule_days(duty, start, look_until):
            if own_day > end and own_day.year != end.year and not _covered(own_day):
                continue  # the days after the range in a year without data cannot move into it
            due = working_day_on_or_before(own_day, loc)
            if start <= due <= end:
                entry = CalendarEntry(due, duty.duty, duty.who, duty.rule, own_day if due != own_day else None)
                entries.append((due, order, entry))
    return [entry for _, _, entry in sorted(entries, key=lambda e: (e[0], e[1]))]


def _covered(day: dt.date) -> bool:
    try:
        is_working_day(day)
    except InvalidPayload:
        return False
    return True


def month_calendar(profile: Profile, year: int, month: int, loc: str = "month") -> list[CalendarEntry]:
    """The duties of one month."""
    start, end = month_bounds(year, month)
    return duties_between(profile, start, end, loc)


def coming_duties(profile: Profile, today: dt.date, days: int = 14) -> tuple[list[CalendarEntry], int | None]:
    """The duties of the next ``days`` days from ``today``, and the first year lacking holiday data, if any.

    For the dashboard: where the holiday data ends, the list ends too (the
    days after it cannot be moved to working days), and the year is returned
    so that the page can say so.
    """
    end = today + dt.timedelta(days=days - 1)
    missing = None
    if not _covered(end):
        missing = end.year
        end = dt.date(end.year - 1, 12, 31)
        if end < today:
            return [], missing
    return duties_between(profile, today, end), missing


__all__ = ["CalendarEntry", "coming_duties", "duties_between", "month_bounds", "month_calendar", "parse_month", "rule_days"]
