"""The JSON API under /api/v1: parse the request, call the office, answer.

Every error — ours, Werkzeug's, or an unexpected one — leaves through
``docgen.errormap`` in the one shape of ``docgen.errors``.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from pydantic import ValidationError

from docgen import openapi
from docgen.downloads import send_file_response
from docgen.errors import (
    ErrorDetail,
    InvalidPayload,
    MalformedRequest,
    UnsupportedMediaType,
)
from docgen.kinds import KINDS, get_kind
from docgen.services import batch as batches
from docgen.services.office import Office
from docgen.services.payloads import details_from
from docgen.services.register import RegisterQuery

bp = Blueprint("api", __name__, url_prefix="/api/v1")
log = logging.getLogger(__name__)


def office() -> Office:
    return current_app.extensions["docgen"]


def json_body() -> Any:
    """The request body as JSON, or the right error: 415 not JSON, 413 too large, 400 malformed."""
    if not request.mimetype or not (request.mimetype == "application/json" or request.mimetype.endswith("+json")):
        raise UnsupportedMediaType(
            "请求体应为 JSON（Content-Type: application/json）",
            [ErrorDetail("(header).Content-Type", f"收到的是 {request.mimetype or '空'}")],
        )
    raw = request.get_data(cache=True)
    try:
        text = raw.decode("utf-8")
        return json.loads(text)
    except UnicodeDecodeError as exc:
        raise MalformedRequest("请求体不是 UTF-8 编码", [ErrorDetail("(body)", f"第 {exc.start + 1} 个字节无法解码")]) from None
    except json.JSONDecodeError as exc:
        raise MalformedRequest(
            "请求体不是合法的 JSON",
            [ErrorDetail("(body)", f"第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}")],
        ) from None


@bp.get("/kinds")
@openapi.doc(summary="列出公文种类", response=openapi.KindSummaryList)
def list_kinds() -> Response:
    return jsonify([{"kind": k.id, "title": k.title, "description": k.description} for k in KINDS.values()])


@bp.get("/kinds/<kind>")
@openapi.doc(summary="一种公文：JSON Schema 和示例", response=openapi.KindDetail)
def show_kind(kind: str) -> Response:
    k = get_kind(kind)
    return jsonify({"kind": k.id, "title": k.title, "description": k.description, "schema": k.schema(), "example": k.example})


def template_links(kind: str, version: int) -> dict[str, str]:
    base = f"/api/v1/kinds/{kind}/templates/{version}"
    return {"self": base, "activate": f"{base}/activate", "preview": f"{base}/preview"}


def _with_links(kind: str, version: dict[str, Any]) -> dict[str, Any]:
    return version | {"links": template_links(kind, version["version"])}


def uploader() -> str | None:
    """Who is uploading: the signed-in user or token, when there is one."""
    from flask import g

    user = g.get("user")
    return getattr(user, "name", None) or (user if isinstance(user, str) else None)


@bp.get("/kinds/<kind>/templates")
@openapi.doc(summary="一种公文的模板：各版本及哪一版在用", response=openapi.TemplateVersionList)
def list_templates(kind: str) -> Response:
    return jsonify([_with_links(kind, v) for v in office().template_versions(kind)])


@bp.post("/kinds/<kind>/templates")
@openapi.doc(
    summary="上传新版模板（multipart 字段 file）：检查占位符和安全性，保存为未启用的新版本",
    request="upload",
    response=openapi.TemplateVersionOut,
    status=201,
)
def upload_template(kind: str) -> Response:
    get_kind(kind)
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType(
            "模板应以 multipart/form-data 上传（字段名 file）",
            [ErrorDetail("(header).Content-Type", f"收到的是 {request.mimetype or '空'}")],
        )
    upload = request.files.get("file")
    if upload is None:
        raise InvalidPayload("请上传模板文件", [ErrorDetail("file", "缺少 multipart 字段 file（.docx 文件）")])
    version = office().upload_template(kind, upload.read(), upload.filename or None, uploader())
    response = jsonify(_with_links(kind, version))
    response.status_code = 201
    response.headers["Location"] = template_links(kind, version["version"])["self"]
    return response


@bp.get("/kinds/<kind>/templates/<int:version>")
@openapi.doc(summary="下载某一版模板（.docx）", files=True)
def download_template(kind: str, version: int) -> Response:
    return send_file_response(office().template_file(kind, version))


@bp.post("/kinds/<kind>/templates/<int:version>/activate")
@openapi.doc(summary="启用某一版模板：此后新签发的公文用这一版", response=openapi.TemplateVersionOut)
def activate_template(kind: str, version: int) -> Response:
    return jsonify(_with_links(kind, office().activate_template(kind, version)))


@bp.post("/kinds/<kind>/templates/<int:version>/preview")
@openapi.doc(summary="用本公文的示例内容预览某一版模板（不编号、不登记）", query={"format": ("pdf", "docx")}, files=True)
def preview_template(kind: str, version: int) -> Response:
    return send_file_response(office().preview_template(kind, version, request.args.get("format", "pdf")))


@bp.post("/drafts/<kind>")
@openapi.doc(
    summary="生成草稿（不编号、不登记）",
    request="kind",
    query={"format": ("docx", "pdf")},
    files=True,
)
def draft(kind: str) -> Response:
    get_kind(kind)
    data = json_body()
    fmt = request.args.get("format", "docx")
    return send_file_response(office().draft(kind, data, fmt))


@bp.post("/documents/<kind>")
@openapi.doc(
    summary="签发：编号、成文日期、存档、登记",
    request="kind",
    response=openapi.DocumentOut,
    status=201,
    headers={"Idempotency-Key": "重试时带同一个键：同样的请求得到同一个文号"},
)
def issue_document(kind: str) -> Response:
    get_kind(kind)
    data = json_body()
    issued = office().issue(kind, data, idempotency_key=idempotency_key())
    response = jsonify(issued.document)
    response.status_code = 201
    response.headers["Location"] = issued.document["links"]["self"]
    return response


@bp.get("/documents")
@openapi.doc(
    summary="登记簿：按种类、年度、月份、状态、收文单位和关键词查找，分页",
    response=openapi.DocumentList,
    query={"kind": "string", "year": "integer", "month": "integer", "status": ("issued", "voided"), "recipient": "string",
           "q": "string", "overdue": "boolean", "page": "integer", "per_page": "integer"},
)
def list_documents() -> Response:
    items, total = office().search(register_query(request.args))
    response = jsonify(items)
    response.headers["X-Total-Count"] = str(total)
    return response


@bp.get("/documents/<document_id>")
@openapi.doc(summary="登记簿中的一份文件", response=openapi.DocumentOut)
def show_document(document_id: str) -> Response:
    return jsonify(office().document(document_id))


@bp.get("/documents/<document_id>/docx")
@openapi.doc(summary="存档的 .docx（与签发时逐字节相同）", files=True)
def document_docx(document_id: str) -> Response:
    return send_file_response(office().document_file(document_id, "docx"))


@bp.get("/documents/<document_id>/pdf")
@openapi.doc(summary="文件的 PDF", files=True)
def document_pdf(document_id: str) -> Response:
    return send_file_response(office().document_file(document_id, "pdf"))


@bp.post("/documents/<document_id>/void")
@openapi.doc(summary="作废（写明理由；文号不再使用）", request=openapi.VoidIn, response=openapi.DocumentOut)
def void_document(document_id: str) -> Response:
    data = json_body()
    reason = data.get("reason") if isinstance(data, dict) else None
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidPayload("作废须写明理由", [ErrorDetail("reason", "必填，写明作废理由")])
    return jsonify(office().void(document_id, reason))


@bp.get("/openapi.json")
@openapi.doc(summary="本接口的 OpenAPI 3.1 描述", response=None)
def openapi_json() -> Response:
    return jsonify(openapi.build(current_app))


@bp.post("/batches")
@openapi.doc(
    summary="批量生成（后台进行）：先逐项校验，可签发编号，最后合成签批包",
    request=openapi.BatchIn,
    response=openapi.BatchOut,
    status=202,
    headers={"Idempotency-Key": "重试时带同一个键：同样的请求得到同一个批量任务"},
)
def create_batch() -> Response:
    request_in = batch_request(json_body())
    batch = batches.create_batch(
        office(), request_in.kind, request_in.items, request_in.issue, request_in.duplex, idempotency_key=idempotency_key()
    )
    response = jsonify(batch)
    response.status_code = 202
    response.headers["Location"] = batch["links"]["self"]
    return response


@bp.get("/batches/<batch_id>")
@openapi.doc(summary="批量任务的进度", response=openapi.BatchOut)
def show_batch(batch_id: str) -> Response:
    response = jsonify(batches.get_batch(office(), batch_id))
    response.headers["X-Docgen-Worker"] = str(os.getpid())  # which web worker answered
    return response


@bp.post("/batches/<batch_id>/resume")
@openapi.doc(summary="继续一个失败的批量任务：已签发的文件保留原文号，其余继续生成（任务未失败时 409）", response=openapi.BatchOut, status=202)
def resume_batch(batch_id: str) -> Response:
    batch = batches.resume_batch(office(), batch_id)
    response = jsonify(batch)
    response.status_code = 202
    response.headers["Location"] = batch["links"]["self"]
    return response


@bp.get("/batches/<batch_id>/packet.pdf")
@openapi.doc(summary="签批包：封面清单、书签、双面打印空白页、签章域（任务未完成时 409）", files=True)
def batch_packet(batch_id: str) -> Response:
    return send_file_response(batches.packet_file(office(), batch_id))


@bp.get("/batches/<batch_id>/documents.zip")
@openapi.doc(summary="批量任务的全部 .docx（zip，中文文件名；任务未完成时 409）", files=True)
def batch_documents(batch_id: str) -> Response:
    return send_file_response(batches.zip_file(office(), batch_id))


def batch_request(data: Any) -> openapi.BatchIn:
    """The body of POST /batches, checked: kind, items, issue, duplex."""
    if not isinstance(data, dict):
        raise InvalidPayload("请求内容应为一个 JSON 对象", [ErrorDetail("(body)", "应为 JSON 对象，含 kind 和 items")])
    try:
        parsed = openapi.BatchIn.model_validate(data)
    except ValidationError as exc:
        raise InvalidPayload("批量请求的内容有误", details_from(exc)) from None
    if parsed.kind not in KINDS:
        raise InvalidPayload("没有这种公文", [ErrorDetail("kind", f"可用的有 {', '.join(KINDS)}")])
    return parsed


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 200:
        raise InvalidPayload("Idempotency-Key 无效", [ErrorDetail("(header).Idempotency-Key", "应为 1 到 200 个字符")])
    return key


def register_query(args) -> RegisterQuery:
    """The register's filters from a query string, each checked."""
    errors: list[ErrorDetail] = []

    def integer(name: str, low: int, high: int, default: int | None = None) -> int | None:
        raw = args.get(name)
        if raw in (None, ""):
            return default
        try:
            value = int(raw)
        except ValueError:
            errors.append(ErrorDetail(f"(query).{name}", "应为整数"))
            return default
        if not low <= value <= high:
            errors.append(ErrorDetail(f"(query).{name}", f"应在 {low} 到 {high} 之间"))
        return value

    kind = args.get("kind") or None
    if kind and kind not in KINDS:
        errors.append(ErrorDetail("(query).kind", "没有这种公文"))
    status = args.get("status") or None
    if status and status not in ("issued", "voided"):
        errors.append(ErrorDetail("(query).status", "只能是 issued 或 voided"))
    query = RegisterQuery(
        kind=kind,
        year=integer("year", 2000, 2100),
        month=integer("month", 1, 12),
        status=status,
        recipient=args.get("recipient") or None,
        q=args.get("q") or None,
        overdue=args.get("overdue") in ("1", "true", "yes"),
        page=integer("page", 1, 100000, 1) or 1,
        per_page=integer("per_page", 1, 500, 50) or 50,
    )
    if errors:
        raise InvalidPayload("查询条件有误", errors)
    return query


@openapi.doc(summary="存活检查，附 PDF 转换服务状态", response=openapi.Health)
def healthz() -> Response:
    converter = office().converter_status()
    return jsonify({"status": "ok", "worker_pid": os.getpid(), "converter": converter})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_url_rule("/healthz", "healthz", healthz)
