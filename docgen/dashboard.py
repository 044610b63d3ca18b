"""The clerk's dashboard at ``/``: matters by light, papers awaiting a reply, the coming duties.

A thin page over ``docgen.services.dashboard``; the kind picker lives at ``/draft``.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template

from docgen.access import current_principal
from docgen.services.dashboard import clerk_dashboard

bp = Blueprint("dashboard", __name__)
WEEKDAYS = "一二三四五六日"
COMING_DAYS = 14


@bp.get("/")
def home() -> str:
    office = current_app.extensions["docgen"]
    board = clerk_dashboard(office, current_principal(), COMING_DAYS)
    return render_template("dashboard.html", board=board, weekday=lambda d: "周" + WEEKDAYS[d.weekday()],
                           matters=matters_by_light(office))


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
