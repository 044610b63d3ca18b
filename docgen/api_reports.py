"""``POST /api/v1/reports/…``: the monthly report, the quarterly bulletin and seed 002's 月通报 as files."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Flask, Response, request

from docgen import api, openapi
from docgen.access import current_principal
from docgen.downloads import send_file_response
from docgen.errors import ErrorDetail, Forbidden
from docgen.services.reports.service import MadeReport, Reports

bp = Blueprint("reports_api", __name__, url_prefix="/api/v1")
bp.before_request(openapi.refuse_unknown_query_parameters)

ISSUERS = frozenset({"admin", "clerk"})
_FILES = (openapi.DOCX_TYPE, openapi.PDF_TYPE)


def reports() -> Reports:
    return Reports(api.office())


def _body(model: type[openapi.BaseModel]) -> tuple[Any, dict[str, str]]:
    body = api.parse_body(model, api.json_body(), "报告参数有误")
    notes = body.notes.model_dump(exclude_none=True) if body.notes else {}
    if body.issue:
        principal = current_principal()
        if principal is None or principal.role not in ISSUERS:
            raise Forbidden("只有局两办（clerk）和管理员可以签发报告", [ErrorDetail("issue", "局领导只能下载报告")])
    return body, notes


def _send(made: MadeReport) -> Response:
    response = send_file_response(made.file)
    if made.issued:
        response.status_code = 201
    if made.number:
        response.headers["X-Document-Number"] = quote(made.number)
    response.headers["X-Report-As-Of"] = made.as_of.isoformat()
    return response


@bp.post("/reports/monthly")
@openapi.doc(
    summary="向局领导的月度书面报告（五部分，附图表）：200 为 .docx（?format=pdf 为 PDF）；issue=true 时编号存档，答 201",
    request=openapi.MonthlyReportIn,
    query=openapi.DraftQueryIn,
    files=_FILES,
)
def monthly() -> Response:
    body, notes = _body(openapi.MonthlyReportIn)
    fmt = api.wanted_format(api.parse_query(openapi.DraftQueryIn, request.args, "不支持的文件格式"))
    made = reports().monthly(body.year, body.month, notes, issue=body.issue, fmt=fmt, with_papers=body.with_papers,
                             actor=current_principal())
    return _send(made)


@bp.post("/reports/quarterly")
@openapi.doc(
    summary="季度通报（发各基层单位）：各单位落实情况、表扬和通报批评名单",
    request=openapi.QuarterlyReportIn,
    query=openapi.DraftQueryIn,
    files=_FILES,
)
def quarterly() -> Response:
    body, notes = _body(openapi.QuarterlyReportIn)
    fmt = api.wanted_format(api.parse_query(openapi.DraftQueryIn, request.args, "不支持的文件格式"))
    return _send(reports().quarterly(body.year, body.quarter, notes, issue=body.issue, fmt=fmt, actor=current_principal()))


@bp.post("/reports/bulletin")
@openapi.doc(
    summary="月通报（林业局配置：重点工作进展、督查通知单、三次督查）",
    request=openapi.BulletinIn,
    query=openapi.DraftQueryIn,
    files=_FILES,
)
def bulletin() -> Response:
    body, notes = _body(openapi.BulletinIn)
    fmt = api.wanted_format(api.parse_query(openapi.DraftQueryIn, request.args, "不支持的文件格式"))
    return _send(reports().bulletin(body.year, body.month, notes, issue=body.issue, fmt=fmt, actor=current_principal()))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
