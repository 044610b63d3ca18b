"""The clerk's dashboard at ``/``: matters by light, papers awaiting a reply, the coming duties.

A thin page over ``docgen.services.dashboard``; the kind picker lives at ``/draft``.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for

from docgen.access import current_principal
from docgen.errors import DocgenError
from docgen.services.dashboard import clerk_dashboard
from docgen.services.escalations import run_escalations

bp = Blueprint("dashboard", __name__)
WEEKDAYS = "一二三四五六日"
COMING_DAYS = 14


@bp.get("/")
def home() -> str:
    office = current_app.extensions["docgen"]
    board = clerk_dashboard(office, current_principal(), COMING_DAYS)
    runs: dict[str, dict] = {}  # the escalation run, one button per next kind: its title and how many papers
    for a in board.overdue:
        if a.next_step and a.next_step.field:
            runs.setdefault(a.next_step.kind, {"title": a.next_step.title, "count": 0})["count"] += 1
    principal = current_principal()
    may_run = principal is None or principal.role in ("admin", "clerk")
    return render_template("dashboard.html", board=board, weekday=lambda d: "周" + WEEKDAYS[d.weekday()],
                           matters=matters_by_light(office), runs=runs if may_run else {})


@bp.post("/escalations/run")
def escalate():
    """The dashboard's button: the next paper for every overdue one, issued as one batch; then its progress page."""
    office = current_app.extensions["docgen"]
    try:
        batch = run_escalations(office, None, True, request.form.get("next_kind") or None)
    except DocgenError as error:
        details = "；".join(d.msg for d in error.details)
        flash(error.message + (f"：{details}" if details else ""), "error")
        return redirect(url_for("dashboard.home"), code=303)
    flash(f"已开始为 {batch['total']} 份逾期文件签发下一步文件。", "success")
    return redirect(url_for("web.batch_page", batch_id=batch["id"]), code=303)


def matters_by_light(office) -> dict[str, list]:
    """The open matters the viewer may see, by light (red first on the page)."""
    from docgen.services.matters import MatterQuery

    views, _ = office.matters.search(MatterQuery(status="open", per_page=100000), viewer=current_principal())
    out: dict[str, list] = {"red": [], "yellow": [], "green": []}
    for view in views:
        out[view.light or "green"].append(view)
    return out


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
