"""The reports page: pick a month or quarter, add notes per section, preview the first page, download or issue."""

from __future__ import annotations

import base64
import datetime as dt

from flask import Blueprint, Flask, current_app, render_template, request

from docgen.access import current_principal
from docgen.downloads import send_file_response
from docgen.errors import DocgenError, ErrorDetail, InvalidPayload
from docgen.services.reports.model import BULLETIN_SECTIONS, MONTHLY_SECTIONS, QUARTERLY_SECTIONS
from docgen.services.reports.service import Reports, parse_month, parse_quarter

bp = Blueprint("reports_web", __name__)
FORMS = {
    "monthly": ("向局领导的月度书面报告", MONTHLY_SECTIONS, "month"),
    "quarterly": ("季度通报（发各基层单位）", QUARTERLY_SECTIONS, "quarter"),
    "bulletin": ("月通报", BULLETIN_SECTIONS, "month"),
}


def _reports() -> Reports:
    return Reports(current_app.extensions["docgen"])


def _defaults(reports: Reports) -> dict[str, str]:
    today = reports.office.today()
    last = today.replace(day=1) - dt.timedelta(days=1)
    quarter = (today.month - 1) // 3  # the quarter just ended
    q_year = today.year if quarter else today.year - 1
    return {"month": f"{last.year}-{last.month:02d}", "quarter": f"{q_year}-Q{quarter or 4}"}


def _page(which: str, values: dict[str, str] | None = None, error: DocgenError | None = None, preview: dict | None = None,
          status: int = 200):
    reports = _reports()
    forms = {k: v for k, v in FORMS.items() if k != "bulletin" or reports.offers_bulletin}
    return render_template(
        "reports.html", forms=forms, which=which, values=values or _defaults(reports), error=error, preview=preview,
        can_issue=(current_principal() is not None and current_principal().role in ("admin", "clerk")),
    ), status


@bp.get("/reports")
def reports_page():
    which = request.args.get("kind", "monthly")
    return _page(which if which in FORMS else "monthly")


@bp.post("/reports/<which>")
def reports_submit(which: str):
    if which not in FORMS:
        which = "monthly"
    _, sections, period_field = FORMS[which]
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    notes = {key: request.form.get(f"notes.{key}", "") for key, _ in sections}
    action = request.form.get("action", "preview")
    issue = action == "issue"
    reports = _reports()
    try:
        if issue and not (current_principal() and current_principal().role in ("admin", "clerk")):
            raise InvalidPayload("只有局两办和管理员可以签发报告", [ErrorDetail("issue", "局领导只能下载")])
        fmt = "docx" if action in ("docx", "issue") else "pdf"
        text = request.form.get(period_field, "")
        if period_field == "quarter":
            year, quarter = parse_quarter(text)
            made = reports.quarterly(year, quarter, notes, issue=issue, fmt=fmt, actor=current_principal())
        else:
            year, month = parse_month(text)
            if which == "bulletin":
                made = reports.bulletin(year, month, notes, issue=issue, fmt=fmt, actor=current_principal())
            else:
                made = reports.monthly(year, month, notes, issue=issue, fmt=fmt, with_papers=bool(request.form.get("with_papers")),
                                       actor=current_principal())
    except DocgenError as error:
        return _page(which, values, error=error, status=error.status)
    if action != "preview":
        response = send_file_response(made.file)
        if made.issued:
            response.status_code = 201
        return response
    from docgen.services.preview import pdf_to_png

    try:
        pages = pdf_to_png(made.file.content, max_pages=1)
    except DocgenError as error:
        return _page(which, values, error=error, status=error.status)
    image = "data:image/png;base64," + base64.b64encode(pages.pages[0]).decode()
    return _page(which, values, preview={"image": image, "pages": pages.page_count, "as_of": made.as_of})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
