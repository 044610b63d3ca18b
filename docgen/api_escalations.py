"""``/api/v1/escalations``: the overdue papers with the next step of their chain, and the run that makes those papers.

Thin: parse, call ``docgen.services.escalations``, answer through ``docgen.openapi``.
The run is a batch like any other (progress, packet, zip).
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, request, url_for

from docgen import api, openapi
from docgen.access import current_principal
from docgen.services.escalations import escalations, run_escalations

bp = Blueprint("escalations_api", __name__, url_prefix="/api/v1")
bp.before_request(openapi.refuse_unknown_query_parameters)


@bp.get("/escalations")
@openapi.doc(summary="逾期未回复的文件及其链条的下一步（as_of 默认今天）", response=openapi.EscalationList, query=openapi.EscalationQueryIn)
def list_escalations() -> Response:
    as_of = api.parse_query(openapi.EscalationQueryIn, request.args).as_of or None
    listed = escalations(api.office(), as_of, viewer=current_principal())
    return api.answer(openapi.EscalationList, [
        {"document": api.document_out(e.document, full=False), "next_kind": e.next_kind, "next_title": e.next_title,
         "days_overdue": e.days_overdue} for e in listed
    ])


@bp.post("/escalations/run")
@openapi.doc(summary="为每份逾期文件生成下一步文件，作为一个批量任务（进度、签批包、压缩包同批量任务）",
             request=openapi.EscalationRunIn, response=openapi.BatchOut, status=202)
def run() -> Response:
    body = api.parse_body(openapi.EscalationRunIn, api.json_body(), "升级请求的内容有误")
    batch = run_escalations(api.office(), body.as_of, body.issue, body.next_kind, idempotency_key=api.idempotency_key())
    response = api.answer(openapi.BatchOut, api.batch_out(batch), 202)
    response.headers["Location"] = url_for("api.show_batch", batch_id=batch["id"])
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
