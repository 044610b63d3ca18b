"""The reporting calendar: the seeds' duties on the right days, moved back over weekends and holidays."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from docgen import create_app
from docgen.errors import ProfileError
from docgen.profile import load_profile
from tests.conftest import PROJECT, token_for

WEEKLY = "以电子版向局两办报告重点项目进展情况及需要局领导协调的问题（周报）"
MONTHLY_23 = "以电子版向局两办报告重点项目进展情况及需要局领导协调的问题（月报）"
TO_LEADERS = "以书面报告的形式向局领导报告督查工作（月报）"


def calendar(client, month: str) -> list[dict]:
    answer = client.get(f"/api/v1/calendar?month={month}")
    assert answer.status_code == 200, answer.json
    return answer.json


def test_december_2026_has_every_thursday_the_23rd_and_the_report_to_the_leaders(client):
    entries = calendar(client, "2026-12")
    days = [(e["date"], e["duty"]) for e in entries]
    assert days == [
        ("2026-12-03", WEEKLY),
        ("2026-12-10", WEEKLY),
        ("2026-12-17", WEEKLY),
        ("2026-12-23", MONTHLY_23),
        ("2026-12-24", WEEKLY),
        ("2026-12-25", TO_LEADERS),
        ("2026-12-31", WEEKLY),
    ]
    weekly = entries[0]
    assert weekly == {"date": "2026-12-03", "duty": WEEKLY, "who": "各职能科室", "rule": "每周四", "moved_from": None}


def test_a_duty_on_a_sunday_moves_to_the_friday_before_and_says_so(client):
    # 2026-12-27 is a Sunday: the report "before the 27th" is due on Friday the 25th
    report = next(e for e in calendar(client, "2026-12") if e["duty"] == TO_LEADERS)
    assert report == {"date": "2026-12-25", "duty": TO_LEADERS, "who": "局两办", "rule": "每月27日前", "moved_from": "2026-12-27"}


def test_a_thursday_in_the_national_day_holiday_moves_into_september():
    from docgen.services.calendar import month_calendar

    profile = load_profile()
    september = month_calendar(profile, 2026, 9)
    october = month_calendar(profile, 2026, 10)
    # 2026-10-01 is a Thursday and a public holiday: the weekly report is due on Wednesday 9月30日
    moved = [e for e in september if e.moved_from is not None and e.moved_from.month == 10]
    assert [(e.date.isoformat(), e.duty) for e in moved] == [("2026-09-30", WEEKLY)]
    assert all(e.date.month == 10 for e in october)
    assert "2026-10-01" not in {e.date.isoformat() for e in october}
    # 2026-10-10 is a Saturday but a make-up workday (调休): the quarterly bulletin stays on it
    bulletin = next(e for e in october if "季度通报" in e.duty)
    assert bulletin.date.isoformat() == "2026-10-10" and bulletin.moved_from is None


def test_the_ledger_is_due_before_25_february(client):
    ledger = [e for e in calendar(client, "2026-02") if "重点工作台帐" in e["duty"]]
    assert ledger == [{"date": "2026-02-25", "duty": "将年度重点工作台帐上报局两办", "who": "各职能科室", "rule": "每年2月25日前", "moved_from": None}]


def test_a_bad_month_is_422_naming_the_parameter(client):
    for bad in ("2026-13", "2026", "12-2026", "1999-12", "2026-1x", ""):
        answer = client.get(f"/api/v1/calendar?month={bad}")
        assert answer.status_code == 422, bad
        assert answer.json["details"][0]["loc"] == "(query).month"
    unknown = client.get("/api/v1/calendar?mnth=2026-12")
    assert unknown.status_code == 422 and unknown.json["details"][0]["loc"] == "(query).mnth"


def test_a_month_without_holiday_data_is_422_holiday_data_missing(client):
    from docgen.services.dates import holiday_years

    year = holiday_years()[1] + 1
    answer = client.get(f"/api/v1/calendar?month={year}-03")
    assert answer.status_code == 422
    assert answer.json["error"] == "holiday_data_missing" and str(year) in answer.json["message"]
    assert answer.json["details"][0]["loc"] == "(query).month"
    assert "DOCGEN_HOLIDAYS" in answer.json["details"][0]["msg"]


def test_without_a_month_the_calendar_is_this_months(client, office):
    today = office.today()
    answer = client.get("/api/v1/calendar")
    assert answer.status_code == 200
    entries = answer.json
    assert entries and all(e["date"][:7] == today.isoformat()[:7] for e in entries)


def test_every_role_may_read_the_calendar_and_a_visitor_may_not(app, anonymous):
    department = app.test_client(token=token_for(app, "医政科", "department", "医政科"))
    assert department.get("/api/v1/calendar?month=2026-12").status_code == 200
    assert anonymous.get("/api/v1/calendar?month=2026-12").status_code == 401


def test_the_forestry_profile_chases_progress_before_the_5th(data_dir):
    app = create_app({"DATA_DIR": str(data_dir), "TESTING": True, "SECRET_KEY": "t", "PROFILE": "forestry"})
    entries = calendar(app.test_client(), "2026-09")
    # 2026-09-05 is a Saturday: the 催办 is due on Friday the 4th
    chase = next(e for e in entries if e["duty"].startswith("催办"))
    assert (chase["date"], chase["moved_from"], chase["rule"]) == ("2026-09-04", "2026-09-05", "每月5日前")
    assert any(e["duty"].startswith("印发月通报") and e["date"] == "2026-09-10" for e in entries)
    october = calendar(app.test_client(), "2026-10")
    assert any("季度通报" in e["duty"] and e["date"] == "2026-10-15" for e in october)


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ('every = "fortnight"\nday = 3', ["every", "week / month / quarter / year"]),
        ('every = "month"', ["缺少 day"]),
        ('every = "month"\nday = 32', ["day", "1 到 31"]),
        ('every = "week"\nweekday = "星期四"', ["weekday", "1 到 7"]),
        ('every = "month"\nday = 5\nmonth = 2', ["month 只用于"]),
        ('every = "month"\nday = 5\nwhen = "早上"', ["不认识", "when"]),
    ],
)
def test_a_bad_duty_in_the_profile_is_a_clear_chinese_error(tmp_path, entry, words):
    profile = tmp_path / "profile.toml"
    profile.write_text(
        'name = "某局"\nissuing_offices = ["某局办公室"]\n\n[[duties]]\nduty = "报告"\nwho = "各科室"\n' + entry + "\n",
        encoding="utf-8",
    )
    with pytest.raises(ProfileError) as caught:
        load_profile(profile)
    message = caught.value.message
    assert "第 1 项 [[duties]]" in message and all(w in message for w in words), message


def test_a_duty_without_its_who_is_refused(tmp_path):
    profile = tmp_path / "profile.toml"
    profile.write_text('name = "某局"\nissuing_offices = ["某局办公室"]\n[[duties]]\nduty = "报告"\nevery = "week"\nweekday = 4\n',
                       encoding="utf-8")
    with pytest.raises(ProfileError, match="缺少 who"):
        load_profile(profile)


def test_a_day_past_the_months_end_is_its_last_day(tmp_path):
    from docgen.services.calendar import month_calendar

    profile = tmp_path / "profile.toml"
    profile.write_text('name = "某局"\nissuing_offices = ["某局办公室"]\n[[duties]]\nduty = "月底小结"\nwho = "办公室"\n'
                       'every = "month"\nday = 31\n', encoding="utf-8")
    loaded = load_profile(profile)
    # 2026-02-28 is a Saturday but a make-up workday after the Spring Festival: it stays
    assert [(e.date.isoformat(), e.moved_from) for e in month_calendar(loaded, 2026, 2)] == [("2026-02-28", None)]
    assert [e.date.isoformat() for e in month_calendar(loaded, 2026, 4)] == ["2026-04-30"]
    # 2026-05-31 is a Sunday: moved to Friday the 29th
    may = month_calendar(loaded, 2026, 5)
    assert [(e.date.isoformat(), e.moved_from.isoformat(), e.rule) for e in may] == [("2026-05-29", "2026-05-31", "每月31日")]


def test_docgen_calendar_prints_an_aligned_chinese_table(tmp_path, data_dir):
    from wcwidth import wcswidth

    env = dict(os.environ, DOCGEN_DATA_DIR=str(data_dir))
    result = subprocess.run([sys.executable, "-m", "docgen.cli", "calendar", "2026-12"], env=env, cwd=PROJECT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = lines[0]
    assert header.split() == ["日期", "星期", "事项", "责任方", "规定", "说明"]
    column = wcswidth(header[: header.index("责任方")])
    for line in lines[1:]:
        who = next(c for c in line.split() if c in ("各职能科室", "局两办"))
        assert wcswidth(line[: line.index(who)]) == column, result.stdout
    moved = next(line for line in lines if "2026-12-25" in line)
    assert "周五" in moved and "原为 2026-12-27（周日），提前" in moved
    assert "2026年12月共 7 项" in result.stderr
    bad = subprocess.run([sys.executable, "-m", "docgen.cli", "calendar", "2026-13"], env=env, cwd=Path(PROJECT),
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "应为 2026-12 这样的年月" in bad.stderr
