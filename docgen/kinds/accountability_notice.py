"""督查问责通知书 — sent when a 督办提示 was ignored."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from docgen.kinds.base import FINDINGS, Finding, Kind, Payload, Text, mark_findings, text_field


class AccountabilityNotice(Payload):
    recipient: Text | None = text_field("单位或科室", "接收问责通知书的单位或科室；不填则取所依据的督办提示的收文单位", max_length=100, default=None)
    matter: Text | None = text_field("督查发现的工作", "存在问题的工作事项；不填则取自督办提示", max_length=500, default=None)
    findings: list[Finding] | None = Field(
        default=None,
        title="存在问题",
        description="适用的情形，可多选：" + "、".join(FINDINGS) + "；不填则取自督办提示",
        min_length=1,
        max_length=5,
        json_schema_extra={"uniqueItems": True},
    )
    prompt_number: Text = text_field("督办提示文号", "此前下发的《督办提示》的文号，如 东卫督办〔2026〕7号", max_length=100)
    prompt_issued_on: dt.date | None = Field(
        default=None,
        title="督办提示下发日期",
        description="《督办提示》的下发日期；签发时从登记簿自动填写",
    )
    reply_days: int | None = Field(
        default=None,
        title="说明情况期限（日）",
        description="几日内向局党委说明情况；不填则用机构配置的默认期限（三天）",
        ge=1,
        le=365,
    )
    force_reason: str | None = Field(
        default=None,
        title="提前问责理由",
        description="督办提示的回复期限未到而需提前下发问责通知书时，填写理由（将记入登记簿）",
        max_length=1000,
    )
    issued_on: dt.date | None = Field(default=None, title="成文日期", description="签发日期；不填则为签发当天")


def _context(payload: AccountabilityNotice) -> dict:
    return {"findings_marked": mark_findings(list(payload.findings or []))}


KIND = Kind(
    id="accountability-notice",
    title="督查问责通知书",
    description="下发《督办提示》后责任单位不作为或仍未在规定时限内完成任务时下发的问责通知书。",
    model=AccountabilityNotice,
    template="accountability-notice.docx",
    extra_variables=("findings_marked",),
    unprinted_fields=("findings", "force_reason"),
    extra_context=_context,
    signing_date_field="issued_on",
    reply_days_field="reply_days",
    recipient_field="recipient",
    follows_kind="supervision-prompt",
    follows_field="prompt_number",
    example={
        "recipient": "区人民医院",
        "matter": "院感防控",
        "findings": ["落实进展缓慢"],
        "prompt_number": "东卫督办〔2026〕7号",
        "prompt_issued_on": "2026-11-02",
        "reply_days": 3,
    },
)
