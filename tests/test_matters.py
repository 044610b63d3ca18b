"""Matters under supervision (督查事项) through the API: 立项, import from a 重点工作台帐, lights,
progress reports, 报结 and 撤销, papers that name a matter, who may see and report what."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3

import pytest

from docgen.services.matters import Milestone, parse_milestones
from tests.conftest import example, token_for, xlsx


def days(app, n: int) -> str:
    return (app.extensions["docgen"].today() + dt.timedelta(days=n)).isoformat()


def register(client, **fields) -> dict:
    body = {"title": "院感防控专项整治", "source": "局长办公会", "department": "医政科", "deadline": "2100-12-31"} | fields
    answer = client.post("/api/v1/matters", json=body)
    assert answer.status_code == 201, answer.json
    return answer.json


def matter_count(data_dir) -> int:
    with sqlite3.connect(data_dir / "docgen.sqlite3") as db:
        return db.execute("SELECT count(*) FROM matters").fetchone()[0]


# -- 立项 --------------------------------------------------------------------------------------------
def test_registering_a_matter_gives_it_the_next_code_and_a_location(app, client):
    first = register(client, leader="王副局长")
    second = client.post("/api/v1/matters", json={"title": "冬季传染病防控", "source": "区委交办", "department": "疾控科",
                                                  "deadline": days(app, 60)})
    assert second.status_code == 201
    year = app.extensions["docgen"].today().year
    assert first["code"] == f"东卫督项〔{year}〕1号" and second.json["code"] == f"东卫督项〔{year}〕2号"
    assert second.headers["Location"] == f"/api/v1/matters/{second.json['id']}"
    shown = client.get(second.headers["Location"]).json
    assert shown["title"] == "冬季传染病防控" and shown["status"] == "open" and shown["light"] == "green"
    assert shown["leader"] is None and first["leader"] == "王副局长"
    assert shown["timeline"][0]["type"] == "opened"


def test_bad_matters_are_refused_field_by_field_and_nothing_is_stored(app, client, data_dir):
    answer = client.post("/api/v1/matters", json={"title": " ", "department": "医政科", "deadline": "2026-13-01",
                                                  "milestones": [{"measure": "x", "due_on": "明年"}], "colour": "red"})
    assert answer.status_code == 422
    locs = {d["loc"]: d["msg"] for d in answer.json["details"]}
    assert {"title", "source", "deadline", "milestones.0.due_on", "colour"} <= set(locs)
    assert locs["source"] == "必填" and locs["colour"] == "没有这个字段"
    early = client.post("/api/v1/matters", json={"title": "a", "source": "b", "department": "c", "opened_on": days(app, -5),
                                                 "deadline": days(app, -6)})
    assert early.status_code == 422 and early.json["details"][0]["loc"] == "deadline"
    future = client.post("/api/v1/matters", json={"title": "a", "source": "b", "department": "c", "opened_on": days(app, 3),
                                                  "deadline": days(app, 9)})
    assert future.status_code == 422 and future.json["details"][0]["loc"] == "opened_on"
    control = client.post("/api/v1/matters", json={"title": "a\u0007", "source": "b", "department": "c", "deadline": days(app, 9)})
    assert control.status_code == 422 and control.json["details"][0]["loc"] == "title"
    assert client.post("/api/v1/matters", data="x", content_type="text/plain").status_code == 415
    assert matter_count(data_dir) == 0
    # a refused request took no code
    assert register(client)["code"].endswith("〕1号")


# -- lights ------------------------------------------------------------------------------------------
def test_lights_follow_deadlines_and_milestones(app, client):
    green = register(client, deadline=days(app, 30))
    yellow = register(client, deadline=days(app, 30), milestones=[{"due_on": days(app, 3), "measure": "完成摸底"}])
    red = register(client, opened_on=days(app, -40), deadline=days(app, 30),
                   milestones=[{"due_on": days(app, -1), "measure": "完成方案"}, {"measure": "每季度检查一次"}])
    late = register(client, opened_on=days(app, -40), deadline=days(app, -1))
    assert green["light"] == "green" and green["light_reason"] is None
    assert yellow["light"] == "yellow" and "完成摸底" in yellow["light_reason"]
    assert red["light"] == "red" and "完成方案" in red["light_reason"]
    assert late["light"] == "red" and "办结时限" in late["light_reason"]
    # the reasons name their days as the papers do (2026年11月23日), not 2026-11-23
    deadline = dt.date.fromisoformat(late["deadline"])
    assert f"{deadline.year}年{deadline.month}月{deadline.day}日" in late["light_reason"]
    assert not re.search(r"\d{4}-\d{2}-\d{2}", red["light_reason"] + yellow["light_reason"] + late["light_reason"])
    listed = client.get("/api/v1/matters?light=red")
    assert listed.status_code == 200 and {m["id"] for m in listed.json} == {red["id"], late["id"]}
    assert listed.headers["X-Total-Count"] == "2"
    # the undated milestone never turns a light
    assert red["milestones"][1] == {"due_on": None, "measure": "每季度检查一次", "done_on": None}


def test_the_yellow_warning_days_come_from_the_profile(tmp_path):
    from docgen import create_app

    profile = tmp_path / "p.toml"
    text = (__import__("docgen.profile", fromlist=["DEFAULT_PROFILE"]).DEFAULT_PROFILE).read_text(encoding="utf-8")
    profile.write_text(text.replace("warning_days = 7", "warning_days = 20").replace('prefix = "东卫督项"', 'prefix = "测督项"'),
                       encoding="utf-8")
    app = create_app({"DATA_DIR": str(tmp_path / "d"), "TESTING": True, "SECRET_KEY": "t", "PROFILE": str(profile)})
    made = register(app.test_client(), deadline=days(app, 15))
    assert made["light"] == "yellow" and made["code"].startswith("测督项〔")
    forestry = create_app({"DATA_DIR": str(tmp_path / "f"), "TESTING": True, "SECRET_KEY": "t", "PROFILE": "forestry"})
    made = register(forestry.test_client(), deadline=days(forestry, 15))
    assert made["light"] == "green" and made["code"].startswith("林督项〔")


def test_a_bad_matters_table_in_the_profile_stops_the_start(tmp_path):
    from docgen.errors import ProfileError
    from docgen.profile import DEFAULT_PROFILE, load_profile

    for bad, words in (("warning_days = -1", "warning_days"), ('colour = "red"', "colour")):
        profile = tmp_path / "p.toml"
        profile.write_text(DEFAULT_PROFILE.read_text(encoding="utf-8").replace("warning_days = 7", bad), encoding="utf-8")
        with pytest.raises(ProfileError, match=words):
            load_profile(profile)


# -- progress, 报结, 撤销 ---------------------------------------------------------------------------------
def test_a_progress_report_marks_milestones_done_and_joins_the_timeline(app, client):
    matter = register(client, opened_on=days(app, -40), deadline=days(app, 60),
                      milestones=[{"due_on": days(app, -2), "measure": "完成方案"}, {"due_on": days(app, 40), "measure": "中期评估"}])
    assert matter["light"] == "red"
    answer = client.post(matter["links"]["progress"], json={"reported_on": days(app, -1), "period": "weekly", "progress": "方案已印发",
                                                            "needs_coordination": "需财务科配合", "milestones_done": [0]})
    assert answer.status_code == 201, answer.json
    assert answer.json["milestones_done"] == [0] and answer.json["reported_by"] == "测试管理员"
    shown = client.get(matter["links"]["self"]).json
    assert shown["light"] == "green"
    assert shown["milestones"][0]["done_on"] == days(app, -1) and shown["milestones"][1]["done_on"] is None
    assert [e["type"] for e in shown["timeline"]] == ["opened", "progress", "milestone"]
    assert "需财务科配合" in shown["timeline"][1]["text"]
    assert shown["progress"][0]["progress"] == "方案已印发"


def test_bad_progress_reports_change_nothing(app, client):
    matter = register(client, milestones=[{"due_on": days(app, 40), "measure": "中期评估"}])
    bad = client.post(matter["links"]["progress"], json={"period": "daily", "progress": "", "milestones_done": [-1]})
    assert bad.status_code == 422
    assert {"period", "progress", "milestones_done.0"} <= {d["loc"] for d in bad.json["details"]}
    missing = client.post(matter["links"]["progress"], json={"period": "monthly", "progress": "x", "milestones_done": [0, 5]})
    assert missing.status_code == 422 and missing.json["details"][0]["loc"] == "milestones_done.1"
    future = client.post(matter["links"]["progress"], json={"period": "monthly", "progress": "x", "reported_on": days(app, 2)})
    assert future.status_code == 422 and future.json["details"][0]["loc"] == "reported_on"
    shown = client.get(matter["links"]["self"]).json
    assert shown["progress"] == [] and shown["milestones"][0]["done_on"] is None
    assert client.post("/api/v1/matters/nope/progress", json={"period": "weekly", "progress": "x"}).status_code == 404


def test_closing_and_cancelling(app, client):
    matter = register(client)
    closed = client.post(matter["links"]["close"], json={"result": "已完成整治，通过验收"})
    assert closed.status_code == 200 and closed.json["status"] == "done" and closed.json["light"] is None
    assert closed.json["closed_on"] == days(app, 0) and closed.json["timeline"][-1]["type"] == "closed"
    again = client.post(matter["links"]["close"], json={"result": "x"})
    assert again.status_code == 409
    assert client.post(matter["links"]["progress"], json={"period": "weekly", "progress": "x"}).status_code == 409
    other = register(client)
    assert client.post(other["links"]["cancel"], json={}).status_code == 422
    assert client.post(other["links"]["close"], json={"result": "x", "closed_on": days(app, -3000)}).status_code == 422
    cancelled = client.post(other["links"]["cancel"], json={"reason": "并入院感防控专项整治"})
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert cancelled.json["cancel_reason"] == "并入院感防控专项整治"
    assert client.post(other["links"]["cancel"], json={"reason": "x"}).status_code == 409
    statuses = {m["id"]: m["status"] for m in client.get("/api/v1/matters").json}
    assert statuses == {matter["id"]: "done", other["id"]: "cancelled"}
    assert [m["id"] for m in client.get("/api/v1/matters?status=done").json] == [matter["id"]]
    actions = [(e["action"], e["target"]) for e in client.get("/api/v1/audit?action=matter").json]
    assert (("matter", matter["code"]) in actions) and len(actions) == 4  # two registered, one closed, one cancelled


# -- the list ------------------------------------------------------------------------------------------
def test_the_list_filters_pages_and_refuses_unknown_parameters(app, client):
    for i in range(3):
        register(client, title=f"医政工作{i}", department="医政科")
    register(client, title="冬季传染病防控", department="疾控科", leader="李副局长")
    assert len(client.get("/api/v1/matters?department=医政科").json) == 3
    assert [m["title"] for m in client.get("/api/v1/matters", query_string={"q": "传染病"}).json] == ["冬季传染病防控"]
    assert [m["title"] for m in client.get("/api/v1/matters", query_string={"q": "李副局长"}).json] == ["冬季传染病防控"]
    page = client.get("/api/v1/matters?per_page=2&page=2")
    assert len(page.json) == 2 and page.headers["X-Total-Count"] == "4"
    year = app.extensions["docgen"].today().year
    assert len(client.get(f"/api/v1/matters?year={year}").json) == 4 and client.get("/api/v1/matters?year=2001").json == []
    for bad in ("light=blue", "status=closed", "per_page=0", "year=1999", "colour=red"):
        answer = client.get(f"/api/v1/matters?{bad}")
        assert answer.status_code == 422, bad
        assert answer.json["details"][0]["loc"] == f"(query).{bad.split('=')[0]}"


# -- who may do what ----------------------------------------------------------------------------------
def test_a_department_sees_and_reports_only_on_its_own_matters(app, client):
    own = register(client, department="医政科")
    other = register(client, department="疾控科")
    dept = app.test_client(token=token_for(app, "医政科干事", "department", "医政科"))
    assert [m["id"] for m in dept.get("/api/v1/matters").json] == [own["id"]]
    assert dept.get("/api/v1/matters?department=疾控科").json == []
    assert dept.get(other["links"]["self"]).status_code == 404
    assert dept.post(other["links"]["progress"], json={"period": "weekly", "progress": "x"}).status_code == 404
    assert dept.post(own["links"]["progress"], json={"period": "weekly", "progress": "按计划推进"}).status_code == 201
    assert dept.post(own["links"]["close"], json={"result": "x"}).status_code == 403
    assert dept.post(own["links"]["cancel"], json={"reason": "x"}).status_code == 403
    assert dept.post("/api/v1/matters", json={"title": "a", "source": "b", "department": "医政科", "deadline": days(app, 9)}).status_code == 403
    leader = app.test_client(token=token_for(app, "局长", "leader"))
    assert len(leader.get("/api/v1/matters").json) == 2
    assert leader.post(own["links"]["progress"], json={"period": "weekly", "progress": "x"}).status_code == 403
    progress = [e for e in client.get("/api/v1/audit?action=progress").json]
    assert progress[0]["actor"] == "医政科干事" and progress[0]["target"] == own["code"]


# -- from a 重点工作台帐 ---------------------------------------------------------------------------------------
def test_milestones_are_read_from_the_ledgers_measures():
    assert parse_milestones("3月：完成方案；6月：中期评估；12月：总结", 2026) == [
        Milestone(dt.date(2026, 3, 31), "完成方案"), Milestone(dt.date(2026, 6, 30), "中期评估"), Milestone(dt.date(2026, 12, 31), "总结"),
    ]
    assert parse_milestones("３月份:完成摸底,形成报告; 二月：动员\n十一月：验收", 2026) == [
        Milestone(dt.date(2026, 3, 31), "完成摸底,形成报告"), Milestone(dt.date(2026, 2, 28), "动员"),
        Milestone(dt.date(2026, 11, 30), "验收"),
    ]
    assert parse_milestones("10月15日：上报；12月底：总结", 2026) == [Milestone(dt.date(2026, 10, 15), "上报"),
                                                                  Milestone(dt.date(2026, 12, 31), "总结")]
    # no month, a range, a season: one undated milestone, nothing guessed
    assert parse_milestones("每季度末月开展一次检查", 2026) == [Milestone(None, "每季度末月开展一次检查")]
    assert parse_milestones("3-4月：集中整治", 2026) == [Milestone(None, "3-4月：集中整治")]
    assert parse_milestones("全年推进；5月：中期检查", 2026) == [Milestone(None, "全年推进"), Milestone(dt.date(2026, 5, 31), "中期检查")]
    assert parse_milestones("2月30日：上报", 2026) == [Milestone(None, "2月30日：上报")]
    assert parse_milestones("13月：x", 2026) == [Milestone(None, "13月：x")]
    assert parse_milestones("1月：动员；3、4月：集中检查；6月：总结", 2026) == [
        Milestone(dt.date(2026, 1, 31), "动员"), Milestone(None, "3、4月：集中检查"), Milestone(dt.date(2026, 6, 30), "总结"),
    ]
    assert parse_milestones("三、四月：检查", 2026) == [Milestone(None, "三、四月：检查")]


def ledger(app, **fields) -> dict:
    data = example("key-work-ledger") | {"year": app.extensions["docgen"].today().year}
    return data | fields


def test_a_ledger_becomes_one_matter_per_row(app, client, data_dir):
    answer = client.post("/api/v1/matters/import", json={"ledger": ledger(app)})
    assert answer.status_code == 201, answer.json
    first, second = answer.json
    year = app.extensions["docgen"].today().year
    assert first["title"] == "基层医疗机构服务能力提升" and first["department"] == "医政科"
    assert first["source"] == f"{year}年度重点工作台帐（医政科）" and first["deadline"] == f"{year}-12-31"
    assert [m["due_on"] for m in first["milestones"]] == [f"{year}-03-31", f"{year}-06-30", f"{year}-10-31"]
    assert second["milestones"] == [{"due_on": None, "measure": "每季度末月对辖区医院开展一次院感专项检查，并形成检查报告", "done_on": None}]
    # the same ledger again: refused whole, row by row
    again = client.post("/api/v1/matters/import", json={"ledger": ledger(app)})
    assert again.status_code == 409 and [d["loc"] for d in again.json["details"]] == ["ledger.rows.0.work", "ledger.rows.1.work"]
    bad = client.post("/api/v1/matters/import", json={"ledger": ledger(app, rows=[{"work": "x"}], year=1990)})
    assert bad.status_code == 422 and {"ledger.rows.0.measures", "ledger.year"} <= {d["loc"] for d in bad.json["details"]}
    past = client.post("/api/v1/matters/import", json={"ledger": ledger(app, year=year - 1, department="疾控科")})
    assert past.status_code == 422 and past.json["details"][0]["loc"] == "ledger.year"
    assert client.post("/api/v1/matters/import", json={"rows": []}).status_code == 422
    assert matter_count(data_dir) == 2


def test_a_ledger_spreadsheet_is_imported_with_its_year_and_department_from_the_form(app, client):
    year = app.extensions["docgen"].today().year
    sheet = xlsx([["重点工作", "具体措施"], ["家庭医生签约", "4月：完成签约方案；9月：签约率达到40%"], ["慢病管理", "全年随访"]])
    answer = client.post("/api/v1/matters/import", data={"file": (__import__("io").BytesIO(sheet), "台帐.xlsx"),
                                                        "year": str(year), "department": "基层卫生科"})
    assert answer.status_code == 201, answer.json
    assert [m["title"] for m in answer.json] == ["家庭医生签约", "慢病管理"]
    assert answer.json[0]["milestones"][1] == {"due_on": f"{year}-09-30", "measure": "签约率达到40%", "done_on": None}
    missing = client.post("/api/v1/matters/import", data={"file": (__import__("io").BytesIO(sheet), "台帐.xlsx")})
    assert missing.status_code == 422 and {"年度", "科室"} <= {d["loc"] for d in missing.json["details"]}
    wrong = client.post("/api/v1/matters/import", data={"file": (__import__("io").BytesIO(b"x"), "a.doc")})
    assert wrong.status_code == 415


def test_progress_comes_from_a_spreadsheet_all_or_nothing(app, client):
    matter = register(client, opened_on=days(app, -30), milestones=[{"due_on": days(app, 20), "measure": "中期评估"}])
    good = xlsx([["事项编号", "报送日期", "报送类型", "工作进展", "需要局领导协调的问题", "完成的节点"],
                 [matter["code"], days(app, -1), "周报", "完成中期评估", "", "1"]])
    bad = xlsx([["事项编号", "报送日期", "报送类型", "工作进展"], [matter["code"], days(app, -1), "日报", "x"], ["东卫督项〔1999〕9号", days(app, -1), "月报", "x"]])
    refused = client.post("/api/v1/matters/progress/import", data={"file": (__import__("io").BytesIO(bad), "进展.xlsx")})
    assert refused.status_code == 422
    assert {d["loc"] for d in refused.json["details"]} == {"第2行.报送类型", "第3行.事项编号"}
    assert client.get(matter["links"]["self"]).json["progress"] == []
    made = client.post("/api/v1/matters/progress/import", data={"file": (__import__("io").BytesIO(good), "进展.xlsx")})
    assert made.status_code == 201, made.json
    assert made.json[0]["period"] == "weekly" and made.json[0]["milestones_done"] == [0]
    assert client.get(matter["links"]["self"]).json["milestones"][0]["done_on"] == days(app, -1)
    as_json = client.post("/api/v1/matters/progress/import", json={"reports": [{"matter": matter["id"], "period": "monthly", "progress": "y"}]})
    assert as_json.status_code == 201 and as_json.json[0]["matter_id"] == matter["id"]


# -- papers about a matter --------------------------------------------------------------------------------
def test_a_paper_naming_a_matter_takes_its_recipient_and_work_and_joins_its_timeline(app, client):
    matter = register(client, department="区人民医院", title="院感防控专项整治")
    answer = client.post("/api/v1/documents/supervision-prompt", json={"matter_id": matter["code"], "findings": ["落实进展缓慢"]})
    assert answer.status_code == 201, answer.json
    assert answer.json["recipient"] == "区人民医院" and answer.json["payload"]["matter"] == "院感防控专项整治"
    assert answer.json["payload"]["matter_id"] == matter["id"]
    own = client.post("/api/v1/documents/supervision-prompt", json={"matter_id": matter["id"], "findings": ["工作未落实"],
                                                                   "recipient": "区人民医院感染管理科", "matter": "手卫生"})
    assert own.json["recipient"] == "区人民医院感染管理科" and own.json["payload"]["matter"] == "手卫生"  # payload values win
    shown = client.get(matter["links"]["self"]).json
    assert [p["number"] for p in shown["papers"]] == [answer.json["number"], own.json["number"]]
    assert [e["type"] for e in shown["timeline"]] == ["opened", "paper", "paper"]
    unknown = client.post("/api/v1/documents/supervision-prompt", json={"matter_id": "no-such", "findings": ["工作未落实"]})
    assert unknown.status_code == 422 and unknown.json["details"] == [{"loc": "matter_id", "msg": "没有 id 或编号为 no-such 的督查事项"}]
    batch = client.post("/api/v1/batches", json={"kind": "supervision-prompt", "items": [{"matter_id": "x", "findings": ["工作未落实"]}]})
    assert batch.status_code == 422 and batch.json["details"][0]["loc"] == "items.0.matter_id"


def test_an_overdue_paper_about_a_matter_turns_it_red(app, client):
    matter = register(client, department="区人民医院", opened_on=days(app, -60))
    answer = client.post("/api/v1/documents/supervision-prompt", json={
        "matter_id": matter["id"], "findings": ["落实进展缓慢"], "reply_days": 3, "count_calendar_days": True,
        "issued_on": days(app, -20), "date_reason": "补录"})
    assert answer.status_code == 201, answer.json
    shown = client.get(matter["links"]["self"]).json
    assert shown["light"] == "red" and "回复期限" in shown["light_reason"]
    assert shown["papers"][0]["state"] == "overdue"
    assert shown["timeline"][1]["type"] == "paper" and shown["timeline"][1]["text"].endswith("（逾期未回复）")
    # voided, the paper no longer turns the matter red
    assert client.post(f"/api/v1/documents/{answer.json['id']}/void", json={"reason": "发错"}).status_code == 200
    shown = client.get(matter["links"]["self"]).json
    assert shown["light"] == "green" and shown["papers"][0]["state"] == "voided" and shown["timeline"][1]["text"].endswith("（已作废）")


# -- papers drafted from the matters -------------------------------------------------------------------------
def test_the_supervision_ledger_and_report_are_drafted_from_the_matters(app, client):
    from tests.docx_text import text

    today = app.extensions["docgen"].today()
    soon = register(client, title="院感防控专项整治", department="医政科", opened_on=days(app, -10), deadline="2100-12-31",
                    milestones=[{"due_on": today.isoformat(), "measure": "完成全区医院自查"}])
    register(client, title="冬季传染病防控", department="疾控科", deadline="2100-12-31")
    client.post(soon["links"]["progress"], json={"period": "weekly", "progress": "已完成8家医院自查", "problems": "2家医院消毒记录不全",
                                                 "needs_coordination": "需监督所联合检查"})
    draft = client.post("/api/v1/drafts/supervision-ledger", json={"from_matters": {}})
    assert draft.status_code == 200, draft.json
    body = text(draft.data)
    assert "院感防控专项整治：完成全区医院自查" in body and "医政科" in body and "冬季传染病防控" not in body
    issued = client.post("/api/v1/documents/supervision-report", json={"from_matters": {"department": "医政科"}, "reporter": "张明"})
    assert issued.status_code == 201, issued.json
    payload = issued.json["payload"]
    assert payload["department"] == "医政科" and "院感防控专项整治" in payload["content"]
    assert "已完成8家医院自查" in payload["result"] and "2家医院消毒记录不全" in payload["result"]
    assert "需监督所联合检查" in payload["improvements"] and "from_matters" not in payload
    # given fields win; what cannot be drafted from matters says so
    own = client.post("/api/v1/drafts/supervision-report", json={"from_matters": {"department": "医政科"}, "reporter": "张明",
                                                                 "improvements": "下周期重点检查消毒供应中心。"})
    assert "下周期重点检查消毒供应中心。" in text(own.data)
    for body, loc in (({"from_matters": {"department": "医政科"}}, "from_matters"),):
        refused = client.post("/api/v1/drafts/supervision-prompt", json=body)
        assert refused.status_code == 422 and refused.json["details"][0]["loc"] == loc
    unknown = client.post("/api/v1/drafts/supervision-ledger", json={"from_matters": {"colour": "red"}})
    assert unknown.status_code == 422 and unknown.json["details"][0]["loc"] == "from_matters.colour"
    nobody = client.post("/api/v1/drafts/supervision-report", json={"from_matters": {"department": "财务科"}, "reporter": "张明"})
    assert nobody.status_code == 422 and nobody.json["details"][0]["loc"] == "from_matters.department"
    empty = client.post("/api/v1/drafts/supervision-ledger", json={"from_matters": {"year": 2030, "month": 1}})
    assert empty.status_code == 422
