"""A month of seed 000's rhythm, played through the API, with every light and state checked on the way.

The ledger is imported; the departments report progress on the calendar's
days (Thursdays and the 23rd); reminders go out; one is answered on time, one
late, one not at all, and that one is escalated through the whole chain (督办提示
→ 督查问责通知书), whose notice is itself overdue by the month's end.
"""

from __future__ import annotations

import datetime as dt

from tests.conftest import example, token_for

D = dt.date.fromisoformat


def ok(answer, status: int = 201) -> dict:
    assert answer.status_code == status, answer.json
    return answer.json


def test_a_month_of_the_seed(app, client, office):
    # the month is played in the days before today, inside the profile's date window
    assert office.today() >= D("2026-12-06"), "the month below is in the past"
    # -- 立项: the 医政科's ledger, and two matters of the 局长办公会
    ledger = {"year": 2026, "department": "医政科", "rows": [
        {"work": "基层医疗机构服务能力提升", "measures": "11月：完成培训两期；12月：组织考核验收"},
        {"work": "院感防控专项检查", "measures": "每季度末月对辖区医院开展一次院感专项检查"},
    ]}
    imported = ok(client.post("/api/v1/matters/import", json={"ledger": ledger, "opened_on": "2026-11-06"}))
    training, infection = imported
    assert training["milestones"] == [
        {"due_on": "2026-11-30", "measure": "完成培训两期", "done_on": None},
        {"due_on": "2026-12-31", "measure": "组织考核验收", "done_on": None},
    ]
    assert infection["milestones"] == [{"due_on": None, "measure": "每季度末月对辖区医院开展一次院感专项检查", "done_on": None}]
    supervision = ok(client.post("/api/v1/matters", json={
        "title": "医疗机构依法执业专项整治", "source": "局长办公会", "department": "卫生监督所", "opened_on": "2026-11-06",
        "deadline": "2026-12-31"}))
    ambulance = ok(client.post("/api/v1/matters", json={
        "title": "院前急救站点建设", "source": "局党委会", "department": "公共卫生科", "opened_on": "2026-11-06",
        "deadline": (office.today() + dt.timedelta(days=4)).isoformat()}))
    assert training["light"] == "red" and "完成培训两期" in training["light_reason"]  # 11月 has passed undone
    assert infection["light"] == "green" and supervision["light"] == "green"
    assert ambulance["light"] == "yellow"  # within the profile's seven warning days

    # -- progress on the calendar's days: every Thursday and the 23rd
    duties = client.get("/api/v1/calendar", query_string={"month": "2026-11"}).json
    report_days = [d["date"] for d in duties if d["who"] == "各职能科室" and d["date"] >= "2026-11-06"]
    assert report_days == ["2026-11-12", "2026-11-19", "2026-11-23", "2026-11-26"]
    medical = app.test_client(token=token_for(app, "医政科干事", "department", "医政科"))
    for day in report_days:
        done = [0] if day == "2026-11-26" else []
        ok(medical.post(f"/api/v1/matters/{training['id']}/progress", json={
            "reported_on": day, "period": "monthly" if day.endswith("23") else "weekly",
            "progress": f"{day} 培训进展", "problems": "", "needs_coordination": "", "milestones_done": done}))
        light = client.get(f"/api/v1/matters/{training['id']}").json["light"]
        assert light == ("green" if done else "red"), day
    # a department reports on its own matters only
    assert medical.post(f"/api/v1/matters/{supervision['id']}/progress", json={
        "reported_on": "2026-11-12", "period": "weekly", "progress": "越权"}).status_code in (403, 404)

    # -- reminders about three matters, five working days to reply
    def remind(matter: dict, day: str) -> dict:
        payload = {k: v for k, v in example("supervision-prompt").items() if k not in ("recipient", "matter")}
        return ok(client.post("/api/v1/documents/supervision-prompt",
                              json=dict(payload, matter_id=matter["id"], issued_on=day, reply_days=5)))

    on_time = remind(training, "2026-11-09")
    late = remind(ambulance, "2026-11-09")
    silent = remind(supervision, "2026-11-10")
    assert on_time["recipient"] == "医政科" and late["recipient"] == "公共卫生科" and silent["recipient"] == "卫生监督所"
    assert on_time["due_on"] == late["due_on"] == "2026-11-16" and silent["due_on"] == "2026-11-17", (late, silent)  # five working days

    def state(paper: dict, as_of: str) -> dict:
        return client.get(f"/api/v1/documents/{paper['id']}", query_string={"as_of": as_of}).json

    assert {state(p, "2026-11-12")["state"] for p in (on_time, late, silent)} == {"issued"}
    ok(medical.post(f"/api/v1/documents/{on_time['id']}/reply", json={"received_on": "2026-11-13", "summary": "培训方案已报送"}))
    assert state(on_time, "2026-11-12")["state"] == "issued"
    assert state(on_time, "2026-11-13")["reply"]["on_time"] is True
    # the day after the deadline: the two unanswered are overdue, and listed for the next step
    assert state(late, "2026-11-17")["state"] == "overdue" and state(late, "2026-11-17")["days_overdue"] == 1
    listed = client.get("/api/v1/escalations", query_string={"as_of": "2026-11-18"}).json
    assert [(e["document"]["id"], e["next_kind"]) for e in listed] == [(late["id"], "accountability-notice"),
                                                                       (silent["id"], "accountability-notice")]
    ok(client.post(f"/api/v1/documents/{late['id']}/reply", json={"received_on": "2026-11-20", "summary": "逾期报送整改情况"}))
    assert state(late, "2026-11-20")["state"] == "replied" and state(late, "2026-11-20")["reply"]["on_time"] is False
    assert state(late, "2026-11-19")["state"] == "overdue"

    # -- the chain: the silent one is held to account; the answered ones may not be
    for answered in (on_time, late):
        refused = client.post("/api/v1/documents/accountability-notice", json={"follows": answered["number"], "issued_on": "2026-11-20"})
        assert refused.status_code == 422 and refused.json["error"] == "not_overdue"
    notice = ok(client.post("/api/v1/documents/accountability-notice", json={"follows": silent["number"], "issued_on": "2026-11-18"}))
    assert notice["follows"] == silent["id"] and notice["recipient"] == "卫生监督所"
    again = client.post("/api/v1/documents/accountability-notice", json={"follows": silent["number"], "issued_on": "2026-11-19"})
    assert again.status_code == 409 and again.json["error"] == "already_escalated"
    assert state(silent, "2026-11-17")["state"] == "issued"  # its deadline day
    assert state(silent, "2026-11-18")["state"] == "escalated" and state(silent, "2026-11-18")["days_overdue"] == 1
    assert state(silent, "2026-11-30")["followed_by"] == notice["id"]

    # -- the month's end
    end = "2026-11-30"
    assert [state(p, end)["state"] for p in (on_time, late, silent, notice)] == ["replied", "replied", "escalated", "overdue"]
    overdue = client.get("/api/v1/documents", query_string={"state": "overdue", "as_of": end}).json
    assert [d["id"] for d in overdue] == [notice["id"]]  # the chain ends with the notice: nothing follows it
    assert client.get("/api/v1/escalations", query_string={"as_of": end}).json == []
    lights = {m["title"]: m["light"] for m in client.get("/api/v1/matters", query_string={"status": "open"}).json}
    assert lights == {"基层医疗机构服务能力提升": "green", "院感防控专项检查": "green",
                      "医疗机构依法执业专项整治": "red",  # its notice is overdue
                      "院前急救站点建设": "yellow"}
    # the matter's timeline: its progress reports, its reminder and the reply
    timeline = client.get(f"/api/v1/matters/{training['id']}").json
    assert [p["id"] for p in timeline["papers"]] == [on_time["id"]]
    assert len(timeline["progress"]) == 4
    text = " ".join(str(entry) for entry in timeline["timeline"])
    assert on_time["number"] in text and "培训方案已报送" in text
    # 报结
    closed = ok(client.post(f"/api/v1/matters/{infection['id']}/close", json={"closed_on": "2026-11-30", "result": "已完成四季度检查"}), 200)
    assert closed["status"] == "done"


def test_a_ledger_opened_in_the_future_or_another_year_is_refused_and_nothing_registered(client, office):
    ledger = {"year": 2026, "department": "医政科", "rows": [{"work": "基层医疗机构服务能力提升", "measures": "12月：验收"}]}
    for day in ((office.today() + dt.timedelta(days=1)).isoformat(), "2025-12-31"):
        answer = client.post("/api/v1/matters/import", json={"ledger": ledger, "opened_on": day})
        assert answer.status_code == 422 and answer.json["details"][0]["loc"] == "opened_on", answer.json
    assert client.get("/api/v1/matters").json == []
