"""DOCGEN_HOLIDAYS: an operator adds a year the holiday library lacks; without it, calendar days on request."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from docgen import create_app
from docgen.errors import ConfigError
from docgen.services import dates
from docgen.services.holidays import HolidayFileError, load_holiday_file
from tests.conftest import example

HOLIDAYS_2027 = """\
# 国务院办公厅关于2027年部分节假日安排的通知（示例）
[2027]
source = "国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕99号）"
holidays = [
  { name = "元旦", from = 2027-01-01, to = 2027-01-03 },
  { name = "春节", from = 2027-02-06, to = 2027-02-13 },
]
workdays = [2027-02-14, 2027-02-20]
"""


@pytest.fixture(autouse=True)
def library_data_only_afterwards():
    yield
    dates.use_holidays(None)  # what this process counts goes back to the library's data


@pytest.fixture
def holidays_file(tmp_path: Path) -> Path:
    path = tmp_path / "holidays.toml"
    path.write_text(HOLIDAYS_2027, encoding="utf-8")
    return path


def app_with(data_dir: Path, **settings):
    return create_app({"DATA_DIR": str(data_dir), "TESTING": True, "SECRET_KEY": "t", **settings})


def reminder(**changes) -> dict:
    return dict(example("supervision-prompt"), **changes)


def test_a_reminder_dated_28_december_cannot_count_working_days_into_2027_without_data(client):
    answer = client.post("/api/v1/documents/supervision-prompt", json=reminder(issued_on="2026-12-28", reply_days=5))
    assert answer.status_code == 422
    assert answer.json["error"] == "holiday_data_missing" and "2027" in answer.json["message"]
    assert answer.json["details"][0]["loc"] == "reply_days"
    assert "按自然日计算期限" in answer.json["details"][0]["msg"] and "DOCGEN_HOLIDAYS" in answer.json["details"][0]["msg"]
    assert client.get("/api/v1/documents").json == []  # nothing issued, no number taken


def test_a_holidays_file_for_2027_makes_the_working_day_deadline_issue(data_dir, holidays_file):
    client = app_with(data_dir, HOLIDAYS=str(holidays_file)).test_client()
    answer = client.post("/api/v1/documents/supervision-prompt", json=reminder(issued_on="2026-12-28", reply_days=5))
    assert answer.status_code == 201, answer.json
    # 12月29、30、31日, then 元旦 1–3 January off, then Monday 4 and Tuesday 5 January
    assert answer.json["due_on"] == "2027-01-05"
    assert answer.json["number"] == "东卫督办〔2026〕1号"


def test_make_up_workdays_of_the_file_count_and_its_holidays_do_not(holidays_file):
    import datetime as dt

    dates.use_holidays(load_holiday_file(holidays_file))
    assert not dates.is_working_day(dt.date(2027, 2, 8))  # a Monday in the Spring Festival
    assert dates.is_working_day(dt.date(2027, 2, 14))  # a Sunday worked (调休)
    assert dates.is_working_day(dt.date(2027, 3, 1))  # an ordinary Monday
    assert not dates.is_working_day(dt.date(2027, 3, 6))  # an ordinary Saturday
    # from Friday 5 February: 14 (Sun, worked), 15, 16 … five working days end on Thursday 18
    assert dates.due_date(dt.date(2027, 2, 5), 5, "working") == dt.date(2027, 2, 18)
    assert dates.holiday_source(2027).startswith("国务院办公厅关于2027年部分节假日安排的通知")
    assert dates.holiday_years()[1] == 2027


def test_the_file_wins_for_a_year_the_library_covers(tmp_path):
    import datetime as dt

    path = tmp_path / "h.toml"
    path.write_text('[2026]\nsource = "更正通知"\nholidays = [{ name = "某节", from = 2026-12-29, to = 2026-12-30 }]\n', encoding="utf-8")
    dates.use_holidays(load_holiday_file(path))
    assert not dates.is_working_day(dt.date(2026, 12, 29))
    # 2026 as the file says: 10月1日 is an ordinary Thursday there (the file lists no National Day)
    assert dates.is_working_day(dt.date(2026, 10, 1))
    dates.use_holidays(None)
    assert not dates.is_working_day(dt.date(2026, 10, 1))


def test_the_calendar_of_a_year_from_the_file(data_dir, holidays_file):
    client = app_with(data_dir, HOLIDAYS=str(holidays_file)).test_client()
    february = client.get("/api/v1/calendar?month=2027-02")
    assert february.status_code == 200, february.json
    ledger = next(e for e in february.json if "重点工作台帐" in e["duty"])
    assert ledger["date"] == "2027-02-25" and ledger["moved_from"] is None  # a Thursday
    weekly = [e["date"] for e in february.json if e["rule"] == "每周四"]
    # Thursday 11 February is in the Spring Festival: due on the last working day before it (Friday 5 February)
    assert "2027-02-11" not in weekly and "2027-02-05" in weekly


def test_without_data_the_reply_period_may_count_calendar_days(client):
    answer = client.post("/api/v1/documents/supervision-prompt",
                         json=reminder(issued_on="2026-12-28", reply_days=5, count_calendar_days=True))
    assert answer.status_code == 201, answer.json
    assert answer.json["due_on"] == "2027-01-02"  # five calendar days
    assert answer.json["payload"]["count_calendar_days"] is True


def _csrf(client, url: str) -> str:
    page = client.get(url)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def test_the_form_offers_calendar_days_on_the_error_and_then_issues(client):
    token = _csrf(client, "/kinds/supervision-prompt")
    form = {"csrf_token": token, "recipient": "区人民医院", "matter": "院感防控", "findings": ["落实进展缓慢"],
            "reply_days": "5", "issued_on": "2026-12-28", "action": "issue"}
    refused = client.post("/kinds/supervision-prompt", data=form)
    assert refused.status_code == 422
    page = html.unescape(refused.get_data(as_text=True))
    assert "节假日数据尚未覆盖 2027 年" in page and "按自然日计算期限" in page
    assert re.search(r'<input[^>]+name="count_calendar_days"', page)
    issued = client.post("/kinds/supervision-prompt", data=dict(form, count_calendar_days="on"))
    assert issued.status_code == 303, html.unescape(issued.get_data(as_text=True))[:2000]
    paper = client.get("/api/v1/documents").json[0]
    assert (paper["issued_on"], paper["due_on"]) == ("2026-12-28", "2027-01-02")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[2027]\nsource = \"通知\"\nholidays = [{ name = \"元旦\", from = 2027-01-01 }]\nworkdays = [2027-02-15]\n",
         ["第 4 行", "2027.workdays[0]", "周一"]),
        ("[2027]\nholidays = [{ name = \"元旦\", from = 2027-01-01 }]\n", ["2027.source", "必填"]),
        ("[2027]\nsource = \"通知\"\nholidays = [{ name = \"春节\", from = 2027-02-13, to = 2027-02-06 }]\n",
         ["第 3 行", "2027.holidays[0].to", "不能早于"]),
        ("[2027]\nsource = \"通知\"\nholidays = [{ name = \"元旦\", from = \"2027-13-01\" }]\n", ["第 3 行", "不是日期"]),
        ("[2027]\nsource = \"通知\"\nholidays = [{ name = 元旦 }]\n", ["第 3 行", "不是有效的 TOML"]),
        ("[holidays]\nsource = \"通知\"\n", ["年份表"]),
        ("[2027]\nsource = \"通知\"\nholiday = []\n", ["2027.holiday", "不认识"]),
    ],
)
def test_a_bad_holidays_file_is_a_clear_error_naming_the_line_and_field(tmp_path, text, words):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(HolidayFileError) as caught:
        load_holiday_file(path)
    assert all(w in caught.value.message for w in words), caught.value.message


def test_a_bad_or_missing_file_stops_the_start(data_dir, tmp_path):
    with pytest.raises(ConfigError, match="找不到节假日文件"):
        app_with(data_dir, HOLIDAYS=str(tmp_path / "missing.toml"))
    bad = tmp_path / "bad.toml"
    bad.write_text("[2027]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="2027.source"):
        app_with(data_dir, HOLIDAYS=str(bad))
