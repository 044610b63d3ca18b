"""Hostile input finds no way in: each gets a 4xx in the error shape, never a
500, and changes nothing (no number taken, nothing voided)."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import tracemalloc
import zipfile
from urllib.parse import unquote

import pytest
import requests

from docgen.errors import MalformedRequest, PayloadTooLarge
from docgen.kinds import get_kind
from docgen.services.spreadsheet import MAX_ERRORS_LISTED, MAX_ROWS, read_items
from tests.conftest import LiveServer, example, xlsx

PROMPT = get_kind("supervision-prompt")


def register_size(client) -> int:
    return int(client.get("/api/v1/documents").headers["X-Total-Count"])


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    body = response.json
    assert set(body) == {"error", "message", "details"} and body["message"]
    if code:
        assert body["error"] == code
    return body


def post_raw(client, path: str, text: str, **headers):
    return client.post(path, data=text.encode("utf-8", "surrogatepass"), content_type="application/json", headers=headers)


def first_number_is_1(client) -> None:
    issued = client.post("/api/v1/documents/supervision-prompt", json=example("supervision-prompt"))
    assert issued.status_code == 201 and issued.json["number"].endswith("〔" + issued.json["issued_on"][:4] + "〕1号")


# -- the JSON body ---------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/api/v1/documents/supervision-prompt", "/api/v1/drafts/supervision-prompt", "/api/v1/batches"])
def test_json_nested_1000_deep_is_400(client, path):
    body = assert_error(post_raw(client, path, "[" * 1000 + "]" * 1000), 400, "malformed_request")
    assert "嵌套" in body["message"]
    assert register_size(client) == 0


def test_an_integer_with_thousands_of_digits_is_400(client):
    text = json.dumps(example("supervision-prompt"))[:-1] + ', "reply_days": ' + "9" * 5000 + "}"
    body = assert_error(post_raw(client, "/api/v1/documents/supervision-prompt", text), 400, "malformed_request")
    assert "位数" in body["message"]
    year = assert_error(client.get("/api/v1/documents?year=" + "9" * 5000), 422, "invalid_payload")
    assert year["details"][0]["loc"] == "(query).year"
    first_number_is_1(client)


def test_nan_and_infinity_are_not_json(client):
    assert_error(post_raw(client, "/api/v1/documents/supervision-prompt", '{"reply_days": NaN}'), 400)


# -- the register search -------------------------------------------------------------------------
def test_a_search_with_1000_words_is_422_on_the_api_and_the_page(client):
    words = " ".join(f"词{i}" for i in range(1000))
    body = assert_error(client.get("/api/v1/documents", query_string={"q": words}), 422, "invalid_payload")
    assert body["details"][0]["loc"] == "(query).q"
    page = client.get("/register", query_string={"q": words})
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert "关键词最多" in text or "不能超过" in text


def test_percent_and_underscore_in_a_search_are_literal(client):
    for recipient in ("百分之百%单位", "下划线_单位", "普通单位"):
        client.post("/api/v1/documents/supervision-prompt", json=dict(example("supervision-prompt"), recipient=recipient))
    assert [d["recipient"] for d in client.get("/api/v1/documents?q=%25").json] == ["百分之百%单位"]
    assert [d["recipient"] for d in client.get("/api/v1/documents?q=_").json] == ["下划线_单位"]
    assert [d["recipient"] for d in client.get("/api/v1/documents?recipient=%25").json] == ["百分之百%单位"]


# -- texts and dates in a payload ---------------------------------------------------------------------
def test_a_signing_date_near_year_9999_is_422_and_takes_no_number(client):
    for day in ("9999-12-31", "9999-01-01", "0001-01-01"):
        payload = dict(example("supervision-prompt"), issued_on=day)
        body = assert_error(client.post("/api/v1/documents/supervision-prompt", json=payload), 422)
        assert "issued_on" in [d["loc"] for d in body["details"]]
        assert_error(client.post("/api/v1/drafts/supervision-prompt", json=payload), 422)
    first_number_is_1(client)


@pytest.mark.parametrize("char", ["\x7f", "\x00", "\x1b", "\x85", "\ud800"])
def test_control_characters_and_lone_surrogates_in_a_name_are_422(client, char):
    ledger = dict(example("key-work-ledger"), department=f"医政{char}科")
    text = json.dumps(ledger, ensure_ascii=True)  # a lone surrogate can only travel escaped
    body = assert_error(post_raw(client, "/api/v1/documents/key-work-ledger", text), 422, "invalid_payload")
    assert [d["loc"] for d in body["details"]] == ["department"]
    assert f"U+{ord(char):04X}" in body["details"][0]["msg"]
    assert register_size(client) == 0


def test_a_paper_registered_with_del_in_its_name_still_downloads(client, data_dir):
    doc = client.post("/api/v1/documents/key-work-ledger", json=example("key-work-ledger")).json
    with sqlite3.connect(data_dir / "docgen.sqlite3") as db:  # as a register written before names were checked
        db.execute("UPDATE documents SET recipient = ? WHERE id = ?", ("医政\x7f科\r\n", doc["id"]))
    response = client.get(f"/api/v1/documents/{doc['id']}/docx")
    assert response.status_code == 200
    header = response.headers["Content-Disposition"]
    assert all(" " <= c < "\x7f" for c in header)
    assert "医政_科" in unquote(header.split("filename*=UTF-8''")[1])


def test_a_void_reason_with_a_lone_surrogate_or_8_mb_is_refused(client):
    doc = client.post("/api/v1/documents/supervision-prompt", json=example("supervision-prompt")).json
    path = f"/api/v1/documents/{doc['id']}/void"
    body = assert_error(post_raw(client, path, '{"reason": "误发\\ud800"}'), 422)
    assert body["details"][0]["loc"] == "reason" and "U+D800" in body["details"][0]["msg"]
    assert_error(client.post(path, json={"reason": "x" * 8 * 1024 * 1024}), 422)
    assert_error(client.post(path, json={"reason": "误发\x7f"}), 422)
    assert client.get(f"/api/v1/documents/{doc['id']}").json["status"] == "issued"
    assert client.post(path, json={"reason": "收文单位写错"}).status_code == 200


def test_force_reason_is_bounded_and_checked(client):
    prompt = client.post("/api/v1/documents/supervision-prompt", json=example("supervision-prompt")).json
    notice = dict(example("accountability-notice"), prompt_number=prompt["number"])
    for reason in ("急" * 5000, "提前\x7f问责"):
        body = assert_error(client.post("/api/v1/documents/accountability-notice", json=dict(notice, force_reason=reason)), 422)
        assert "force_reason" in [d["loc"] for d in body["details"]]
    assert register_size(client) == 1


def test_client_idempotency_keys_cannot_use_the_batch_namespace(client):
    for key in ("batch:0123456789abcdef:0", "BATCH:x"):
        body = assert_error(client.post("/api/v1/documents/supervision-prompt", json=example("supervision-prompt"),
                                        headers={"Idempotency-Key": key}), 422)
        assert body["details"][0]["loc"] == "(header).Idempotency-Key"
    assert register_size(client) == 0


# -- spreadsheets ------------------------------------------------------------------------------------
def rewrite_xlsx(content: bytes, part: str, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item.filename, change(data) if item.filename == part else data)
    return out.getvalue()


def prompt_sheet() -> bytes:
    return xlsx([["单位或科室", "督查发现的工作", "存在问题"], ["区人民医院", "院感防控", "工作未落实"]])


def test_an_xlsx_with_dtd_entities_is_400():
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>')

    def with_entities(data: bytes) -> bytes:
        return laughs + data.split(b"?>", 1)[1].replace(b"<v>", b"<v>&lol2;", 1) if data.startswith(b"<?xml") else laughs + data

    for part in ("xl/worksheets/sheet1.xml", "xl/workbook.xml", "[Content_Types].xml"):
        bad = rewrite_xlsx(prompt_sheet(), part, with_entities)
        with pytest.raises(MalformedRequest) as error:
            read_items(PROMPT, "提示.xlsx", bad)
        assert "DTD" in error.value.message


def with_bad_shared_string(content: bytes) -> bytes:
    """The sheet with cell A2 pointing at shared string 99999 of a table holding one."""
    sst = (b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
           b' count="1" uniqueCount="1"><si><t>x</t></si></sst>')
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<c r="A2"([^>]*?) t="inlineStr"><is><t>[^<]*</t></is></c>', rb'<c r="A2"\1 t="s"><v>99999</v></c>', data)
                assert b'<v>99999</v>' in data
            elif item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/'
                                    b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
            target.writestr(item.filename, data)
        target.writestr("xl/sharedStrings.xml", sst)
    return out.getvalue()


def test_an_xlsx_with_a_bad_shared_strings_index_is_400(client):
    bad = with_bad_shared_string(prompt_sheet())
    with pytest.raises(MalformedRequest):
        read_items(PROMPT, "提示.xlsx", bad)
    token = csrf_token(client, "/batches/new")
    answer = client.post("/batches", data={"csrf_token": token, "kind": "supervision-prompt", "mode": "issue",
                                           "upload": (io.BytesIO(bad), "提示.xlsx")}, content_type="multipart/form-data")
    assert answer.status_code == 400 and "无法读取这个 .xlsx 文件" in answer.get_data(as_text=True)
    assert register_size(client) == 0


def zip_bomb(inflated: int) -> bytes:
    """An .xlsx whose sheet unpacks to INFLATED bytes of spaces (a few hundred KB packed)."""
    out = io.BytesIO()
    chunk = b" " * (1024 * 1024)
    with zipfile.ZipFile(io.BytesIO(prompt_sheet())) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                target.writestr(item.filename, source.read(item.filename))
                continue
            original = source.read(item.filename)
            with target.open(item.filename, "w", force_zip64=True) as stream:
                head, tail = original.split(b"<sheetData>", 1)
                stream.write(head + b"<sheetData>")
                for _ in range(inflated // len(chunk)):
                    stream.write(chunk)
                stream.write(tail)
    return out.getvalue()


def test_a_zip_bomb_is_refused_from_its_directory_using_little_memory():
    bomb = zip_bomb(1024 * 1024 * 1024)  # 1 GB of spaces
    assert len(bomb) < 5 * 1024 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(PayloadTooLarge) as error:
            read_items(PROMPT, "提示.xlsx", bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "解压后过大" in error.value.message
    assert peak < 100 * 1024 * 1024


def test_a_sheet_that_declares_a_million_rows_is_refused_before_it_is_read():
    def huge_dimension(data: bytes) -> bytes:
        data = re.sub(rb'<dimension ref="[^"]+"/>', b'<dimension ref="A1:C1048576"/>', data)
        return data.replace(b"</sheetData>", b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')

    bad = rewrite_xlsx(prompt_sheet(), "xl/worksheets/sheet1.xml", huge_dimension)
    with pytest.raises(PayloadTooLarge) as error:
        read_items(PROMPT, "提示.xlsx", bad)
    assert f"{MAX_ROWS}" in error.value.message


def csrf_token(client, url: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True))
    assert match
    return match.group(1)


def bad_rows_csv(n: int) -> bytes:
    lines = ["单位或科室,督查发现的工作,存在问题,回复期限（日）"] + [f"单位{i},工作{i},不是五种情形之一,很多天" for i in range(n)]
    return "\n".join(lines).encode("utf-8")


def test_an_upload_with_100000_bad_rows_gets_a_bounded_page(client):
    token = csrf_token(client, "/batches/new")
    answer = client.post("/batches", data={"csrf_token": token, "kind": "supervision-prompt", "mode": "issue",
                                           "upload": (io.BytesIO(bad_rows_csv(100_000)), "提示.csv")},
                         content_type="multipart/form-data")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 413
    assert "100000" in page and f"{MAX_ROWS}" in page
    assert len(page) < 100_000
    assert register_size(client) == 0


def test_an_upload_with_thousands_of_bad_rows_lists_the_first_errors_and_counts_the_rest(client):
    token = csrf_token(client, "/batches/new")
    answer = client.post("/batches", data={"csrf_token": token, "kind": "supervision-prompt", "mode": "issue",
                                           "upload": (io.BytesIO(bad_rows_csv(3000)), "提示.csv")},
                         content_type="multipart/form-data")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "有 6000 处错误" in page
    assert "第2行" in page and "第3001行" not in page
    assert f"另有 {6000 - MAX_ERRORS_LISTED} 处错误未一一列出" in page
    assert len(page) < 200_000
    assert register_size(client) == 0


# -- a real server: a chunked body over the limit -------------------------------------------------------
@pytest.fixture(scope="module")
def small_server(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("small"), workers=1, env={"DOCGEN_MAX_CONTENT_LENGTH": "20000"})
    yield server
    server.stop()


def test_a_chunked_body_over_the_limit_is_413_and_issues_nothing(small_server):
    payload = json.dumps(dict(example("supervision-prompt"), matter="院感" * 20000), ensure_ascii=False).encode()
    assert len(payload) > 20000

    def chunks():
        for i in range(0, len(payload), 4096):
            yield payload[i:i + 4096]

    url = f"{small_server.url}/api/v1/documents/supervision-prompt"
    answer = requests.post(url, data=chunks(), headers={"Content-Type": "application/json", **small_server.headers}, timeout=60)
    assert answer.status_code == 413, answer.text[:300]
    assert answer.json()["error"] == "payload_too_large"
    listed = requests.get(f"{small_server.url}/api/v1/documents", headers=small_server.headers, timeout=30)
    assert listed.headers["X-Total-Count"] == "0"
    small = json.dumps(example("supervision-prompt"), ensure_ascii=False).encode()
    accepted = requests.post(url, data=iter([small[:100], small[100:]]),
                             headers={"Content-Type": "application/json", **small_server.headers}, timeout=60)
    assert accepted.status_code == 201, accepted.text[:300]
