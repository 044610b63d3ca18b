"""``docgen calendar 2026-12``: the month's duties of the reporting calendar, as a Chinese table."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import click

from docgen.errors import DocgenError
from docgen.services.calendar import month_calendar, parse_month

WEEKDAY_NAMES = "一二三四五六日"


@click.command("calendar", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("month", required=False, metavar="年月")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
def calendar_command(month: str | None, as_json: bool) -> None:
    """报告日历：某月（如 2026-12，不写为本月）各项定期报告和通报的应办日期。

    逢周末或法定节假日的事项提前到此前最后一个工作日（调休上班日算工作日）。
    """
    from docgen.cli import _fail, _office, format_table

    try:
        office = _office()
        year, number = parse_month(month, "年月") if month else (office.today().year, office.today().month)
        entries = month_calendar(office.profile, year, number, "年月")
    except DocgenError as error:
        _fail(error)
        return
    if as_json:
        rows = [{k: v.isoformat() if isinstance(v, dt.date) else v for k, v in dataclasses.asdict(e).items()} for e in entries]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = [["日期", "星期", "事项", "责任方", "规定", "说明"]]
    for e in entries:
        moved = f"原为 {e.moved_from.isoformat()}（{_why(e.moved_from)}），提前" if e.moved_from else ""
        table.append([e.date.isoformat(), "周" + WEEKDAY_NAMES[e.date.weekday()], e.duty, e.who, e.rule, moved])
    if entries:
        click.echo(format_table(table))
    click.echo(f"{year}年{number}月共 {len(entries)} 项", err=True)


def _why(day: dt.date) -> str:
    """Why a rule's day was no working day: a weekend, or a public holiday."""
    return "周" + WEEKDAY_NAMES[day.weekday()] if day.weekday() >= 5 else "节假日"
