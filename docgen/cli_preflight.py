"""``docgen preflight FILE.pdf|FILE.docx``: the GB/T 9704 check of a finished paper."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from docgen.errors import DocgenError


@click.command("preflight", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("path", metavar="文件", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 [{rule, page, message}]")
def preflight_command(path: str, as_json: bool) -> None:
    """按 GB/T 9704 检查一份 PDF 或 .docx 公文：纸张、边距、版心、行字数、字号、字体、
    发文字号、日期、页码、落款和标题不单独成页。

    没有问题时退出码为 0，否则为 1。
    """
    from docgen.cli import _fail, _office
    from docgen.services.preflight import as_json as problems_json
    from docgen.services.preflight import is_docx, is_pdf, preflight

    content = Path(path).read_bytes()
    if not (is_pdf(content) or is_docx(content)):
        click.echo("错误：文件既不是 PDF 也不是 .docx", err=True)
        sys.exit(2)
    try:
        problems = preflight(content, lambda docx: _office().paper_pdf(docx))  # a .docx as docgen prints it
    except DocgenError as error:
        _fail(error)
        return
    if as_json:
        click.echo(json.dumps(problems_json(problems), ensure_ascii=False, indent=2))
    else:
        for problem in problems:
            click.echo(f"{problem.rule}：{problem.message}")
        click.echo("符合 GB/T 9704" if not problems else f"共 {len(problems)} 处不符合 GB/T 9704", err=True)
    sys.exit(1 if problems else 0)
