"""Drafts over the API: every kind renders, values read back, bad input gets the one error shape."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from urllib.parse import unquote

import docx
import pytest

from docgen.kinds import KINDS
from tests.conftest import example
from tests.docx_text import table_rows, text

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def draft(client, kind, payload, **kw):
    return client.post(f"/api/v1/drafts/{kind}", json=payload, **kw)


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_example_renders_and_reads_back(client, kind):
    response = draft(client, kind, example(kind))
    assert response.status_code == 200, response.json
    assert response.mimetype == DOCX
    body = text(response.data)
    printed = {k: v for k, v in example(kind).items() if k not in KINDS[kind].unprinted_fields}
    for value in printed_strings(printed):
        assert value in body, f"{value!r} missing from the draft"


def printed_strings(value):
    """Every text of a payload as the paper prints it (ISO dates as 2026年11月5日)."""
    if isinstance(value, dict):
        for v in value.values():
            yield from printed_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from printed_strings(v)
    elif isinstance(value, str):
        if len(value) == 10 and value[4] == "-" and value[7] == "-":
            y, m, d = value.split("-")
            yield f"{int(y)}年{int(m)}月{int(d)}日"
        else:
            yield value
    elif isinstance(value, int):
        yield str(value)


def test_prompt_draft_has_the_seed_sentence_and_no_number(client):
    payload = example("supervision-prompt")
    body = text(draft(client, "supervision-prompt", payload).data)
    assert "东丽区卫生局督办提示" in body
    assert "通过督查发现你单位（科室）院感防控工作存在（☐工作未落实、☐落实不彻底、☑落实进展缓慢、☐没有完成阶段性目标、☑可能完不成任务），" in body
    assert "现要求你单位（科室）接到本通知后5个工作日内进行回复。" in body
    assert "东丽区卫生局党办" in body and "东丽区卫生局行政办公室" in body
    assert "〔" not in body  # a draft carries no number
    assert "　　年　月　日" in body  # and the signing date is left blank


def test_signing_day_prints_in_the_standard_form(client):
    payload = dict(example("supervision-prompt"), issued_on="2026-03-05")
    assert "2026年3月5日" in text(draft(client, "supervision-prompt", payload).data)


def test_notice_draft_names_the_prompt_it_follows(client):
    body = text(draft(client, "accountability-notice", example("accountability-notice")).data)
    assert "督查问责通知书" in body
    assert "并于2026年11月2日下发《督办提示》（东卫督办〔2026〕7号）" in body
    assert "现责成你单位（科室）3日内向局党委说明情况。" in body


def test_ledger_rows_become_table_rows(client):
    payload = example("supervision-ledger")
    payload["rows"] = [
        {"date": f"2026-11-{1 + d % 30:02d}", "department": f"科室{d}", "points": f"要点{d}"} for d in range(1, 41)
    ]
    rows = table_rows(draft(client, "supervision-ledger", payload).data)
    assert rows[0] == ["督查时间", "责任科室和单位", "督查要点"]
    assert len(rows) == 41
    assert rows[1] == ["2026年11月2日", "科室1", "要点1"]
    assert rows[-1][1:] == ["科室40", "要点40"]


def test_ledger_header_row_repeats_on_each_page(client):
    content = draft(client, "key-work-ledger", example("key-work-ledger")).data
    table = docx.Document(io.BytesIO(content)).tables[0]
    header = table.rows[0]._tr
    assert header.find(".//{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblHeader") is not None


def test_key_work_ledger_header_and_rows(client):
    payload = example("key-work-ledger")
    rows = table_rows(draft(client, "key-work-ledger", payload).data)
    assert rows[0] == ["重点工作", "具体措施"]
    assert [r for r in rows[1:]] == [[r["work"], r["measures"]] for r in payload["rows"]]


def test_file_name_is_chinese_in_rfc5987_form(client):
    response = draft(client, "supervision-prompt", example("supervision-prompt"))
    disposition = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''" in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "督办提示-区人民医院-草稿.docx"


def test_markup_and_template_syntax_appear_literally(client):
    payload = dict(example("supervision-prompt"), recipient="A&B <医院> \"一\" '二'", matter="{{ 7*7 }} {% if x %}")
    response = draft(client, "supervision-prompt", payload)
    assert response.status_code == 200
    body = text(response.data)
    assert "A&B <医院> \"一\" '二'：" in body
    assert "{{ 7*7 }} {% if x %}工作存在" in body
    assert "49" not in body


def test_control_characters_are_rejected_with_the_field(client):
    payload = dict(example("supervision-prompt"), matter="院感\x07防控")
    response = draft(client, "supervision-prompt", payload)
    assert response.status_code == 422
    assert response.json["details"][0]["loc"] == "matter"
    assert "U+0007" in response.json["details"][0]["msg"]


def test_long_text_and_newlines_stay_valid(client):
    long = "很长的督查结果。" * 1500
    payload = dict(example("supervision-report"), result=long, improvements="第一条\n第二条\t附注")
    response = draft(client, "supervision-report", payload)
    assert response.status_code == 200
    document = docx.Document(io.BytesIO(response.data))  # a broken file would not parse
    body = text(response.data)
    assert long in body
    assert "第一条\n第二条\t附注" in body
    assert zipfile.ZipFile(io.BytesIO(response.data)).testzip() is None
    assert document.paragraphs


def test_malformed_json_is_400(client):
    response = client.post("/api/v1/drafts/supervision-prompt", data="{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"] == "malformed_request"
    assert response.json["details"][0]["msg"].startswith("第 1 行第 2 列")


def test_not_json_is_415(client):
    response = client.post("/api/v1/drafts/supervision-prompt", data="recipient=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json["error"] == "unsupported_media_type"


def test_too_large_is_413(data_dir):
    from docgen import create_app

    small = create_app({"DATA_DIR": str(data_dir), "MAX_CONTENT_LENGTH": 1000}).test_client()
    payload = dict(example("supervision-report"), result="字" * 2000)
    response = small.post("/api/v1/drafts/supervision-report", json=payload)
    assert response.status_code == 413
    assert response.json["error"] == "payload_too_large"


def test_unknown_kind_is_404(client):
    response = draft(client, "no-such-kind", {})
    assert response.status_code == 404
    assert response.json["error"] == "not_found"


def test_invalid_payload_lists_every_bad_field_with_its_path(client):
    payload = {"year": 1900, "month": 13, "rows": [{"date": "not a date", "department": "", "points": "x"}, {"extra": 1}]}
    response = draft(client, "supervision-ledger", payload)
    assert response.status_code == 422
    locs = {d["loc"]: d["msg"] for d in response.json["details"]}
    assert locs["year"] == "不能小于 2000"
    assert locs["month"] == "不能大于 12"
    assert "rows.0.date" in locs and "rows.0.department" in locs
    assert {"rows.1.date", "rows.1.department", "rows.1.points", "rows.1.extra"} <= set(locs)
    assert set(response.json) == {"error", "message", "details"}


def test_findings_outside_the_five_are_rejected(client):
    payload = dict(example("supervision-prompt"), findings=["工作很好"])
    response = draft(client, "supervision-prompt", payload)
    assert response.status_code == 422
    assert response.json["details"][0]["loc"] == "findings.0"
    assert "工作未落实" in response.json["details"][0]["msg"]


@pytest.mark.parametrize("body", ["[]", "null", "42", '"text"'])
def test_a_body_that_is_not_an_object_is_422(client, body):
    response = client.post("/api/v1/drafts/supervision-prompt", data=body, content_type="application/json")
    assert response.status_code == 422


def test_bad_format_is_422(client):
    response = client.post("/api/v1/drafts/supervision-prompt?format=odt", json=example("supervision-prompt"))
    assert response.status_code == 422
    assert response.json["details"][0]["loc"] == "(query).format"


def test_unknown_route_is_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json["error"] == "not_found"


def test_the_reply_period_is_worded_as_the_register_counts_it(client):
    """Working days say so (the register counts working days), calendar days stay 日."""
    working = text(draft(client, "supervision-prompt", example("supervision-prompt")).data)
    assert "接到本通知后5个工作日内进行回复。" in working
    calendar = text(draft(client, "supervision-prompt", dict(example("supervision-prompt"), count_calendar_days=True)).data)
    assert "接到本通知后5日内进行回复。" in calendar
    issued = client.post("/api/v1/documents/supervision-prompt", json=example("supervision-prompt")).json
    days = (dt.date.fromisoformat(issued["due_on"]) - dt.date.fromisoformat(issued["issued_on"])).days
    assert days >= 7  # five working days span a weekend at least
