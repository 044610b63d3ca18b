"""``docgen escalate``: the overdue papers and the next step of their chain; with ``-o``, that next paper for every one as one batch."""

from __future__ import annotations

import datetime as dt
import sys

import click

from docgen.errors import DocgenError


@click.command("escalate", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="按哪一天计算逾期，如 2026-11-30；默认今天")
@click.option("--issue", is_flag=True, help="编号签发下一步文件；不加则只生成草稿")
@click.option("--next-kind", help="下一步文件的种类（逾期文件的下一步不止一种时必填），如 accountability-notice")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="签批包（.pdf）；不写则只列出逾期文件")
@click.option("--zip", "zip_path", type=click.Path(dir_okay=False), help="同时把全部 .docx 写进这个 zip")
def escalate_command(as_of: dt.datetime | None, issue: bool, next_kind: str | None, output: str | None, zip_path: str | None) -> None:
    """逾期未回复的文件及其下一步（如督办提示 → 督查问责通知书）。

    \b
    docgen escalate                                   列出截至今天逾期的文件和应发的下一步
    docgen escalate --as-of 2026-11-30                按某一天计算
    docgen escalate --issue -o packet.pdf             为每份逾期文件签发下一步文件，合成签批包
    """
    from tqdm import tqdm

    from docgen.cli import _check_output, _fail, _finish_batch, _office, format_table
    from docgen.services.escalations import escalations, run_escalations

    day = as_of.date() if as_of else None
    if output:
        _check_output(output, (".pdf",))
    if zip_path:
        _check_output(zip_path, (".zip",))
    try:
        office = _office()
        listed = escalations(office, day)
        if not output and not zip_path:
            if listed:
                click.echo(format_table([["文号", "收文单位", "回复期限", "逾期天数", "下一步"]] + [
                    [e.document.number or "—", e.document.recipient or "", e.document.due_on.isoformat() if e.document.due_on else "—",
                     str(e.days_overdue), e.next_title] for e in listed
                ]))
            click.echo(f"截至 {(day or office.today()).isoformat()}，逾期未回复、需发下一步的文件共 {len(listed)} 份", err=True)
            return
        total = len([e for e in listed if next_kind is None or e.next_kind == next_kind])
        with tqdm(total=total, unit="份", desc="生成下一步文件", file=sys.stderr) as bar:

            def progress(done: int, total: int) -> None:
                bar.update(done - bar.n)

            result = run_escalations(office, day, issue, next_kind, background=False, progress=progress)
    except DocgenError as error:
        _fail(error)
        return
    _finish_batch(office, result, output, zip_path, issue)
