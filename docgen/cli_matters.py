"""``docgen matters``: list, import a 重点工作台帐, show one matter's timeline, report progress."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from docgen.errors import DocgenError

CONTEXT = {"help_option_names": ["-h", "--help"]}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise click.ClickException(f"读不了 {path}：{exc.strerror}") from None


@click.group("matters", context_settings=CONTEXT)
def matters_command() -> None:
    """督查事项：查看（带红黄绿灯）、从重点工作台帐立项、查看办理经过、报送进展。"""


@matters_command.command("list", context_settings=CONTEXT)
@click.option("--department", help="责任科室或单位")
@click.option("--status", type=click.Choice(["open", "done", "cancelled"]), help="open（在办）、done（已报结）或 cancelled（已撤销）")
@click.option("--light", type=click.Choice(["green", "yellow", "red"]), help="green（绿灯）、yellow（黄灯）或 red（红灯）")
@click.option("--year", type=click.IntRange(2000, 2100), help="立项年度")
@click.option("-q", "--query", "q", help="关键词：编号、事项、来源、科室、分管领导")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 500), help="最多列出几项")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
def list_matters(department, status, light, year, q, limit, as_json) -> None:
    """列出督查事项：灯、编号、事项、责任单位、办结时限和状态（红灯在前）。"""
    from docgen.cli import _fail, _office, format_table
    from docgen.services.matters import MatterQuery

    try:
        items, total = _office().matters.search(MatterQuery(department=department, status=status, light=light, year=year, q=q,
                                                            per_page=limit))
    except DocgenError as error:
        _fail(error)
        return
    if as_json:
        rows = [_plain({k: v for k, v in dataclasses.asdict(m).items() if k not in ("progress", "papers", "timeline")}) for m in items]
        click.echo(json.dumps({"total": total, "items": rows}, ensure_ascii=False, indent=2))
        return
    table = [["灯", "编号", "督查事项", "责任单位", "办结时限", "状态", "说明"]]
    for m in items:
        table.append([m.light_title or "—", m.code, m.title[:30], m.department, m.deadline.isoformat(), m.status_title,
                      (m.light_reason or "")[:40]])
    if items:
        click.echo(format_table(table))
    click.echo(f"共 {total} 项" + (f"，列出前 {len(items)} 项" if total > len(items) else ""), err=True)


@matters_command.command("import", context_settings=CONTEXT)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--year", type=click.IntRange(2000, 2100), help="台帐年度（表格中没有“年度”列时）")
@click.option("--department", help="科室（表格中没有“科室”列时）")
def import_ledger(file: str, year: int | None, department: str | None) -> None:
    """从重点工作台帐（.xlsx、.csv 或 .json）立项：每行一个事项，“3月：…；6月：…”读作节点。全部无误才导入。"""
    from docgen.cli import _fail, _office
    from docgen.services.accounts import CLI_OPERATOR

    defaults = {k: v for k, v in (("year", year), ("department", department)) if v}
    try:
        views = _office().matters.import_spreadsheet(Path(file).name, _read(file), defaults, actor=CLI_OPERATOR)
    except DocgenError as error:
        _fail(error)
        return
    for v in views:
        dated = sum(1 for m in v.milestones if m.due_on)
        click.echo(f"{v.code}  {v.title}（{v.department}，节点 {len(v.milestones)} 个，其中定时 {dated} 个）")
    click.echo(f"已立项 {len(views)} 项", err=True)


@matters_command.command("show", context_settings=CONTEXT)
@click.argument("matter", metavar="编号或ID")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
def show_matter(matter: str, as_json: bool) -> None:
    """一个督查事项：灯、节点和办理经过（进展报告、涉及它的文件、回复）。"""
    from docgen.cli import _fail, _office

    try:
        view = _office().matters.get(matter)
    except DocgenError as error:
        _fail(error)
        return
    if as_json:
        click.echo(json.dumps(_plain(dataclasses.asdict(view)), ensure_ascii=False, indent=2))
        return
    light = f"  {view.light_title}" + (f"：{view.light_reason}" if view.light_reason else "") if view.light else ""
    click.echo(f"{view.code}  {view.title}")
    click.echo(f"{view.status_title}{light}")
    click.echo(f"来源：{view.source}；责任单位：{view.department}；分管局领导：{view.leader or '—'}")
    click.echo(f"立项：{view.opened_on.isoformat()}；办结时限：{view.deadline.isoformat()}")
    if view.milestones:
        click.echo("节点：")
        for i, m in enumerate(view.milestones, start=1):
            done = f"已于 {m.done_on.isoformat()} 完成" if m.done_on else "未完成"
            click.echo(f"  {i}. {m.due_on.isoformat() if m.due_on else '未定时间'}  {m.measure}（{done}）")
    click.echo("办理经过：")
    for e in view.timeline:
        click.echo(f"  {e.on.isoformat()}  {e.text}")


@matters_command.command("progress", context_settings=CONTEXT)
@click.argument("matter", metavar="编号或ID", required=False)
@click.option("--file", "sheet", type=click.Path(exists=True, dir_okay=False), help="进展报告表（.xlsx 或 .csv，每行一条，列：事项编号、报送日期、报送类型、工作进展、存在问题、需要局领导协调的问题、完成的节点）")
@click.option("--period", type=click.Choice(["weekly", "monthly", "special"]), help="weekly（周报）、monthly（月报）或 special（专报）")
@click.option("--progress", "text", help="工作进展")
@click.option("--problems", help="存在问题")
@click.option("--coordination", help="需要局领导协调的问题")
@click.option("--done", "done", multiple=True, type=click.IntRange(1, 100), help="本次完成的节点序号（从 1 起，可多次）")
@click.option("--date", "reported_on", help="报送日期，如 2026-11-19（默认今天）")
def report_progress(matter, sheet, period, text, problems, coordination, done, reported_on) -> None:
    """报送进展：一个事项（编号或ID 加 --period、--progress），或一张进展报告表（--file）。"""
    from docgen.cli import _fail, _office
    from docgen.services.accounts import CLI_OPERATOR

    if bool(sheet) == bool(matter):
        raise click.UsageError("请给出事项的编号或ID，或用 --file 给出进展报告表（二者选一）")
    try:
        office = _office()
        if sheet:
            made = office.matters.import_progress_sheet(Path(sheet).name, _read(sheet), actor=CLI_OPERATOR)
        else:
            data = {k: v for k, v in (("period", period), ("progress", text), ("problems", problems),
                                      ("needs_coordination", coordination), ("reported_on", reported_on)) if v is not None}
            data["milestones_done"] = [i - 1 for i in done]
            made = [office.matters.report_progress(matter, data, actor=CLI_OPERATOR)]
    except DocgenError as error:
        _fail(error)
        return
    for p in made:
        click.echo(f"{p.reported_on.isoformat()}  {p.matter_id}  {p.progress[:40]}")
    click.echo(f"已报送进展 {len(made)} 条", err=True)
