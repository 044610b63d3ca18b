"""The matters' pages through the test client, CSRF on: the list with lights and filters, 立项,
a matter's timeline, progress from a department, 报结 and 撤销, imports, the dashboard, drafting from matters."""

from __future__ import annotations

import datetime as dt
import html
import io
import re

from tests.conftest import token_for, xlsx


def page(client, url: str) -> str:
    answer = client.get(url)
    assert answer.status_code == 200, answer.data[:500]
    return html.unescape(answer.get_data(as_text=True))


def csrf(client, url: str = "/matters/new") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page(client, url)).group(1)


def days(app, n: int) -> str:
    return (app.extensions["docgen"].today() + dt.timedelta(days=n)).isoformat()


def test_registering_through_the_form_and_following_the_matter(app, client):
    token = csrf(client)
    answer = client.post("/matters/new", data={"csrf_token": token, "title": "院感防控专项整治", "source": "局长办公会",
                                               "department": "医政科", "opened_on": days(app, -30), "deadline": days(app, 60),
                                               "milestone_due": [days(app, -1), ""], "milestone_measure": ["完成自查", ""]})
    assert answer.status_code == 303
    matter_url = answer.headers["Location"]
    shown = page(client, matter_url)
    assert "院感防控专项整治" in shown and "红灯" in shown and "完成自查" in shown and "办理经过" in shown
    listing = page(client, "/matters?light=red")
    assert "院感防控专项整治" in listing and "共 1 项" in listing
    assert "共 0 项" in page(client, "/matters?light=green")
    # a department reports its progress and marks the milestone done
    dept = app.test_client(token=token_for(app, "医政科干事", "department", "医政科"))
    token = csrf(dept, matter_url)
    assert "报结" not in page(dept, matter_url).split("办理经过")[1]  # only the two offices close or cancel
    done = dept.post(matter_url + "/progress", data={"csrf_token": token, "period": "weekly", "progress": "自查完成",
                                                    "milestones_done": "0"})
    assert done.status_code == 303
    shown = page(client, matter_url)
    assert "周报：自查完成" in shown and "绿灯" in shown
    assert dept.post(matter_url + "/close", data={"csrf_token": token, "result": "x"}).status_code == 403
    # bad input: the message next to the field, nothing changed
    token = csrf(client, matter_url)
    bad = client.post(matter_url + "/close", data={"csrf_token": token, "result": ""})
    assert bad.status_code == 422 and "必填" in html.unescape(bad.get_data(as_text=True))
    closed = client.post(matter_url + "/close", data={"csrf_token": token, "result": "已通过验收"})
    assert closed.status_code == 303 and "报结：已通过验收" in page(client, matter_url)


def test_a_bad_registration_keeps_the_input_and_names_the_fields(app, client, data_dir):
    token = csrf(client)
    answer = client.post("/matters/new", data={"csrf_token": token, "title": "院感防控", "department": "医政科",
                                               "deadline": "2026-02-30", "milestone_due": ["2026-03-31"], "milestone_measure": [""]})
    assert answer.status_code == 422
    body = html.unescape(answer.get_data(as_text=True))
    assert 'value="院感防控"' in body and "source" in body and "milestones.0.measure" in body
    assert client.post("/matters/new", data={"title": "x"}).status_code == 400  # no CSRF token
    assert "共 0 项" in page(client, "/matters")


def test_cancelling_and_the_department_sees_only_its_own(app, client):
    office = app.extensions["docgen"]
    own = office.matters.register_matter({"title": "医政事项", "source": "局长办公会", "department": "医政科", "deadline": days(app, 30)})
    other = office.matters.register_matter({"title": "疾控事项", "source": "局长办公会", "department": "疾控科", "deadline": days(app, 3)})
    dept = app.test_client(token=token_for(app, "医政科干事", "department", "医政科"))
    listing = page(dept, "/matters")
    assert "医政事项" in listing and "疾控事项" not in listing
    assert dept.get(f"/matters/{other.id}").status_code == 404
    assert dept.get("/matters/new").status_code == 403
    token = csrf(client, f"/matters/{other.id}")
    assert client.post(f"/matters/{other.id}/cancel", data={"csrf_token": token, "reason": "并入其他事项"}).status_code == 303
    assert "撤销：并入其他事项" in page(client, f"/matters/{other.id}")
    assert own.code in page(client, "/matters?status=open")


def test_importing_a_ledger_and_a_progress_sheet(app, client):
    year = app.extensions["docgen"].today().year
    token = csrf(client, "/matters/import")
    sheet = xlsx([["重点工作", "具体措施"], ["家庭医生签约", "4月：完成签约方案；12月：签约率达到40%"]])
    answer = client.post("/matters/import", data={"csrf_token": token, "year": str(year), "department": "基层卫生科",
                                                  "file": (io.BytesIO(sheet), "台帐.xlsx")})
    assert answer.status_code == 303
    listing = page(client, "/matters")
    assert "已从台帐立项 1 项" in listing and "家庭医生签约" in listing
    code = re.search(r"东卫督项〔\d+〕\d+号", listing).group(0)
    bad = client.post("/matters/progress-import", data={"csrf_token": token, "file": (io.BytesIO(xlsx([["事项编号", "报送类型", "工作进展"],
                                                                                                      ["东卫督项〔1999〕1号", "周报", "x"]])), "p.xlsx")})
    assert bad.status_code == 422 and "第2行.事项编号" in html.unescape(bad.get_data(as_text=True))
    good = xlsx([["事项编号", "报送类型", "工作进展", "完成的节点"], [code, "月报", "签约方案已印发", "1"]])
    made = client.post("/matters/progress-import", data={"csrf_token": token, "file": (io.BytesIO(good), "p.xlsx")})
    assert made.status_code == 303
    assert "已导入进展报告 1 条" in page(client, "/matters")
    assert client.get("/matters/progress-example.xlsx").status_code == 200


def test_the_dashboard_shows_matters_by_light(app, client):
    office = app.extensions["docgen"]
    office.matters.register_matter({"title": "逾期事项", "source": "局长办公会", "department": "医政科", "opened_on": days(app, -20),
                                    "deadline": days(app, -1)})
    office.matters.register_matter({"title": "临近事项", "source": "局长办公会", "department": "医政科", "deadline": days(app, 2)})
    board = page(client, "/")
    section = board.split('id="matters-by-light"')[1].split("</section>")[0]
    assert "在办 2 项" in section and "逾期事项" in section and "临近事项" in section
    assert section.index("逾期事项") < section.index("临近事项")


def test_the_ledger_form_fills_itself_from_the_matters(app, client):
    office = app.extensions["docgen"]
    office.matters.register_matter({"title": "院感防控专项整治", "source": "局长办公会", "department": "医政科",
                                    "deadline": days(app, 0)})
    form = page(client, "/kinds/supervision-ledger")
    assert "从督查事项生成" in form
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    answer = client.post("/kinds/supervision-ledger", data={"csrf_token": token, "action": "from_matters", "from_matters.department": "医政科"})
    assert answer.status_code == 200
    body = html.unescape(answer.get_data(as_text=True))
    assert "院感防控专项整治：办结时限" in body and "已从督查事项填入表单" in body
    matter = office.matters.register_matter({"title": "手卫生", "source": "局长办公会", "department": "区人民医院", "deadline": days(app, 9)})
    prompt = page(client, f"/kinds/supervision-prompt?matter_id={matter.id}")
    assert f'value="{matter.id}"' in prompt  # the matter's page drafts a 督办提示 about it
