"""The clerks' form (Chinese). Thin: every action calls the office's services.

What lives here is only the translation between HTML forms and payloads:
the form's fields come from the kind's JSON Schema, a submitted form becomes
the payload dict (and a payload, e.g. read from an uploaded spreadsheet, fills
the form again), and the ``loc`` of each error detail is mapped back to the
input it concerns. Drafting, issuing, the register, spreadsheets and batches
are the services' business.

CSRF: every POST outside ``/api/`` must carry the Flask-WTF token; the JSON API
(used by other tools) is exempt through ``csrf.exempt``. Errors become Chinese
pages (or JSON) in ``docgen.errormap``.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import os
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFProtect
from werkzeug.datastructures import MultiDict

from docgen.access import current_principal
from docgen.downloads import send_file_response
from docgen.errors import (
    ConverterUnavailable,
    DocgenError,
    ErrorDetail,
    IdempotencyMismatch,
    InvalidPayload,
    NotFound,
)
from docgen.kinds import KINDS, Kind, get_kind
from docgen.services.dashboard import next_step
from docgen.services.dates import format_official_date
from docgen.services.office import Office, RenderedFile
from docgen.services.register import RegisterQuery
from docgen.services.replies import ReplyFile
from docgen.services.states import STATE_NAMES

bp = Blueprint("web", __name__)
log = logging.getLogger(__name__)
csrf = CSRFProtect()

PER_PAGE = 20
PREVIEW_PAGES = 6
STATUS_TITLES = {"issued": "有效", "voided": "已作废"}
UPLOAD_ERRORS = "(upload)"  # the error key of the upload field
FORM_ERRORS = "(form)"  # errors that concern no single field: the summary only


def office() -> Office:
    return current_app.extensions["docgen"]


# -- the form's fields, from the kind's JSON Schema ----------------------------------------
@dataclass
class FormField:
    """One input of a kind's form."""

    name: str  # the payload key; for a ledger's columns, the key inside a row
    title: str
    description: str = ""
    required: bool = False
    # text | textarea | date | integer | number | checkboxes | select | checkbox | rows
    widget: str = "text"
    options: list[str] = field(default_factory=list)
    minimum: int | float | None = None
    maximum: int | float | None = None
    max_length: int | None = None
    placeholder: str = ""
    columns: list[FormField] = field(default_factory=list)  # widget "rows": the row's fields


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` and unwrap ``anyOf: [X, null]``."""
    while True:
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            node = {**schema.get("$defs", {}).get(name, {}), **{k: v for k, v in node.items() if k != "$ref"}}
            continue
        options = [o for o in node.get("anyOf", []) if o.get("type") != "null"]
        if "anyOf" in node and len(options) == 1:
            merged = {k: v for k, v in node.items() if k != "anyOf"}
            node = {**options[0], **merged}
            continue
        return node


def _fields_of(schema: dict[str, Any], node: dict[str, Any], example: dict[str, Any] | None) -> list[FormField]:
    required = set(node.get("required", []))
    fields = []
    for name, raw in node.get("properties", {}).items():
        spec = _resolve(schema, raw)
        f = FormField(
            name=name,
            title=spec.get("title") or name,
            description=spec.get("description") or "",
            required=name in required,
            minimum=spec.get("minimum"),
            maximum=spec.get("maximum"),
            max_length=spec.get("maxLength"),
        )
        kind = spec.get("type")
        sample = (example or {}).get(name)
        if kind == "array":
            items = _resolve(schema, spec.get("items", {}))
            if "enum" in items:
                f.widget, f.options = "checkboxes", [str(o) for o in items["enum"]]
            elif items.get("type") == "object":
                f.widget = "rows"
                first_row = sample[0] if isinstance(sample, list) and sample and isinstance(sample[0], dict) else None
                f.columns = _fields_of(schema, items, first_row)
            else:
                f.widget = "textarea"  # a list of plain values: one per line
        elif "enum" in spec:
            f.widget, f.options = "select", [str(o) for o in spec["enum"]]
        elif kind == "boolean":
            f.widget = "checkbox"
        elif kind == "integer":
            f.widget = "integer"
        elif kind == "number":
            f.widget = "number"
        elif spec.get("format") == "date":
            f.widget = "date"
        elif kind == "string":
            f.widget = "text" if (f.max_length or 10**9) <= 200 else "textarea"
        if sample not in (None, "", []) and f.widget not in ("rows", "checkboxes", "checkbox"):
            f.placeholder = f"如：{sample}"
        fields.append(f)
    return fields


def form_fields(kind: Kind) -> list[FormField]:
    """The inputs of a kind's form, in the schema's order."""
    schema = kind.schema()
    return _fields_of(schema, schema, kind.example)


def rows_field(fields: list[FormField]) -> FormField | None:
    return next((f for f in fields if f.widget == "rows"), None)


# -- form data <-> payload -------------------------------------------------------------------
def _scalar(f: FormField, raw: str) -> Any:
    """A submitted text as the payload wants it; what cannot be converted stays text for the schema to report."""
    raw = raw.replace("\r\n", "\n").strip()
    if f.widget in ("integer", "number"):
        try:
            return int(raw) if f.widget == "integer" else float(raw)
        except ValueError:
            return raw
    return raw


def payload_from_form(fields: list[FormField], form: MultiDict) -> dict[str, Any]:
    """The payload dict of a submitted form. Empty inputs are left out, so that
    a required field is reported as 必填 and an optional one takes its default.

    A ledger's rows come as ``rows.<i>.<column>``; a row left entirely empty is
    dropped (the form re-renders the rows as they are here, so the row numbers
    in error details and on the page agree).
    """
    data: dict[str, Any] = {}
    for f in fields:
        if f.widget == "rows":
            data[f.name] = _rows_from_form(f, form)
        elif f.widget == "checkboxes":
            chosen = [v for v in form.getlist(f.name) if v]
            if chosen:
                data[f.name] = chosen
        elif f.widget == "checkbox":
            data[f.name] = form.get(f.name) in ("on", "1", "true", "yes")
        else:
            raw = form.get(f.name, "")
            if raw.strip():
                data[f.name] = _scalar(f, raw)
    return data


def _rows_from_form(f: FormField, form: MultiDict) -> list[dict[str, Any]]:
    cells: dict[int, dict[str, str]] = {}
    prefix = f.name + "."
    for key in form:
        if not key.startswith(prefix):
            continue
        index, _, column = key[len(prefix):].partition(".")
        if index.isdigit() and column:
            cells.setdefault(int(index), {})[column] = form.get(key, "")
    rows = []
    for index in sorted(cells):
        row: dict[str, Any] = {}
        for column in f.columns:
            raw = cells[index].get(column.name, "")
            if raw.strip():
                row[column.name] = _scalar(column, raw)
        if row:
            rows.append(row)
    return rows


def values_from_payload(fields: list[FormField], data: Any) -> dict[str, Any]:
    """What the form shows for a payload (from a file, the example or the register): text per input."""
    data = data if isinstance(data, dict) else {}
    values: dict[str, Any] = {}

    def text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, list):
            return "\n".join(text(v) for v in value)
        return str(value)

    for f in fields:
        value = data.get(f.name)
        if f.widget == "rows":
            rows = value if isinstance(value, list) else []
            values[f.name] = [{c.name: text(r.get(c.name)) for c in f.columns} for r in rows if isinstance(r, dict)]
        elif f.widget == "checkboxes":
            values[f.name] = [str(v) for v in value] if isinstance(value, list) else ([str(value)] if value else [])
        elif f.widget == "checkbox":
            values[f.name] = bool(value)
        else:
            values[f.name] = text(value)
    return values


def prefill_from_args(fields: list[FormField], args: MultiDict) -> dict[str, Any]:
    """Fields given in the query string (``?prompt_number=…``), e.g. from the register's 起草问责通知书."""
    known = {f.name for f in fields if f.widget not in ("rows",)}
    data: dict[str, Any] = {}
    for name in known:
        if name in args:
            data[name] = args.getlist(name) if any(f.name == name and f.widget == "checkboxes" for f in fields) else args.get(name)
    return data


# -- error details -> the inputs they concern ------------------------------------------------------
@dataclass
class FormErrors:
    """Messages by input key (``recipient``, ``rows.2.points``, ``rows``, ``(upload)``) and the summary."""

    message: str = ""
    outcome: str = "未签发"  # what did not happen because of them
    by_key: dict[str, list[str]] = field(default_factory=dict)
    summary: list[tuple[str, str, str]] = field(default_factory=list)  # (label, msg, anchor id)

    def __bool__(self) -> bool:
        return bool(self.message or self.summary)

    def get(self, key: str) -> list[str]:
        return self.by_key.get(key, [])

    def row_has_errors(self, name: str, index: int) -> bool:
        prefix = f"{name}.{index}"
        return any(k == prefix or k.startswith(prefix + ".") for k in self.by_key)

    def add(self, key: str, label: str, msg: str, inline: str | None = None) -> None:
        """One error: ``msg`` next to the input (or ``inline``, when it must say more there) and in the summary."""
        self.by_key.setdefault(key, []).append(inline or msg)
        self.summary.append((label, msg, anchor(key)))


def anchor(key: str) -> str:
    """The HTML id of the input with this key."""
    if key == UPLOAD_ERRORS:
        return "f-upload"
    if key == FORM_ERRORS:
        return "errors"
    return "f-" + key.replace(".", "-")


def map_errors(fields: list[FormField], error: DocgenError, from_upload: bool = False) -> FormErrors:
    """Put each error detail next to the input it concerns.

    ``loc`` is a payload path (``recipient``, ``findings.1``, ``rows.2.points``),
    or for an uploaded file a place in the file (``第3行.督查要点``, ``(文件)``),
    or a field's Chinese title (``年度``, when a ledger's sheet lacks it).
    """
    out = FormErrors(message=error.message, outcome="文件未读入表单" if from_upload else "未签发")
    if from_upload:  # the file's trouble in one sentence, right at the upload
        out.by_key[UPLOAD_ERRORS] = [error.message]
    by_name = {f.name: f for f in fields}
    by_title = {f.title: f for f in fields}
    for detail in error.details or []:
        loc, msg = detail.loc, detail.msg
        parts = loc.split(".")
        f = by_name.get(parts[0])
        if f is None and loc in by_title:
            f, parts = by_title[loc], [by_title[loc].name]
        if f is None:
            if from_upload:
                label = _place(loc)
                out.add(UPLOAD_ERRORS, label, msg, inline=f"{label}：{msg}" if label != "文件" else msg)
            else:
                out.add(FORM_ERRORS, "", msg)
            continue
        if f.widget == "rows" and len(parts) >= 2 and parts[1].isdigit():
            index = int(parts[1])
            column = next((c for c in f.columns if len(parts) >= 3 and c.name == parts[2]), None)
            if column is not None:
                out.add(f"{f.name}.{index}.{column.name}", f"{f.title}第{index + 1}行「{column.title}」", msg)
            else:
                out.add(f"{f.name}.{index}", f"{f.title}第{index + 1}行", msg)
            continue
        out.add(f.name, f.title, msg)
    return out


def _place(loc: str) -> str:
    """``第3行.督查要点`` -> ``第3行「督查要点」``; ``(文件)`` -> ``文件``."""
    if loc in ("(文件)", "(body)", ""):
        return "文件"
    head, _, column = loc.partition(".")
    if column:
        return f"{head}「{column}」"
    return head


# -- pages -------------------------------------------------------------------------------------
@bp.get("/draft")
def index() -> str:
    """The kind picker (the dashboard is at ``/``)."""
    return render_template("index.html", kinds=list(KINDS.values()))


# -- template versions (admins) ------------------------------------------------------------
def render_templates_page(kind: Kind, notice: str | None = None, errors: DocgenError | None = None) -> str:
    from docgen.kinds import COMMON_VARIABLES

    fields = [(name, info.title or name) for name, info in kind.model.model_fields.items()] + [(v, "打勾列出的选项") for v in kind.extra_variables]
    return render_template(
        "templates.html",
        kind=kind,
        versions=office().template_versions(kind.id),
        notice=notice,
        errors=errors,
        fields=fields,
        common=COMMON_VARIABLES,
        max_mb=round(office().templates.max_bytes / 1024 / 1024, 1),
    )


@bp.get("/kinds/<kind_id>/templates")
def templates_page(kind_id: str) -> str:
    kind = get_kind(kind_id)
    notice = None
    if request.args.get("uploaded"):
        notice = f"已上传第 {request.args['uploaded']} 版，尚未启用：请先预览，确认无误后点击“启用”。"
    elif request.args.get("activated"):
        notice = f"已启用第 {request.args['activated']} 版：此后新签发的{kind.title}使用这一版。"
    return render_templates_page(kind, notice)


@bp.post("/kinds/<kind_id>/templates")
def template_upload(kind_id: str):
    kind = get_kind(kind_id)
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise InvalidPayload("请先选择要上传的 .docx 模板文件", [ErrorDetail("file", "没有选择文件")])
        from docgen.api import uploader

        version = office().upload_template(kind.id, upload.read(), upload.filename, uploader())
    except DocgenError as error:
        return render_templates_page(kind, errors=error), error.status
    return redirect(url_for("web.templates_page", kind_id=kind.id, uploaded=version["version"]), code=303)


@bp.post("/kinds/<kind_id>/templates/<int:version>/activate")
def template_activate(kind_id: str, version: int):
    kind = get_kind(kind_id)
    office().activate_template(kind.id, version)
    return redirect(url_for("web.templates_page", kind_id=kind.id, activated=version), code=303)


@bp.post("/kinds/<kind_id>/templates/<int:version>/preview")
def template_preview(kind_id: str, version: int):
    return send_file_response(office().preview_template(kind_id, version, "pdf"))


@bp.get("/kinds/<kind_id>/templates/<int:version>")
def template_download(kind_id: str, version: int):
    return send_file_response(office().template_file(kind_id, version))


@bp.get("/kinds/<kind_id>")
def kind_form(kind_id: str) -> str:
    kind = get_kind(kind_id)
    fields = form_fields(kind)
    if request.args.get("example"):
        data: Any = kind.example
    else:
        data = prefill_from_args(fields, request.args)
    values = values_from_payload(fields, data)
    notice = "已填入示例内容，请按实际情况修改。" if request.args.get("example") else None
    return render_form(kind, fields, values, notice=notice)


@bp.post("/kinds/<kind_id>")
def kind_submit(kind_id: str):
    """One form, four buttons: 读取文件 (upload), 预览, 下载草稿 (.docx), 签发."""
    kind = get_kind(kind_id)
    fields = form_fields(kind)
    data = payload_from_form(fields, request.form)
    action = request.form.get("action", "preview")
    if action == "upload":
        return _upload_into_form(kind, fields, data)
    if action == "from_matters":
        return _from_matters_into_form(kind, fields, data)
    values = values_from_payload(fields, data)
    if action == "docx":
        try:
            return send_file_response(office().draft(kind.id, data, "docx"))
        except InvalidPayload as error:
            errors = map_errors(fields, error)
            errors.outcome = "未生成草稿"
            return render_form(kind, fields, values, errors=errors), 422
    if action == "issue":
        key = (request.form.get("issue_key") or "").strip()[:100] or None
        try:
            issued = office().issue(kind.id, data, idempotency_key=key, actor=current_principal())
        except IdempotencyMismatch:
            error = InvalidPayload("此表单刚才已经签发过一份文件，内容又有改动；如需再签发一份，请核对后再次点击“签发”。")
            return render_form(kind, fields, values, errors=map_errors(fields, error)), 409
        except DocgenError as error:
            return render_form(kind, fields, values, errors=map_errors(fields, error)), error.status
        return redirect(url_for("web.document", document_id=issued.document.id, issued=1), code=303)
    # preview
    try:
        pdf = office().draft(kind.id, data, "pdf")
    except ConverterUnavailable as error:
        log.warning("preview without PDF converter: %s", error.message)
        return render_form(kind, fields, values, preview={"unavailable": error.message})
    except DocgenError as error:
        errors = map_errors(fields, error)
        errors.outcome = "无法预览"
        return render_form(kind, fields, values, errors=errors), error.status
    from docgen.services.preview import pdf_to_png

    try:
        pages = pdf_to_png(pdf.content, max_pages=PREVIEW_PAGES)
    except ConverterUnavailable as error:
        return render_form(kind, fields, values, preview={"unavailable": error.message})
    preview = {
        "images": ["data:image/png;base64," + base64.b64encode(p).decode("ascii") for p in pages.pages],
        "page_count": pages.page_count,
        "truncated": pages.truncated,
    }
    return render_form(kind, fields, values, preview=preview)


def _upload_into_form(kind: Kind, fields: list[FormField], data: dict[str, Any]):
    """Fill the form from an uploaded .xlsx/.csv/.json; what the clerk typed fills what the file lacks."""
    from docgen.services.spreadsheet import read_items

    values = values_from_payload(fields, data)
    upload = request.files.get("upload")
    if upload is None or not upload.filename:
        errors = FormErrors(message="请先选择要上传的文件（.xlsx、.csv 或 .json）", outcome="文件未读入表单")
        errors.add(UPLOAD_ERRORS, "", "没有选择文件")
        return render_form(kind, fields, values, errors=errors), 400
    rows = rows_field(fields)
    defaults = {k: v for k, v in data.items() if not (rows and k == rows.name)}
    try:
        items = read_items(kind, upload.filename, upload.read(), defaults=defaults)
    except DocgenError as error:
        return render_form(kind, fields, values, errors=map_errors(fields, error, from_upload=True)), error.status
    item = items[0]
    values = values_from_payload(fields, item)
    if rows:
        notice = f"已从文件“{upload.filename}”读取 {len(item.get(rows.name) or [])} 行，请核对后预览或签发。"
    elif len(items) > 1:
        notice = (f"文件“{upload.filename}”中有 {len(items)} 行，表单只填入了第 1 行；"
                  "要一次签发多份，请用“批量签发”。")
    else:
        notice = f"已从文件“{upload.filename}”填入表单，请核对后预览或签发。"
    return render_form(kind, fields, values, notice=notice)


def _from_matters_into_form(kind: Kind, fields: list[FormField], data: dict[str, Any]):
    """Fill the form from the matters (a 督查工作台帐 or 督查报告); what the clerk typed wins."""
    spec = {k: v.strip() for k in ("department", "as_of") if (v := request.form.get(f"from_matters.{k}", "")).strip()}
    rows = rows_field(fields)
    typed = {k: v for k, v in data.items() if not (rows and k == rows.name and not any(r for r in v))}
    try:
        made = office().matters.payload_from_matters(kind, {**typed, "from_matters": spec})
    except DocgenError as error:
        errors = map_errors(fields, error)
        errors.outcome = "未从督查事项生成"
        return render_form(kind, fields, values_from_payload(fields, data), errors=errors), error.status
    return render_form(kind, fields, values_from_payload(fields, made), notice="已从督查事项填入表单，请核对后预览或签发。")


def render_form(kind: Kind, fields: list[FormField], values: dict[str, Any], errors: FormErrors | None = None,
                preview: dict[str, Any] | None = None, notice: str | None = None) -> str:
    rows = rows_field(fields)
    if rows is not None and not values.get(rows.name):
        values[rows.name] = [{c.name: "" for c in rows.columns}]  # one empty row to start with
    return render_template(
        "form.html",
        kind=kind,
        fields=fields,
        values=values,
        errors=errors or FormErrors(),
        preview=preview,
        notice=notice,
        issue_key="web-" + uuid.uuid4().hex,
        max_upload=current_app.config.get("MAX_CONTENT_LENGTH"),
    )


@bp.get("/kinds/<kind_id>/example.<fmt>")
def example_sheet(kind_id: str, fmt: str) -> Response:
    """下载示例表格: the kind's Chinese column headers and its example rows."""
    from docgen.services.spreadsheet import SPREADSHEET_TYPES, example_spreadsheet

    kind = get_kind(kind_id)
    if fmt not in ("xlsx", "csv"):
        abort(404)
    content = example_spreadsheet(kind, fmt)
    return send_file_response(RenderedFile(content, f"{kind.title}-示例表格.{fmt}", SPREADSHEET_TYPES[fmt], f"{kind.id}-example.{fmt}"))


@bp.get("/documents/<document_id>")
def document(document_id: str) -> str:
    viewer = current_principal()
    doc = office().document(document_id, viewer=viewer)
    step = next_step(office().profile, doc.kind) if doc.state == "overdue" else None
    can_reply = bool(doc.due_on and doc.state in ("issued", "overdue", "escalated") and doc.reply is None
                     and (viewer is None or viewer.role in ("admin", "clerk", "department")))
    return render_template(
        "document.html",
        doc=doc,
        kind=KINDS.get(doc.kind),
        overdue=doc.state == "overdue",
        step=step,
        can_reply=can_reply,
        today=office().today(),
        just_issued=bool(request.args.get("issued")),
    )


@bp.post("/documents/<document_id>/reply")
def reply_submit(document_id: str):
    """登记书面回复 from the paper's page; a bad field is said in Chinese and nothing is recorded."""
    back = url_for("web.document", document_id=document_id)
    upload = request.files.get("file")
    file = ReplyFile(upload.filename, upload.read()) if upload is not None and upload.filename else None
    try:
        doc = office().record_reply(document_id, request.form.get("received_on"), request.form.get("summary"), file,
                                    actor=current_principal())
    except NotFound:
        raise
    except DocgenError as error:
        details = "；".join(d.msg for d in error.details)
        flash(error.message + (f"：{details}" if details else ""), "error")
        return redirect(back, code=303)
    timing = "按期" if doc.reply and doc.reply.on_time else "逾期"
    flash(f"已登记{doc.number or doc.title}的书面回复（{timing}，{doc.reply.received_on.isoformat() if doc.reply else ''} 收到）。", "success")
    return redirect(back, code=303)


@bp.post("/documents/<document_id>/void")
def void(document_id: str):
    reason = (request.form.get("reason") or "").strip()
    back = _safe_next(request.form.get("next")) or url_for("web.document", document_id=document_id)
    if not reason:
        flash("作废须写明理由。", "error")
        return redirect(back, code=303)
    try:
        doc = office().void(document_id, reason, actor=current_principal())
    except NotFound:
        raise
    except DocgenError as error:
        flash(error.message, "error")
        return redirect(back, code=303)
    flash(f"{doc.number or doc.title}已作废（理由：{reason}）。文号不再使用。", "success")
    return redirect(back, code=303)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (no scheme, no host) is a place to go back to."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.get("/register")
def register_page() -> tuple[str, int]:
    from docgen.api import register_query

    args = request.args
    filters = {k: (args.get(k) or "").strip() for k in ("kind", "year", "month", "status", "recipient", "q")}
    filters["overdue"] = args.get("overdue") in ("1", "on", "true")
    query_args = {k: v for k, v in filters.items() if v and k not in ("overdue",)}
    if "-" in filters["month"]:  # as an <input type=month> sends it: 2026-11
        year, _, month = filters["month"].partition("-")
        query_args.update(year=year, month=month.lstrip("0") or month)
        filters["year"] = year
    filters["month_number"] = int(query_args["month"]) if query_args.get("month", "").isdigit() else None
    if filters["overdue"]:
        query_args["overdue"] = "1"
    query_args.update(page=args.get("page") or "1", per_page=str(PER_PAGE))
    problems: list[str] = []
    try:
        query = register_query(MultiDict(query_args))
        items, total = office().search(query, viewer=current_principal())
    except InvalidPayload as error:
        labels = {"kind": "种类", "year": "年度", "month": "月份", "status": "状态", "page": "页码"}
        problems = [f"{labels.get(d.loc.split('.')[-1], d.loc)}：{d.msg}" for d in error.details] or [error.message]
        query, items, total = RegisterQuery(per_page=PER_PAGE), [], 0
    late = {d.id for d in items if d.state == "overdue"}
    pages = max(1, -(-total // PER_PAGE))

    def page_url(page: int) -> str:
        keep = {k: v for k, v in args.items() if k != "page" and v}
        return url_for("web.register_page") + "?" + urlencode({**keep, "page": page})

    html = render_template(
        "register.html",
        items=items,
        total=total,
        page=query.page,
        pages=pages,
        page_url=page_url,
        filters=filters,
        problems=problems,
        overdue=late,
        kinds=list(KINDS.values()),
        here=request.full_path.rstrip("?"),
    )
    return html, (422 if problems else 200)


# -- batches --------------------------------------------------------------------------------------
@bp.get("/batches/new")
def batch_new() -> str:
    return render_batch_new()


def render_batch_new(errors: FormErrors | None = None, chosen: dict[str, Any] | None = None) -> str:
    return render_template(
        "batch_new.html",
        kinds=list(KINDS.values()),
        errors=errors or FormErrors(),
        chosen=chosen or {"kind": request.args.get("kind", "supervision-prompt"), "issue": True},
        max_upload=current_app.config.get("MAX_CONTENT_LENGTH"),
    )


@bp.post("/batches")
def batch_start():
    from docgen.services.batch import create_batch
    from docgen.services.spreadsheet import read_items

    kind_id = request.form.get("kind", "")
    issue = request.form.get("mode", "issue") == "issue"
    chosen = {"kind": kind_id, "issue": issue}
    upload = request.files.get("upload")
    errors = FormErrors()
    if kind_id not in KINDS:
        errors.add("kind", "公文种类", "请选择公文种类")
    if upload is None or not upload.filename:
        errors.add(UPLOAD_ERRORS, "", "请选择要上传的表格（.xlsx、.csv 或 .json）")
    if errors:
        errors.message = "请补全以下内容"
        return render_batch_new(errors, chosen), 400
    kind = get_kind(kind_id)
    try:
        items = read_items(kind, upload.filename, upload.read())
        progress = create_batch(office(), kind.id, items, issue)
    except DocgenError as error:
        return render_batch_new(batch_errors(kind, error), chosen), error.status
    return redirect(url_for("web.batch_page", batch_id=progress["id"]), code=303)


def batch_errors(kind: Kind, error: DocgenError) -> FormErrors:
    """A batch's errors, all at the upload: ``第3行.督查要点`` from the file, ``items.2.recipient`` (第3项「单位或科室」) from the batch."""
    titles = {f.name: f.title for f in form_fields(kind)}
    details = []
    for d in error.details:
        parts = d.loc.split(".")
        if parts[0] == "items" and len(parts) >= 2 and parts[1].isdigit():
            column = titles.get(parts[2], ".".join(parts[2:])) if len(parts) > 2 else ""
            details.append(ErrorDetail(f"第{int(parts[1]) + 1}项" + (f".{column}" if column else ""), d.msg))
        else:
            details.append(d)
    return map_errors([], type(error)(error.message, details), from_upload=True)


@bp.get("/batches/<batch_id>")
def batch_page(batch_id: str) -> str:
    from docgen.services.batch import batch_papers, get_batch

    progress = get_batch(office(), batch_id)
    papers = batch_papers(office(), batch_id) if progress.get("status") == "done" else []
    return render_template("batch.html", batch=progress, kind=KINDS.get(progress.get("kind", "")), papers=papers)


# -- helpers for the views and templates ----------------------------------------------------------------
def _official_date(value: Any) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value
    return format_official_date(value)


def _static_url(filename: str) -> str:
    """A static file's URL with its modification time, so a new version is not read from the cache."""
    path = Path(current_app.static_folder or "") / filename
    try:
        version = int(path.stat().st_mtime)
    except OSError:
        version = 0
    return url_for("static", filename=filename, v=version)


def _size(n: int | None) -> str:
    if not n:
        return ""
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:g} MB"
    return f"{n / 1024:g} KB"


# -- CSRF and the secret key ---------------------------------------------------------------------------------
def _ensure_secret_key(app: Flask) -> None:
    """Sessions and CSRF tokens need one secret shared by every worker process:
    SECRET_KEY (DOCGEN_SECRET_KEY) if set, else one made once and kept in the data folder."""
    if app.config.get("SECRET_KEY"):
        return
    folder = Path(app.config.get("DATA_DIR") or app.instance_path)
    path = folder / "secret_key"
    key = path.read_text().strip() if path.exists() else ""
    if not key:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".secret_key.{os.getpid()}.{uuid.uuid4().hex}"
        tmp.write_text(secrets.token_hex(32))
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)  # atomic: the first worker's key wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        key = path.read_text().strip()
    app.config["SECRET_KEY"] = key


def init_app(app: Flask) -> None:
    _ensure_secret_key(app)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 12 * 3600)  # a clerk may keep a form open for hours
    csrf.init_app(app)
    app.register_blueprint(bp)
    app.add_template_filter(_official_date, "official_date")
    app.add_template_filter(_size, "size")
    app.add_template_global(_static_url, "static_url")
    app.add_template_global(STATUS_TITLES, "STATUS_TITLES")
    app.add_template_global(STATE_NAMES, "STATE_NAMES")


def exempt_api_from_csrf(app: Flask) -> None:
    """The JSON API (other tools, no cookies) needs no CSRF token: every blueprint under ``/api``."""
    for blueprint in app.blueprints.values():
        if (blueprint.url_prefix or "").startswith("/api"):
            csrf.exempt(blueprint)
