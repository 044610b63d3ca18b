"""Replies to the papers about a matter join its timeline, with the replies service's paper states."""

from __future__ import annotations

import datetime as dt

import pytest


def test_a_reply_to_a_paper_about_a_matter_joins_its_timeline_and_clears_the_red(app, client):
    pytest.importorskip("docgen.services.states")
    today = app.extensions["docgen"].today()
    matter = client.post("/api/v1/matters", json={"title": "院感防控专项整治", "source": "局长办公会", "department": "区人民医院",
                                                  "opened_on": (today - dt.timedelta(days=60)).isoformat(), "deadline": "2100-12-31"}).json
    paper = client.post("/api/v1/documents/supervision-prompt", json={
        "matter_id": matter["id"], "findings": ["落实进展缓慢"], "reply_days": 3, "count_calendar_days": True,
        "issued_on": (today - dt.timedelta(days=20)).isoformat(), "date_reason": "补录"}).json
    assert client.get(matter["links"]["self"]).json["light"] == "red"
    received = (today - dt.timedelta(days=10)).isoformat()
    answer = client.post(f"/api/v1/documents/{paper['id']}/reply", json={"received_on": received, "summary": "已完成手卫生培训"})
    assert answer.status_code in (200, 201), answer.json
    shown = client.get(matter["links"]["self"]).json
    assert shown["light"] == "green"
    assert shown["papers"][0]["state"] == "replied"
    assert shown["papers"][0]["reply"] == {"received_on": received, "summary": "已完成手卫生培训", "on_time": False}
    assert [e["type"] for e in shown["timeline"]] == ["opened", "paper", "reply"]
    assert shown["timeline"][2]["text"] == "收到书面回复（逾期）：已完成手卫生培训"
