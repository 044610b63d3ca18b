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
    board = clerk_dashboard(current_app.extensions["docgen"], current_principal(), COMING_DAYS)
    return render_template("dashboard.html", board=board, weekday=lambda d: "周" + WEEKDAYS[d.weekday()])


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
