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

    run(host=host, port=port, workers=workers, threads=threads)


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


def _write_atomically(path: Path, content: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(content)
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
