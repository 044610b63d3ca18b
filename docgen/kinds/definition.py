"""Kinds as data: a TOML definition read into a :class:`Kind` with a pydantic model.

A definition names the kind, its fields and their types, which field holds the
recipient, the signing date and the reply period, and which kind it follows.
The payload model is made from the fields with ``pydantic.create_model``, so
JSON Schema, examples, Chinese titles and error messages come out as they
would from a hand-written model. A definition that cannot be used raises
:class:`KindDefinitionError` naming the file, the field and the reason.

Field types::

    text          one line (max_length default 200)
    long-text     several lines (max_length default 20000)
    date          an ISO date, printed as the profile's date style
    integer       with min / max
    choice        one of ``options``
    multi-choice  some of ``options`` (min_items / max_items); ``marks = "name"``
                  gives the template every option ticked ☑ or not ☐
    table         rows with their own ``fields`` (min_rows / max_rows)
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, create_model

from docgen.errors import KindDefinitionError
from docgen.kinds.base import Kind, Payload, Text

FIELD_TYPES = ("text", "long-text", "date", "integer", "choice", "multi-choice", "table")
_DEFAULT_MAX_LENGTH = {"text": 200, "long-text": 20000}
_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# names every template sees besides the payload's fields (see ``render``)
RESERVED_NAMES = frozenset({"org_name", "committee", "issuing_offices", "number", "issued_on", "kind_title"})

_KIND_KEYS = {
    "id", "title", "description", "template", "model", "order", "fields", "example",
    "recipient_field", "signing_date_field", "reply_days_field", "rows_field", "follows",
}
_FIELD_KEYS = {
    "name", "title", "description", "type", "required", "printed", "max_length", "min", "max",
    "options", "min_items", "max_items", "marks", "fields", "min_rows", "max_rows", "model",
}
_FOLLOWS_KEYS = {"kind", "field", "date_field", "fill"}


@dataclass(frozen=True)
class CommonField:
    """A generic issuing field that is no part of a kind's own schema (never printed)."""

    name: str
    title: str
    description: str
    annotation: Any
    constraints: dict[str, Any] = field(default_factory=dict)
    reply_only: bool = False  # only kinds with a reply period take it
    follows_only: bool = False  # only the later steps of a chain (kinds that follow another) take it


# The fields every kind accepts besides its own (README "Fields every kind
# accepts"), declared once: the JSON Schema, the form and validation all see
# them. A kind that defines a field of the same name keeps its own.
COMMON_FIELDS: tuple[CommonField, ...] = (
    CommonField(
        "date_reason", "日期说明",
        "成文日期距今超过机构配置的天数（date_window_days，默认 30 天），或早于本系列已签发的最新文件时，写明理由（记入登记簿和审计日志）",
        Text, {"max_length": 1000},
    ),
    CommonField(
        "matter_id", "督查事项",
        "这份文件所涉及的督查事项（id 或编号）：收文单位和督查的工作不填时取自该事项，文件列入事项的办理经过",
        Text, {"max_length": 200},
    ),
    CommonField(
        "count_calendar_days", "按自然日计算期限",
        "勾选后回复期限按自然日计算（如该年的节假日安排尚未收录，无法按工作日计算时）",
        bool, reply_only=True,
    ),
    CommonField(
        "follows", "所依据的文件",
        "本文件所跟进（升级）的上一步文件的文号；与该种类自己的文号字段（如 prompt_number）同义",
        Text, {"max_length": 100}, follows_only=True,
    ),
    CommonField(
        "force_reason", "提前下发理由",
        "所依据的文件尚未逾期（回复期限未到或已回复）而需下发本文件时，写明理由（记入登记簿）",
        Text, {"max_length": 1000}, follows_only=True,
    ),
)


def mark_choices(options: tuple[str, ...], chosen: list[str] | None) -> str:
    """Every option as the seed form lists them, the chosen ones ticked: ``☑甲、☐乙``."""
    chosen = list(chosen or [])
    return "、".join(("☑" if option in chosen else "☐") + option for option in options)


class _Reader:
    """Reads one definition file, raising errors that name the file and the field."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, reason: str) -> KindDefinitionError:
        return KindDefinitionError(f"公文种类定义 {self.path}：{where}：{reason}")

    def load(self) -> dict[str, Any]:
        try:
            return tomllib.loads(self.path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise self.fail("文件", f"不是有效的 TOML：{exc}") from None

    def string(self, raw: dict[str, Any], key: str, where: str, required: bool = True) -> str | None:
        value = raw.get(key)
        if value is None:
            if required:
                raise self.fail(where, f"缺少 {key}")
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where}.{key}", "应为非空文字")
        return value.strip()

    def integer(self, raw: dict[str, Any], key: str, where: str) -> int | None:
        value = raw.get(key)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self.fail(f"{where}.{key}", "应为非负整数")
        return value

    def unknown_keys(self, raw: dict[str, Any], allowed: set[str], where: str) -> None:
        extra = sorted(set(raw) - allowed)
        if extra:
            raise self.fail(where, f"不认识的项 {', '.join(extra)}；可用的有 {', '.join(sorted(allowed))}")


def _model_name(kind_id: str) -> str:
    return "".join(part.capitalize() for part in kind_id.split("-"))


class _FieldSpec:
    """One field read from a definition, and the pydantic annotation it makes."""

    def __init__(self, reader: _Reader, raw: Any, where: str, in_table: bool = False, model_prefix: str = "") -> None:
        if not isinstance(raw, dict):
            raise reader.fail(where, "每个字段应为一个表（[[fields]]）")
        name = reader.string(raw, "name", where)
        where = f"字段 {name}"
        if not _NAME.match(name):
            raise reader.fail(where, "字段名只能用小写英文字母、数字和下划线，以字母开头")
        # issued_on may be a kind's own field: it is then the signing date (checked below)
        if name in RESERVED_NAMES - {"issued_on"} and not in_table:
            raise reader.fail(where, f"字段名 {name} 已由系统使用（{', '.join(sorted(RESERVED_NAMES))}）")
        reader.unknown_keys(raw, _FIELD_KEYS, where)
        self.reader, self.where, self.name = reader, where, name
        self.title = reader.string(raw, "title", where)
        self.description = reader.string(raw, "description", where, required=False) or self.title
        self.type = reader.string(raw, "type", where)
        if self.type not in FIELD_TYPES:
            raise reader.fail(f"{where}.type", f"不认识的类型 {self.type}；可用的有 {' / '.join(FIELD_TYPES)}")
        self.required = raw.get("required", True)
        self.printed = raw.get("printed", True)
        for key in ("required", "printed"):
            if not isinstance(raw.get(key, True), bool):
                raise reader.fail(f"{where}.{key}", "应为 true 或 false")
        self.marks = reader.string(raw, "marks", where, required=False)
        if self.marks and self.type != "multi-choice":
            raise reader.fail(f"{where}.marks", "只有多选字段（multi-choice）可以打勾列出")
        if self.type == "table" and in_table:
            raise reader.fail(where, "表格的行里不能再有表格")
        self.raw = raw
        self.model_prefix = model_prefix
        self.options: tuple[str, ...] = ()
        self.columns: list[_FieldSpec] = []
        self.annotation, self.constraints = self._type()

    def _type(self) -> tuple[Any, dict[str, Any]]:
        reader, raw, where = self.reader, self.raw, self.where
        kind = self.type
        if kind in ("text", "long-text"):
            length = reader.integer(raw, "max_length", where) or _DEFAULT_MAX_LENGTH[kind]
            return Text, {"max_length": length}
        if kind == "date":
            return dt.date, {}
        if kind == "integer":
            limits = {}
            for key, bound in (("min", "ge"), ("max", "le")):
                value = raw.get(key)
                if value is not None:
                    if not isinstance(value, int) or isinstance(value, bool):
                        raise reader.fail(f"{where}.{key}", "应为整数")
                    limits[bound] = value
            if "ge" in limits and "le" in limits and limits["ge"] > limits["le"]:
                raise reader.fail(where, "min 大于 max")
            return int, limits
        if kind in ("choice", "multi-choice"):
            options = raw.get("options")
            if not isinstance(options, list) or not options or not all(isinstance(o, str) and o.strip() for o in options):
                raise reader.fail(f"{where}.options", "应列出至少一个选项（文字）")
            if len(set(options)) != len(options):
                raise reader.fail(f"{where}.options", "选项有重复")
            self.options = tuple(options)
            choice = Literal[self.options]  # type: ignore[valid-type]
            if kind == "choice":
                return choice, {}
            low = reader.integer(raw, "min_items", where)
            high = reader.integer(raw, "max_items", where)
            limits = {"json_schema_extra": {"uniqueItems": True}}
            if low is not None:
                limits["min_length"] = low
            limits["max_length"] = high if high is not None else len(options)
            return list[choice], limits  # type: ignore[valid-type]
        # table
        columns = raw.get("fields")
        if not isinstance(columns, list) or not columns:
            raise reader.fail(f"{where}.fields", "表格应至少有一列（[[fields.fields]]）")
        self.columns = [_FieldSpec(reader, c, f"{where}.fields[{i}]", in_table=True) for i, c in enumerate(columns)]
        _check_unique(reader, self.columns, where)
        model_name = reader.string(raw, "model", where, required=False) or self.model_prefix + _model_name(self.name)
        row_model = create_model(model_name, __base__=Payload, **{c.name: c.pydantic() for c in self.columns})
        limits = {}
        low = reader.integer(raw, "min_rows", where)
        high = reader.integer(raw, "max_rows", where)
        if low is not None:
            limits["min_length"] = low
        if high is not None:
            limits["max_length"] = high
        return list[row_model], limits  # type: ignore[valid-type]

    def pydantic(self) -> tuple[Any, Any]:
        """``(annotation, FieldInfo)`` for ``create_model``."""
        if self.required:
            return self.annotation, Field(title=self.title, description=self.description, **self.constraints)
        return self.annotation | None, Field(default=None, title=self.title, description=self.description, **self.constraints)

    def names(self) -> set[str]:
        return {self.name} | ({self.marks} if self.marks else set())


def _check_unique(reader: _Reader, fields: list[_FieldSpec], where: str) -> None:
    seen: set[str] = set()
    for f in fields:
        for name in f.names():
            if name in seen:
                raise reader.fail(f"{where} 字段 {name}", "名字重复")
            seen.add(name)


def load_kind(path: str | Path, template_dir: Path | None = None) -> Kind:
    """Read one definition file into a Kind (``template_dir``: where its .docx lives; None = the templates folder)."""
    path = Path(path)
    reader = _Reader(path)
    raw = reader.load()
    reader.unknown_keys(raw, _KIND_KEYS, "定义")
    kind_id = reader.string(raw, "id", "定义")
    if not _ID.match(kind_id):
        raise reader.fail("id", f"{kind_id} 不合规：只能用小写英文字母、数字和连字符，如 supervision-notice")
    title = reader.string(raw, "title", "定义")
    description = reader.string(raw, "description", "定义")
    template = reader.string(raw, "template", "定义", required=False) or f"{kind_id}.docx"
    if "/" in template or "\\" in template or not template.endswith(".docx"):
        raise reader.fail("template", "应为同一文件夹中的 .docx 文件名")
    order = raw.get("order", 1000)
    if not isinstance(order, int):
        raise reader.fail("order", "应为整数")
    specs_raw = raw.get("fields")
    if not isinstance(specs_raw, list) or not specs_raw:
        raise reader.fail("fields", "应至少定义一个字段（[[fields]]）")
    model_name = reader.string(raw, "model", "定义", required=False) or _model_name(kind_id)
    specs = [_FieldSpec(reader, f, f"fields[{i}]", model_prefix=model_name) for i, f in enumerate(specs_raw)]
    _check_unique(reader, specs, "定义")
    by_name = {s.name: s for s in specs}

    def named(key: str, types: tuple[str, ...], raw_map: dict[str, Any] = raw, where: str = "") -> str | None:
        name = reader.string(raw_map, key, where or "定义", required=False)
        if name is None:
            return None
        spec = by_name.get(name)
        if spec is None:
            raise reader.fail(f"{where or ''}{key}", f"没有名为 {name} 的字段")
        if spec.type not in types:
            raise reader.fail(f"{where or ''}{key}", f"字段 {name} 的类型是 {spec.type}，应为 {' / '.join(types)}")
        return name

    recipient = named("recipient_field", ("text", "long-text", "choice"))
    signing = named("signing_date_field", ("date",))
    reply_days = named("reply_days_field", ("integer",))
    if "issued_on" in by_name and signing != "issued_on":
        raise reader.fail("字段 issued_on", "issued_on 是成文日期：应为日期类型，并写 signing_date_field = \"issued_on\"")
    tables = [s.name for s in specs if s.type == "table"]
    rows_field = named("rows_field", ("table",)) or (tables[0] if len(tables) == 1 else None)

    follows_kind = follows_field = follows_date = None
    follows_fill: tuple[str, ...] = ()
    follows = raw.get("follows")
    if follows is not None:
        if not isinstance(follows, dict):
            raise reader.fail("follows", "应为一个表（[follows]）")
        reader.unknown_keys(follows, _FOLLOWS_KEYS, "follows")
        follows_kind = reader.string(follows, "kind", "follows")
        follows_field = named("field", ("text",), follows, "follows.")
        if follows_field is None:
            raise reader.fail("follows", "缺少 field（写所依据公文文号的字段）")
        follows_date = named("date_field", ("date",), follows, "follows.")
        fill = follows.get("fill", [])
        if not isinstance(fill, list) or not all(isinstance(n, str) for n in fill):
            raise reader.fail("follows.fill", "应为字段名列表")
        for name in fill:
            if name not in by_name:
                raise reader.fail("follows.fill", f"没有名为 {name} 的字段")
            if by_name[name].required:
                raise reader.fail(f"字段 {name}", "从所依据公文取值的字段应为选填（required = false）")
        follows_fill = tuple(fill)

    own = {s.name: s.pydantic() for s in specs}
    common = {
        c.name: (c.annotation | None, Field(default=None, title=c.title, description=c.description, **c.constraints))
        for c in COMMON_FIELDS
        if c.name not in own and (reply_days or not c.reply_only) and (follows is not None or not c.follows_only)
    }
    model = create_model(model_name, __base__=Payload, **own, **common)
    marks = {s.marks: s.options for s in specs if s.marks}
    mark_sources = {s.marks: s.name for s in specs if s.marks}

    def extra_context(payload: Payload) -> dict[str, Any]:
        return {var: mark_choices(marks[var], getattr(payload, mark_sources[var])) for var in marks}

    example = raw.get("example")
    if not isinstance(example, dict):
        raise reader.fail("example", "应给出一份示例内容（[example]）")
    try:
        model.model_validate(example)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "(example)"
        raise reader.fail(f"example.{loc}", f"示例不符合字段定义：{first['msg']}") from None

    return Kind(
        id=kind_id,
        title=title,
        description=description,
        model=model,
        template=template,
        example=example,
        extra_variables=tuple(marks),
        extra_context=extra_context if marks else None,
        signing_date_field=signing,
        reply_days_field=reply_days,
        recipient_field=recipient,
        rows_field=rows_field,
        follows_kind=follows_kind,
        follows_field=follows_field,
        follows_date_field=follows_date,
        follows_fill=follows_fill,
        unprinted_fields=tuple(s.name for s in specs if not s.printed) + tuple(common),
        order=order,
        source=path,
        template_dir=template_dir,
    )


def load_kinds_folder(folder: str | Path, templates_beside: bool = True) -> list[Kind]:
    """Every ``*.toml`` definition of a folder, in their ``order`` (then id).

    ``templates_beside``: each .docx sits next to its definition (a profile's
    own folder); otherwise it lives in the configured templates folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise KindDefinitionError(f"公文种类文件夹不存在：{folder}")
    kinds = [load_kind(p, folder if templates_beside else None) for p in sorted(folder.glob("*.toml"))]
    seen: dict[str, Path] = {}
    for kind in kinds:
        if kind.id in seen:
            raise KindDefinitionError(f"公文种类定义 {kind.source}：id：{kind.id} 已在 {seen[kind.id]} 中定义")
        seen[kind.id] = kind.source
        if templates_beside and not (folder / kind.template).is_file():
            raise KindDefinitionError(f"公文种类定义 {kind.source}：template：找不到模板文件 {folder / kind.template}")
    return sorted(kinds, key=lambda k: (k.order, k.id))
