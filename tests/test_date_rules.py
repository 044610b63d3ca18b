"""Dates that make sense: back-dating needs a reason, a paper never precedes the one it follows,
and the register never gives a later number to an earlier date silently."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

from tests.conftest import PROJECT, example


def reminder(**changes) -> dict:
    return dict(example("supervision-prompt"), **changes)


def issue(client, payload: dict, kind: str = "supervision-prompt"):
    return client.post(f"/api/v1/documents/{kind}", json=payload)


def day(office, offset: int) -> str:
    return (office.today() + dt.timedelta(days=offset)).isoformat()


def test_back_dating_is_refused_then_accepted_with_a_reason_that_the_audit_keeps(client, office):
    refused = issue(client, reminder(issued_on=day(office, -45)))
    assert refused.status_code == 422
    assert refused.json["details"][0]["loc"] == "issued_on"
    assert "45 天" in refused.json["details"][0]["msg"] and "date_reason" in refused.json["details"][0]["msg"]
    assert client.get("/api/v1/documents").json == []  # no number taken

    accepted = issue(client, reminder(issued_on=day(office, -45), date_reason="补录10月下发的纸质督办提示"))
    assert accepted.status_code == 201, accepted.json
    back = office.today() - dt.timedelta(days=45)
    assert accepted.json["number"] == f"东卫督办〔{back.year}〕1号"  # numbered in the series of its own year
    paper = client.get(accepted.json["links"]["self"]).json
    assert paper["payload"]["date_reason"] == "补录10月下发的纸质督办提示"
    page = client.get(f"/documents/{accepted.json['id']}").get_data(as_text=True)
    assert 'id="date-reason">补录10月下发的纸质督办提示<' in page  # the paper's page shows it too
    audit = client.get("/api/v1/audit").json
    entry = next(e for e in audit if e["action"] == "issue" and e["target"] == accepted.json["number"])
    assert entry["detail"]["date_reason"] == "补录10月下发的纸质督办提示"


def test_a_date_far_ahead_needs_a_reason_too(client, office):
    # (calendar days: the days ahead may lie in a year without holiday data)
    inside = issue(client, reminder(issued_on=day(office, 30), count_calendar_days=True))
    assert inside.status_code == 201, inside.json  # 30 days: still inside the window
    ahead = issue(client, reminder(issued_on=day(office, 31), count_calendar_days=True))
    assert ahead.status_code == 422 and ahead.json["details"][0]["loc"] == "issued_on"
    assert "晚于今天" in ahead.json["details"][0]["msg"]


def test_the_2010_series_and_years_outside_2000_to_2100_are_refused(client):
    old = issue(client, reminder(issued_on="2010-05-06"))
    assert old.status_code == 422 and old.json["details"][0]["loc"] == "issued_on"
    for bad in ("1999-12-31", "2101-01-01"):
        answer = issue(client, reminder(issued_on=bad, date_reason="试试"))
        assert answer.status_code == 422 and answer.json["details"][0]["loc"] == "issued_on", bad
    assert client.get("/api/v1/documents").json == []


def test_an_earlier_date_than_the_series_latest_needs_a_reason(client, office):
    later, earlier = day(office, -2), day(office, -9)
    if later[:4] != earlier[:4]:  # the first days of January: keep both in one series
        later, earlier = day(office, 9), day(office, 2)
    first = issue(client, reminder(issued_on=later))
    assert first.status_code == 201
    refused = issue(client, reminder(issued_on=earlier))
    assert refused.status_code == 422
    detail = refused.json["details"][0]
    assert detail["loc"] == "issued_on" and later in detail["msg"] and "date_reason" in detail["msg"]
    # the refused paper took no number: the next one still gets 2
    explained = issue(client, reminder(issued_on=earlier, date_reason="补发：原件遗失后按原日期重新下发"))
    assert explained.status_code == 201 and explained.json["number"].endswith("〕2号")
    assert issue(client, reminder(issued_on=later)).json["number"].endswith("〕3号")  # the same day as the latest is fine
    # another series (the report) is not held to the reminders' dates
    assert issue(client, dict(example("supervision-report"), report_date=earlier), "supervision-report").status_code == 201


def test_a_paper_is_never_dated_before_the_paper_it_follows(client, office):
    prompt = issue(client, reminder(issued_on=day(office, -10), reply_days=3)).json
    before = issue(client, {"prompt_number": prompt["number"], "issued_on": day(office, -12), "date_reason": "按原日期"},
                   "accountability-notice")
    assert before.status_code == 422
    detail = before.json["details"][0]
    assert detail["loc"] == "issued_on" and prompt["number"] in detail["msg"] and day(office, -10) in detail["msg"]
    after = issue(client, {"prompt_number": prompt["number"], "issued_on": day(office, -2)}, "accountability-notice")
    assert after.status_code == 201, after.json


def test_a_batch_with_a_back_dated_item_is_refused_before_anything_is_issued(client, office):
    items = [reminder(recipient="区人民医院"), reminder(recipient="区中医院", issued_on=day(office, -60))]
    refused = client.post("/api/v1/batches", json={"kind": "supervision-prompt", "items": items, "issue": True})
    assert refused.status_code == 422
    assert [d["loc"] for d in refused.json["details"]] == ["items.1.issued_on"]
    assert client.get("/api/v1/documents").json == []


def test_the_cli_meets_the_same_rule(tmp_path, data_dir):
    payload = tmp_path / "old.json"
    payload.write_text(json.dumps(reminder(issued_on="2010-05-06"), ensure_ascii=False), encoding="utf-8")
    env = dict(os.environ, DOCGEN_DATA_DIR=str(data_dir))
    result = subprocess.run([sys.executable, "-m", "docgen.cli", "issue", "supervision-prompt", str(payload)],
                            env=env, cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "成文日期距今超过 30 天" in result.stderr and "issued_on" in result.stderr


def test_the_window_comes_from_the_profile(tmp_path, data_dir):
    from docgen import create_app
    from docgen.profile import DEFAULT_PROFILE

    profile = tmp_path / "profile.toml"
    profile.write_text(DEFAULT_PROFILE.read_text(encoding="utf-8").replace("date_window_days = 30", "date_window_days = 90"),
                       encoding="utf-8")
    app = create_app({"DATA_DIR": str(data_dir), "TESTING": True, "SECRET_KEY": "t", "PROFILE": str(profile)})
    office = app.extensions["docgen"]
    assert office.profile.date_window_days == 90
    assert issue(app.test_client(), reminder(issued_on=day(office, -60))).status_code == 201
