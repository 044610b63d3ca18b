"""``/api/v1/documents/{id}/reply``: the written reply (书面回复) to a paper that asks for one.

Thin: parse (JSON, or a multipart form with the reply itself as ``file``),
call the office, answer the paper with its new state. The two offices record
any reply; a department records the replies to the papers sent to it.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, request

from docgen import api, openapi
from docgen.access import current_principal
from docgen.downloads import send_file_response
from docgen.errors import ErrorDetail, InvalidPayload
from docgen.services.replies import ReplyFile

bp = Blueprint("replies_api", __name__, url_prefix="/api/v1")
bp.before_request(openapi.refuse_unknown_query_parameters)

FORM_FIELDS = ("received_on", "summary")


def reply_request() -> tuple[object, object, ReplyFile | None]:
    """The reply's date, summary and file, from a JSON body or a multipart form."""
    if request.mimetype == "multipart/form-data":
        unknown = [k for k in request.form if k not in FORM_FIELDS] + [k for k in request.files if k != "file"]
        if unknown:
            raise InvalidPayload("有不认识的表单字段", [ErrorDetail(f"(form).{k}", "可用的有 received_on、summary、file") for k in unknown])
        upload = request.files.get("file")
        file = ReplyFile(upload.filename, upload.read()) if upload is not None and upload.filename else None
        return request.form.get("received_on"), request.form.get("summary"), file
    body = api.parse_body(openapi.ReplyIn, api.json_body(), "书面回复的内容有误")
    return body.received_on, body.summary, None


@bp.post("/documents/<document_id>/reply")
@openapi.doc(
    summary="登记书面回复（收到日期、主要内容，可附回复原件）；再次登记 409 already_replied，已作废 409，不要求回复的文件 422 no_reply_asked",
    request=openapi.ReplyIn,
    response=openapi.DocumentOut,
    status=201,
    upload={"received_on": "string", "summary": "string"},
)
def record_reply(document_id: str) -> Response:
    received_on, summary, file = reply_request()
    paper = api.office().record_reply(document_id, received_on, summary, file, actor=current_principal())
    return api.answer(openapi.DocumentOut, api.document_out(paper), 201)


@bp.get("/documents/<document_id>/reply/file")
@openapi.doc(summary="书面回复的附件（原件）", files=("application/octet-stream",))
def reply_file(document_id: str) -> Response:
    return send_file_response(api.office().reply_file(document_id, viewer=current_principal()))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
