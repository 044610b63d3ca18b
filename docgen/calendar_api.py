"""``GET /api/v1/calendar``: the duties of a month from the profile's reporting calendar."""

from __future__ import annotations

import dataclasses

from flask import Blueprint, Flask, Response, request

from docgen import api, openapi
from docgen.services.calendar import month_calendar, parse_month

bp = Blueprint("calendar_api", __name__, url_prefix="/api/v1")
bp.before_request(openapi.refuse_unknown_query_parameters)


@bp.get("/calendar")
@openapi.doc(
    summary="报告日历：某月各项定期报告和通报的应办日期（逢周末、节假日提前到此前最后一个工作日）",
    response=openapi.CalendarList,
    query=openapi.CalendarQueryIn,
)
def month_duties() -> Response:
    office = api.office()
    text = request.args.get("month")
    year, month = parse_month(text, "(query).month") if text is not None else (office.today().year, office.today().month)
    entries = month_calendar(office.profile, year, month, "(query).month")
    return api.answer(openapi.CalendarList, [dataclasses.asdict(e) for e in entries])


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
