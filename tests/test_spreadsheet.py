"""Reading the spreadsheets clerks upload (.xlsx, .csv in UTF-8 or GBK, .json), and the example sheet to fill in."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from openpyxl import load_workbook

from docgen.errors import InvalidPayload, MalformedRequest, UnsupportedMediaType
from docgen.kinds import KINDS, get_kind
from docgen.services.payloads import validate_payload
from docgen.services.spreadsheet import example_spreadsheet, read_items
from tests.conftest import RESOURCES, example, xlsx

PROMPT = get_kind("supervision-prompt")
LEDGER = get_kind("supervision-ledger")


def locs(exc: pytest.ExceptionInfo) -> dict[str, str]:
    return {d.loc: d.msg for d in exc.value.details}


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("kind_id", list(KINDS))
def test_example_sheet_round_trip(kind_id: str, fmt: str) -> None:
    kind = get_kind(kind_id)
    sheet = example_spreadsheet(kind, fmt)
    items = read_items(kind, f"{kind.title}.{fmt}", sheet)
    assert len(items) == 1  # a ledger's sheet is one ledger
    assert validate_payload(kind, items[0]) == validate_payload(kind, example(kind_id))
    json.dumps(items)  # ready to post or store


def test_example_sheet_has_the_chinese_headers_and_real_dates() -> None:
    sheet = load_workbook(io.BytesIO(example_spreadsheet(get_kind("supervision-report"), "xlsx"))).active
    headers = [c.value for c in sheet[1]]
    assert headers == ["科室", "日期", "督查内容", "督查结果", "改进措施和下周期重点内容", "报告人", "报告日期"]
    assert sheet["B2"].value == dt.datetime(2026, 11, 20)  # a date cell, not text
    ledger = load_workbook(io.BytesIO(example_spreadsheet(LEDGER, "xlsx"))).active
    assert [c.value for c in ledger[1]] == ["年度", "月份", "督查时间", "责任科室和单位", "督查要点"]
    assert ledger.max_row == 3  # one line per ledger row
    csv_text = example_spreadsheet(PROMPT, "csv").decode("utf-8")
    assert csv_text.startswith("\ufeff单位或科室,督查发现的工作,存在问题,回复期限（日）,成文日期")
    assert "落实进展缓慢、可能完不成任务" in csv_text


def test_chinese_headers_dates_lists_and_numbers_from_excel() -> None:
    content = xlsx([
        ["单位或科室", "督查发现的工作", "存在问题", "回复期限（日）", "成文日期"],
        ["区人民医院", "院感防控", "落实进展缓慢、可能完不成任务", 5, dt.datetime(2026, 11, 5)],
        ["区中医院", "医疗质量", "工作未落实，落实不彻底", 3.0, "2026年11月6日"],
        [None, None, None, None, None],  # a blank line in the middle is skipped
        ["卫生监督所", "食品安全", "没有完成阶段性目标", "7", "2026/11/7"],
        ["区疾控中心", "预防接种", "工作未落实", None, "  "],
    ])
    items = read_items(PROMPT, "督办提示.xlsx", content)
    assert items == [
        {"recipient": "区人民医院", "matter": "院感防控", "findings": ["落实进展缓慢", "可能完不成任务"], "reply_days": 5, "issued_on": "2026-11-05"},
        {"recipient": "区中医院", "matter": "医疗质量", "findings": ["工作未落实", "落实不彻底"], "reply_days": 3, "issued_on": "2026-11-06"},
        {"recipient": "卫生监督所", "matter": "食品安全", "findings": ["没有完成阶段性目标"], "reply_days": 7, "issued_on": "2026-11-07"},
        {"recipient": "区疾控中心", "matter": "预防接种", "findings": ["工作未落实"]},  # empty cells: field absent
    ]


def test_field_names_as_headers_and_half_width_brackets() -> None:
    content = "recipient,matter,findings,回复期限(日)\n区人民医院,院感防控,落实不彻底;工作未落实,5\n".encode()
    assert read_items(PROMPT, "rows.csv", content) == [
        {"recipient": "区人民医院", "matter": "院感防控", "findings": ["落实不彻底", "工作未落实"], "reply_days": 5}
    ]


def test_gbk_csv_as_excel_in_china_saves_it() -> None:
    content = (RESOURCES / "prompts-gbk.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    items = read_items(PROMPT, "prompts-gbk.csv", content)
    assert [i["recipient"] for i in items] == ["区人民医院", "区中医院", "卫生监督所"]
    assert items[1]["findings"] == ["工作未落实", "落实不彻底"]
    assert items[1]["issued_on"] == "2026-11-06"
    assert "reply_days" not in items[2] and "issued_on" not in items[2]


def test_bad_rows_are_named_by_row_and_column_all_at_once() -> None:
    with pytest.raises(InvalidPayload) as exc:
        read_items(PROMPT, "prompts-bad.csv", (RESOURCES / "prompts-bad.csv").read_bytes())
    assert exc.value.status == 422
    found = locs(exc)
    assert set(found) == {"第3行.存在问题", "第3行.回复期限（日）", "第4行.单位或科室", "第4行.回复期限（日）", "第4行.成文日期"}
    assert "“落实太慢”" in found["第3行.存在问题"] and "落实进展缓慢" in found["第3行.存在问题"]
    assert found["第3行.回复期限（日）"] == "应为整数"
    assert found["第4行.单位或科室"] == "必填"
    assert found["第4行.回复期限（日）"] == "不能小于 1"
    assert "日期" in found["第4行.成文日期"]
    assert exc.value.message == "上传的督办提示文件有 5 处错误（第 3、4 行），请按行列改正后重新上传"


def test_unknown_and_duplicate_columns() -> None:
    content = xlsx([["序号", "单位或科室", "督查发现的工作", "存在问题", "备注", "recipient"], [1, "区人民医院", "院感防控", "工作未落实", "x", "y"]])
    with pytest.raises(InvalidPayload) as exc:
        read_items(PROMPT, "a.xlsx", content)
    found = locs(exc)
    assert "第1行.备注" in found and "单位或科室" in found["第1行.备注"]
    assert "第2行.recipient" in found
    assert "第1行.序号" not in found  # a clerk's own numbering column is fine


def test_ledger_sheet_is_one_document() -> None:
    items = read_items(LEDGER, "ledger.xlsx", (RESOURCES / "supervision-ledger-2026-11.xlsx").read_bytes())
    assert items == [{
        "year": 2026,
        "month": 11,
        "rows": [
            {"date": "2026-11-05", "department": "医政科、区人民医院", "points": "院感防控制度落实情况"},
            {"date": "2026-11-12", "department": "疾控科、各社区卫生服务中心", "points": "冬季传染病防控准备情况"},
            {"date": "2026-11-19", "department": "卫生监督所", "points": "医疗废物处置专项检查"},
        ],
    }]
    validate_payload(LEDGER, items[0])


def test_ledger_year_and_month_from_the_caller() -> None:
    content = "督查时间,责任科室和单位,督查要点\n2026/11/5,医政科,院感防控\n".encode()
    items = read_items(LEDGER, "ledger.csv", content, defaults={"year": 2026, "month": "11"})
    assert items[0]["year"] == 2026 and items[0]["month"] == 11
    with pytest.raises(InvalidPayload) as exc:
        read_items(LEDGER, "ledger.csv", content)
    found = locs(exc)
    assert set(found) == {"年度", "月份"}
    assert "年度" in found["年度"]


def test_ledger_errors_name_the_row() -> None:
    content = "年度,月份,督查时间,责任科室和单位,督查要点\n2026,11,2026/11/5,医政科,院感防控\n,12,11月6日,疾控科,\n".encode()
    with pytest.raises(InvalidPayload) as exc:
        read_items(LEDGER, "ledger.csv", content)
    found = locs(exc)
    assert "第3行.月份" in found and "第2行" in found["第3行.月份"]  # one ledger, one month
    assert found["第3行.督查要点"] == "必填"
    assert "第3行.督查时间" in found


def test_json_files() -> None:
    items = read_items(PROMPT, "prompts.json", (RESOURCES / "prompts.json").read_bytes())
    assert items[1] == {"recipient": "区疾控中心", "matter": "预防接种", "findings": ["可能完不成任务"]}
    # one paper's payload, as it is POSTed to the API
    assert read_items(PROMPT, "p.json", json.dumps(example("supervision-prompt")).encode()) == [example("supervision-prompt")]
    with pytest.raises(InvalidPayload):
        read_items(PROMPT, "p.json", b"42")
    ledger = read_items(LEDGER, "l.json", json.dumps(example("supervision-ledger")).encode())
    assert validate_payload(LEDGER, ledger[0]) == validate_payload(LEDGER, example("supervision-ledger"))
    with pytest.raises(InvalidPayload) as exc:
        read_items(PROMPT, "p.json", json.dumps([{"recipient": "x", "matter": "y", "findings": ["工作未落实"], "colour": 1}]).encode())
    assert locs(exc) == {"items.0.colour": "没有这个字段"}


@pytest.mark.parametrize(
    ("filename", "content", "error", "status"),
    [
        ("督办提示.xls", b"\xd0\xcf\x11\xe0", UnsupportedMediaType, 415),
        ("督办提示.docx", b"PK\x03\x04", UnsupportedMediaType, 415),
        ("督办提示.xlsx", b"not a zip file at all", MalformedRequest, 400),
        ("督办提示.json", b"[{", MalformedRequest, 400),
        ("督办提示.csv", b"\xff\xfe\x00\x00\x00", MalformedRequest, 400),
        ("督办提示.csv", b"", InvalidPayload, 422),
        ("督办提示.csv", "单位或科室,督查发现的工作\n".encode(), InvalidPayload, 422),
    ],
)
def test_wrong_unreadable_or_empty_files(filename: str, content: bytes, error: type, status: int) -> None:
    with pytest.raises(error) as exc:
        read_items(PROMPT, filename, content)
    assert exc.value.status == status
    assert any("\u4e00" <= ch <= "\u9fff" for ch in exc.value.message)  # a Chinese message
