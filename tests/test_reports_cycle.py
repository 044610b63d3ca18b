"""A month built through the API with replies and an escalation; the report's figures equal what was made.

Replies and their states come from the replies service (``docgen.services.states``);
the test is skipped in a tree where it has not landed yet.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import docx
import pytest

from docgen import create_app
from tests.docx_text import text


def prompt(client, recipient: str, issued_on: dt.date) -> dict:
    answer = client.post("/api/v1/documents/supervision-prompt", json={
        "recipient": recipient, "matter": "院感防控", "findings": ["落实进展缓慢"], "reply_days": 5,
        "issued_on": issued_on.isoformat(), "date_reason": "补录",
    })
    assert answer.status_code == 201, answer.json
    return answer.json


def test_replies_and_an_escalation_are_counted_as_of_the_month_end(app, client) -> None:
    pytest.importorskip("docgen.services.states")
    today = app.extensions["docgen"].today()
    last_month_end = today.replace(day=1) - dt.timedelta(days=1)
    first = last_month_end.replace(day=1)
    on_time = prompt(client, "医政科", first)
    late = prompt(client, "疾控科", first)
    missing = prompt(client, "区人民医院", first)
    assert client.post(f"/api/v1/documents/{on_time['id']}/reply",
                       json={"received_on": (first + dt.timedelta(days=2)).isoformat(), "summary": "已整改"}).status_code in (200, 201)
    assert client.post(f"/api/v1/documents/{late['id']}/reply",
                       json={"received_on": (first + dt.timedelta(days=20)).isoformat(), "summary": "已整改"}).status_code in (200, 201)
    notice = client.post("/api/v1/documents/accountability-notice", json={
        "recipient": "区人民医院", "matter": "院感防控", "findings": ["落实进展缓慢"], "prompt_number": missing["number"],
        "issued_on": (first + dt.timedelta(days=21)).isoformat(), "date_reason": "补录", "force_reason": "测试",
    })
    assert notice.status_code == 201, notice.json
    answer = client.post("/api/v1/reports/monthly", json={"year": first.year, "month": first.month})
    assert answer.status_code == 200, answer.json
    body = text(answer.data)
    assert "下发督办类文件4份（督办提示3份、督查问责通知书1份）" in body
    assert "升级督办1份" in body
    tables = [[[c.text for c in r.cells] for r in t.rows] for t in docx.Document(io.BytesIO(answer.data)).tables]
    units = {r[0]: r[1:] for r in next(t for t in tables if t[0][0] == "收文单位")[1:]}
    assert units["医政科"][:4] == ["1", "1", "0", "0"]
    assert units["疾控科"][:4] == ["1", "0", "1", "0"]
    # the prompt escalated with no reply, and the notice (3 days) overdue by the month's end
    assert units["区人民医院"] == ["2", "0", "0", "2", "1"]


def test_the_forestry_profile_makes_seed_002s_monthly_bulletin(tmp_path: Path) -> None:
    app = create_app({"DATA_DIR": str(tmp_path / "f"), "TESTING": True, "SECRET_KEY": "t", "PROFILE": "forestry"})
    client = app.test_client()
    today = app.extensions["docgen"].today()
    answer = client.post("/api/v1/documents/rectification-notice", json={})
    if answer.status_code != 201:  # a kind of the forestry folder: fill it from its example
        from docgen.kinds import KINDS

        data = dict(KINDS["rectification-notice"].example)
        data.pop("issued_on", None)
        answer = client.post("/api/v1/documents/rectification-notice", json=data)
    assert answer.status_code == 201, answer.json
    made = client.post("/api/v1/reports/bulletin", json={"year": today.year, "month": today.month, "issue": True})
    assert made.status_code == 201, made.json
    body = text(made.data)
    assert f"关于{today.year}年{today.month}月重点工作督查情况的通报" in body and "按照月通报制度" in body
    assert f"林督月通〔{today.year}〕1号" in body
    assert "第一次督查：下发《整改通知书》，通报批评1份" in body
    # the default profile has no 月通报
    other = create_app({"DATA_DIR": str(tmp_path / "d"), "TESTING": True, "SECRET_KEY": "t"}).test_client()
    refused = other.post("/api/v1/reports/bulletin", json={"year": today.year, "month": today.month})
    assert refused.status_code == 422 and refused.json["error"] == "report_not_offered"
