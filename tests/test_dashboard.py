"""The clerk's dashboard at /: papers awaiting a reply with the days left, the next step, the coming duties."""

from __future__ import annotations

import datetime as dt
import html
import re

from tests.conftest import example, token_for


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def issue(client, kind: str, payload: dict) -> dict:
    answer = client.post(f"/api/v1/documents/{kind}", json=payload)
    assert answer.status_code == 201, answer.json
    return answer.json


def test_the_dashboard_is_at_the_root_and_the_kind_picker_at_draft(client):
    board = client.get("/")
    assert board.status_code == 200 and board.mimetype == "text/html"
    text = page_text(board)
    assert "<h1>工作台</h1>" in text and "等待回复的公文" in text and "报告日程" in text
    assert 'href="/draft"' in text  # 起草公文
    picker = page_text(client.get("/draft"))
    assert "<h1>起草公文</h1>" in picker and "/kinds/supervision-prompt" in picker


def test_papers_awaiting_a_reply_show_the_days_left_and_overdue_ones_the_next_step(client, office):
    today = office.today()
    late = issue(client, "supervision-prompt", dict(example("supervision-prompt"), recipient="区人民医院", reply_days=3,
                                                      count_calendar_days=True,
                                                      issued_on=(today - dt.timedelta(days=10)).isoformat()))
    fresh = issue(client, "supervision-prompt", dict(example("supervision-prompt"), recipient="区中医院", reply_days=10,
                                                       count_calendar_days=True))
    text = page_text(client.get("/"))
    fresh_row = re.search(rf'<tr class="" data-id="{fresh["id"]}">(.*?)</tr>', text, re.S).group(1)
    assert "还剩 10 天" in fresh_row and "区中医院" in fresh_row and "起草" not in fresh_row
    late_row = re.search(rf'<tr class="overdue" data-id="{late["id"]}">(.*?)</tr>', text, re.S).group(1)
    assert "已逾期 7 天" in late_row
    # the next step of the chain, with the reminder's number filled in
    link = re.search(r'href="([^"]+)">起草督查问责通知书</a>', late_row).group(1)
    assert link.startswith("/kinds/accountability-notice?prompt_number=")
    form = page_text(client.get(link))
    assert f'value="{late["number"]}"' in form
    assert "其中逾期 1 份" in text


def test_a_paper_escalated_is_no_longer_awaited(client, office):
    today = office.today()
    late = issue(client, "supervision-prompt", dict(example("supervision-prompt"), reply_days=3, count_calendar_days=True,
                                                      issued_on=(today - dt.timedelta(days=10)).isoformat()))
    issue(client, "accountability-notice", {"prompt_number": late["number"]})
    text = page_text(client.get("/"))
    assert f'data-id="{late["id"]}"' not in text


def test_the_coming_duties_come_from_the_calendar(client, office):
    from docgen.services.calendar import coming_duties

    duties, gap = coming_duties(office.profile, office.today(), 14)
    text = page_text(client.get("/"))
    assert "近 14 天的报告日程" in text
    if gap is None:
        assert duties, "every 14 days hold at least two Thursdays"
    for duty in duties:
        assert duty.duty in text and duty.rule in text
    if gap is not None:
        assert f"节假日数据尚未覆盖 {gap} 年" in text


def test_the_dashboard_lists_a_duty_on_its_day(data_dir, tmp_path):
    """A profile with a duty of its own every week: the dashboard shows it on the day it is due."""
    from docgen import create_app
    from docgen.profile import DEFAULT_PROFILE
    from docgen.services.calendar import coming_duties
    from docgen.services.dates import format_official_date

    profile = tmp_path / "profile.toml"
    profile.write_text(DEFAULT_PROFILE.read_text(encoding="utf-8")
                       + '\n[[duties]]\nduty = "核对当周督办台帐"\nwho = "局两办"\nevery = "week"\nweekday = 2\n', encoding="utf-8")
    app = create_app({"DATA_DIR": str(data_dir), "TESTING": True, "SECRET_KEY": "t", "PROFILE": str(profile)})
    office = app.extensions["docgen"]
    text = page_text(app.test_client().get("/"))
    duties, gap = coming_duties(office.profile, office.today(), 14)
    ours = [e for e in duties if e.duty == "核对当周督办台帐"]
    assert ours or gap is not None
    rows = re.findall(r"<tr class=\"(?:today)?\">(.*?)</tr>", text, re.S)
    for entry in ours:
        assert any(format_official_date(entry.date) in row and "核对当周督办台帐" in row and "局两办" in row for row in rows)


def test_a_department_sees_only_its_own_papers(app, client, office):
    issue(client, "supervision-prompt", dict(example("supervision-prompt"), recipient="医政科", count_calendar_days=True))
    other = issue(client, "supervision-prompt", dict(example("supervision-prompt"), recipient="区中医院", count_calendar_days=True))
    department = app.test_client(token=token_for(app, "医政科", "department", "医政科"))
    text = page_text(department.get("/"))
    assert "医政科" in text and f'data-id="{other["id"]}"' not in text


def test_a_visitor_is_sent_to_the_login(anonymous):
    answer = anonymous.get("/", headers={"Accept": "text/html"})
    assert answer.status_code in (302, 303) and "/login" in answer.headers["Location"]
