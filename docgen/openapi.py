"""The OpenAPI 3.1 description, generated from the routes and the models.

Each API view carries a small ``@doc`` note (summary, which body, which
answer); the paths come from Flask's URL map, the payload schemas from the
kinds' pydantic models, the answers from the models below. Nothing is
written twice by hand.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

from flask import Flask, current_app, request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, RootModel

from docgen.errors import ErrorDetail, InvalidPayload
from docgen.kinds import KINDS

# the matters' request models live beside the service that checks them; described here like the others
from docgen.services.matters import CancelIn, CloseIn, FromMattersIn, MatterIn, MilestoneIn, ProgressIn  # noqa: F401


def _kind_ids(schema: dict[str, Any]) -> None:
    """The kinds known when the description is built (kinds may be added as data)."""
    schema["enum"] = list(KINDS)


class ErrorDetailOut(BaseModel):
    loc: str = Field(description="出错字段的路径，如 items.0.deadline、(query).year")
    msg: str


class ErrorOut(BaseModel):
    error: str = Field(description="稳定的英文错误代码")
    message: str = Field(description="一句话说明")
    details: list[ErrorDetailOut]


def _iso_day(value: Any) -> Any:
    """A day in a query string is written 2026-11-30, never as a count of seconds ("0")."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("应为日期，格式如 2026-11-30")
    return value


# a day given in a query string: ISO format only
QueryDay = Annotated[dt.date, BeforeValidator(_iso_day)]


class KindSummary(BaseModel):
    kind: str
    title: str
    description: str


class KindSummaryList(RootModel[list[KindSummary]]):
    pass


class KindDetail(KindSummary):
    schema_: dict[str, Any] = Field(alias="schema", description="载荷的 JSON Schema")
    example: dict[str, Any]


class Links(BaseModel):
    self: str = Field(description="本登记项")
    docx: str = Field(description="存档的 .docx")
    pdf: str = Field(description="PDF")


class ReplyOut(BaseModel):
    """The written reply (书面回复) recorded for a paper."""

    received_on: dt.date = Field(description="收到书面回复的日期")
    summary: str = Field(description="回复的主要内容")
    on_time: bool = Field(description="是否在回复期限内收到")
    filename: str | None = Field(None, description="附件的文件名（有附件时）")
    recorded_by: str | None = Field(None, description="登记人")


PAPER_STATES = ("issued", "replied", "overdue", "escalated", "voided")


class DocumentSummaryOut(BaseModel):
    """A register entry as lists show it."""

    id: str
    kind: str
    title: str
    number: str | None = Field(description="文号；不编号的种类为 null")
    status: Literal["issued", "voided"]
    issued_on: dt.date = Field(description="成文日期")
    due_on: dt.date | None = Field(description="回复期限")
    recipient: str | None
    void_reason: str | None = None
    follows: str | None = Field(default=None, description="所依据文件（如督办提示）的 id")
    force_reason: str | None = None
    batch_id: str | None = None
    issued_by: str | None = Field(default=None, description="签发人（用户名或令牌名）")
    voided_by: str | None = Field(default=None, description="作废人")
    state: Literal[PAPER_STATES] = Field(description="截至 as_of 的状态：issued 已签发、replied 已回复、overdue 逾期未回复、escalated 已发下一步、voided 已作废")  # type: ignore[valid-type]
    as_of: dt.date = Field(description="状态的计算日期")
    days_overdue: int | None = Field(None, description="超过回复期限的天数（逾期或已升级且未回复时）")
    reply: ReplyOut | None = Field(None, description="书面回复（截至 as_of 已收到时）")
    followed_by: str | None = Field(None, description="依据本文件发出的下一步文件（如问责通知书）的 id")
    links: Links


class DocumentOut(DocumentSummaryOut):
    """One register entry, with what an audit needs."""

    payload: dict[str, Any] = Field(description="印在文件上的载荷（含补全的日期和期限）")
    template_sha256: str | None = None
    template_version: int | None = Field(None, description="签发时所用模板的版本")
    file_sha256: str | None = None


class DocumentList(RootModel[list[DocumentSummaryOut]]):
    pass


class RegisterQueryIn(BaseModel):
    """The register's filters (query string)."""

    model_config = ConfigDict(extra="forbid")

    kind: str | None = Field(None, description="公文种类 id", json_schema_extra=_kind_ids)
    year: int | None = Field(None, ge=2000, le=2100, description="年度")
    month: int | None = Field(None, ge=1, le=12, description="月份（成文日期）")
    status: Literal["issued", "voided"] | None = None
    recipient: str | None = Field(None, max_length=200, description="收文单位（包含）")
    q: str | None = Field(None, max_length=200, description="关键词：文号、单位、事项……")
    overdue: bool = Field(False, description="只列逾期未回复、尚未发出下一步的文件（同 state=overdue）")
    state: Literal[PAPER_STATES] | None = Field(None, description="状态：issued、replied、overdue、escalated、voided")  # type: ignore[valid-type]
    as_of: QueryDay | Literal[""] | None = Field(None, description="按哪一天计算状态（如 2026-11-30）；不写或空 = 今天")
    page: int = Field(1, ge=1, le=100000)
    per_page: int = Field(50, ge=1, le=500)


class DraftQueryIn(BaseModel):
    """How a draft is wanted: ``?format=`` (or ``Accept: application/pdf``)."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["docx", "pdf"] | None = Field(None, description="docx 或 pdf；不写时按 Accept 头，默认 docx")


class DocumentQueryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: QueryDay | Literal[""] | None = Field(None, description="按哪一天计算状态（如 2026-11-30）；不写或空 = 今天")


class ReplyIn(BaseModel):
    """A written reply, as JSON (or as a multipart form with a ``file``)."""

    model_config = ConfigDict(extra="forbid")

    received_on: dt.date = Field(description="收到书面回复的日期，不早于成文日期、不晚于今天")
    summary: str = Field(min_length=1, max_length=2000, description="回复的主要内容")


class EscalationOut(BaseModel):
    """An overdue paper and the next kind of its escalation chain."""

    document: DocumentSummaryOut
    next_kind: str = Field(description="链条中下一步文件的种类 id")
    next_title: str = Field(description="下一步文件的名称")
    days_overdue: int = Field(description="超过回复期限的天数")


class EscalationList(RootModel[list[EscalationOut]]):
    pass


class EscalationQueryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: QueryDay | Literal[""] | None = Field(None, description="按哪一天计算逾期（如 2026-11-30，不晚于今天）；不写或空 = 今天")


class EscalationRunIn(BaseModel):
    """The run of the escalation list: the next paper of every overdue one, as one batch."""

    model_config = ConfigDict(extra="forbid")

    as_of: dt.date | None = Field(None, description="按哪一天计算逾期，不晚于今天；默认今天")
    issue: bool = Field(False, description="true：编号签发；false：只生成草稿")
    next_kind: str | None = Field(None, description="下一步文件的种类；逾期文件的下一步不止一种时必填")


class VoidIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=1000, description="作废理由")


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="公文种类 id", json_schema_extra=_kind_ids)
    items: list[dict[str, Any]] = Field(description="每项一份公文的载荷")
    issue: bool = Field(False, description="true：逐项签发编号；false：只生成草稿")
    duplex: bool = Field(True, description="双面打印：每份文件从奇数页开始")


class BatchLinks(BaseModel):
    self: str = Field(description="进度")
    packet: str = Field(description="签批包 PDF")
    documents: str = Field(description="全部 .docx 的 zip")
    document_list: str = Field(description="每项得到的文号")


class BatchOut(BaseModel):
    id: str
    kind: str
    status: Literal["queued", "running", "done", "failed"]
    done: int = Field(ge=0)
    total: int = Field(ge=0)
    issue: bool
    duplex: bool
    error: ErrorOut | None = Field(None, description="失败时的原因")
    created_at: dt.datetime
    links: BatchLinks


class BatchDocumentOut(BaseModel):
    """Which item of a batch became which paper."""

    item: int = Field(ge=0, description="在 items 中的位置（从 0 起）")
    label: str = Field(description="文号，或草稿的标签")
    number: str | None = Field(description="签发时得到的文号；草稿或不编号的种类为 null")
    recipient: str | None
    pages: int | None = Field(description="在签批包中的页数")
    document: DocumentSummaryOut | None = Field(description="签发的登记项；草稿为 null")


class BatchDocumentList(RootModel[list[BatchDocumentOut]]):
    pass


class LoginIn(BaseModel):
    name: str = Field(max_length=100, description="用户名")
    password: str = Field(max_length=1000, description="密码")


class TokenOut(BaseModel):
    token: str = Field(description="访问令牌，放在 Authorization: Bearer 头中")
    role: str
    department: str | None
    expires_at: str


class PrincipalOut(BaseModel):
    name: str
    role: str = Field(description="admin / clerk / department / leader")
    role_title: str
    department: str | None


class AuditOut(BaseModel):
    id: int
    at: str
    actor: str = Field(description="用户名或令牌名")
    role: str | None
    action: str
    action_title: str
    target: str | None = Field(description="文号、文件或事项的 id 等")
    outcome: str
    detail: dict[str, Any] | None


class AuditList(RootModel[list[AuditOut]]):
    pass
class TemplateVersionOut(BaseModel):
    version: int
    sha256: str
    uploaded_at: str
    uploaded_by: str | None = Field(description="上传人；内置模板为空")
    active: bool = Field(description="新签发的公文是否用这一版")
    source: str = Field(description="upload（上传）或 bundled（内置模板，首次使用时记入）")
    filename: str | None = None
    size: int
    placeholders: list[str] = Field(description="模板中出现的占位符")
    links: dict[str, str] | None = None


class TemplateVersionList(RootModel[list[TemplateVersionOut]]):
    pass


class Health(BaseModel):
    status: str
    worker: str | None = Field(None, description="答复的 web 工作进程的随机名（不是进程号）")
    converter: dict[str, Any]


class CalendarQueryIn(BaseModel):
    """Which month of the reporting calendar (query string)."""

    model_config = ConfigDict(extra="forbid")

    month: str | None = Field(None, pattern=r"^\d{4}-\d{2}$", description="年月，如 2026-12；不写为本月")


class CalendarEntryOut(BaseModel):
    date: dt.date = Field(description="应办日期（逢周末、节假日已提前到此前最后一个工作日）")
    duty: str = Field(description="事项")
    who: str = Field(description="责任方")
    rule: str = Field(description="机构配置中的规定，如“每月27日前”")
    moved_from: dt.date | None = Field(description="按规定本应在哪一天（已提前时）；未提前为 null")


class CalendarList(RootModel[list[CalendarEntryOut]]):
    pass


class PreflightProblemOut(BaseModel):
    rule: str = Field(description="规则，如“上边距”“落款”“页码”")
    page: int | None = Field(description="第几页（从 1 起）；涉及全文时为 null")
    message: str = Field(description="中文说明")


class PreflightOut(BaseModel):
    ok: bool = Field(description="是否完全符合 GB/T 9704")
    problems: list[PreflightProblemOut]


class ReportNotesIn(BaseModel):
    """The clerk's text per section of a report (each optional)."""

    model_config = ConfigDict(extra="forbid")

    overview: str | None = Field(None, max_length=4000, description="一、总体情况")
    progress: str | None = Field(None, max_length=4000, description="二、重点工作进展（月报）")
    supervision: str | None = Field(None, max_length=4000, description="三、督办和问责情况（月报）")
    coordination: str | None = Field(None, max_length=4000, description="四、存在问题和需要局领导协调的事项（月报）")
    next_month: str | None = Field(None, max_length=4000, description="五、下月工作重点（月报）")
    units: str | None = Field(None, max_length=4000, description="各单位落实情况（季度通报）")
    praise: str | None = Field(None, max_length=4000, description="表扬（季度通报）")
    criticism: str | None = Field(None, max_length=4000, description="通报批评（季度通报）")
    notices: str | None = Field(None, max_length=4000, description="督查通知单下发和办理情况（月通报）")
    rounds: str | None = Field(None, max_length=4000, description="三次督查情况（月通报）")
    requirements: str | None = Field(None, max_length=4000, description="下一步工作要求（季度通报、月通报）")


class MonthlyReportIn(BaseModel):
    """Which month, the clerk's notes, and whether to issue (number and keep) the report."""

    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=2000, le=2100, description="年度")
    month: int = Field(ge=1, le=12, description="月份")
    notes: ReportNotesIn | None = Field(None, description="各章节的补充说明")
    issue: bool = Field(False, description="true：编号（机构配置给了字头时）并存档，答 201")
    with_papers: bool = Field(False, description="true：附上本月签发文件清单（附件）")


class QuarterlyReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=2000, le=2100, description="年度")
    quarter: int = Field(ge=1, le=4, description="季度")
    notes: ReportNotesIn | None = Field(None, description="各章节的补充说明")
    issue: bool = Field(False, description="true：编号（机构配置给了字头时）并存档，答 201")


class BulletinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=2000, le=2100, description="年度")
    month: int = Field(ge=1, le=12, description="月份")
    notes: ReportNotesIn | None = Field(None, description="各章节的补充说明")
    issue: bool = Field(False, description="true：编号（机构配置给了字头时）并存档，答 201")


# -- matters (督查事项) ---------------------------------------------------------------------------


class MatterQueryIn(BaseModel):
    """The matters list's filters (query string)."""

    model_config = ConfigDict(extra="forbid")

    department: str | None = Field(None, max_length=200, description="责任科室或单位（完全一致）")
    status: Literal["open", "done", "cancelled"] | None = Field(None, description="open 在办、done 已报结、cancelled 已撤销")
    light: Literal["green", "yellow", "red"] | None = Field(None, description="green 绿灯、yellow 黄灯、red 红灯（在办事项）")
    year: int | None = Field(None, ge=2000, le=2100, description="立项年度")
    q: str | None = Field(None, max_length=500, description="关键词：编号、事项、来源、科室、分管领导")
    page: int = Field(1, ge=1, le=100000)
    per_page: int = Field(50, ge=1, le=500)


class MilestoneOut(BaseModel):
    due_on: dt.date | None = Field(description="节点时间；未定时间的节点为 null")
    measure: str = Field(description="具体措施")
    done_on: dt.date | None = Field(description="完成日期；未完成为 null")


class MatterLinks(BaseModel):
    self: str
    progress: str = Field(description="报送进展（POST）")
    close: str = Field(description="报结（POST）")
    cancel: str = Field(description="撤销（POST）")


class MatterOut(BaseModel):
    """A matter under supervision, with its light as of ``as_of``."""

    id: str
    code: str = Field(description="事项编号：机构配置的字头〔年度〕序号号")
    title: str = Field(description="督查事项")
    source: str = Field(description="来源")
    department: str = Field(description="责任科室或单位")
    leader: str | None = Field(description="分管局领导")
    opened_on: dt.date = Field(description="立项日期")
    deadline: dt.date = Field(description="办结时限")
    milestones: list[MilestoneOut]
    status: Literal["open", "done", "cancelled"] = Field(description="open 在办、done 已报结、cancelled 已撤销")
    light: Literal["green", "yellow", "red"] | None = Field(description="在办事项的灯：green 正常、yellow 临近时限、red 逾期；报结或撤销的为 null")
    light_reason: str | None = Field(description="黄灯、红灯的原因")
    closed_on: dt.date | None = None
    result: str | None = Field(None, description="办理结果（报结）")
    cancelled_on: dt.date | None = None
    cancel_reason: str | None = None
    created_by: str | None = None
    as_of: dt.date = Field(description="灯按哪一天计算")
    links: MatterLinks


class MatterList(RootModel[list[MatterOut]]):
    pass


class ProgressOut(BaseModel):
    id: int
    matter_id: str
    reported_on: dt.date
    period: Literal["weekly", "monthly", "special"]
    progress: str
    problems: str | None
    needs_coordination: str | None
    milestones_done: list[int]
    reported_by: str | None


class ProgressList(RootModel[list[ProgressOut]]):
    pass


class MatterReplyOut(BaseModel):
    received_on: dt.date
    summary: str
    on_time: bool | None


class MatterPaperOut(BaseModel):
    """A paper that names the matter, with its state."""

    id: str
    kind: str
    title: str
    number: str | None
    issued_on: dt.date
    due_on: dt.date | None
    recipient: str | None
    state: str = Field(description="issued、replied、overdue、escalated、voided")
    reply: MatterReplyOut | None
    links: Links


class TimelineEntryOut(BaseModel):
    on: dt.date
    type: Literal["opened", "progress", "milestone", "paper", "reply", "closed", "cancelled"]
    text: str
    progress_id: int | None = None
    document_id: str | None = None


class MatterDetailOut(MatterOut):
    """One matter with its timeline."""

    progress: list[ProgressOut]
    papers: list[MatterPaperOut]
    timeline: list[TimelineEntryOut] = Field(description="办理经过：立项、进展、下发的文件、回复、报结或撤销，按日期")


class MatterImportIn(BaseModel):
    """A 重点工作台帐 payload (as ``POST /api/v1/documents/key-work-ledger`` takes it): one matter per row."""

    model_config = ConfigDict(extra="forbid")

    ledger: dict[str, Any] = Field(description="重点工作台帐的载荷：year、department、rows[{work, measures}]，见 GET /api/v1/kinds/key-work-ledger")
    opened_on: dt.date | None = Field(None, description="立项日期（如台帐报送之日），在台帐年度内且不晚于今天；不写为今天")


class ProgressImportIn(BaseModel):
    """Several progress reports at once, each naming its matter."""

    model_config = ConfigDict(extra="forbid")

    reports: list[dict[str, Any]] = Field(max_length=5000, description="每条：matter（事项编号或 id）及 reported_on、period、progress、problems、needs_coordination、milestones_done")


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"
ZIP_TYPE = "application/zip"
FILE_TYPES = (DOCX_TYPE, PDF_TYPE, ZIP_TYPE)


def doc(
    summary: str,
    request: type[BaseModel] | str | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    query: type[BaseModel] | dict[str, Any] | None = None,
    files: bool | tuple[str, ...] = False,
    headers: dict[str, str] | None = None,
    upload: dict[str, str] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Note what an endpoint takes and gives, for the OpenAPI document.

    ``query`` is a pydantic model of the query string (its fields, types and
    ranges are documented, and any other parameter is refused with 422) or,
    shorter, ``{"name": "integer" | ("choice", ...)}``. ``files`` is the media
    types of a file answer (True: any of .docx, .pdf, .zip). ``upload`` says the
    endpoint also takes a multipart upload (``file``) with these other form
    fields (``{"year": "integer"}``), besides its JSON body.
    """

    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        view._openapi = dict(  # type: ignore[attr-defined]
            summary=summary, request=request, response=response, status=status, query=query or {}, files=files, headers=headers or {},
            upload=upload,
        )
        return view

    return mark


def query_names(view: Callable[..., Any] | None) -> set[str] | None:
    """The query parameters a view takes; None when it is not described."""
    spec = getattr(view, "_openapi", None)
    if spec is None:
        return None
    query = spec["query"]
    if isinstance(query, type) and issubclass(query, BaseModel):
        return set(query.model_fields)
    return set(query)


def _query_parameters(query: type[BaseModel] | dict[str, Any], components: dict[str, Any]) -> list[dict[str, Any]]:
    if isinstance(query, type) and issubclass(query, BaseModel):
        schema = query.model_json_schema(ref_template="#/components/schemas/{model}")
        params = []
        for name, prop in schema.get("properties", {}).items():
            prop = dict(prop)
            description = prop.pop("description", None)
            prop.pop("title", None)
            # a query parameter is optional by being absent: `X | None` is just X
            options = [o for o in prop.pop("anyOf", []) if o.get("type") != "null"]
            if len(options) == 1:
                prop = {**options[0], **prop}
            if prop.get("default", ...) is None:
                prop.pop("default")
            param: dict[str, Any] = {"name": name, "in": "query", "required": name in schema.get("required", []), "schema": prop}
            if description:
                param["description"] = description
            params.append(param)
        return params
    params = []
    for name, values in query.items():
        schema = {"type": "string", "enum": list(values)} if isinstance(values, tuple) else {"type": values}
        params.append({"name": name, "in": "query", "required": False, "schema": schema})
    return params


def _schema_ref(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", by_alias=True, mode="serialization")
    for name, sub in schema.pop("$defs", {}).items():
        components[name] = sub
    if issubclass(model, RootModel):
        return schema
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _payload_schema(components: dict[str, Any]) -> dict[str, Any]:
    options = []
    for kind in KINDS.values():
        options.append(_schema_ref(kind.model, components))
    return {"oneOf": options, "description": "所选公文种类的载荷，见 GET /api/v1/kinds/{kind}"}


_ERRORS = {
    "400": "JSON 格式错误",
    "401": "未登录：缺少或无效的访问令牌",
    "403": "当前角色无权进行此操作",
    "404": "没有这种公文或这份文件",
    "409": "状态冲突或尚未完成",
    "413": "请求体太大",
    "415": "请求体不是 JSON",
    "422": "内容不符合要求（逐项列出出错字段）",
    "429": "排队已满",
    "503": "PDF 转换服务不可用",
}


def build(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document for every /api/v1 route and /healthz."""
    from docgen.access import is_public
    components: dict[str, Any] = {}
    error_ref = _schema_ref(ErrorOut, components)
    paths: dict[str, Any] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        spec = getattr(view, "_openapi", None)
        if spec is None:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            op: dict[str, Any] = {"summary": spec["summary"], "operationId": rule.endpoint.replace(".", "_") + "_" + method.lower()}
            params = [
                {"name": name, "in": "path", "required": True, "schema": _param_schema(name)}
                for name in rule.arguments
            ]
            params += _query_parameters(spec["query"], components)
            for name, desc in spec["headers"].items():
                params.append({"name": name, "in": "header", "required": False, "schema": {"type": "string"}, "description": desc})
            if params:
                op["parameters"] = params
            request = spec["request"]
            if request == "kind":
                op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _payload_schema(components)}}}
            elif request == "upload":
                upload = {"type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}}}
                op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": upload}}}
            elif request is not None:
                op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _schema_ref(request, components)}}}
            if spec.get("upload") is not None and "requestBody" in op:
                fields = {"file": {"type": "string", "format": "binary"}} | {k: {"type": v} for k, v in spec["upload"].items()}
                op["requestBody"]["content"]["multipart/form-data"] = {
                    "schema": {"type": "object", "required": ["file"], "properties": fields, "additionalProperties": False}}
            responses: dict[str, Any] = {}
            ok = {"description": "成功"}
            if spec["files"]:
                types = FILE_TYPES if spec["files"] is True else spec["files"]
                ok["content"] = {t: {"schema": {"type": "string", "format": "binary"}} for t in types}
                ok["headers"] = {
                    "Content-Disposition": {
                        "description": "attachment；filename 为有意义的 ASCII 名，filename* 为中文文件名（RFC 5987）",
                        "schema": {"type": "string"},
                    }
                }
            elif spec["response"] is not None:
                ok["content"] = {"application/json": {"schema": _schema_ref(spec["response"], components)}}
            else:
                ok["content"] = {"application/json": {"schema": {"type": "object"}}}
            responses[str(spec["status"])] = ok
            for code, desc in _ERRORS.items():
                responses[code] = {"description": desc, "content": {"application/json": {"schema": error_ref}}}
            op["responses"] = responses
            if is_public(rule.endpoint, rule.rule):
                op["security"] = []
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "docgen 督查公文生成服务", "version": "1.0.0", "description": "把 JSON 填进督查工作的公文模板：草稿、签发编号、登记、PDF 和签批包。"},
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
    }


def _param_schema(name: str) -> dict[str, Any]:
    if name == "kind":
        return {"type": "string", "enum": list(KINDS)}
    if name == "version":
        return {"type": "integer", "minimum": 1, "maximum": 2147483647}
    return {"type": "string"}


def refuse_unknown_query_parameters() -> None:
    """A parameter an endpoint does not take is an error, not silently ignored (a typo of ``format``).

    Registered as ``before_request`` on every API blueprint."""
    view = current_app.view_functions.get(request.endpoint or "")
    known = query_names(view)
    if known is None:
        return
    unknown = [name for name in request.args if name not in known]
    if unknown:
        allowed = "、".join(sorted(known)) or "无"
        raise InvalidPayload(
            "有不认识的查询参数",
            [ErrorDetail(f"(query).{name}", f"没有这个查询参数；可用的有：{allowed}") for name in unknown],
        )
