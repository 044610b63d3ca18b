"""Escalation chains: the refusals of a next step, the list of overdue papers and the run that makes their next papers."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from docgen import create_app
from docgen.kinds import BUNDLED, activate
from tests.conftest import example
from tests.test_batch import wait_done
from tests.test_cli import docgen


def issue(client, payload: dict, kind: str = "supervision-prompt", status: int = 201) -> dict:
    answer = client.post(f"/api/v1/documents/{kind}", json=payload)
    assert answer.status_code == status, answer.json
    return answer.json


def reminder(office, recipient: str, back: int = 10, days: int = 3) -> dict:
    issued_on = office.today() - dt.timedelta(days=back)
    return dict(example("supervision-prompt"), recipient=recipient, reply_days=days, count_calendar_days=True,
                issued_on=issued_on.isoformat())


def notice(number: str, **extra) -> dict:
    return {"follows": number, **extra}


def test_a_reminder_not_yet_overdue_is_422_not_overdue_unless_a_reason_is_given(client, office):
    fresh = issue(client, reminder(office, "区人民医院", back=0, days=10))
    refused = issue(client, notice(fresh["number"]), "accountability-notice", 422)
    assert refused["error"] == "not_overdue" and "尚未届满" in refused["details"][0]["msg"]
    assert refused["details"][0]["loc"] == "prompt_number"
    forced = issue(client, notice(fresh["number"], force_reason="局党委决定提前问责"), "accountability-notice")
    assert forced["force_reason"] == "局党委决定提前问责" and forced["follows"] == fresh["id"]
    assert client.get(f"/api/v1/documents/{fresh['id']}").json["state"] == "escalated"


def test_a_reminder_answered_on_time_is_not_overdue(client, office):
    answered = issue(client, reminder(office, "区中医院"))
    client.post(f"/api/v1/documents/{answered['id']}/reply",
                json={"received_on": (office.today() - dt.timedelta(days=9)).isoformat(), "summary": "已整改"})
    refused = issue(client, notice(answered["number"]), "accountability-notice", 422)
    assert refused["error"] == "not_overdue" and "收到书面回复" in refused["details"][0]["msg"]
    assert client.get("/api/v1/escalations").json == []


def test_a_second_next_step_is_409_already_escalated_until_the_first_is_voided(client, office):
    late = issue(client, reminder(office, "卫生监督所"))
    first = issue(client, notice(late["number"]), "accountability-notice")
    again = issue(client, notice(late["number"]), "accountability-notice", 409)
    assert again["error"] == "already_escalated" and first["number"] in again["message"]
    client.post(f"/api/v1/documents/{first['id']}/void", json={"reason": "内容有误"})
    second = issue(client, {"prompt_number": late["number"]}, "accountability-notice")  # the kind's own field still works
    assert client.get(f"/api/v1/documents/{late['id']}").json["followed_by"] == second["id"]


def test_a_paper_of_the_wrong_kind_is_422_wrong_kind(client, office):
    issue(client, reminder(office, "区人民医院"))
    late = issue(client, reminder(office, "区中医院"))
    step = issue(client, notice(late["number"]), "accountability-notice")
    wrong = issue(client, notice(step["number"]), "accountability-notice", 422)
    assert wrong["error"] == "wrong_kind" and "督查问责通知书" in wrong["message"]


def test_the_list_and_the_run_make_one_next_paper_per_overdue_one(client, office):
    late = [issue(client, reminder(office, f"第{i}医院")) for i in range(1, 4)]
    answered = issue(client, reminder(office, "区中医院"))
    client.post(f"/api/v1/documents/{answered['id']}/reply",
                json={"received_on": (office.today() - dt.timedelta(days=8)).isoformat(), "summary": "按期回复"})
    listed = client.get("/api/v1/escalations").json
    assert sorted(e["document"]["id"] for e in listed) == sorted(p["id"] for p in late)
    assert {e["next_kind"] for e in listed} == {"accountability-notice"} and {e["days_overdue"] for e in listed} == {7}
    # as of the deadline nothing was overdue yet
    due = late[0]["due_on"]
    assert client.get("/api/v1/escalations", query_string={"as_of": due}).json == []
    ahead = client.post("/api/v1/escalations/run", json={"as_of": (office.today() + dt.timedelta(days=1)).isoformat()})
    assert ahead.status_code == 422 and ahead.json["details"][0]["loc"] == "as_of"
    run = client.post("/api/v1/escalations/run", json={"issue": True})
    assert run.status_code == 202, run.json
    batch = wait_done(lambda i: client.get(f"/api/v1/batches/{i}").json, run.json["id"])
    assert batch["status"] == "done" and batch["kind"] == "accountability-notice" and batch["total"] == 3
    for paper in late:
        assert client.get(f"/api/v1/documents/{paper['id']}").json["state"] == "escalated"
    assert client.get("/api/v1/escalations").json == []
    packet = client.get(batch["links"]["packet"])
    assert packet.status_code == 200 and packet.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(packet.data)).pages)
    assert "督查问责通知书" in text and late[0]["number"] in text
    again = client.post("/api/v1/escalations/run", json={"issue": True})
    assert again.status_code == 422 and "没有逾期" in again.json["message"]


def test_a_department_lists_only_its_own_overdue_papers_and_may_not_run(app, client, office):
    from tests.conftest import token_for

    issue(client, reminder(office, "医政科"))
    issue(client, reminder(office, "区中医院"))
    department = app.test_client(token=token_for(app, "医政科员", "department", "医政科"))
    assert [e["document"]["recipient"] for e in department.get("/api/v1/escalations").json] == ["医政科"]
    assert department.post("/api/v1/escalations/run", json={}).status_code == 403


def test_docgen_escalate_lists_then_issues_the_packet(tmp_path, data_dir, app, client, office):
    late = issue(client, reminder(office, "区人民医院"))
    listing = docgen("escalate", data_dir=data_dir, cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert late["number"] in listing.stdout and "督查问责通知书" in listing.stdout and "共 1 份" in listing.stderr
    made = docgen("escalate", "--issue", "-o", str(tmp_path / "packet.pdf"), data_dir=data_dir, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "packet.pdf").read_bytes().startswith(b"%PDF")
    assert client.get(f"/api/v1/documents/{late['id']}").json["state"] == "escalated"
    nothing = docgen("escalate", "--issue", "-o", str(tmp_path / "again.pdf"), data_dir=data_dir, cwd=tmp_path)
    assert nothing.returncode != 0 and "没有逾期" in nothing.stderr and not (tmp_path / "again.pdf").exists()


@pytest.fixture
def forestry(data_dir, monkeypatch):
    monkeypatch.setenv("DOCGEN_PROFILE", "forestry")
    app = create_app({"DATA_DIR": str(data_dir), "TESTING": True, "SECRET_KEY": "test"})
    yield app
    activate(BUNDLED)


def test_the_forestry_chain_runs_three_rounds(forestry):
    client = forestry.test_client()
    office = forestry.extensions["docgen"]

    def example_of(kind):
        return client.get(f"/api/v1/kinds/{kind}").json["example"]

    back = (office.today() - dt.timedelta(days=20)).isoformat()
    first = issue(client, dict(example_of("rectification-notice"), reply_days=3, count_calendar_days=True, issued_on=back),
                  "rectification-notice")
    listed = client.get("/api/v1/escalations").json
    assert [(e["document"]["id"], e["next_kind"]) for e in listed] == [(first["id"], "yellow-card-warning")]
    second_day = (office.today() - dt.timedelta(days=10)).isoformat()
    second = issue(client, dict(example_of("yellow-card-warning"), notice_number=None, follows=first["number"], reply_days=3,
                                count_calendar_days=True, issued_on=second_day), "yellow-card-warning")
    assert second["follows"] == first["id"]
    assert client.get(f"/api/v1/documents/{first['id']}").json["state"] == "escalated"
    listed = client.get("/api/v1/escalations").json
    assert [(e["document"]["id"], e["next_kind"]) for e in listed] == [(second["id"], "accountability-referral")]
    # the wrong round: a referral must follow a yellow card, not the rectification notice
    wrong = issue(client, dict(example_of("accountability-referral"), warning_number=first["number"]), "accountability-referral", 422)
    assert wrong["error"] == "wrong_kind"
    third = issue(client, dict(example_of("accountability-referral"), warning_number=second["number"]), "accountability-referral")
    assert third["follows"] == second["id"]
    assert client.get("/api/v1/escalations").json == []


def test_the_dashboard_button_runs_the_escalation_as_one_batch(client, office):
    from tests.test_web import csrf_token

    late = [issue(client, reminder(office, f"第{i}卫生院")) for i in (1, 2)]
    board = client.get("/").get_data(as_text=True)
    assert "为 2 份逾期公文批量签发督查问责通知书" in board
    answer = client.post("/escalations/run", data={"csrf_token": csrf_token(client, "/"), "next_kind": "accountability-notice"})
    assert answer.status_code == 303 and "/batches/" in answer.headers["Location"]
    batch_id = answer.headers["Location"].rstrip("/").split("/")[-1]
    batch = wait_done(lambda i: client.get(f"/api/v1/batches/{i}").json, batch_id)
    assert batch["status"] == "done" and batch["total"] == 2
    assert {client.get(f"/api/v1/documents/{p['id']}").json["state"] for p in late} == {"escalated"}
    assert "份逾期公文批量签发" not in client.get("/").get_data(as_text=True)
