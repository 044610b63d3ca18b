"""Items from a file a clerk uploads: .xlsx, .csv (UTF-8 or GBK) or .json.

Columns are named by the schema's Chinese field titles (单位或科室, 回复期限（日）…)
or by the field names (recipient, reply_days…). Each row is one paper; for a
ledger (a kind with ``rows_field``) the whole sheet is ONE paper whose rows
are the sheet's rows, and its top-level fields (年度, 月份, 科室) come from
extra columns or from ``defaults``.

Errors name the row as Excel shows it (the header is row 1) and the column by
its header text: ``第3行.回复期限（日）``. Every bad cell of every row is
listed at once.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import types
import typing
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from docgen.errors import DocgenError, ErrorDetail, InvalidPayload, MalformedRequest, PayloadTooLarge, UnsupportedMediaType
from docgen.kinds import Kind
from docgen.kinds.definition import COMMON_FIELDS
from docgen.services.payloads import validate_payload
from docgen.services.untrusted import parse_json

SPREADSHEET_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}
ACCEPTED = ".xlsx、.csv 或 .json"
# Columns clerks add for their own use; they carry nothing for the paper.
_IGNORED_COLUMNS = {"序号", "编号", "no", "no."}
_LIST_SEPARATORS = re.compile(r"\s*[、,，;；\n]\s*")
_DATE = re.compile(r"^(\d{4})\s*[年/\-.]\s*(\d{1,2})\s*[月/\-.]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


# -- limits, checked before a spreadsheet is loaded ----------------------------
MAX_ROWS = 5000  # rows of a sheet (a batch takes at most MAX_BATCH_ITEMS of them anyway)
MAX_COLUMNS = 200
MAX_INFLATED_BYTES = 64 * 1024 * 1024  # what an .xlsx may unpack to, all parts together
MAX_PARTS = 2000  # files inside an .xlsx
MAX_ERRORS_LISTED = 100  # errors shown one by one; the rest are counted


def check_xlsx_archive(content: bytes) -> None:
    """Refuse an .xlsx before it is loaded: too many parts, an unpacked size over
    the limit (read from the zip's directory, so a zip bomb costs nothing), or
    XML that declares a DTD or entities."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise MalformedRequest("无法读取这个 .xlsx 文件，它可能已损坏或不是 Excel 文件", [ErrorDetail("(文件)", str(exc) or "格式错误")]) from None
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_PARTS:
            raise PayloadTooLarge("这个 .xlsx 文件的内部结构过多，不予读取", [ErrorDetail("(文件)", f"内含 {len(parts)} 个部件，上限 {MAX_PARTS} 个")])
        inflated = sum(p.file_size for p in parts)
        if inflated > MAX_INFLATED_BYTES:
            raise PayloadTooLarge(
                "这个 .xlsx 文件解压后过大，不予读取（可能是“压缩炸弹”）",
                [ErrorDetail("(文件)", f"解压后共 {inflated // 1024 // 1024} MB，上限 {MAX_INFLATED_BYTES // 1024 // 1024} MB")],
            )
        for part in parts:
            if not part.filename.endswith((".xml", ".rels")):
                continue
            try:
                with archive.open(part) as stream:
                    head = stream.read(4096)
            except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError, EOFError) as exc:
                raise MalformedRequest("无法读取这个 .xlsx 文件，它可能已损坏", [ErrorDetail("(文件)", f"{part.filename}：{exc}")]) from None
            if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
                raise MalformedRequest(
                    "这个 .xlsx 文件含有 DTD 或实体声明，不予读取",
                    [ErrorDetail("(文件)", f"{part.filename} 声明了 DTD/实体，Excel 保存的文件不会这样")],
                )


def _too_many_rows(count: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"表格行数超过上限 {MAX_ROWS} 行，请分成几个文件上传",
        [ErrorDetail("(文件)", f"有 {count} 行数据")],
    )


def _too_many_columns(count: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"表格列数超过上限 {MAX_COLUMNS} 列",
        [ErrorDetail("(文件)", f"有 {count} 列")],
    )


def bounded_errors(errors: list[ErrorDetail]) -> list[ErrorDetail]:
    """The first MAX_ERRORS_LISTED errors, and a line counting the rest."""
    if len(errors) <= MAX_ERRORS_LISTED:
        return errors
    rest = len(errors) - MAX_ERRORS_LISTED
    return errors[:MAX_ERRORS_LISTED] + [ErrorDetail("(文件)", f"另有 {rest} 处错误未一一列出，请先改正以上各处")]


# -- reading -----------------------------------------------------------------
def read_items(kind: Kind, filename: str, content: bytes, defaults: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The payloads in an uploaded file, each one valid for ``kind``.

    ``defaults`` fills top-level fields the file leaves out (for a ledger:
    its year, month or department). Returns JSON-ready dicts (dates as ISO
    strings). Raises UnsupportedMediaType (not a .xlsx/.csv/.json file),
    MalformedRequest (unreadable) or InvalidPayload (every bad cell, by row
    and column; also when there is no row at all).
    """
    fmt = _file_format(filename, content)
    errors: list[ErrorDetail] = []
    if fmt == "json":
        records = _json_records(kind, content)
    else:
        header, records = _table_records(_xlsx_rows(content) if fmt == "xlsx" else _csv_rows(content))
        errors += _unknown_columns(kind, header)
    if kind.rows_field and not any(r.whole for r in records):
        drafts = [_ledger_draft(kind, records)] if records else []
    else:
        drafts = [_item_draft(kind, r) for r in records]
    if not drafts:
        raise InvalidPayload("文件中没有数据行", [ErrorDetail("(文件)", "表头下面至少要填一行")])
    for draft in drafts:
        for name, value in (defaults or {}).items():
            if name in kind.model.model_fields and name != kind.rows_field and draft.item.get(name) is None and value not in (None, ""):
                draft.item[name] = _convert(kind.model.model_fields[name].annotation, value)
        errors += draft.errors
        try:
            validate_payload(kind, draft.item)
        except InvalidPayload as exc:
            errors += [ErrorDetail(draft.locate(kind, d.loc), draft.explain(kind, d)) for d in exc.details]
    if errors:
        lines = sorted({int(m.group(1)) for d in errors if (m := re.match(r"第(\d+)行", d.loc))})
        shown = "、".join(map(str, lines[:20])) + (f" 等 {len(lines)} 行" if len(lines) > 20 else "")
        where = f"（第 {shown} 行）" if lines else ""
        raise InvalidPayload(f"上传的{kind.title}文件有 {len(errors)} 处错误{where}，请按行列改正后重新上传", bounded_errors(errors))
    return [d.item for d in drafts]


def read_table(filename: str, content: bytes) -> list[tuple[str, dict[str, Any]]]:
    """The rows of an uploaded .xlsx or .csv under its header, within the same limits as ``read_items``.

    Each row is ``("第3行", {header as written: value})`` with empty cells left
    out and blank rows skipped; cell values are as the file holds them
    (``to_date``/``to_int`` convert). For tables that are no kind's payload.
    """
    fmt = _file_format(filename, content)
    if fmt == "json":
        raise UnsupportedMediaType("这里只接受表格文件（.xlsx 或 .csv）", [ErrorDetail("(文件)", "只接受 .xlsx 或 .csv")])
    _, records = _table_records(_xlsx_rows(content) if fmt == "xlsx" else _csv_rows(content))
    return [(r.where, r.cells) for r in records]


def to_date(value: Any) -> Any:
    """A cell as an ISO date string where it is one (Excel dates, 2026/11/5, 2026年11月5日); otherwise as it was."""
    return _to_date(value)


def to_text(value: Any) -> Any:
    """A cell as text (numbers without a trailing .0, dates as ISO)."""
    return _convert(str, value)


def _file_format(filename: str, content: bytes) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext in ("xlsx", "csv", "json"):
        return ext
    if ext in ("xls", "et", "ods", "numbers", "wps"):
        raise UnsupportedMediaType(
            f"不支持 .{ext} 文件，请在 Excel 或 WPS 中“另存为” .xlsx（或 CSV）后上传",
            [ErrorDetail("(文件)", f"只接受 {ACCEPTED}")],
        )
    if not ext:  # no extension: recognise the content
        head = content[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
        if content.startswith(b"PK\x03\x04"):
            return "xlsx"
        if head[:1] in (b"[", b"{"):
            return "json"
    raise UnsupportedMediaType(
        f"不支持这种文件（{filename or '无文件名'}），请上传 {ACCEPTED} 文件",
        [ErrorDetail("(文件)", f"只接受 {ACCEPTED}")],
    )


@dataclass
class _Record:
    """One row (or JSON object) as read: values by their header text."""

    where: str  # 第3行 (as Excel numbers rows) or items.2 (JSON)
    cells: dict[str, Any]  # header as written -> value; empty cells left out
    whole: bool = False  # a JSON ledger given whole, its rows inside

    @property
    def tabular(self) -> bool:
        return self.where.startswith("第")


@dataclass
class _Draft:
    """A payload being put together, and where each of its fields came from."""

    item: dict[str, Any]
    locs: dict[str, str] = field(default_factory=dict)  # payload path -> 第3行.回复期限（日）
    where: str = ""  # the record, for a field that had no cell ("" for a ledger's own fields)
    tabular: bool = True
    rows: list[str] = field(default_factory=list)  # a ledger: where each of its rows came from
    errors: list[ErrorDetail] = field(default_factory=list)

    def locate(self, kind: Kind, path: str) -> str:
        """``reply_days`` / ``findings.1`` / ``rows.2.date`` -> the cell a clerk can find."""
        parts = path.split(".")
        for cut in range(len(parts), 0, -1):
            found = self.locs.get(".".join(parts[:cut]))
            if found:
                return found
        if self.rows and parts[0] == kind.rows_field and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(self.rows):
            where = self.rows[int(parts[1])]
            return f"{where}.{self._label(_row_model(kind), parts[2])}" if len(parts) > 2 else where
        if path == "(body)":
            return self.where or "(文件)"
        label = self._label(kind.model, parts[0])
        return f"{self.where}.{label}" if self.where else label

    def _label(self, model: type[BaseModel], name: str) -> str:
        return _title(model, name) if self.tabular and name in model.model_fields else name

    def explain(self, kind: Kind, detail: ErrorDetail) -> str:
        """The schema's message; for a bad list entry, with the entry; for a ledger's missing field, how to give it."""
        parts = detail.loc.split(".")
        if self.rows and len(parts) == 1 and detail.msg == "必填" and parts[0] in kind.model.model_fields:
            return f"必填：请在表中加一列“{_title(kind.model, parts[0])}”并填写，或在上传时填写"
        value: Any = self.item
        for part in parts:
            value = value[int(part)] if isinstance(value, list) and part.isdigit() and int(part) < len(value) else (
                value.get(part) if isinstance(value, dict) else None)
        if len(parts) > 1 and parts[-1].isdigit() and isinstance(value, str):
            return f"“{value}”{detail.msg}"
        return detail.msg


def _xlsx_rows(content: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    check_xlsx_archive(content)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # a broken or hostile file makes the parser raise almost anything
        raise MalformedRequest("无法读取这个 .xlsx 文件，它可能已损坏或不是 Excel 文件", [ErrorDetail("(文件)", _reason(exc))]) from None
    try:
        sheet = book.worksheets[0]
        declared_rows, declared_columns = sheet.max_row or 0, sheet.max_column or 0
        if declared_columns > MAX_COLUMNS:
            raise _too_many_columns(declared_columns)
        if declared_rows > MAX_ROWS + 1:
            raise _too_many_rows(declared_rows - 1)
        rows = []
        # bounded even where the sheet's own dimension is missing or lies
        for row in sheet.iter_rows(max_row=MAX_ROWS + 2, max_col=MAX_COLUMNS + 1, values_only=True):
            if len(row) > MAX_COLUMNS and any(_blank(v) is not None for v in row[MAX_COLUMNS:]):
                raise _too_many_columns(len(row))
            rows.append(list(row[:MAX_COLUMNS]))
        if sum(1 for r in rows if any(_blank(v) is not None for v in r)) > MAX_ROWS + 1:
            raise _too_many_rows(MAX_ROWS + 1)
        return rows
    except DocgenError:
        raise
    except Exception as exc:  # e.g. a shared-strings index that points nowhere
        raise MalformedRequest("无法读取这个 .xlsx 文件，它可能已损坏", [ErrorDetail("(文件)", _reason(exc))]) from None
    finally:
        book.close()


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:200]


def _csv_rows(content: bytes) -> list[list[Any]]:
    text = None
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None or "\x00" in text:
        raise MalformedRequest("无法读取这个 CSV 文件：应为 UTF-8 或 GBK 编码的文本", [ErrorDetail("(文件)", "编码无法识别")])
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        rows: list[list[Any]] = []
        filled = 0
        for row in csv.reader(io.StringIO(text, newline=""), dialect):
            if len(row) > MAX_COLUMNS and any(v.strip() for v in row[MAX_COLUMNS:]):
                raise _too_many_columns(len(row))
            if any(v.strip() for v in row):
                filled += 1
            if filled <= MAX_ROWS + 1:
                rows.append(row[:MAX_COLUMNS])
        if filled > MAX_ROWS + 1:  # counted to the end, kept only what is needed
            raise _too_many_rows(filled - 1)
        return rows
    except csv.Error as exc:
        raise MalformedRequest("无法读取这个 CSV 文件", [ErrorDetail("(文件)", str(exc))]) from None


def _table_records(rows: list[list[Any]]) -> tuple[list[str], list[_Record]]:
    """The header (the first non-blank row) and the rows under it; blank rows skipped."""
    header: list[str] = []
    records = []
    for line, row in enumerate(rows, start=1):
        if not header:
            if any(_blank(v) is not None for v in row):
                header = [str(v).strip() if v is not None else "" for v in row]
            continue
        cells = {}
        for title, value in zip(header, row, strict=False):
            value = _blank(value)
            if title and value is not None:
                cells[title] = value
        if cells:
            records.append(_Record(f"第{line}行", cells))
    return header, records


def _json_records(kind: Kind, content: bytes) -> list[_Record]:
    try:
        data = parse_json(content.removeprefix(b"\xef\xbb\xbf"))
    except MalformedRequest as exc:
        raise MalformedRequest(exc.message.replace("请求体", "JSON 文件"), [ErrorDetail("(文件)", d.msg) for d in exc.details]) from None
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    elif isinstance(data, dict):  # one paper, as its payload is POSTed to the API
        data = [data]
    if not isinstance(data, list):
        raise InvalidPayload('JSON 文件应为一份公文的内容（对象）、对象的列表，或 {"items": [...]}', [ErrorDetail("(文件)", "应为对象或列表")])
    if len(data) > MAX_ROWS:
        raise _too_many_rows(len(data))
    records = []
    for i, entry in enumerate(data):
        if not isinstance(entry, dict):
            raise InvalidPayload("JSON 文件中的每一项都应为对象", [ErrorDetail(f"items.{i}", "应为 JSON 对象")])
        cells = {k: v for k, v in entry.items() if _blank(v) is not None}
        records.append(_Record(f"items.{i}", cells, whole=bool(kind.rows_field and _has_rows(kind, entry))))
    return records


def _has_rows(kind: Kind, entry: dict[str, Any]) -> bool:
    return kind.rows_field in entry or _title(kind.model, kind.rows_field) in entry


def _blank(value: Any) -> Any:
    """None for an empty cell, the stripped text otherwise."""
    if isinstance(value, str):
        return value.strip().strip("\u3000") or None
    return value


# -- columns to fields -------------------------------------------------------------
def _norm(name: str) -> str:
    """Header matching ignores width (（）=()), spaces, case and a required-mark ``*``."""
    return re.sub(r"[\s*]", "", unicodedata.normalize("NFKC", str(name))).lower()


def _columns(model: type[BaseModel]) -> dict[str, str]:
    """Normalised title and name -> field name."""
    out = {}
    for name, info in model.model_fields.items():
        out[_norm(name)] = name
        if info.title:
            out[_norm(info.title)] = name
    return out


def _title(model: type[BaseModel], name: str) -> str:
    info = model.model_fields.get(name)
    return (info.title if info else None) or name


def _row_model(kind: Kind) -> type[BaseModel]:
    return typing.get_args(_unwrap(kind.model.model_fields[kind.rows_field].annotation))[0]


def _top_columns(kind: Kind) -> dict[str, str]:
    """A kind's own fields by header; for a ledger, all but its rows."""
    columns = _columns(kind.model)
    return {k: v for k, v in columns.items() if v != kind.rows_field}


def _item_draft(kind: Kind, record: _Record) -> _Draft:
    """One record is one paper (a JSON ledger given whole is one too)."""
    draft = _Draft({}, where=record.where, tabular=record.tabular)
    _fill(draft, kind.model, record.cells, record.where, keep_unknown=not record.tabular)
    return draft


def _ledger_draft(kind: Kind, records: list[_Record]) -> _Draft:
    """A ledger: every record is one of its rows; its own fields come from extra columns."""
    draft = _Draft({}, tabular=bool(records) and records[0].tabular)
    top, row_model = _top_columns(kind), _row_model(kind)
    first: dict[str, tuple[Any, str]] = {}  # field -> (value, where) of its first non-empty cell
    rows = []
    for record in records:
        row_cells = {}
        for header, value in record.cells.items():
            name = top.get(_norm(header))
            if name is None:
                row_cells[header] = value
            elif name not in first:
                first[name] = (value, record.where)
                _fill(draft, kind.model, {header: value}, record.where)
            elif str(first[name][0]).strip() != str(value).strip():
                draft.errors.append(ErrorDetail(
                    f"{record.where}.{header}",
                    f"与{first[name][1]}的“{first[name][0]}”不一致：整张台帐只能有一个{_title(kind.model, name)}",
                ))
        if row_cells:
            row = _Draft({}, tabular=record.tabular)
            _fill(row, row_model, row_cells, record.where, keep_unknown=not record.tabular)
            prefix = f"{kind.rows_field}.{len(rows)}"
            draft.locs.update({f"{prefix}.{path}": loc for path, loc in row.locs.items()})
            draft.errors += row.errors
            draft.rows.append(record.where)
            rows.append(row.item)
    draft.item[kind.rows_field] = rows
    return draft


def _fill(draft: _Draft, model: type[BaseModel], cells: dict[str, Any], where: str, keep_unknown: bool = False) -> None:
    """Put cells (by header) into the draft's item as fields (by name), converted to what the model takes."""
    columns = _columns(model)
    for header, value in cells.items():
        name = columns.get(_norm(header))
        if name is None:
            if keep_unknown:  # JSON: the schema reports an unknown key by its path
                draft.item[header] = value
            continue
        if name in draft.item:
            draft.errors.append(ErrorDetail(f"{where}.{header}", f"与另一列重复，都对应“{_title(model, name)}”"))
            continue
        draft.item[name] = _convert(model.model_fields[name].annotation, value)
        draft.locs[name] = f"{where}.{header}"


def _unknown_columns(kind: Kind, header: list[str]) -> list[ErrorDetail]:
    known = set(_top_columns(kind))
    if kind.rows_field:
        known |= set(_columns(_row_model(kind)))
    out = []
    for title in header:
        if title and _norm(title) not in known and _norm(title) not in _IGNORED_COLUMNS:
            out.append(ErrorDetail(f"第1行.{title}", f"没有这一列；可用的列：{'、'.join(_wanted_columns(kind))}"))
    return out


def _wanted_columns(kind: Kind) -> list[str]:
    """The column headers of the kind's spreadsheet, in order (the generic fields every kind takes are
    accepted as columns too, but not offered: an example sheet shows the kind's own)."""
    common = {c.name for c in COMMON_FIELDS}
    top = [_title(kind.model, n) for n in kind.model.model_fields if n != kind.rows_field and n not in common]
    if not kind.rows_field:
        return top
    row_model = _row_model(kind)
    return top + [_title(row_model, n) for n in row_model.model_fields]


# -- cell values ---------------------------------------------------------------------
def _unwrap(annotation: Any) -> Any:
    """``X | None`` and ``Annotated[X, ...]`` -> X."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _convert(annotation: Any, value: Any) -> Any:
    """A cell as the field wants it; what cannot be converted is left for the schema to report."""
    target = _unwrap(annotation)
    origin = typing.get_origin(target)
    if origin is list:
        if isinstance(value, str):
            return [v for v in _LIST_SEPARATORS.split(value) if v]
        return value if isinstance(value, list) else [value]
    if target is dt.date:
        return _to_date(value)
    if target is int:
        return _to_int(value)
    if target is bool:
        if isinstance(value, str) and value.lower() in ("是", "true", "yes", "1", "y"):
            return True
        if isinstance(value, str) and value.lower() in ("否", "false", "no", "0", "n"):
            return False
        return value
    if target is str or origin is Literal:
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, dt.datetime):
            return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
        if isinstance(value, dt.date):
            return value.isoformat()
        return value if isinstance(value, str) else str(value)
    return value


def _to_int(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        text = re.sub(r"(个工作日|个自然日|工作日|自然日|天|日)$", "", text).strip()
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        if re.fullmatch(r"[+-]?\d+\.0+", text):
            return int(float(text))
    return value


def _to_date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 20000 < value < 80000:
        from openpyxl.utils.datetime import from_excel

        return from_excel(value).date().isoformat()  # an Excel date serial in a cell not formatted as date
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        match = _DATE.match(text) or _COMPACT_DATE.match(text)
        if match:
            try:
                return dt.date(*(int(g) for g in match.groups())).isoformat()
            except ValueError:
                return text  # 2026-02-30: the schema reports it
        return text
    return value


# -- the spreadsheet to fill in ---------------------------------------------------------
def example_spreadsheet(kind: Kind, fmt: Literal["xlsx", "csv"] = "xlsx") -> bytes:
    """A sheet with the kind's Chinese column headers and its example row(s).

    A clerk downloads it, fills it and uploads it again; ``read_items`` reads
    it back. A ledger's top-level fields (年度, 月份, 科室) are columns
    filled on the first row.
    """
    if fmt not in ("xlsx", "csv"):
        raise UnsupportedMediaType("示例表格只有 xlsx 和 csv 两种格式", [ErrorDetail("(query).format", "只能是 xlsx 或 csv")])
    fields, rows = _example_table(kind)
    headers = [title for _, title, _ in fields]
    if fmt == "csv":
        buf = io.StringIO(newline="")
        writer = csv.writer(buf)
        writer.writerow(headers)
        for row in rows:
            writer.writerow(["" if v is None else (v.isoformat() if isinstance(v, dt.date) else v) for v in row])
        return ("\ufeff" + buf.getvalue()).encode("utf-8")  # the BOM makes Excel read UTF-8
    return _example_xlsx(kind, fields, headers, rows)


def _example_table(kind: Kind) -> tuple[list[tuple[str, str, str]], list[list[Any]]]:
    """(field name, header, description) per column, and the example rows' cells."""

    def cell(annotation: Any, value: Any) -> Any:
        if value is None:
            return None
        target = _unwrap(annotation)
        if typing.get_origin(target) is list:
            return "、".join(str(v) for v in value)
        if target is dt.date:
            return dt.date.fromisoformat(value) if isinstance(value, str) else value
        return value

    example = kind.example
    common = {c.name for c in COMMON_FIELDS}  # accepted as columns, not offered
    top = [(n, f) for n, f in kind.model.model_fields.items() if n != kind.rows_field and n not in common]
    fields = [(n, f.title or n, f.description or "") for n, f in top]
    if not kind.rows_field:
        return fields, [[cell(f.annotation, example.get(n)) for n, f in top]]
    rows_model = _row_model(kind)
    row_fields = list(rows_model.model_fields.items())
    fields += [(n, f.title or n, f.description or "") for n, f in row_fields]
    rows = []
    for index, row in enumerate(example.get(kind.rows_field, [])):
        head = [cell(f.annotation, example.get(n)) if index == 0 else None for n, f in top]
        rows.append(head + [cell(f.annotation, row.get(n)) for n, f in row_fields])
    return fields, rows


def _example_xlsx(kind: Kind, fields: list[tuple[str, str, str]], headers: list[str], rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = kind.title
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    for col, (_name, title, description) in enumerate(fields, start=1):
        head = sheet.cell(row=1, column=col)
        head.font = Font(bold=True)
        head.fill = PatternFill("solid", fgColor="DDEBF7")
        head.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        if description and description != title:
            head.comment = Comment(description, "docgen")
        letter = get_column_letter(col)
        longest = max([len(str(title))] + [len(str(r[col - 1])) for r in rows if r[col - 1] is not None])
        sheet.column_dimensions[letter].width = min(60, max(12, longest * 2 + 2))
        for line in range(2, len(rows) + 2):
            c = sheet.cell(row=line, column=col)
            if isinstance(c.value, dt.date):
                c.number_format = "yyyy-mm-dd"
            c.alignment = Alignment(vertical="top", wrap_text=True)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
