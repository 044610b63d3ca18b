"""The one place where any exception becomes an HTTP answer.

Whatever was raised — a ``DocgenError`` from a service, a Werkzeug HTTP error
(404, 405, 413, a CSRF failure), a pydantic ``ValidationError`` or something
unexpected — leaves as the one error shape of ``docgen.errors``: JSON under
``/api`` and ``/healthz`` and for clients that ask for JSON, a Chinese HTML
page for the clerks' form. ``init_app`` registers it once, in ``create_app``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge

from docgen.errors import DocgenError, ErrorDetail, InvalidPayload, PayloadTooLarge
from docgen.services.payloads import details_from

log = logging.getLogger(__name__)

# what a status is called: the JSON error code and the Chinese page title
_HTTP_NAMES: dict[int, tuple[str, str, str]] = {
    # status: (code, title of the page, message)
    400: ("bad_request", "请求有误", "请求无法处理，请返回上一页重试。"),
    401: ("unauthorized", "需要登录", "请先登录。"),
    403: ("forbidden", "没有权限", "您没有执行此操作的权限。"),
    404: ("not_found", "找不到这个页面", "您访问的地址不存在，可能已被移除或输入有误。"),
    405: ("method_not_allowed", "不支持这种操作", "该地址不支持这种请求方法。"),
    406: ("not_acceptable", "无法提供所要的格式", "无法按请求的格式（Accept）提供内容。"),
    409: ("conflict", "操作与当前状态冲突", "操作与当前状态冲突。"),
    413: ("payload_too_large", "上传的文件太大", "请求体超过上限。"),
    415: ("unsupported_media_type", "不支持这种文件", "不支持这种内容类型。"),
    422: ("invalid_payload", "填写的内容有误", "内容不符合要求。"),
    429: ("queue_full", "请求太多，请稍后再试", "请求太多，请稍后再试。"),
    500: ("internal_error", "服务内部错误", "服务内部错误，已记录，请稍后再试。"),
    503: ("service_unavailable", "服务暂不可用", "服务暂不可用，请稍后再试。"),
}


@dataclass
class ErrorAnswer:
    """An exception, translated: status, code, one Chinese sentence, details, extra headers."""

    status: int
    code: str
    message: str
    details: list[ErrorDetail] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {"error": self.code, "message": self.message, "details": [d.as_dict() for d in self.details]}


def _size(n: int | None) -> str:
    if not n:
        return ""
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:g} MB"
    return f"{n / 1024:g} KB"


def translate(error: BaseException) -> ErrorAnswer:
    """Any exception as the one error shape."""
    if isinstance(error, DocgenError):
        return ErrorAnswer(error.status, error.code, error.message, list(error.details))
    if isinstance(error, ValidationError):
        invalid = InvalidPayload("请求内容有误", details_from(error))
        return ErrorAnswer(invalid.status, invalid.code, invalid.message, invalid.details)
    if isinstance(error, CSRFError):
        return ErrorAnswer(
            400,
            "csrf_failed",
            "页面已过期或缺少安全校验码（CSRF），为安全起见未执行此次提交。请返回上一页，刷新后重新提交。",
            [ErrorDetail("(form).csrf_token", "缺少或已过期")],
        )
    if isinstance(error, RequestEntityTooLarge):
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        too_large = PayloadTooLarge(
            f"请求体超过了 {_size(limit)}（{limit} 字节）的上限，请压缩文件或分成几份后重新上传。",
            [ErrorDetail("(body)", "太大")],
        )
        return ErrorAnswer(too_large.status, too_large.code, too_large.message, too_large.details)
    if isinstance(error, HTTPException):
        status = error.code or 500
        code, _, message = _HTTP_NAMES.get(status, (f"http_{status}", "", "请求无法处理。"))
        answer = ErrorAnswer(status, code, message)
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            allowed = sorted(set(error.valid_methods))
            answer.headers["Allow"] = ", ".join(allowed)
            answer.message = f"该地址不支持 {request.method} 请求，可用的方法：{'、'.join(allowed)}。"
        if status == 404 and wants_json():
            answer.message = "没有这个地址。"
        return answer
    return ErrorAnswer(500, "internal_error", "服务内部错误，已记录，请稍后再试；如果一再出现，请联系管理员。")


def wants_json() -> bool:
    """``/api``, ``/healthz`` and clients that prefer JSON get JSON; a browser on a page gets HTML."""
    path = request.path
    if path == "/api" or path.startswith("/api/") or path == "/healthz":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"], default="text/html")
    return best == "application/json"


def error_response(error: BaseException) -> Response:
    """The answer for ``error``: JSON or a Chinese page, with the right status and headers."""
    answer = translate(error)
    if answer.status >= 500 and not isinstance(error, (DocgenError, HTTPException)):
        log.error("unexpected error on %s %s", request.method, request.path, exc_info=error)
    if wants_json():
        response = jsonify(answer.as_dict())
    else:
        back = request.path if request.method == "POST" and answer.status in (400, 413, 415) else None
        title = _HTTP_NAMES.get(answer.status, ("", "出错了", ""))[1]
        response = Response(
            render_template("error.html", status=answer.status, title=title, message=answer.message, details=answer.details, back=back),
            mimetype="text/html",
        )
    response.status_code = answer.status
    response.headers.update(answer.headers)
    return response


def init_app(app: Flask) -> None:
    """Register the one handler: every exception, whatever its class, goes through ``error_response``."""
    app.register_error_handler(Exception, error_response)
