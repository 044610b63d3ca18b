"""``POST /api/v1/preflight`` (multipart ``file``): the GB/T 9704 check of an uploaded PDF or .docx."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, request

from docgen import api, openapi
from docgen.errors import DocgenError, ErrorDetail, InvalidPayload, UnsupportedMediaType
from docgen.services.preflight import as_json, is_docx, is_pdf, preflight

bp = Blueprint("preflight_api", __name__, url_prefix="/api/v1")
bp.before_request(openapi.refuse_unknown_query_parameters)


@bp.post("/preflight")
@openapi.doc(
    summary="按 GB/T 9704 检查上传的 PDF 或 .docx（multipart 字段 file）：每处不符合给出规则、页码和中文说明",
    request="upload",
    response=openapi.PreflightOut,
)
def check_paper() -> Response:
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType(
            "公文应以 multipart/form-data 上传（字段名 file）",
            [ErrorDetail("(header).Content-Type", f"收到的是 {request.mimetype or '空'}")],
        )
    upload = request.files.get("file")
    if upload is None:
        raise InvalidPayload("请上传要检查的公文", [ErrorDetail("file", "缺少 multipart 字段 file（PDF 或 .docx 文件）")])
    content = upload.read()
    if not (is_pdf(content) or is_docx(content)):
        raise InvalidPayload("无法检查这个文件", [ErrorDetail("file", "文件既不是 PDF 也不是 .docx")])
    office = api.office()
    try:
        problems = preflight(content, office.paper_pdf)  # a .docx as docgen prints it
    except DocgenError:
        raise
    except Exception as error:  # a damaged PDF or .docx: whatever the PDF or zip reader raises
        raise InvalidPayload("无法读取这个文件", [ErrorDetail("file", f"文件已损坏或不完整（{type(error).__name__}）")]) from error
    return api.answer(openapi.PreflightOut, {"ok": not problems, "problems": as_json(problems)})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
