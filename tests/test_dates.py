"""Official dates and reply deadlines."""

from __future__ import annotations

import datetime as dt

import pytest

from docgen.errors import HolidayDataMissing
from docgen.services.dates import BLANK_DATE, due_date, format_official_date, holiday_years


@pytest.mark.parametrize(
    ("day", "arabic", "chinese"),
    [
        (dt.date(2026, 11, 22), "2026年11月22日", "二〇二六年十一月二十二日"),
        (dt.date(2026, 3, 5), "2026年3月5日", "二〇二六年三月五日"),
        (dt.date(2030, 10, 10), "2030年10月10日", "二〇三〇年十月十日"),
        (dt.date(2026, 1, 31), "2026年1月31日", "二〇二六年一月三十一日"),
    ],
)
def test_official_date_styles(day, arabic, chinese):
    assert format_official_date(day) == arabic
    assert format_official_date(day, "chinese") == chinese


def test_no_date_is_the_form_blank():
    assert format_official_date(None) == BLANK_DATE


def test_calendar_days():
    assert due_date(dt.date(2026, 9, 29), 5, "calendar") == dt.date(2026, 10, 4)


def test_working_days_skip_national_day_and_count_the_make_up_saturday():
    # 2026-09-30 is a working day, 10-01..10-07 the holiday, 10-08 and 10-09 working,
    # a Sunday 10-11 off,
    # and Saturday 10-10 is an official make-up workday (调休).
    assert due_date(dt.date(2026, 9, 29), 1, "working") == dt.date(2026, 9, 30)
    assert due_date(dt.date(2026, 9, 29), 2, "working") == dt.date(2026, 10, 8)
    assert due_date(dt.date(2026, 10, 9), 1, "working") == dt.date(2026, 10, 10)


def test_working_days_skip_weekends():
    # Friday 2026-11-20 + 1 working day is Monday 11-23
    assert due_date(dt.date(2026, 11, 20), 1, "working") == dt.date(2026, 11, 23)


def test_a_year_without_holiday_data_is_a_clear_error():
    last = holiday_years()[1]
    with pytest.raises(HolidayDataMissing) as caught:
        due_date(dt.date(last, 12, 28), 10, "working")
    assert str(last + 1) in caught.value.message
    assert caught.value.details[0].loc == "reply_days"
