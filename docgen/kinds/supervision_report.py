"""督查报告 — a department's report on what an inspection found."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from docgen.kinds.base import Kind, Payload, Text, text_field


class SupervisionReport(Payload):
    department: Text = text_field("科室", "报告的科室", max_length=100)
    date: dt.date = Field(title="日期", description="督查日期，如 2026-11-20")
    content: Text = text_field("督查内容", "督查了哪些工作")
    result: Text = text_field("督查结果", "督查发现的情况和问题")
    improvements: Text = text_field("改进措施和下周期重点内容", "针对问题的改进措施和下一周期的重点内容")
    reporter: Text = text_field("报告人", "报告人姓名", max_length=50)
    report_date: dt.date = Field(title="报告日期", description="报告的日期，如 2026-11-22")


KIND = Kind(
    id="supervision-report",
    title="督查报告",
    description="职能科室对督查结果形成的督查报告，及时报两办。",
    model=SupervisionReport,
    template="supervision-report.docx",
    recipient_field="department",
    signing_date_field="report_date",
    example={
        "department": "医政科",
        "date": "2026-11-20",
        "content": "辖区二级医院院感防控制度落实情况。",
        "result": "三家医院制度健全；区人民医院手卫生依从性偏低，消毒记录不全。",
        "improvements": "督促区人民医院12月底前完成手卫生专项培训；下周期重点检查消毒供应中心。",
        "reporter": "张明",
        "report_date": "2026-11-22",
    },
)
