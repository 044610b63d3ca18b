"""The reports read real matters: lights as of the month's end, that month's progress reports,
the coordination asked for, next month's milestones; the quarterly bulletin counts them per unit."""

from __future__ import annotations

import datetime as dt
import io

import docx

from tests.docx_text import text


def tables(data: bytes) -> list[list[list[str]]]:
    return [[[c.text for c in r.cells] for r in t.rows] for t in docx.Document(io.BytesIO(data)).tables]


def test_last_months_report_shows_its_matters_as_of_its_last_day(app, client) -> None:
    today = app.extensions["docgen"].today()
    end = today.replace(day=1) - dt.timedelta(days=1)
    first = end.replace(day=1)
    late = client.post("/api/v1/matters", json={"title": "院感防控专项整治", "source": "局长办公会", "department": "医政科",
                                                "opened_on": first.isoformat(), "deadline": (first + dt.timedelta(days=5)).isoformat()}).json
    ahead = client.post("/api/v1/matters", json={
        "title": "家庭医生签约服务", "source": "重点工作台帐", "department": "基层卫生科", "opened_on": first.isoformat(),
        "deadline": "2100-12-31", "milestones": [{"due_on": (end + dt.timedelta(days=15)).isoformat(), "measure": "签约率达到40%"}]}).json
    # today the milestone may already be within the warning days (yellow); on the month's last day it was not
    assert late["light"] == "red" and ahead["light"] in ("green", "yellow")
    report = client.post(ahead["links"]["progress"], json={
        "reported_on": (first + dt.timedelta(days=10)).isoformat(), "period": "monthly", "progress": "完成签约方案",
        "needs_coordination": "需财务科安排签约经费"})
    assert report.status_code == 201, report.json
    # closed after the month's end: the report still sees it open (and red) on that day
    assert client.post(late["links"]["close"], json={"result": "已整改", "closed_on": today.isoformat()}).status_code == 200
    answer = client.post("/api/v1/reports/monthly", json={"year": first.year, "month": first.month})
    assert answer.status_code == 200, answer.json
    body = text(answer.data)
    assert "督查事项2项，其中已报结0项，正在推进2项（绿灯1项、黄灯0项、红灯1项）" in body
    assert "本月各科室报送进展情况1次" in body
    assert "院感防控专项整治" in body and late["code"] in body
    assert "基层卫生科“家庭医生签约服务”：需财务科安排签约经费" in body
    next_month = next(t for t in tables(answer.data) if t[0][0] == "时限")
    assert next_month[1][1:] == ["基层卫生科", "家庭医生签约服务", "签约率达到40%"]
    figures = {r[0]: r[1:] for r in next(t for t in tables(answer.data) if t[0][0] == "责任科室")[1:]}
    assert figures["医政科"][:2] == ["1", "0"] and figures["基层卫生科"][:2] == ["1", "0"]


def test_a_paper_about_a_matter_is_named_in_the_report_and_the_bulletin_counts_matters(app, client) -> None:
    today = app.extensions["docgen"].today()
    matter = client.post("/api/v1/matters", json={"title": "院感防控专项整治", "source": "局长办公会", "department": "区人民医院",
                                                  "deadline": "2100-12-31"}).json
    paper = client.post("/api/v1/documents/supervision-prompt", json={"matter_id": matter["id"], "findings": ["落实进展缓慢"]})
    assert paper.status_code == 201, paper.json
    done = client.post("/api/v1/matters", json={"title": "冬季传染病防控", "source": "区委交办", "department": "区人民医院",
                                                "deadline": "2100-12-31"}).json
    assert client.post(done["links"]["close"], json={"result": "已完成"}).status_code == 200
    quarter = (today.month - 1) // 3 + 1
    bulletin = client.post("/api/v1/reports/quarterly", json={"year": today.year, "quarter": quarter})
    assert bulletin.status_code == 200, bulletin.json
    units = next(t for t in tables(bulletin.data) if t[0][:5] == ["单位", "已报结", "推进中", "逾期", "收文"])
    assert next(r for r in units if r[0] == "区人民医院")[1:5] == ["1", "1", "0", "1"]
    monthly = client.post("/api/v1/reports/monthly", json={"year": today.year, "month": today.month, "with_papers": True})
    assert "院感防控专项整治" in text(monthly.data)
