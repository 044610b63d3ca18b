"""督办提示 — the reminder the two offices send when work lags."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from docgen.kinds.base import FINDINGS, Finding, Kind, Payload, Text, mark_findings, text_field


class SupervisionPrompt(Payload):
    recipient: Text = text_field("单位或科室", "接收督办提示的单位或科室", max_length=100)
    matter: Text = text_field("督查发现的工作", "存在问题的工作事项，如“院感防控”", max_length=500)
    findings: list[Finding] = Field(
        title="存在问题",
        description="适用的情形，可多选：" + "、".join(FINDINGS),
        min_length=1,
        max_length=5,
        json_schema_extra={"uniqueItems": True},
    )
    reply_days: int | None = Field(
        default=None,
        title="回复期限（日）",
        description="接到本通知后几日内回复；不填则用机构配置的默认期限",
        ge=1,
        le=365,
    )
    issued_on: dt.date | None = Field(default=None, title="成文日期", description="签发日期；不填则为签发当天")


def _context(payload: SupervisionPrompt) -> dict:
    return {"findings_marked": mark_findings(list(payload.findings))}


KIND = Kind(
    id="supervision-prompt",
    title="督办提示",
    description="对工作未落实、落实不彻底、落实进展缓慢、没有完成阶段性目标或可能完不成任务的科室和单位下发的督办提示。",
    model=SupervisionPrompt,
    template="supervision-prompt.docx",
    extra_variables=("findings_marked",),
    unprinted_fields=("findings",),
    extra_context=_context,
    signing_date_field="issued_on",
    reply_days_field="reply_days",
    recipient_field="recipient",
    example={
        "recipient": "区人民医院",
        "matter": "院感防控",
        "findings": ["落实进展缓慢", "可能完不成任务"],
        "reply_days": 5,
    },
)
