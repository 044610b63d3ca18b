"""The matters' pages (Chinese): the list with lights and filters, one matter with its timeline,
立项, importing a 重点工作台帐 or a progress sheet, a department's progress report, 报结 and 撤销.

Thin: each form becomes the dict the service takes; the service's errors are
shown next to the inputs they name.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from docgen.access import current_principal
from docgen.errors import DocgenError, ErrorDetail, InvalidPayload
from docgen.services.matters import LIGHTS, PERIODS, PROGRESS_COLUMNS, STATUSES, MatterQuery, progress_sheet_example
from docgen.services.office import RenderedFile

bp = Blueprint("matters_web", __name__)
PER_PAGE = 30
OFFICE_ROLES = ("admin", "clerk")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _office():
    return current_app.extensions["docgen"]


def _is_office() -> bool:
    who = current_principal()
    return who is not None and who.role in OFFICE_ROLES


def _may_report() -> bool:
    who = current_principal()
    return who is not None and who.role in ("admin", "clerk", "department")


def _errors(error: DocgenError) -> dict[str, list[str]]:
    """Messages by input name: a detail's whole path (``milestones.0.due_on``) and its first part (``milestones``)."""
    out: dict[str, list[str]] = {}
    for d in error.details or []:
        out.setdefault(d.loc, []).append(d.msg)
        if "." in d.loc:
            out.setdefault(d.loc.split(".")[0], []).append(d.msg)
    return out


def _text(form: MultiDict, name: str) -> str | None:
    value = (form.get(name) or "").replace("\r\n", "\n").strip()
    return value or None


# -- the list ---------------------------------------------------------------------------------------
@bp.get("/matters")
def matters_page():
    args = request.args
    problems: list[str] = []
    query = MatterQuery(page=1, per_page=PER_PAGE)
    for name in ("department", "q"):
        setattr(query, name, (args.get(name) or "").strip()[:200] or None)
    if args.get("status") in STATUSES:
        query.status = args["status"]
    if args.get("light") in LIGHTS:
        query.light = args["light"]
    if args.get("year"):
        year = args["year"].strip()
        if year.isdigit() and 2000 <= int(year) <= 2100:
            query.year = int(year)
        else:
            problems.append("年度应为 2000 到 2100 之间的整数")
    page = args.get("page", "1")
    query.page = int(page) if page.isdigit() and 1 <= int(page) <= 100000 else 1
    try:
        views, total = _office().matters.search(query, viewer=current_principal())
    except InvalidPayload as error:
        problems += [d.msg for d in error.details] or [error.message]
        views, total = [], 0
    counts = {light: 0 for light in LIGHTS}
    if not problems:
        every, _ = _office().matters.search(MatterQuery(department=query.department, year=query.year, status="open", per_page=100000),
                                            viewer=current_principal())
        for v in every:
            counts[v.light or "green"] += 1
    return render_template("matters.html", items=views, total=total, query=query, problems=problems, counts=counts,
                           pages=max(1, math.ceil(total / PER_PAGE)), statuses=STATUSES, lights=LIGHTS,
                           is_office=_is_office(), today=_office().today())


# -- 立项 -------------------------------------------------------------------------------------------
@bp.get("/matters/new")
def new_matter():
    return render_template("matter_new.html", values={"opened_on": _office().today().isoformat()}, errors={}, error=None)


@bp.post("/matters/new")
def create_matter():
    form = request.form
    milestones = []
    for due, measure in zip(form.getlist("milestone_due"), form.getlist("milestone_measure"), strict=False):
        if due.strip() or measure.strip():
            milestones.append({"due_on": due.strip() or None, "measure": measure.strip()})
    data: dict[str, Any] = {k: v for k in ("title", "source", "department", "leader", "opened_on", "deadline") if (v := _text(form, k))}
    data["milestones"] = milestones
    try:
        view = _office().matters.register_matter(data, actor=current_principal())
    except DocgenError as error:
        values = {k: form.get(k, "") for k in ("title", "source", "department", "leader", "opened_on", "deadline")}
        values["milestones"] = milestones
        return render_template("matter_new.html", values=values, errors=_errors(error), error=error), error.status
    flash(f"已立项：{view.code}")
    return redirect(url_for("matters_web.matter_page", matter_id=view.id), code=303)


# -- import -------------------------------------------------------------------------------------------
@bp.get("/matters/import")
def import_page():
    return render_template("matters_import.html", error=None, year=_office().today().year, department="",
                           progress_columns=[t for t, _ in PROGRESS_COLUMNS], is_office=_is_office())


@bp.post("/matters/import")
def import_ledger():
    upload = request.files.get("file")
    year, department = (request.form.get("year") or "").strip(), (request.form.get("department") or "").strip()
    try:
        if upload is None or not upload.filename:
            raise InvalidPayload("请选择重点工作台帐文件（.xlsx、.csv 或 .json）", [ErrorDetail("file", "没有选择文件")])
        defaults = {k: v for k, v in (("year", year), ("department", department)) if v}
        views = _office().matters.import_spreadsheet(upload.filename, upload.read(), defaults, actor=current_principal())
    except DocgenError as error:
        return render_template("matters_import.html", error=error, which="ledger", year=year, department=department,
                               progress_columns=[t for t, _ in PROGRESS_COLUMNS], is_office=_is_office()), error.status
    flash(f"已从台帐立项 {len(views)} 项：" + "、".join(v.code for v in views[:10]) + ("……" if len(views) > 10 else ""))
    return redirect(url_for("matters_web.matters_page"), code=303)


@bp.post("/matters/progress-import")
def import_progress():
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise InvalidPayload("请选择进展报告表（.xlsx 或 .csv）", [ErrorDetail("file", "没有选择文件")])
        made = _office().matters.import_progress_sheet(upload.filename, upload.read(), actor=current_principal())
    except DocgenError as error:
        return render_template("matters_import.html", error=error, which="progress", year=_office().today().year, department="",
                               progress_columns=[t for t, _ in PROGRESS_COLUMNS], is_office=_is_office()), error.status
    flash(f"已导入进展报告 {len(made)} 条")
    return redirect(url_for("matters_web.matters_page"), code=303)


@bp.get("/matters/progress-example.xlsx")
def progress_example():
    from docgen.downloads import send_file_response

    office = _office()
    content = progress_sheet_example(office.profile.matters.prefix, office.today().year)
    return send_file_response(RenderedFile(content, "进展报告表（示例）.xlsx", XLSX_MIME, "progress-example.xlsx"))


# -- one matter ---------------------------------------------------------------------------------------
def _matter(matter_id: str, error: DocgenError | None = None, which: str = "", values: dict[str, Any] | None = None, status: int = 200):
    view = _office().matters.get(matter_id, viewer=current_principal())
    return render_template("matter.html", m=view, error=error, which=which, errors=_errors(error) if error else {},
                           values=values or {}, periods=PERIODS, statuses=STATUSES, lights=LIGHTS,
                           is_office=_is_office(), may_report=_may_report(), today=_office().today()), status


@bp.get("/matters/<matter_id>")
def matter_page(matter_id: str):
    return _matter(matter_id)


@bp.post("/matters/<matter_id>/progress")
def progress_submit(matter_id: str):
    form = request.form
    data: dict[str, Any] = {k: v for k in ("reported_on", "period", "progress", "problems", "needs_coordination") if (v := _text(form, k))}
    done = [v for v in form.getlist("milestones_done") if v.strip()]
    data["milestones_done"] = [int(v) if v.isdigit() else v for v in done]
    try:
        _office().matters.report_progress(matter_id, data, actor=current_principal())
    except DocgenError as error:
        return _matter(matter_id, error, "progress", dict(form), error.status)
    flash("已报送进展")
    return redirect(url_for("matters_web.matter_page", matter_id=matter_id), code=303)


@bp.post("/matters/<matter_id>/close")
def close_submit(matter_id: str):
    data = {k: v for k in ("closed_on", "result") if (v := _text(request.form, k))}
    try:
        _office().matters.close(matter_id, data, actor=current_principal())
    except DocgenError as error:
        return _matter(matter_id, error, "close", dict(request.form), error.status)
    flash("已报结")
    return redirect(url_for("matters_web.matter_page", matter_id=matter_id), code=303)


@bp.post("/matters/<matter_id>/cancel")
def cancel_submit(matter_id: str):
    data = {k: v for k in ("reason",) if (v := _text(request.form, k))}
    try:
        _office().matters.cancel(matter_id, data, actor=current_principal())
    except DocgenError as error:
        return _matter(matter_id, error, "cancel", dict(request.form), error.status)
    flash("已撤销")
    return redirect(url_for("matters_web.matter_page", matter_id=matter_id), code=303)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
