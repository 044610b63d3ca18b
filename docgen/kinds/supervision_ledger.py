"""督查工作台帐 — the two offices' monthly list of inspections."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from docgen.kinds.base import Kind, Payload, Text, text_field


class SupervisionRow(Payload):
    date: dt.date = Field(title="督查时间", description="开展督查的日期，如 2026-11-05")
    department: Text = text_field("责任科室和单位", "被督查的责任科室和单位", max_length=200)
    points: Text = text_field("督查要点", "本次督查的要点")


class SupervisionLedger(Payload):
    year: int = Field(title="年度", description="台帐所属年度，如 2026", ge=2000, le=2100)
    month: int = Field(title="月份", description="台帐所属月份，1 至 12", ge=1, le=12)
    rows: list[SupervisionRow] = Field(title="台帐行", description="本月每次督查一行", min_length=1, max_length=500)


KIND = Kind(
    id="supervision-ledger",
    title="督查工作台帐",
    description="局两办根据督查工作内容建立的督查台账，按月记录督查时间、责任科室和单位、督查要点。",
    model=SupervisionLedger,
    template="supervision-ledger.docx",
    rows_field="rows",
    example={
        "year": 2026,
        "month": 11,
        "rows": [
            {"date": "2026-11-05", "department": "医政科、区人民医院", "points": "院感防控制度落实情况"},
            {"date": "2026-11-12", "department": "疾控科、各社区卫生服务中心", "points": "冬季传染病防控准备情况"},
        ],
    },
)
