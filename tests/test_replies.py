"""Written replies (书面回复) and the states of a paper, as of a date, through the API."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from tests.conftest import example, token_for
from tests.test_cli import docgen
from tests.test_web import csrf_token


def issue(client, payload: dict, kind: str = "supervision-prompt") -> dict:
    answer = client.post(f"/api/v1/documents/{kind}", json=payload)
    assert answer.status_code == 201, answer.json
    return answer.json


def reminder(office, recipient: str = "区人民医院", back: int = 0, days: int = 5) -> dict:
    """A reminder's payload, dated BACK days ago, with DAYS calendar days to reply."""
    issued_on = office.today() - dt.timedelta(days=back)
    return dict(example("supervision-prompt"), recipient=recipient, reply_days=days, count_calendar_days=True,
                issued_on=issued_on.isoformat())


def test_a_reply_on_time_makes_the_paper_replied_and_never_overdue(client, office):
    today = office.today()
    paper = issue(client, reminder(office, back=10, days=5))
    assert paper["state"] == "issued"  # as just issued; its deadline passed five days ago
    assert client.get(f"/api/v1/documents/{paper['id']}").json["state"] == "overdue"
    received = today - dt.timedelta(days=7)  # within its five days
    answer = client.post(f"/api/v1/documents/{paper['id']}/reply", json={"received_on": received.isoformat(), "summary": "已完成整改"})
    assert answer.status_code == 201, answer.json
    shown = answer.json
    assert shown["state"] == "replied"
    assert shown["reply"] == {"received_on": received.isoformat(), "summary": "已完成整改", "on_time": True,
                              "filename": None, "recorded_by": "测试管理员"}
    assert shown["days_overdue"] is None
    # never overdue: not in the register's overdue list, as of today or any later day
    for as_of in (today, today + dt.timedelta(days=20)):
        listed = client.get("/api/v1/documents", query_string={"state": "overdue", "as_of": as_of.isoformat()}).json
        assert paper["id"] not in [d["id"] for d in listed]
        assert client.get("/api/v1/documents", query_string={"overdue": "true"}).json == []
    replied = client.get("/api/v1/documents", query_string={"state": "replied"}).json
    assert [d["id"] for d in replied] == [paper["id"]]


def test_overdue_is_computed_as_of_a_date(client, office):
    today = office.today()
    paper = issue(client, reminder(office, back=10, days=5))
    due = dt.date.fromisoformat(paper["due_on"])
    before = client.get(f"/api/v1/documents/{paper['id']}", query_string={"as_of": due.isoformat()}).json
    assert before["state"] == "issued" and before["as_of"] == due.isoformat()
    now = client.get(f"/api/v1/documents/{paper['id']}").json
    assert now["state"] == "overdue" and now["days_overdue"] == (today - due).days and now["as_of"] == today.isoformat()
    # a late reply: replied (not on time) from the day it came, overdue before it
    client.post(f"/api/v1/documents/{paper['id']}/reply", json={"received_on": today.isoformat(), "summary": "逾期回复"})
    late = client.get(f"/api/v1/documents/{paper['id']}").json
    assert late["state"] == "replied" and late["reply"]["on_time"] is False
    yesterday = client.get(f"/api/v1/documents/{paper['id']}", query_string={"as_of": (today - dt.timedelta(days=1)).isoformat()}).json
    assert yesterday["state"] == "overdue" and yesterday["reply"] is None


def test_a_second_reply_is_409_already_replied_and_changes_nothing(client, office):
    paper = issue(client, reminder(office))
    first = client.post(f"/api/v1/documents/{paper['id']}/reply", json={"received_on": office.today().isoformat(), "summary": "第一次"})
    assert first.status_code == 201
    second = client.post(f"/api/v1/documents/{paper['id']}/reply", json={"received_on": office.today().isoformat(), "summary": "第二次"})
    assert second.status_code == 409 and second.json["error"] == "already_replied"
    assert "已于此前登记" in second.json["message"]
    assert client.get(f"/api/v1/documents/{paper['id']}").json["reply"]["summary"] == "第一次"


def test_a_voided_paper_takes_no_reply(client, office):
    paper = issue(client, reminder(office))
    client.post(f"/api/v1/documents/{paper['id']}/void", json={"reason": "收文单位写错"})
    answer = client.post(f"/api/v1/documents/{paper['id']}/reply", json={"received_on": office.today().isoformat(), "summary": "回复"})
    assert answer.status_code == 409 and answer.json["error"] == "paper_voided" and "已作废" in answer.json["message"]
    assert client.get(f"/api/v1/documents/{paper['id']}").json["state"] == "voided"


def test_a_paper_that_asks_for_no_reply_is_422_no_reply_asked(client, office):
    paper = issue(client, example("supervision-report"), kind="supervision-report")
    assert paper["due_on"] is None
    answer = client.post(f"/api/v1/documents/{paper['id']}/reply", json={"received_on": office.today().isoformat(), "summary": "回复"})
    assert answer.status_code == 422 and answer.json["error"] == "no_reply_asked"


@pytest.mark.parametrize("body, field, words", [
    ({"summary": "回复"}, "received_on", "必填"),
    ({"received_on": "2026-13-01", "summary": "回复"}, "received_on", "日期"),
    ({"received_on": "2000-01-01", "summary": "回复"}, "received_on", "不能早于"),
    ({"received_on": "TOMORROW", "summary": "回复"}, "received_on", "不能晚于今天"),
    ({"received_on": "TODAY", "summary": "   "}, "summary", "必填"),
    ({"received_on": "TODAY", "summary": "回复", "sumary": "x"}, "sumary", ""),
])
def test_bad_replies_name_the_field_and_record_nothing(client, office, body, field, words):
    paper = issue(client, reminder(office))
    today = office.today()
    body = {k: {"TODAY": today.isoformat(), "TOMORROW": (today + dt.timedelta(days=1)).isoformat()}.get(v, v) for k, v in body.items()}
    answer = client.post(f"/api/v1/documents/{paper['id']}/reply", json=body)
    assert answer.status_code == 422, answer.json
    assert any(d["loc"] == field and words in d["msg"] for d in answer.json["details"]), answer.json
    assert client.get(f"/api/v1/documents/{paper['id']}").json["reply"] is None


def test_a_reply_with_its_file_through_a_multipart_form_and_the_file_back(client, office):
    paper = issue(client, reminder(office))
    answer = client.post(f"/api/v1/documents/{paper['id']}/reply", content_type="multipart/form-data", data={
        "received_on": office.today().isoformat(), "summary": "整改报告已报送",
        "file": (io.BytesIO(b"%PDF-1.4 reply"), "整改情况报告.pdf")})
    assert answer.status_code == 201, answer.json
    assert answer.json["reply"]["filename"] == "整改情况报告.pdf"
    back = client.get(f"/api/v1/documents/{paper['id']}/reply/file")
    assert back.status_code == 200 and back.data == b"%PDF-1.4 reply" and back.mimetype == "application/pdf"
    other = issue(client, reminder(office, recipient="区中医院"))
    bad = client.post(f"/api/v1/documents/{other['id']}/reply", content_type="multipart/form-data", data={
        "received_on": office.today().isoformat(), "summary": "x", "file": (io.BytesIO(b"MZ"), "setup.exe")})
    assert bad.status_code == 422 and bad.json["details"][0]["loc"] == "file"
    assert client.get(f"/api/v1/documents/{other['id']}/reply/file").status_code == 404


def test_a_department_replies_to_its_own_papers_only(app, client, office):
    own = issue(client, reminder(office, recipient="医政科"))
    other = issue(client, reminder(office, recipient="区中医院"))
    department = app.test_client(token=token_for(app, "医政科员", "department", "医政科"))
    body = {"received_on": office.today().isoformat(), "summary": "已落实"}
    assert department.post(f"/api/v1/documents/{other['id']}/reply", json=body).status_code == 404
    answer = department.post(f"/api/v1/documents/{own['id']}/reply", json=body)
    assert answer.status_code == 201 and answer.json["reply"]["recorded_by"] == "医政科员"
    leader = app.test_client(token=token_for(app, "局长", "leader"))
    assert leader.post(f"/api/v1/documents/{other['id']}/reply", json=body).status_code == 403
    audit = client.get("/api/v1/audit", query_string={"action": "reply"}).json
    assert [(e["actor"], e["target"]) for e in audit] == [("医政科员", own["number"])]


def test_a_paper_with_its_next_step_is_escalated_and_shows_it(client, office):
    paper = issue(client, reminder(office, back=10, days=3))
    notice = issue(client, dict(example("accountability-notice"), prompt_number=paper["number"]), kind="accountability-notice")
    shown = client.get(f"/api/v1/documents/{paper['id']}").json
    assert shown["state"] == "escalated" and shown["followed_by"] == notice["id"]
    assert notice["follows"] == paper["id"]
    assert client.get("/api/v1/documents", query_string={"overdue": "true"}).json == []
    # the next step voided: the reminder is overdue again
    client.post(f"/api/v1/documents/{notice['id']}/void", json={"reason": "误发"})
    assert client.get(f"/api/v1/documents/{paper['id']}").json["state"] == "overdue"


def test_a_replied_reminder_leaves_the_dashboard_and_cli_overdue_list(client, office, data_dir, tmp_path):
    late = issue(client, reminder(office, back=10, days=3))
    answered = issue(client, reminder(office, recipient="区中医院", back=10, days=3))
    client.post(f"/api/v1/documents/{answered['id']}/reply",
                json={"received_on": (office.today() - dt.timedelta(days=8)).isoformat(), "summary": "按期回复"})
    board = client.get("/").get_data(as_text=True)
    assert f'data-id="{late["id"]}"' in board and f'data-id="{answered["id"]}"' not in board
    printed = docgen("register", "--overdue", data_dir=data_dir, cwd=tmp_path).stdout
    assert late["number"] in printed and answered["number"] not in printed


def test_the_form_records_a_reply_and_shows_the_state_in_chinese(client, office):
    paper = issue(client, reminder(office, back=10, days=3))
    page = client.get(f"/documents/{paper['id']}").get_data(as_text=True)
    assert "已逾期" in page and "登记书面回复" in page and 'id="next-step"' in page and "起草督查问责通知书" in page
    token = csrf_token(client, f"/documents/{paper['id']}")
    bad = client.post(f"/documents/{paper['id']}/reply", data={"csrf_token": token, "received_on": office.today().isoformat(), "summary": ""})
    assert bad.status_code == 303
    assert "必填，写回复的主要内容" in client.get(bad.headers["Location"]).get_data(as_text=True)
    assert client.get(f"/api/v1/documents/{paper['id']}").json["reply"] is None
    done = client.post(f"/documents/{paper['id']}/reply", content_type="multipart/form-data", data={
        "csrf_token": token, "received_on": office.today().isoformat(), "summary": "已整改到位", "file": (io.BytesIO(b"%PDF-1.4"), "回复.pdf")})
    assert done.status_code == 303
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "已登记" in page and "已回复" in page and "已整改到位" in page and "回复.pdf" in page
    assert "登记书面回复" not in page and 'id="next-step"' not in page
    register = client.get("/register").get_data(as_text=True)
    assert "已回复" in register
