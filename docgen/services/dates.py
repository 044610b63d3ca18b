"""Official dates: how they print, what "today" is, and reply deadlines.

Dates print as GB/T 9704-2012 wants (``2026年11月22日``) from Babel's zh_CN
data; the older style (``二〇二六年十一月二十二日``) is a per-kind option.
Working days come from the ``chinesecalendar`` library, which follows the
State Council's yearly holiday notice, make-up workdays (调休) included; an
operator's holiday file (``DOCGEN_HOLIDAYS``, ``services/holidays.py``) adds a
year the library lacks and wins for its years. The office installs it at start
(``use_holidays``): the table is the process's, like the library's.
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

import chinese_calendar
from babel.dates import format_date

from docgen.errors import ErrorDetail, HolidayDataMissing
from docgen.services.holidays import EMPTY, HolidayTable

_operator_holidays: HolidayTable = EMPTY

BLANK_DATE = "　　年　月　日"
_DIGITS = "〇一二三四五六七八九"


def format_official_date(day: dt.date | None, style: str = "arabic") -> str:
    """``2026年11月22日`` (style "arabic") or ``二〇二六年十一月二十二日`` ("chinese").

    ``None`` gives the blank the paper form has for a date to be written in.
    """
    if day is None:
        return BLANK_DATE
    if style == "chinese":
        year = "".join(_DIGITS[int(c)] for c in str(day.year))
        return f"{year}年{_chinese_number(day.month)}月{_chinese_number(day.day)}日"
    return _arabic_date(day)


@functools.lru_cache(maxsize=1024)
def _arabic_date(day: dt.date) -> str:
    # Babel takes about a tenth of a millisecond; a batch prints the same few dates on every paper
    return format_date(day, "y年M月d日", locale="zh_CN")


def _chinese_number(n: int) -> str:
    """1..31 in Chinese numerals as dates write them: 十, 十一, 二十二, 三十一."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def today_in(timezone: str) -> dt.date:
    """Today's date where the office is (Asia/Shanghai for the seed profile)."""
    return dt.datetime.now(ZoneInfo(timezone)).date()


def due_date(start: dt.date, days: int, day_type: str = "calendar", loc: str = "reply_days") -> dt.date:
    """The last day of a reply period of ``days`` days counted from the day after ``start``.

    ``day_type`` "working" counts only official working days: weekends and
    public holidays are skipped, make-up workdays (调休) count.
    """
    if day_type == "calendar":
        return start + dt.timedelta(days=days)
    return _working_due_date(start, days, loc)


@functools.lru_cache(maxsize=4096)
def _working_due_date(start: dt.date, days: int, loc: str) -> dt.date:
    # a batch counts the same periods from the same day for every paper; the holiday table a
    # result depends on changes only through use_holidays, which empties this cache
    day, counted = start, 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_working_day(day, loc):
            counted += 1
    return day


def use_holidays(table: HolidayTable | None) -> None:
    """Install the operator's holiday file for this process (None: the library's data only)."""
    global _operator_holidays
    _operator_holidays = table or EMPTY
    _working_due_date.cache_clear()


def holiday_source(year: int) -> str | None:
    """The State Council notice the operator's file names for ``year`` (None: the library's data)."""
    return _operator_holidays.sources.get(year)


def is_working_day(day: dt.date, loc: str = "reply_days") -> bool:
    """Whether ``day`` is an official working day in mainland China."""
    if _operator_holidays.decides(day):
        return _operator_holidays.is_working_day(day)
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        raise HolidayDataMissing(
            f"节假日数据尚未覆盖 {day.year} 年，无法按工作日计算期限",
            [ErrorDetail(loc, f"{day.year} 年的法定节假日和调休安排尚未收录：可勾选“按自然日计算期限”"
                              f"（count_calendar_days）改按自然日计算，或由管理员用 DOCGEN_HOLIDAYS 指定的文件补充该年")],
        ) from None


def holiday_years() -> tuple[int, int]:
    """The first and last year the holiday data covers (the library's, then the operator's file)."""
    years = sorted({d.year for d in chinese_calendar.holidays} | set(_operator_holidays.years))
    return years[0], years[-1]
