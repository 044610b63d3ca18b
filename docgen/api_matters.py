"""``/api/v1/matters``: matters under supervision (督查事项) — 立项, import from a 重点工作台帐,
the list with lights, one matter with its timeline, progress reports, 报结 and 撤销.

Thin: parse, call ``docgen.services.matters``, answer through the models of
``docgen.openapi``. A department's token sees and reports on its own
department's matters only (the service scopes every read and write).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint, Flask, Response, request, url_for

from docgen import api, openapi
from docgen.access import current_principal
from docgen.errors import ErrorDetail, InvalidPayload
from docgen.services.matters import MatterQuery, MatterView, Progress

bp = Blueprint("matters_api", __name__, url_prefix="/api/v1")
bp.before_request(openapi.refuse_unknown_query_parameters)


def matters():
    return api.office().matters


def matter_links(matter_id: str) -> dict[str, str]:
    return {
        "self": url_for("matters_api.show_matter", matter_id=matter_id),
        "progress": url_for("matters_api.report_progress", matter_id=matter_id),
        "close": url_for("matters_api.close_matter", matter_id=matter_id),
        "cancel": url_for("matters_api.cancel_matter", matter_id=matter_id),
    }


def matter_out(view: MatterView, full: bool = False) -> dict[str, Any]:
    data = {f.name: getattr(view, f.name) for f in dataclasses.fields(view) if f.name not in ("progress", "papers", "timeline")}
    data["milestones"] = [dataclasses.asdict(m) for m in view.milestones]
    data["links"] = matter_links(view.id)
    if not full:
        return openapi.MatterOut.model_validate(data).model_dump(mode="json")
    data["progress"] = [dataclasses.asdict(p) for p in view.progress]
    data["papers"] = [{**dataclasses.asdict(p), "links": api.document_links(p.id)} for p in view.papers]
    data["timeline"] = [dataclasses.asdict(t) for t in view.timeline]
    return openapi.MatterDetailOut.model_validate(data).model_dump(mode="json")


def progress_out(p: Progress) -> dict[str, Any]:
    return openapi.ProgressOut.model_validate(dataclasses.asdict(p)).model_dump(mode="json")


def _upload() -> tuple[str, bytes] | None:
    """The uploaded spreadsheet of a multipart request (field ``file``), or None for a JSON body."""
    if request.mimetype != "multipart/form-data":
        return None
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidPayload("请上传表格文件", [ErrorDetail("file", "缺少 multipart 字段 file（.xlsx 或 .csv 文件）")])
    return upload.filename, upload.read()


def _form_defaults() -> dict[str, Any]:
    """The ledger's 年度 and 科室 sent beside an uploaded sheet that has no such columns."""
    unknown = [k for k in request.form if k not in ("year", "department")]
    if unknown:
        raise InvalidPayload("有不认识的表单字段", [ErrorDetail(f"(form).{k}", "可用的有 year、department") for k in unknown])
    return {k: v.strip() for k, v in request.form.items() if v.strip()}


@bp.post("/matters")
@openapi.doc(summary="立项：登记一个督查事项（编号按年度顺排）", request=openapi.MatterIn, response=openapi.MatterDetailOut, status=201)
def create_matter() -> Response:
    view = matters().register_matter(api.json_body(), actor=current_principal())
    response = api.answer(openapi.MatterDetailOut, matter_out(view, full=True), 201)
    response.headers["Location"] = url_for("matters_api.show_matter", matter_id=view.id)
    return response


@bp.post("/matters/import")
@openapi.doc(
    summary="从重点工作台帐立项：{\"ledger\": 重点工作台帐的载荷}，或 multipart 上传台帐表格（file，可另附 year、department）；"
            "每行一个事项，节点从“3月：…；6月：…”读出，不写月份的措施为未定时间的节点",
    request=openapi.MatterImportIn,
    response=openapi.MatterList,
    status=201,
    upload={"year": "integer", "department": "string"},
)
def import_matters() -> Response:
    upload = _upload()
    actor = current_principal()
    if upload is not None:
        views = matters().import_spreadsheet(upload[0], upload[1], _form_defaults(), actor=actor)
    else:
        body = api.parse_body(openapi.MatterImportIn, api.json_body(), "导入请求的内容有误")
        views = matters().import_ledgers([body.ledger], actor=actor, opened_on=body.opened_on)
    return api.answer(openapi.MatterList, [matter_out(v) for v in views], 201)


@bp.get("/matters")
@openapi.doc(
    summary="督查事项：按科室、状态、灯、年度和关键词查找，分页（总数在 X-Total-Count 头）；科室用户只看到本科室的",
    response=openapi.MatterList,
    query=openapi.MatterQueryIn,
)
def list_matters() -> Response:
    parsed = api.parse_query(openapi.MatterQueryIn, request.args)
    views, total = matters().search(MatterQuery(**parsed.model_dump()), viewer=current_principal())
    response = api.answer(openapi.MatterList, [matter_out(v) for v in views])
    response.headers["X-Total-Count"] = str(total)
    return response


@bp.get("/matters/<matter_id>")
@openapi.doc(summary="一个督查事项及其办理经过：进展报告、涉及它的文件和回复", response=openapi.MatterDetailOut)
def show_matter(matter_id: str) -> Response:
    return api.answer(openapi.MatterDetailOut, matter_out(matters().get(matter_id, viewer=current_principal()), full=True))


@bp.post("/matters/<matter_id>/progress")
@openapi.doc(summary="报送进展（周报、月报、专报）；milestones_done 列出本次完成的节点", request=openapi.ProgressIn,
             response=openapi.ProgressOut, status=201)
def report_progress(matter_id: str) -> Response:
    made = matters().report_progress(matter_id, api.json_body(), actor=current_principal())
    response = api.answer(openapi.ProgressOut, progress_out(made), 201)
    response.headers["Location"] = url_for("matters_api.show_matter", matter_id=made.matter_id)
    return response


@bp.post("/matters/progress/import")
@openapi.doc(
    summary="批量报送进展：{\"reports\": [{matter, reported_on, period, progress, …}]}，或 multipart 上传进展表（file；"
            "列：事项编号、报送日期、报送类型、工作进展、存在问题、需要局领导协调的问题、完成的节点（序号从 1 起））；全部无误才导入",
    request=openapi.ProgressImportIn,
    response=openapi.ProgressList,
    status=201,
    upload={},
)
def import_progress() -> Response:
    upload = _upload()
    actor = current_principal()
    if upload is not None:
        if request.form:
            raise InvalidPayload("有不认识的表单字段", [ErrorDetail(f"(form).{k}", "只需上传 file") for k in request.form])
        made = matters().import_progress_sheet(upload[0], upload[1], actor=actor)
    else:
        body = api.parse_body(openapi.ProgressImportIn, api.json_body(), "进展报告的内容有误")
        made = matters().import_progress(body.reports, actor=actor)
    return api.answer(openapi.ProgressList, [progress_out(p) for p in made], 201)


@bp.post("/matters/<matter_id>/close")
@openapi.doc(summary="报结：写明报结日期和办理结果", request=openapi.CloseIn, response=openapi.MatterDetailOut)
def close_matter(matter_id: str) -> Response:
    view = matters().close(matter_id, api.json_body(), actor=current_principal())
    return api.answer(openapi.MatterDetailOut, matter_out(view, full=True))


@bp.post("/matters/<matter_id>/cancel")
@openapi.doc(summary="撤销：写明理由", request=openapi.CancelIn, response=openapi.MatterDetailOut)
def cancel_matter(matter_id: str) -> Response:
    view = matters().cancel(matter_id, api.json_body(), actor=current_principal())
    return api.answer(openapi.MatterDetailOut, matter_out(view, full=True))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

