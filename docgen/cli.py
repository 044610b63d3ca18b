"""The ``docgen`` command: thin wrappers over the office's services."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from docgen.config import load_settings
from docgen.errors import DocgenError


def _office():
    from docgen.services.office import Office

    return Office(load_settings())


def _read_json(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{path} 不是合法的 JSON：第 {exc.lineno} 行第 {exc.colno} 列 {exc.msg}") from None
    except OSError as exc:
        raise click.ClickException(f"读不了 {path}：{exc.strerror}") from None


def _fail(error: DocgenError) -> None:
    click.echo(f"错误：{error.message}", err=True)
    for d in error.details:
        click.echo(f"  {d.loc}: {d.msg}", err=True)
    sys.exit(2 if error.status < 500 else 1)


@click.group()
def main() -> None:
    """docgen — 督查工作公文生成服务。"""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="web worker processes")
@click.option("--threads", default=4, show_default=True, type=int, help="threads per worker")
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Run the service with gunicorn, sharing one LibreOffice pool and one database."""
    from docgen.server import run

    try:
        run(host=host, port=port, workers=workers, threads=threads)
    except DocgenError as error:  # a bad profile or kind definition: say which, in Chinese
        _fail(error)


@main.command()
@click.option("--workers", default=0, type=int, help="工作线程数（默认：每个 LibreOffice 实例一个，再加一个）")
def worker(workers: int) -> None:
    """运行任务队列的工作进程：处理批量任务（DOCGEN_QUEUE_URL 指定的队列）。"""
    import logging

    from docgen.errors import ConfigError
    from docgen.queue import TaskQueue, default_url, workers_for
    from docgen.server import prepare_database, start_converter_pool
    from docgen.services.office import Office

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = load_settings()
    url = settings["QUEUE_URL"] or default_url(settings)
    try:
        prepare_database(settings)
        pool = start_converter_pool(settings)  # unless `docgen serve` shares its own
        queue = TaskQueue(Office(load_settings(), migrate=False), url)
    except ConfigError as error:
        raise click.ClickException(error.message) from None
    try:
        queue.run_consumer(workers or workers_for(settings))
    finally:
        if pool is not None:
            pool.terminate()


@main.command()
@click.argument("kind")
@click.argument("payload", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="out.docx or out.pdf")
def render(kind: str, payload: str, output: str) -> None:
    """Render an unnumbered draft of KIND from a JSON file."""
    fmt = Path(output).suffix.lower().lstrip(".")
    if fmt not in ("docx", "pdf"):
        raise click.ClickException("输出文件应以 .docx 或 .pdf 结尾")
    try:
        file = _office().draft(kind, _read_json(payload), fmt)
    except DocgenError as error:
        _fail(error)
        return
    _write_atomically(Path(output), file.content)
    click.echo(f"{output}（{file.filename}，{len(file.content)} 字节）")


@main.command()
@click.argument("kind")
@click.argument("payload", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="also write the issued .docx or .pdf here")
@click.option("--idempotency-key", help="a retry with the same key gets the same number")
def issue(kind: str, payload: str, output: str | None, idempotency_key: str | None) -> None:
    """Issue KIND from a JSON file: number, date, store, register; print the number."""
    office = _office()
    try:
        issued = office.issue(kind, _read_json(payload), idempotency_key=idempotency_key)
        doc = issued.document
        if output:
            fmt = Path(output).suffix.lower().lstrip(".")
            _write_atomically(Path(output), office.document_file(doc["id"], fmt).content)
    except DocgenError as error:
        _fail(error)
        return
    click.echo(doc["number"] or f"（{doc['title']}不编号）")
    click.echo(f"id {doc['id']}  成文日期 {doc['issued_on']}" + (f"  回复期限 {doc['due_on']}" if doc["due_on"] else ""), err=True)


@main.command()
@click.option("--kind")
@click.option("--year", type=int)
@click.option("--month", type=int)
@click.option("--status", type=click.Choice(["issued", "voided"]))
@click.option("--recipient")
@click.option("-q", "--query", "q", help="free text: number, recipient, matter ...")
@click.option("--overdue", is_flag=True, help="reminders whose reply deadline has passed with no follow-up")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.option("--limit", default=50, show_default=True)
def register(kind, year, month, status, recipient, q, overdue, as_json, limit) -> None:
    """List and search the register of issued papers."""
    from docgen.services.register import RegisterQuery

    try:
        items, total = _office().search(
            RegisterQuery(kind=kind, year=year, month=month, status=status, recipient=recipient, q=q, overdue=overdue, per_page=limit)
        )
    except DocgenError as error:
        _fail(error)
        return
    if as_json:
        click.echo(json.dumps({"total": total, "items": items}, ensure_ascii=False, indent=2))
        return
    for d in items:
        mark = "（已作废）" if d["status"] == "voided" else ""
        click.echo(f"{d['issued_on']}  {d['number'] or '—':<22}  {d['title']:<8}  {d['recipient'] or '':<12}  {d['id']}{mark}")
    click.echo(f"共 {total} 份", err=True)


@main.command()
@click.argument("kind")
@click.argument("rows", type=click.Path(dir_okay=False, exists=True))
@click.option("--issue", is_flag=True, help="issue every row (number, date, register); otherwise drafts")
@click.option("--no-duplex", is_flag=True, help="no blank pages for duplex printing")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="the signing packet (.pdf)")
@click.option("--zip", "zip_path", type=click.Path(dir_okay=False), help="also write every .docx into this zip")
@click.option("--set", "fields", multiple=True, metavar="FIELD=VALUE",
              help="a field every row lacks, e.g. --set 年度=2026 --set 月份=11 for a ledger")
def batch(kind: str, rows: str, issue: bool, no_duplex: bool, output: str, zip_path: str | None, fields: tuple[str, ...]) -> None:
    """Make one paper per row of ROWS (.xlsx, .csv or .json) — a ledger takes the whole sheet — and the signing packet.

    A bad row is reported by its row and column and nothing is made.
    """
    from tqdm import tqdm

    from docgen.kinds import get_kind
    from docgen.services import batch as batches
    from docgen.services.spreadsheet import read_items

    if not output.lower().endswith(".pdf"):
        raise click.ClickException("签批包应以 .pdf 结尾")
    try:
        kind_obj = get_kind(kind)
        items = read_items(kind_obj, Path(rows).name, Path(rows).read_bytes(), _field_values(kind_obj, fields))
        office = _office()
        with tqdm(total=len(items), unit="份", desc=kind_obj.title, file=sys.stderr) as bar:

            def progress(done: int, total: int) -> None:
                bar.update(done - bar.n)

            result = batches.create_batch(office, kind, items, issue, not no_duplex, background=False, progress=progress)
        if result["status"] != "done":
            error = result["error"] or {}
            click.echo(f"错误：{error.get('message', '批量任务没有完成')}", err=True)
            for d in error.get("details", []):
                click.echo(f"  {d['loc']}: {d['msg']}", err=True)
            sys.exit(1)
        _write_atomically(Path(output), batches.batch_packet(office, result["id"]))
        if zip_path:
            _write_atomically(Path(zip_path), batches.batch_zip(office, result["id"]))
    except DocgenError as error:
        _fail(error)
        return
    click.echo(f"{output}（{len(items)} 份{'，已签发' if issue else '草稿'}）")
    papers = batches.batch_papers(office, result["id"])
    if issue and papers:
        click.echo(f"{papers[0]['label']} 至 {papers[-1]['label']}", err=True)


def _field_values(kind, fields: tuple[str, ...]) -> dict[str, str]:
    """``--set 年度=2026`` (a field's title or name) -> {"year": "2026"}."""
    names = {info.title: name for name, info in kind.model.model_fields.items() if info.title}
    out = {}
    for pair in fields:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or (key not in kind.model.model_fields and key not in names):
            raise click.BadParameter(f"{pair!r}：应为 字段=值，字段可用 {'、'.join(names)}", param_hint="--set")
        out[names.get(key, key)] = value.strip()
    return out


@main.command()
@click.option("--year", required=True, type=int)
@click.option("--month", required=True, type=click.IntRange(1, 12))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="report.pdf")
@click.option("--no-duplex", is_flag=True, help="no blank pages for duplex printing")
def monthly(year: int, month: int, output: str, no_duplex: bool) -> None:
    """The monthly report to the leaders (每月27日前): the month's papers and the overdue reminders, in one packet."""
    from tqdm import tqdm

    from docgen.services.batch import monthly_report

    try:
        with tqdm(unit="份", desc=f"{year}年{month}月督查工作月报", file=sys.stderr) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            pdf = monthly_report(_office(), year, month, duplex=not no_duplex, progress=progress)
    except DocgenError as error:
        _fail(error)
        return
    _write_atomically(Path(output), pdf)
    click.echo(f"{output}（{year}年{month}月督查工作月报，{len(pdf)} 字节）")


def _write_atomically(path: Path, content: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(content)
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
