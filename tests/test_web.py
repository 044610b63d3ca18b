"""The clerks' form through Flask's test client, with CSRF protection on."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import html
import io
import re
import time

import pytest

from docgen import create_app
from docgen.kinds import KINDS, get_kind
from docgen.services.register import RegisterQuery
from tests.conftest import xlsx


def csrf_token(client, url: str = "/kinds/supervision-prompt") -> str:
    page = client.get(url)
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert match, "the form carries a CSRF token"
    return match.group(1)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def field_block(page: str, field_id: str) -> str:
    """The HTML from an input's id to the next field: where its error message must be."""
    start = page.index(f'id="{field_id}"')
    end = page.find('class="field', start)
    return page[start : end if end > 0 else start + 3000]


def prompt_form(token: str, **overrides) -> dict:
    data = {"csrf_token": token, "recipient": "区人民医院", "matter": "院感防控", "findings": ["落实进展缓慢", "可能完不成任务"],
            "reply_days": "5", "action": "issue"}
    data.update(overrides)
    return data


# -- pages ---------------------------------------------------------------------------
def test_the_kind_picker_lists_the_five_kinds(client):
    page = text(client.get("/draft"))
    for kind in KINDS.values():
        assert kind.title in page
        assert kind.description in page
        assert f"/kinds/{kind.id}" in page


@pytest.mark.parametrize("kind_id", list(KINDS))
def test_form_shows_the_kinds_chinese_labels(client, kind_id):
    response = client.get(f"/kinds/{kind_id}")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = text(response)
    schema = get_kind(kind_id).schema()
    for spec in schema["properties"].values():
        assert spec["title"] in page
    assert "下载示例表格" in page
    assert 'name="csrf_token"' in page


def test_prompt_form_widgets(client):
    page = text(client.get("/kinds/supervision-prompt"))
    # the five findings as checkboxes
    for finding in ("工作未落实", "落实不彻底", "落实进展缓慢", "没有完成阶段性目标", "可能完不成任务"):
        assert f'type="checkbox" name="findings" value="{finding}"' in page
    assert re.search(r'<input type="number"[^>]*name="reply_days"', page)
    assert re.search(r'<input type="date"[^>]*name="issued_on"', page)
    assert re.search(r'<textarea[^>]*name="matter"', page)
    # required marks on the required fields only
    assert re.search(r'for="f-recipient">单位或科室<span class="req"', page)
    assert not re.search(r'for="f-reply_days">回复期限（日）<span class="req"', page)
    assert "接收督办提示的单位或科室" in page  # the description as a hint


def test_ledger_form_has_a_table_of_rows(client):
    page = text(client.get("/kinds/supervision-ledger"))
    assert 'data-rows="rows"' in page
    assert "添加一行" in page and "删除" in page
    assert re.search(r'<input type="date"[^>]*name="rows\.0\.date"', page)
    for title in ("督查时间", "责任科室和单位", "督查要点"):
        assert title in page


def test_form_prefilled_from_the_query_string_and_the_example(client):
    page = text(client.get("/kinds/accountability-notice?prompt_number=东卫督办〔2026〕3号"))
    assert 'value="东卫督办〔2026〕3号"' in page
    page = text(client.get("/kinds/supervision-ledger?example=1"))
    assert "院感防控制度落实情况" in page
    assert 'name="rows.1.points"' in page


def test_unknown_kind_is_a_chinese_404_page(client):
    response = client.get("/kinds/no-such-kind")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "没有这种公文" in text(response)


def test_unknown_page_html_but_api_keeps_json(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "找不到这个页面" in text(response)
    response = client.get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert response.is_json and response.get_json()["error"] == "not_found"
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.is_json


# -- CSRF --------------------------------------------------------------------------------
def test_post_without_csrf_token_is_refused_in_chinese(client, office):
    response = client.post("/kinds/supervision-prompt", data=prompt_form(""))
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "安全校验码" in text(response)
    assert office.search(RegisterQuery())[1] == 0


def test_post_with_a_forged_token_is_refused(client):
    csrf_token(client)
    response = client.post("/kinds/supervision-prompt", data=prompt_form("forged-token"))
    assert response.status_code == 400


def test_void_without_token_is_refused(client, office):
    issued = office.issue("supervision-prompt", get_kind("supervision-prompt").example)
    response = client.post(f"/documents/{issued.document.id}/void", data={"reason": "重复"})
    assert response.status_code == 400
    assert office.document(issued.document.id).status == "issued"


def test_json_api_stays_exempt_from_csrf(client):
    response = client.post("/api/v1/documents/supervision-prompt", json=get_kind("supervision-prompt").example)
    assert response.status_code == 201
    assert response.get_json()["number"].startswith("东卫督办〔")


# -- validation ------------------------------------------------------------------------------
def test_invalid_submit_shows_errors_next_to_the_fields_and_keeps_the_input(client, office):
    token = csrf_token(client)
    response = client.post("/kinds/supervision-prompt", data=prompt_form(token, recipient="", reply_days="五天", findings=[]))
    assert response.status_code == 422
    page = text(response)
    assert 'id="errors"' in page and "未签发" in page  # the summary
    assert "必填" in field_block(page, "f-recipient")
    assert "应为整数" in field_block(page, "f-reply_days")
    assert "必填" in field_block(page, "f-findings")
    assert 'href="#f-recipient">单位或科室</a>：必填' in page
    # what the clerk typed is still there
    assert ">院感防控</textarea>" in page
    assert 'value="五天"' in page
    assert office.search(RegisterQuery())[1] == 0  # nothing was issued


def test_out_of_range_number_is_reported(client):
    token = csrf_token(client)
    page = text(client.post("/kinds/supervision-prompt", data=prompt_form(token, reply_days="0")))
    assert "不能小于 1" in field_block(page, "f-reply_days")


def test_ledger_row_errors_are_shown_in_their_row(client):
    token = csrf_token(client, "/kinds/supervision-ledger")
    data = {
        "csrf_token": token, "action": "issue", "year": "2026", "month": "11",
        "rows.0.date": "2026-11-05", "rows.0.department": "医政科", "rows.0.points": "院感防控",
        "rows.1.date": "", "rows.1.department": "", "rows.1.points": "",  # an empty row is dropped
        "rows.2.date": "2026-11-12", "rows.2.department": "疾控科", "rows.2.points": "",
    }
    response = client.post("/kinds/supervision-ledger", data=data)
    assert response.status_code == 422
    page = text(response)
    # the empty row went away, so the bad row is now the second one
    assert "必填" in page[page.index('id="f-rows-1-points"'):page.index('id="f-rows-1-points"') + 600]
    assert "台帐行第2行「督查要点」" in page
    assert 'value="疾控科"' in page and 'value="医政科"' in page
    assert 'name="rows.2.points"' not in page


def test_ledger_without_rows(client):
    token = csrf_token(client, "/kinds/key-work-ledger")
    page = text(client.post("/kinds/key-work-ledger", data={"csrf_token": token, "action": "issue", "year": "2026", "department": "医政科"}))
    assert "至少需要 1 项" in page


# -- issuing ----------------------------------------------------------------------------------
def test_issue_shows_the_number_dates_and_links(client, office):
    token = csrf_token(client)
    response = client.post("/kinds/supervision-prompt", data=prompt_form(token, issued_on="2026-11-02", date_reason="补录"))
    assert response.status_code == 303
    page = text(client.get(response.headers["Location"]))
    assert "东卫督办〔2026〕1号" in page
    assert "2026年11月2日" in page  # 成文日期
    due = office.search(RegisterQuery())[0][0].due_on
    assert f"{due.year}年{due.month}月{due.day}日</time>前" in page  # 回复期限
    match = re.search(r'href="(/api/v1/documents/[0-9a-f]+/pdf)"', page)
    assert match and "/docx" in page
    docx = client.get(match.group(1).replace("/pdf", "/docx"))
    assert docx.status_code == 200 and docx.data[:2] == b"PK"


def test_issue_twice_from_the_same_form_gives_one_number(client, office):
    token = csrf_token(client)
    first = client.post("/kinds/supervision-prompt", data=prompt_form(token, issue_key="web-same"))
    again = client.post("/kinds/supervision-prompt", data=prompt_form(token, issue_key="web-same"))
    assert first.headers["Location"] == again.headers["Location"]
    assert office.search(RegisterQuery())[1] == 1


def test_draft_docx_download(client):
    token = csrf_token(client)
    response = client.post("/kinds/supervision-prompt", data=prompt_form(token, action="docx"))
    assert response.status_code == 200
    assert response.data[:2] == b"PK"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]


def test_preview_without_libreoffice_says_so_and_offers_the_docx(data_dir):
    client = create_app({"DATA_DIR": str(data_dir), "SECRET_KEY": "test", "SOFFICE": "/nonexistent/soffice"}).test_client()
    token = csrf_token(client)
    response = client.post("/kinds/supervision-prompt", data=prompt_form(token, action="preview"))
    assert response.status_code == 200
    page = text(response)
    assert "暂时无法生成预览" in page and "找不到 LibreOffice" in page
    assert 'value="docx"' in page


def test_preview_shows_the_pages_of_the_draft(client):
    # a real LibreOffice and pypdfium2: one PNG per page of the draft
    token = csrf_token(client)
    one = text(client.post("/kinds/supervision-prompt", data=prompt_form(token, action="preview")))
    assert 'id="preview"' in one and "共 1 页" in one
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', one)
    assert len(images) == 1
    png = base64.b64decode(images[0])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert 1.3 < height / width < 1.5  # an A4 page
    long = text(client.post("/kinds/supervision-prompt", data=prompt_form(token, action="preview", matter="院感防控工作中的手卫生依从性" * 30)))
    assert "共 2 页" in long and len(re.findall(r'src="data:image/png;base64,', long)) == 2


# -- uploads ---------------------------------------------------------------------------------------
def test_upload_of_a_text_file_gets_a_clear_message(client):
    token = csrf_token(client)
    response = client.post(
        "/kinds/supervision-prompt",
        data={"csrf_token": token, "action": "upload", "upload": (io.BytesIO(b"hello"), "notes.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 415
    page = text(response)
    assert "不支持这种文件" in page and ".xlsx" in page
    assert "Traceback" not in page
    assert "不支持这种文件" in field_block(page, "f-upload")


def test_upload_without_a_file(client):
    token = csrf_token(client)
    response = client.post("/kinds/supervision-prompt", data={"csrf_token": token, "action": "upload"}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "请先选择要上传的文件" in text(response)


def test_upload_of_a_ledger_sheet_fills_the_rows(client):
    token = csrf_token(client, "/kinds/supervision-ledger")
    sheet = xlsx([
        ["督查时间", "责任科室和单位", "督查要点"],
        [dt.date(2026, 11, 3), "医政科", "院感防控制度落实情况"],
        ["2026-11-10", "疾控科", "冬季传染病防控准备"],
        ["2026年11月17日", "妇幼科", "孕产妇系统管理"],
    ])
    response = client.post(
        "/kinds/supervision-ledger",
        data={"csrf_token": token, "action": "upload", "year": "2026", "month": "11", "upload": (io.BytesIO(sheet), "台帐.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, text(response)
    page = text(response)
    assert "读取 3 行" in page
    assert 'name="rows.2.points"' in page and "孕产妇系统管理" in page
    assert 'value="2026-11-17"' in page
    assert 'value="2026"' in page and 'value="11"' in page


def test_upload_with_a_bad_row_names_row_and_column(client):
    token = csrf_token(client, "/kinds/supervision-ledger")
    sheet = xlsx([
        ["督查时间", "责任科室和单位", "督查要点"],
        ["2026-11-03", "医政科", "院感防控"],
        ["2026-11-31", "疾控科", ""],
    ])
    response = client.post(
        "/kinds/supervision-ledger",
        data={"csrf_token": token, "action": "upload", "year": "2026", "month": "11", "upload": (io.BytesIO(sheet), "台帐.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = text(response)
    assert "第3行「督查时间」" in page
    assert "第3行「督查要点」" in page
    assert "第3行" in field_block(page, "f-upload")
    assert 'value="2026"' in page  # what was typed stays


def test_upload_of_a_prompt_sheet_fills_the_form(client):
    token = csrf_token(client)
    sheet = xlsx([["单位或科室", "督查发现的工作", "存在问题", "回复期限（日）"], ["区妇幼保健院", "孕产妇管理", "工作未落实、落实不彻底", 7]])
    response = client.post(
        "/kinds/supervision-prompt",
        data={"csrf_token": token, "action": "upload", "upload": (io.BytesIO(sheet), "提示.xlsx")},
        content_type="multipart/form-data",
    )
    page = text(response)
    assert response.status_code == 200
    assert 'value="区妇幼保健院"' in page
    assert 'value="工作未落实" checked' in page and 'value="落实不彻底" checked' in page
    assert 'value="7"' in page


def test_example_spreadsheet_has_the_chinese_headers(client):
    from openpyxl import load_workbook

    response = client.get("/kinds/supervision-ledger/example.xlsx")
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    headers = [c.value for c in sheet[1]]
    for title in ("督查时间", "责任科室和单位", "督查要点"):
        assert title in headers


def test_too_large_upload_is_a_chinese_413_page(data_dir):
    app = create_app({"DATA_DIR": str(data_dir), "TESTING": True, "SECRET_KEY": "test", "MAX_CONTENT_LENGTH": 20_000})
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/kinds/supervision-prompt",
        data={"csrf_token": token, "action": "upload", "upload": (io.BytesIO(b"x" * 50_000), "big.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "上传的文件太大" in text(response)
    api = client.post("/api/v1/documents/supervision-prompt", data=b"{" + b" " * 50_000 + b"}", content_type="application/json")
    assert api.status_code == 413 and api.is_json


# -- the register -------------------------------------------------------------------------------------
def _issue(office, kind="supervision-prompt", **changes):
    data = dict(get_kind(kind).example)
    data.update(changes)
    if "issued_on" in changes:  # fixed days, however far from today (tests/test_date_rules.py checks the rule)
        data.setdefault("date_reason", "补录")
    return dataclasses.asdict(office.issue(kind, data).document)


def test_register_lists_and_filters(client, office):
    a = _issue(office, recipient="区人民医院", matter="院感防控", issued_on="2026-10-09")
    b = _issue(office, recipient="区中医医院", matter="中药饮片管理", issued_on="2026-11-02")
    c = _issue(office, "supervision-report")
    page = text(client.get("/register"))
    assert a["number"] in page and b["number"] in page and "督查报告" in page
    assert "共 3 份" in page

    page = text(client.get("/register?recipient=中医"))
    assert b["number"] in page and a["number"] not in page

    page = text(client.get("/register?q=院感"))
    assert a["number"] in page and b["number"] not in page

    page = text(client.get("/register?month=2026-10"))
    assert a["number"] in page and b["number"] not in page
    page = text(client.get("/register?year=2026&month=10"))
    assert a["number"] in page and b["number"] not in page

    page = text(client.get("/register?kind=supervision-report"))
    assert "共 1 份" in page and c["id"] in page

    page = text(client.get("/register?year=1999"))
    assert "查询条件有误" in page


def test_register_paging(client, office):
    for i in range(23):
        _issue(office, recipient=f"单位{i}")
    page = text(client.get("/register"))
    assert "共 23 份，第 1 / 2 页" in page and "下一页" in page
    page = text(client.get("/register?page=2"))
    assert page.count('class="number"') == 3


def test_register_marks_overdue_reminders_and_offers_the_accountability_notice(client, office):
    old = _issue(office, recipient="区人民医院", issued_on="2025-01-06", reply_days=3)
    fresh = _issue(office, recipient="区中医医院")
    page = text(client.get("/register"))
    row_old = page[page.index(f'data-id="{old["id"]}"'):]
    row_old = row_old[: row_old.index("</tr>")]
    assert "已逾期" in row_old and "起草问责通知书" in row_old
    assert "prompt_number=" in row_old
    row_fresh = page[page.index(f'data-id="{fresh["id"]}"'):]
    row_fresh = row_fresh[: row_fresh.index("</tr>")]
    assert "已逾期" not in row_fresh
    assert "起草督查问责通知书" in text(client.get(f"/documents/{old['id']}"))
    page = text(client.get("/register?overdue=1"))
    assert old["number"] in page and fresh["number"] not in page


def test_void_from_the_register(client, office):
    doc = _issue(office)
    token = csrf_token(client, "/register")
    response = client.post(f"/documents/{doc['id']}/void", data={"csrf_token": token, "reason": "收文单位写错", "next": "/register?q=x"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/register?q=x")
    assert office.document(doc["id"]).status == "voided"
    page = text(client.get("/register"))
    assert "已作废" in page and "已于此前作废" not in page
    again = client.post(f"/documents/{doc['id']}/void", data={"csrf_token": token, "reason": "再来"}, follow_redirects=True)
    assert "已于此前作废" in text(again)


def test_void_needs_a_reason_and_ignores_foreign_next(client, office):
    doc = _issue(office)
    token = csrf_token(client, "/register")
    response = client.post(f"/documents/{doc['id']}/void", data={"csrf_token": token, "reason": " ", "next": "https://evil.example/"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/documents/{doc['id']}")
    assert "作废须写明理由" in text(client.get(response.headers["Location"]))
    assert office.document(doc["id"]).status == "issued"


# -- batches ---------------------------------------------------------------------------------------------
def test_batch_form(client):
    page = text(client.get("/batches/new"))
    assert "批量签发" in page
    for kind in KINDS.values():
        assert kind.title in page


def test_batch_upload_of_a_text_file(client):
    token = csrf_token(client, "/batches/new")
    response = client.post(
        "/batches",
        data={"csrf_token": token, "kind": "supervision-prompt", "mode": "issue", "upload": (io.BytesIO(b"hi"), "rows.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 415
    assert "不支持这种文件" in text(response)


def test_unexpected_error_is_a_chinese_500_page_and_json_for_the_api(client, office, monkeypatch):
    def boom(query):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(office, "search", boom)
    response = client.get("/register")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    page = text(response)
    assert "服务内部错误" in page and "database on fire" not in page and "Traceback" not in page
    api = client.get("/api/v1/documents")
    assert api.status_code == 500 and api.is_json and api.get_json()["error"] == "internal_error"


def test_batch_start_reads_the_sheet_and_shows_the_progress_page(client):
    token = csrf_token(client, "/batches/new")
    sheet = xlsx([["单位或科室", "督查发现的工作", "存在问题"], ["区人民医院", "院感防控", "工作未落实"], ["区中医医院", "饮片管理", "落实不彻底"]])
    response = client.post(
        "/batches",
        data={"csrf_token": token, "kind": "supervision-prompt", "mode": "draft", "upload": (io.BytesIO(sheet), "rows.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    page_url = response.headers["Location"]
    batch_id = page_url.rsplit("/", 1)[1]
    page = text(client.get(page_url))
    assert f'data-url="/api/v1/batches/{batch_id}"' in page and "/ 2" in page and "batch.js" in page
    for _ in range(600):  # the batch runs in the background
        progress = client.get(f"/api/v1/batches/{batch_id}").get_json()
        if progress["status"] not in ("queued", "running"):
            break
        time.sleep(0.1)
    assert progress["status"] == "done" and progress["done"] == 2 and progress["issue"] is False
    done = text(client.get(page_url))
    assert "区人民医院" in done and "区中医医院" in done and "已完成 2 / 2 份" in done
    assert client.get(f"/api/v1/batches/{batch_id}/packet.pdf").status_code == 200


def test_batch_with_a_bad_row_names_it(client):
    token = csrf_token(client, "/batches/new")
    sheet = xlsx([["单位或科室", "督查发现的工作", "存在问题", "回复期限（日）"], ["区人民医院", "院感防控", "工作未落实", "五"]])
    response = client.post(
        "/batches",
        data={"csrf_token": token, "kind": "supervision-prompt", "mode": "issue", "upload": (io.BytesIO(sheet), "rows.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = text(response)
    assert "第2行「回复期限（日）」" in page and "没有生成任何公文" in page
    assert 'value="supervision-prompt" data-example' in page and 'value="issue" checked' in page


def test_accountability_notice_from_an_overdue_reminder(client, office):
    old = _issue(office, recipient="区人民医院", issued_on="2025-01-06", reply_days=3)
    page = text(client.get(f"/kinds/accountability-notice?prompt_number={old['number']}"))
    assert f'value="{old["number"]}"' in page
    token = csrf_token(client, "/kinds/accountability-notice")
    response = client.post("/kinds/accountability-notice", data={"csrf_token": token, "action": "issue", "prompt_number": old["number"]})
    assert response.status_code == 303, text(response)
    page = text(client.get(response.headers["Location"]))
    assert "督查问责通知书" in page and "区人民医院" in page
    # the reminder is answered now: no longer overdue
    assert "已逾期" not in text(client.get(f"/documents/{old['id']}"))


def test_accountability_notice_for_an_unknown_reminder_is_reported_at_its_field(client):
    token = csrf_token(client, "/kinds/accountability-notice")
    response = client.post("/kinds/accountability-notice", data={"csrf_token": token, "action": "issue", "prompt_number": "东卫督办〔2020〕99号"})
    assert response.status_code == 422
    assert "没有文号为" in field_block(text(response), "f-prompt_number")
