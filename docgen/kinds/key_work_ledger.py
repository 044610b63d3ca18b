"""重点工作台帐 — a department's key work for the year, measures at least per month."""

from __future__ import annotations

from pydantic import Field

from docgen.kinds.base import Kind, Payload, Text, text_field


class KeyWorkRow(Payload):
    work: Text = text_field("重点工作", "一项重点工作")
    measures: Text = text_field("具体措施", "落实这项工作的具体措施，至少具体到月份")


class KeyWorkLedger(Payload):
    year: int = Field(title="年度", description="台帐所属年度，如 2026", ge=2000, le=2100)
    department: Text = text_field("科室", "建立台帐的职能科室", max_length=100)
    rows: list[KeyWorkRow] = Field(title="台帐行", description="重点工作及其具体措施，每项一行", min_length=1, max_length=500)


KIND = Kind(
    id="key-work-ledger",
    title="重点工作台帐",
    description="局机关职能科室的年度重点工作台帐，工作安排至少具体到月份，每年2月25日前报两办。",
    model=KeyWorkLedger,
    template="key-work-ledger.docx",
    rows_field="rows",
    recipient_field="department",
    example={
        "year": 2026,
        "department": "医政科",
        "rows": [
            {"work": "基层医疗机构服务能力提升", "measures": "3月：完成全区基层医疗机构摸底；6月：完成培训两期；10月：组织考核验收"},
            {"work": "院感防控专项检查", "measures": "每季度末月对辖区医院开展一次院感专项检查，并形成检查报告"},
        ],
    },
)
