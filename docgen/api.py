"""The JSON API under /api/v1: parse the request, call the office, answer.

Answers are the services' domain objects serialised through the pydantic
models of ``docgen.openapi`` (the same models describe them in
``openapi.json``); links are built with ``url_for``. Every error — ours,
Werkzeug's, or an unexpected one — leaves through ``docgen.errormap`` in the
one shape of ``docgen.errors``.
"""

from __future__ import annotations

import dataclasses
import os
import re
import uuid
from typing import Any, TypeVar

from flask import Blueprint, Flask, Response, current_app, jsonify, request, url_for
from flask_swagger_ui import get_swaggerui_blueprint
from pydantic import BaseModel, ValidationError
from werkzeug.datastructures import MultiDict

from docgen import openapi
from docgen.access import current_principal
from docgen.downloads import send_file_response
from docgen.errors import (
    ErrorDetail,
    InvalidPayload,
    UnsupportedMediaType,
)
from docgen.kinds import KINDS, get_kind
from docgen.services import batch as batches
from docgen.services.office import Office
from docgen.services.payloads import details_from
from docgen.services.register import Paper, RegisterQuery
from docgen.services.untrusted import forbidden_character, parse_json, text_problems

# keys the service makes itself (one per item of a batch); a client may not use them
RESERVED_KEY_PREFIXES = ("batch:",)
# a random name for this worker process, so that a client can tell workers apart
# without learning process ids; made again in a forked child (docgen serve imports
# this module in gunicorn's master, before it forks the workers)
WORKER_ID = uuid.uuid4().hex[:12]


def _name_this_worker() -> None:
    global WORKER_ID
    WORKER_ID = uuid.uuid4().hex[:12]


os.register_at_fork(after_in_child=_name_this_worker)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
Model = TypeVar("Model", bound=BaseModel)


def office() -> Office:
    return current_app.extensions["docgen"]


# -- reading the request ---------------------------------------------------------------
def json_body() -> Any:
    """The request body as JSON, or the right error: 415 not JSON, 413 too large, 400 malformed."""
    if not request.mimetype or not (request.mimetype == "application/json" or request.mimetype.endswith("+json")):
        raise UnsupportedMediaType(
            "请求体应为 JSON（Content-Type: application/json）",
            [ErrorDetail("(header).Content-Type", f"收到的是 {request.mimetype or '空'}")],
        )
    data = parse_json(request.get_data(cache=True))
    problems = text_problems(data)  # control characters, DEL, lone surrogates: in any text of any body
    if problems:
        raise InvalidPayload("请求内容含有不允许的字符", problems)
    return data


def parse_query(model: type[Model], args: MultiDict, message: str = "查询条件有误") -> Model:
    """The query string as ``model``: every bad or unknown parameter listed as ``(query).name``."""
    values = {k: v for k, v in args.items() if v != ""}
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise InvalidPayload(message, details_from(exc, "(query)")) from None


def parse_body(model: type[Model], data: Any, message: str) -> Model:
    """A JSON body as ``model``: every bad or unknown field listed by its path."""
    if not isinstance(data, dict):
        raise InvalidPayload("请求内容应为一个 JSON 对象", [ErrorDetail("(body)", "应为 JSON 对象")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidPayload(message, details_from(exc)) from None


bp.before_request(openapi.refuse_unknown_query_parameters)


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 200:
        raise InvalidPayload("Idempotency-Key 无效", [ErrorDetail("(header).Idempotency-Key", "应为 1 到 200 个字符")])
    if forbidden_character(key):
        raise InvalidPayload("Idempotency-Key 无效", [ErrorDetail("(header).Idempotency-Key", forbidden_character(key) or "")])
    if key.lower().startswith(RESERVED_KEY_PREFIXES):
        raise InvalidPayload("Idempotency-Key 无效", [ErrorDetail("(header).Idempotency-Key", "以 batch: 开头的键留给批量任务内部使用")])
    return key


def register_query(args: MultiDict) -> RegisterQuery:
    """The register's filters from a query string, each checked (``(query).year`` …)."""
    parsed = parse_query(openapi.RegisterQueryIn, args)
    if parsed.kind and parsed.kind not in KINDS:
        raise InvalidPayload("查询条件有误", [ErrorDetail("(query).kind", f"没有这种公文；可用的有 {', '.join(KINDS)}")])
    return RegisterQuery(**parsed.model_dump())


# -- answering ------------------------------------------------------------------------------
def answer(model: type[BaseModel], value: Any, status: int = 200) -> Response:
    """``value`` serialised through ``model`` — the answer is what openapi.json says it is."""
    response = jsonify(model.model_validate(value).model_dump(mode="json", by_alias=True))
    response.status_code = status
    return response


def document_links(document_id: str) -> openapi.Links:
    return openapi.Links(
        self=url_for("api.show_document", document_id=document_id),
        docx=url_for("api.document_docx", document_id=document_id),
        pdf=url_for("api.document_pdf", document_id=document_id),
    )


def document_out(paper: Paper, full: bool = True) -> dict[str, Any]:
    """A register entry as the API shows it (``full``: with payload and hashes)."""
    model = openapi.DocumentOut if full else openapi.DocumentSummaryOut
    return model.model_validate({**dataclasses.asdict(paper), "links": document_links(paper.id)}).model_dump(mode="json")


def batch_out(batch: dict[str, Any]) -> openapi.BatchOut:
    """A batch's progress as the API shows it (``answer`` takes the model as it is: checked once)."""
    links = openapi.BatchLinks(
        self=url_for("api.show_batch", batch_id=batch["id"]),
        packet=url_for("api.batch_packet", batch_id=batch["id"]),
        documents=url_for("api.batch_documents", batch_id=batch["id"]),
        document_list=url_for("api.batch_document_list", batch_id=batch["id"]),
    )
    return openapi.BatchOut.model_validate({**batch, "links": links})


def wanted_format(query: openapi.DraftQueryIn) -> str:
    """``?format=`` if given, else what the Accept header prefers (.docx unless it asks for PDF)."""
    if query.format:
        return query.format
    best = request.accept_mimetypes.best_match([openapi.DOCX_TYPE, openapi.PDF_TYPE], default=openapi.DOCX_TYPE)
    return "pdf" if best == openapi.PDF_TYPE else "docx"


# -- the endpoints ------------------------------------------------------------------------------
@bp.get("/kinds")
@openapi.doc(summary="列出公文种类", response=openapi.KindSummaryList)
def list_kinds() -> Response:
    return answer(openapi.KindSummaryList, [{"kind": k.id, "title": k.title, "description": k.description} for k in KINDS.values()])


@bp.get("/kinds/<kind>")
@openapi.doc(summary="一种公文：JSON Schema 和示例", response=openapi.KindDetail)
def show_kind(kind: str) -> Response:
    k = get_kind(kind)
    return answer(openapi.KindDetail, {"kind": k.id, "title": k.title, "description": k.description, "schema": k.schema(), "example": k.example})


def template_links(kind: str, version: int) -> dict[str, str]:
    return {
        "self": url_for("api.download_template", kind=kind, version=version),
        "activate": url_for("api.activate_template", kind=kind, version=version),
        "preview": url_for("api.preview_template", kind=kind, version=version),
    }


def _with_links(kind: str, version: dict[str, Any]) -> dict[str, Any]:
    return version | {"links": template_links(kind, version["version"])}


def uploader() -> str | None:
    """Who is uploading: the signed-in user or token."""
    principal = current_principal()
    return principal.name if principal else None


@bp.get("/kinds/<kind>/templates")
@openapi.doc(summary="一种公文的模板：各版本及哪一版在用", response=openapi.TemplateVersionList)
def list_templates(kind: str) -> Response:
    return answer(openapi.TemplateVersionList, [_with_links(kind, v) for v in office().template_versions(kind)])


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
    response = answer(openapi.TemplateVersionOut, _with_links(kind, version), 201)
    response.headers["Location"] = template_links(kind, version["version"])["self"]
    return response


@bp.get("/kinds/<kind>/templates/<int(max=2147483647):version>")
@openapi.doc(summary="下载某一版模板（.docx）", files=True)
def download_template(kind: str, version: int) -> Response:
    return send_file_response(office().template_file(kind, version))


@bp.post("/kinds/<kind>/templates/<int(max=2147483647):version>/activate")
@openapi.doc(summary="启用某一版模板：此后新签发的公文用这一版", response=openapi.TemplateVersionOut)
def activate_template(kind: str, version: int) -> Response:
    return answer(openapi.TemplateVersionOut, _with_links(kind, office().activate_template(kind, version)))


@bp.post("/kinds/<kind>/templates/<int(max=2147483647):version>/preview")
@openapi.doc(summary="用本公文的示例内容预览某一版模板（不编号、不登记）", query={"format": ("pdf", "docx")}, files=True)
def preview_template(kind: str, version: int) -> Response:
    return send_file_response(office().preview_template(kind, version, request.args.get("format", "pdf")))


@bp.post("/drafts/<kind>")
@openapi.doc(
    summary="生成草稿（不编号、不登记）；?format=pdf 或 Accept: application/pdf 得到 PDF。"
            "载荷可写 matter_id（督查事项）；督查工作台帐和督查报告可写 from_matters: {department, as_of, year, month}，从督查事项生成（另写的字段优先）",
    request="kind",
    query=openapi.DraftQueryIn,
    files=(openapi.DOCX_TYPE, openapi.PDF_TYPE),
)
def draft(kind: str) -> Response:
    get_kind(kind)
    query = parse_query(openapi.DraftQueryIn, request.args, "不支持的文件格式")
    data = json_body()
    return send_file_response(office().draft(kind, data, wanted_format(query)))


@bp.post("/documents/<kind>")
@openapi.doc(
    summary="签发：编号、成文日期、存档、登记。载荷可写 matter_id（督查事项）；督查工作台帐和督查报告可写 from_matters，从督查事项生成",
    request="kind",
    response=openapi.DocumentOut,
    status=201,
    headers={"Idempotency-Key": "重试时带同一个键：同样的请求得到同一个文号"},
)
def issue_document(kind: str) -> Response:
    get_kind(kind)
    data = json_body()
    issued = office().issue(kind, data, idempotency_key=idempotency_key(), actor=current_principal())
    response = answer(openapi.DocumentOut, document_out(issued.document), 201)
    response.headers["Location"] = url_for("api.show_document", document_id=issued.document.id)
    return response


@bp.get("/documents")
@openapi.doc(
    summary="登记簿：按种类、年度、月份、状态、收文单位和关键词查找，分页（总数在 X-Total-Count 头）",
    response=openapi.DocumentList,
    query=openapi.RegisterQueryIn,
)
def list_documents() -> Response:
    papers, total = office().search(register_query(request.args), viewer=current_principal())
    response = answer(openapi.DocumentList, [document_out(p, full=False) for p in papers])
    response.headers["X-Total-Count"] = str(total)
    return response


@bp.get("/documents/<document_id>")
@openapi.doc(summary="登记簿中的一份文件，含截至 as_of（默认今天）的状态", response=openapi.DocumentOut, query=openapi.DocumentQueryIn)
def show_document(document_id: str) -> Response:
    as_of = parse_query(openapi.DocumentQueryIn, request.args).as_of
    return answer(openapi.DocumentOut, document_out(office().document(document_id, viewer=current_principal(), as_of=as_of)))


@bp.get("/documents/<document_id>/docx")
@openapi.doc(summary="存档的 .docx（与签发时逐字节相同）", files=(openapi.DOCX_TYPE,))
def document_docx(document_id: str) -> Response:
    return send_file_response(office().document_file(document_id, "docx", viewer=current_principal()))


@bp.get("/documents/<document_id>/pdf")
@openapi.doc(summary="文件的 PDF", files=(openapi.PDF_TYPE,))
def document_pdf(document_id: str) -> Response:
    return send_file_response(office().document_file(document_id, "pdf", viewer=current_principal()))


@bp.post("/documents/<document_id>/void")
@openapi.doc(summary="作废（写明理由；文号不再使用）", request=openapi.VoidIn, response=openapi.DocumentOut)
def void_document(document_id: str) -> Response:
    data = json_body()
    if isinstance(data, dict) and not str(data.get("reason") or "").strip():
        raise InvalidPayload("作废须写明理由", [ErrorDetail("reason", "必填，写明作废理由")])
    body = parse_body(openapi.VoidIn, data, "作废请求的内容有误")
    return answer(openapi.DocumentOut, document_out(office().void(document_id, body.reason, actor=current_principal())))


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
    body = parse_body(openapi.BatchIn, json_body(), "批量请求的内容有误")
    if body.kind not in KINDS:
        raise InvalidPayload("没有这种公文", [ErrorDetail("kind", f"可用的有 {', '.join(KINDS)}")])
    batch = batches.create_batch(office(), body.kind, body.items, body.issue, body.duplex, idempotency_key=idempotency_key())
    response = answer(openapi.BatchOut, batch_out(batch), 202)
    response.headers["Location"] = url_for("api.show_batch", batch_id=batch["id"])
    return response


@bp.get("/batches/<batch_id>")
@openapi.doc(summary="批量任务的进度", response=openapi.BatchOut)
def show_batch(batch_id: str) -> Response:
    response = answer(openapi.BatchOut, batch_out(batches.get_batch(office(), batch_id)))
    response.headers["X-Docgen-Worker"] = WORKER_ID  # which web worker answered (not its pid)
    return response


@bp.get("/batches/<batch_id>/documents")
@openapi.doc(summary="批量任务中每一项得到的文号（按 items 的顺序；进行中时列出已完成的）", response=openapi.BatchDocumentList)
def batch_document_list(batch_id: str) -> Response:
    made = batches.batch_papers(office(), batch_id)
    issued = {p.id: p for p in office().batch_documents(batch_id)}
    rows = []
    for paper in made:
        document = issued.get(paper["document_id"] or "")
        rows.append(
            {
                "item": paper["position"],
                "label": paper["label"],
                "number": document.number if document else None,
                "recipient": paper["recipient"],
                "pages": paper["pages"],
                "document": document_out(document, full=False) if document else None,
            }
        )
    return answer(openapi.BatchDocumentList, rows)


@bp.post("/batches/<batch_id>/resume")
@openapi.doc(summary="继续一个失败的批量任务：已签发的文件保留原文号，其余继续生成（任务未失败时 409）", response=openapi.BatchOut, status=202)
def resume_batch(batch_id: str) -> Response:
    batch = batches.resume_batch(office(), batch_id)
    response = answer(openapi.BatchOut, batch_out(batch), 202)
    response.headers["Location"] = url_for("api.show_batch", batch_id=batch["id"])
    return response


@bp.get("/batches/<batch_id>/packet.pdf")
@openapi.doc(summary="签批包：封面清单、书签、双面打印空白页、签章域（任务未完成时 409）", files=(openapi.PDF_TYPE,))
def batch_packet(batch_id: str) -> Response:
    return send_file_response(batches.packet_file(office(), batch_id))


@bp.get("/batches/<batch_id>/documents.zip")
@openapi.doc(summary="批量任务的全部 .docx（zip，中文文件名；任务未完成时 409）", files=(openapi.ZIP_TYPE,))
def batch_documents(batch_id: str) -> Response:
    return send_file_response(batches.zip_file(office(), batch_id))


@openapi.doc(summary="存活检查，附 PDF 转换服务状态", response=openapi.Health)
def healthz() -> Response:
    converter = public_health(office().converter_status())
    # 200 while the service answers; "status" says whether PDFs work right now
    status = "ok" if converter.get("ok") and converter.get("state") != "down" else "degraded"
    return answer(openapi.Health, {"status": status, "worker": WORKER_ID, "converter": converter})


_PRIVATE_KEYS = re.compile(r"pid|path|soffice|python|fonts|address|socket|dir|url|host|port|command|argv|env", re.I)
_PATHS = re.compile(r"(?:[A-Za-z]:)?(?:/[^\s/'\"，。：]+){2,}/?")


def public_health(status: Any) -> Any:
    """The converter's report without process ids, file paths or addresses (/healthz is open to all)."""
    if isinstance(status, dict):
        return {k: public_health(v) for k, v in status.items() if not _PRIVATE_KEYS.search(str(k))}
    if isinstance(status, list):
        return [public_health(v) for v in status]
    if isinstance(status, str):
        return _PATHS.sub("…", status)
    return status


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_url_rule("/healthz", "healthz", healthz)
    # the docs page: Swagger UI with its files from the flask-swagger-ui package, no CDN
    docs = get_swaggerui_blueprint(
        "/api/docs", f"{bp.url_prefix}/openapi.json", config={"app_name": "docgen 接口文档", "deepLinking": True, "validatorUrl": None}, blueprint_name="api_docs"
    )
    app.register_blueprint(docs)
