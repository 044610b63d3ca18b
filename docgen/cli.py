"""The ``docgen`` command: thin wrappers over the office's services.

Everything it prints is Chinese, click's own usage and errors included
(``docgen.cli_messages``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import click
from wcwidth import wcswidth

from docgen import cli_messages
from docgen.config import load_settings
from docgen.errors import DocgenError

cli_messages.install()
CONTEXT = {"help_option_names": ["-h", "--help"]}


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


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="docgen", prog_name="docgen", message="%(prog)s %(version)s")
def main() -> None:
    """docgen — 督查工作公文生成服务：起草、签发编号、登记、PDF 和签批包。

    数据目录（登记簿和已签发的文件）由 DOCGEN_DATA_DIR 指定；不指定时，root
    用户为 /var/lib/docgen，其他用户为其个人数据目录（Linux 上是
    ~/.local/share/docgen），与当前所在目录无关。
    """


@main.command(context_settings=CONTEXT)
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址")
@click.option("--port", default=8000, show_default=True, type=int, help="端口")
@click.option("--workers", default=2, show_default=True, type=int, help="Web 工作进程数")
@click.option("--threads", default=4, show_default=True, type=int, help="每个工作进程的线程数")
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """启动服务（gunicorn 多进程，共用一个 LibreOffice 转换池和一个数据库）。"""
    from docgen.server import run

    try:
        settings = load_settings()
        click.echo(f"docgen 数据目录：{settings['DATA_DIR']}", err=True)
        click.echo(f"docgen 地址：http://{host}:{port}/", err=True)
        run(host=host, port=port, workers=workers, threads=threads)
    except DocgenError as error:  # a bad setting, profile or kind definition: say which, in Chinese
        _fail(error)


@main.command(context_settings=CONTEXT)
@click.option("--workers", default=0, type=int, help="工作线程数（默认：每个 LibreOffice 实例一个，再加一个）")
def worker(workers: int) -> None:
    """运行任务队列的工作进程：处理批量任务（DOCGEN_QUEUE_URL 指定的队列）。"""
    from docgen.errors import ConfigError
    from docgen.server import run_queue_worker

    try:
        run_queue_worker(workers)
    except ConfigError as error:
        raise click.ClickException(error.message) from None


@main.command(context_settings=CONTEXT)
@click.argument("kind")
@click.argument("payload", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="输出文件：out.docx 或 out.pdf")
def render(kind: str, payload: str, output: str) -> None:
    """按 JSON 文件 PAYLOAD 生成 KIND 的草稿（不编号、不登记）。"""
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


@main.command(context_settings=CONTEXT)
@click.argument("kind")
@click.argument("payload", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="同时把签发的 .docx 或 .pdf 写到这里")
@click.option("--idempotency-key", help="重试时带同一个键，得到同一个文号")
def issue(kind: str, payload: str, output: str | None, idempotency_key: str | None) -> None:
    """按 JSON 文件 PAYLOAD 签发 KIND：编号、成文日期、存档、登记，打印文号。"""
    if output:
        _check_output(output, (".docx", ".pdf"))
    try:
        office = _office()
        issued = office.issue(kind, _read_json(payload), idempotency_key=idempotency_key)
        doc = issued.document
        if output:
            fmt = Path(output).suffix.lower().lstrip(".")
            _write_atomically(Path(output), office.document_file(doc.id, fmt).content)
    except DocgenError as error:
        _fail(error)
        return
    click.echo(doc.number or f"（{doc.title}不编号）")
    click.echo(f"id {doc.id}  成文日期 {doc.issued_on}" + (f"  回复期限 {doc.due_on}" if doc.due_on else ""), err=True)


def _kind_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from docgen.kinds import KINDS

    if value is not None and value not in KINDS:
        raise click.BadParameter(f"没有这种公文 {value!r}；可用的有：{'、'.join(KINDS)}")
    return value


def _month_option(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[int | None, int] | None:
    """``11`` or ``2026-11`` -> (year or None, month)."""
    if value is None:
        return None
    year_text, _, month_text = value.rpartition("-")
    try:
        year = int(year_text) if year_text else None
        month = int(month_text)
    except ValueError:
        raise click.BadParameter(f"{value!r} 不是月份；应为 1 到 12，或 2026-11 这样的年月") from None
    if not 1 <= month <= 12 or (year is not None and not 2000 <= year <= 2100):
        raise click.BadParameter(f"{value!r} 不是月份；应为 1 到 12，或 2026-11 这样的年月")
    return year, month




@main.command(context_settings=CONTEXT)
@click.option("--kind", callback=_kind_option, help="公文种类，如 supervision-prompt")
@click.option("--year", type=click.IntRange(2000, 2100), help="年度")
@click.option("--month", callback=_month_option, help="月份：11，或 2026-11")
@click.option("--status", type=click.Choice(["issued", "voided"]), help="issued（有效）或 voided（已作废）")
@click.option("--recipient", help="收文单位（包含）")
@click.option("-q", "--query", "q", help="关键词：文号、单位、事项……")
@click.option("--overdue", is_flag=True, help="只列逾期未回复、尚未发出下一步的文件")
@click.option("--state", type=click.Choice(["issued", "replied", "overdue", "escalated", "voided"]),
              help="按状态：issued（已签发）、replied（已回复）、overdue（逾期）、escalated（已升级）、voided（已作废）")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="按哪一天计算状态，如 2026-11-30；默认今天")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 500), help="最多列出几份")
def register(kind, year, month, status, recipient, q, overdue, state, as_of, as_json, limit) -> None:
    """查看和检索登记簿：每份文件的文号、状态和回复期限。"""
    from docgen.services.register import RegisterQuery
    from docgen.services.states import STATE_NAMES

    month_year, month_number = month if month else (None, None)
    query = RegisterQuery(kind=kind, year=year or month_year, month=month_number, status=status, recipient=recipient, q=q,
                          overdue=overdue, state=state, as_of=as_of.date() if as_of else None, per_page=limit)
    try:
        office = _office()
        items, total = office.search(query)
    except DocgenError as error:
        _fail(error)
        return
    if as_json:
        rows = [
            {**_plain(d), "state": d.state}
            for d in items
        ]
        click.echo(json.dumps({"total": total, "items": rows}, ensure_ascii=False, indent=2))
        return
    table = [["成文日期", "文号", "标题", "收文单位", "状态", "回复期限", "id"]]
    for d in items:
        table.append([d.issued_on.isoformat(), d.number or "—", d.title, d.recipient or "", STATE_NAMES[d.state],
                      d.due_on.isoformat() if d.due_on else "—", d.id])
    if items:
        click.echo(format_table(table))
    click.echo(f"共 {total} 份" + (f"，列出前 {len(items)} 份" if total > len(items) else ""), err=True)


def _plain(paper: Any) -> dict[str, Any]:
    """A paper as JSON-able values (dates as ISO text), without its payload."""
    out = dataclasses.asdict(paper)
    out.pop("payload", None)

    def plain(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return v.isoformat() if isinstance(v, dt.date) else v

    return plain(out)


def format_table(rows: list[list[str]]) -> str:
    """Columns aligned by display width: a Chinese character takes two columns of the terminal."""
    widths = [max(wcswidth(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell + " " * (width - wcswidth(cell)) for cell, width in zip(row, widths, strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


class BatchGroup(click.Group):
    """``docgen batch KIND ROWS …`` makes a batch; ``docgen batch show ID`` fetches one again."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in CONTEXT["help_option_names"]:
            args = ["make", *args]
        return super().parse_args(ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage("docgen batch", "KIND ROWS --issue -o packet.pdf | show ID -o packet.pdf")


@main.group(cls=BatchGroup, context_settings=CONTEXT)
def batch() -> None:
    """批量生成：表格的每一行一份公文（台帐则整张表一份），合成签批包。

    \b
    docgen batch KIND ROWS [--issue] -o packet.pdf   生成（ROWS 为 .xlsx、.csv 或 .json）
    docgen batch show ID -o packet.pdf              再次取出一个批量任务的签批包
    """


@batch.command("make", context_settings=CONTEXT)
@click.argument("kind", callback=_kind_option)
@click.argument("rows", type=click.Path(dir_okay=False, exists=True))
@click.option("--issue", is_flag=True, help="逐行签发（编号、成文日期、登记）；不加则只生成草稿")
@click.option("--no-duplex", is_flag=True, help="不为双面打印插入空白页")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="签批包（.pdf）")
@click.option("--zip", "zip_path", type=click.Path(dir_okay=False), help="同时把全部 .docx 写进这个 zip")
@click.option("--set", "fields", multiple=True, metavar="字段=值",
              help="每行都缺的字段，如台帐的 --set 年度=2026 --set 月份=11")
def batch_make(kind: str, rows: str, issue: bool, no_duplex: bool, output: str, zip_path: str | None, fields: tuple[str, ...]) -> None:
    """按表格 ROWS 每行生成一份 KIND，并合成签批包。

    有错的行按行号和列名报告，整批不生成、不编号。输出文件在编号之前就先检查能否写入。
    """
    from tqdm import tqdm

    from docgen.kinds import get_kind
    from docgen.services import batch as batches
    from docgen.services.spreadsheet import read_items

    _check_output(output, (".pdf",))
    if zip_path:
        _check_output(zip_path, (".zip",))
    try:
        kind_obj = get_kind(kind)
        items = read_items(kind_obj, Path(rows).name, Path(rows).read_bytes(), _field_values(kind_obj, fields))
        office = _office()
        with tqdm(total=len(items), unit="份", desc=kind_obj.title, file=sys.stderr) as bar:

            def progress(done: int, total: int) -> None:
                bar.update(done - bar.n)

            result = batches.create_batch(office, kind, items, issue, not no_duplex, background=False, progress=progress)
    except DocgenError as error:
        _fail(error)
        return
    _finish_batch(office, result, output, zip_path, issue)


@batch.command("show", context_settings=CONTEXT)
@click.argument("batch_id", metavar="ID")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="把签批包（.pdf）写到这里")
@click.option("--zip", "zip_path", type=click.Path(dir_okay=False), help="把全部 .docx 写进这个 zip")
def batch_show(batch_id: str, output: str | None, zip_path: str | None) -> None:
    """显示批量任务 ID 的进度和每项的文号；加 -o 再次取出它的签批包。"""
    from docgen.services import batch as batches

    if output:
        _check_output(output, (".pdf",))
    if zip_path:
        _check_output(zip_path, (".zip",))
    try:
        office = _office()
        result = batches.get_batch(office, batch_id)
    except DocgenError as error:
        _fail(error)
        return
    status = {"queued": "排队中", "running": "进行中", "done": "已完成", "failed": "已失败"}.get(result["status"], result["status"])
    click.echo(f"批量任务 {batch_id}：{status}，{result['done']}/{result['total']} 份", err=True)
    issued = office.batch_documents(batch_id)
    if issued:
        click.echo(format_table([["项", "文号", "收文单位", "id"]] + [
            [str(i), p.number or "—", p.recipient or "", p.id] for i, p in enumerate(issued, start=1)
        ]))
    else:
        papers = batches.batch_papers(office, batch_id)
        if papers:
            click.echo(format_table([["项", "草稿", "收文单位"]] + [
                [str(p["position"] + 1), p["label"] or "", p["recipient"] or ""] for p in papers
            ]))
    if output or zip_path:
        _finish_batch(office, result, output, zip_path, bool(result.get("issue")))


def _finish_batch(office: Any, result: dict[str, Any], output: str | None, zip_path: str | None, issue: bool) -> None:
    """Write a finished batch's packet (and zip); every failure names the batch and how to fetch it again."""
    from docgen.services import batch as batches

    batch_id = result["id"]
    again = f"docgen batch show {batch_id} -o packet.pdf"
    if result["status"] != "done":
        error = result.get("error") or {}
        if result["status"] == "failed":
            click.echo(f"错误：批量任务 {batch_id} 失败：{error.get('message', '原因不明')}", err=True)
            for d in error.get("details", []):
                click.echo(f"  {d['loc']}: {d['msg']}", err=True)
            click.echo(f"已签发的文号可用 docgen batch show {batch_id} 查看", err=True)
        else:
            click.echo(f"批量任务 {batch_id} 尚未完成（{result['done']}/{result['total']}），稍后用 {again} 取出签批包", err=True)
        sys.exit(1)
    try:
        if output:
            _write_atomically(Path(output), batches.batch_packet(office, batch_id))
        if zip_path:
            _write_atomically(Path(zip_path), batches.batch_zip(office, batch_id))
    except DocgenError as error:
        click.echo(f"错误：批量任务 {batch_id} 已完成，但取不出文件：{error.message}；可用 {again} 再试", err=True)
        sys.exit(1)
    except OSError as exc:
        click.echo(f"错误：批量任务 {batch_id} 已完成（{'已签发' if issue else '草稿'} {result['total']} 份），"
                   f"但文件写不进去：{exc.strerror or exc}；可用 {again} 重新取出签批包", err=True)
        sys.exit(1)
    if output:
        click.echo(f"{output}（{result['total']} 份{'，已签发' if issue else '草稿'}）")
    click.echo(f"批量任务 {batch_id}", err=True)
    papers = batches.batch_papers(office, batch_id)
    if issue and papers:
        click.echo(f"{papers[0]['label']} 至 {papers[-1]['label']}", err=True)


def _check_output(path: str, suffixes: tuple[str, ...]) -> None:
    """Before anything is numbered: the output's type, and that its folder exists and takes a new file."""
    target = Path(path)
    if target.suffix.lower() not in suffixes:
        raise click.BadParameter(f"{path!r} 应以 {' 或 '.join(suffixes)} 结尾", param_hint="-o")
    folder = target.parent
    if not folder.is_dir():
        raise click.BadParameter(f"目录 {str(folder)!r} 不存在，请先建立（什么都没有生成，也没有占用文号）", param_hint="-o")
    probe = folder / f".docgen-probe-{uuid.uuid4().hex}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise click.BadParameter(f"目录 {str(folder)!r} 无法写入：{exc.strerror or exc}（什么都没有生成，也没有占用文号）",
                                 param_hint="-o") from None


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


@main.command(context_settings=CONTEXT)
@click.option("--year", required=True, type=click.IntRange(2000, 2100), help="年度")
@click.option("--month", required=True, type=click.IntRange(1, 12), help="月份")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="输出文件 report.pdf")
@click.option("--no-duplex", is_flag=True, hidden=True, help="（已不需要：月报不再重印每份文件）")
def monthly(year: int, month: int, output: str, no_duplex: bool) -> None:
    """向局领导的月报（每月27日前）：即 docgen report monthly 年-月 --pdf --with-papers。"""
    from docgen.cli_report import monthly as report_monthly

    click.get_current_context().invoke(report_monthly, month=f"{year}-{month:02d}", output=output, pdf=True, issue=False,
                                       with_papers=True, notes=())


ROLE_CHOICE = click.Choice(["admin", "clerk", "department", "leader"])


@main.group()
def user() -> None:
    """用户（网页登录）：添加。"""


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, type=ROLE_CHOICE, help="admin 管理员 / clerk 两办 / department 科室 / leader 局领导")
@click.option("--department", help="科室或单位（department 角色必填）")
@click.option("--password", prompt="密码", hide_input=True, confirmation_prompt="再输入一次", help="不给出时交互输入")
def user_add(name: str, role: str, department: str | None, password: str) -> None:
    """添加一个可以登录网页的用户。"""
    try:
        created = _office().accounts.add_user(name, role, password, department)
    except DocgenError as error:
        _fail(error)
        return
    click.echo(f"已添加用户 {created.name}（{role}{'，' + created.department if created.department else ''}）")


@main.group()
def token() -> None:
    """访问令牌（供其他系统调用接口）：创建、吊销。"""


@token.command("create")
@click.argument("name")
@click.option("--role", required=True, type=ROLE_CHOICE, help="admin 管理员 / clerk 两办 / department 科室 / leader 局领导")
@click.option("--department", help="科室或单位（department 角色必填）")
def token_create(name: str, role: str, department: str | None) -> None:
    """为 NAME 创建访问令牌；令牌只显示这一次，在最后一行单独输出。"""
    office = _office()
    try:
        plain = office.accounts.create_token(name, role, department)
    except DocgenError as error:
        _fail(error)
        return
    office.audit.record("命令行", "token", name, detail={"created": role, "department": department})
    click.echo(f"已为 {name} 创建 {role} 令牌，请妥善保存（只显示这一次）：")
    click.echo(plain)


@token.command("revoke")
@click.argument("name")
def token_revoke(name: str) -> None:
    """吊销 NAME 的全部访问令牌。"""
    office = _office()
    try:
        count = office.accounts.revoke_tokens(name)
    except DocgenError as error:
        _fail(error)
        return
    office.audit.record("命令行", "token", name, detail={"revoked": count})
    click.echo(f"已吊销 {name} 的 {count} 个令牌")


def _write_atomically(path: Path, content: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(content)
    os.replace(tmp, path)


from docgen.cli_calendar import calendar_command  # noqa: E402  (a command of its own module)

main.add_command(calendar_command)

from docgen.cli_report import report_command  # noqa: E402  (a command of its own module)

main.add_command(report_command)

from docgen.cli_matters import matters_command  # noqa: E402  (a command of its own module)

main.add_command(matters_command)

from docgen.cli_preflight import preflight_command  # noqa: E402  (a command of its own module)

main.add_command(preflight_command)

from docgen.cli_escalate import escalate_command  # noqa: E402  (a command of its own module)

main.add_command(escalate_command)

if __name__ == "__main__":
    main(prog_name="docgen")
