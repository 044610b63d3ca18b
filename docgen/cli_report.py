"""``docgen report monthly 2026-11`` / ``quarterly 2026-Q4`` / ``bulletin 2026-11``: the reports for the leaders as files."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from docgen.errors import DocgenError, ErrorDetail, InvalidPayload

CONTEXT = {"help_option_names": ["-h", "--help"]}
NOTE_HELP = "某一部分的补充说明，如 --note overview=本月总体平稳（可多次）"


def _notes(values: tuple[str, ...]) -> dict[str, str]:
    notes: dict[str, str] = {}
    for value in values:
        key, eq, text = value.partition("=")
        if not eq:
            raise InvalidPayload("补充说明格式有误", [ErrorDetail("--note", f"应写成 部分=文字，收到的是“{value}”")])
        notes[key.strip()] = notes.get(key.strip(), "") + text + "\n"
    return notes


def _run(make: Callable[..., object], title: str, output: str | None, pdf: bool, default_stem: str) -> None:
    from tqdm import tqdm

    from docgen.cli import _check_output, _fail, _write_atomically

    path = Path(output or f"{default_stem}.{'pdf' if pdf else 'docx'}")
    _check_output(str(path), (".pdf",) if pdf else (".docx",))
    try:
        with tqdm(total=1, unit="步", desc=title, file=sys.stderr) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total + (1 if pdf else 0)
                bar.update(done - bar.n)

            made = make(progress=progress)
            bar.update(bar.total - bar.n)
    except DocgenError as error:
        _fail(error)
        return
    _write_atomically(path, made.file.content)
    number = f"，文号 {made.number}" if made.number else ""
    click.echo(f"{path}（{title}{number}，数据截至 {made.as_of.isoformat()}，{len(made.file.content)} 字节）")


@click.group("report", context_settings=CONTEXT)
def report_command() -> None:
    """向局领导的月报、季度通报和月通报：可编辑的 Word（.docx）或 PDF。"""


@report_command.command("monthly", context_settings=CONTEXT)
@click.argument("month", metavar="年-月")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="输出文件（默认 督查工作月报-年-月.docx）")
@click.option("--pdf", is_flag=True, help="输出 PDF")
@click.option("--issue", is_flag=True, help="编号签发并存档（机构配置给了字头时编号）")
@click.option("--with-papers", is_flag=True, help="附上本月签发文件清单（附件）")
@click.option("--note", "notes", multiple=True, metavar="部分=文字", help=NOTE_HELP + "；部分：overview progress supervision coordination next_month")
def monthly(month: str, output: str | None, pdf: bool, issue: bool, with_papers: bool, notes: tuple[str, ...]) -> None:
    """每月27日前局两办以书面报告的形式向局领导报告：年-月，如 2026-11。过去的月份按月末的状态统计。"""
    from docgen.cli import _fail, _office
    from docgen.services.reports.service import Reports, parse_month

    try:
        year, number = parse_month(month, "年-月")
        reports = Reports(_office())
        note_map = _notes(notes)
    except DocgenError as error:
        _fail(error)
        return
    _run(lambda progress: reports.monthly(year, number, note_map, issue=issue, fmt="pdf" if pdf else "docx",
                                          with_papers=with_papers, actor="命令行", progress=progress),
         f"{year}年{number}月督查工作月报", output, pdf, f"督查工作月报-{year}-{number:02d}")


@report_command.command("quarterly", context_settings=CONTEXT)
@click.argument("quarter", metavar="年-Q季度")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="输出文件（默认 督查工作季度通报-年-Q季度.docx）")
@click.option("--pdf", is_flag=True, help="输出 PDF")
@click.option("--issue", is_flag=True, help="编号签发并存档")
@click.option("--note", "notes", multiple=True, metavar="部分=文字", help=NOTE_HELP + "；部分：overview units praise criticism requirements")
def quarterly(quarter: str, output: str | None, pdf: bool, issue: bool, notes: tuple[str, ...]) -> None:
    """季度通报（发各基层单位）：年-Q季度，如 2026-Q4。"""
    from docgen.cli import _fail, _office
    from docgen.services.reports.service import Reports, parse_quarter

    try:
        year, number = parse_quarter(quarter, "年-Q季度")
        reports = Reports(_office())
        note_map = _notes(notes)
    except DocgenError as error:
        _fail(error)
        return
    _run(lambda progress: reports.quarterly(year, number, note_map, issue=issue, fmt="pdf" if pdf else "docx", actor="命令行",
                                            progress=progress),
         f"{year}年第{number}季度督查工作通报", output, pdf, f"督查工作季度通报-{year}-Q{number}")


@report_command.command("bulletin", context_settings=CONTEXT)
@click.argument("month", metavar="年-月")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="输出文件（默认 督查月通报-年-月.docx）")
@click.option("--pdf", is_flag=True, help="输出 PDF")
@click.option("--issue", is_flag=True, help="编号签发并存档")
@click.option("--note", "notes", multiple=True, metavar="部分=文字", help=NOTE_HELP + "；部分：overview notices rounds requirements")
def bulletin(month: str, output: str | None, pdf: bool, issue: bool, notes: tuple[str, ...]) -> None:
    """月通报（林业局配置，DOCGEN_PROFILE=forestry）：年-月，如 2026-11。"""
    from docgen.cli import _fail, _office
    from docgen.services.reports.service import Reports, parse_month

    try:
        year, number = parse_month(month, "年-月")
        reports = Reports(_office())
        note_map = _notes(notes)
    except DocgenError as error:
        _fail(error)
        return
    _run(lambda progress: reports.bulletin(year, number, note_map, issue=issue, fmt="pdf" if pdf else "docx", actor="命令行",
                                           progress=progress),
         f"{year}年{number}月重点工作督查月通报", output, pdf, f"督查月通报-{year}-{number:02d}")
