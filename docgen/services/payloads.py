"""Turning a client's JSON into a validated payload, with errors a clerk can read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError

from docgen.errors import ErrorDetail, InvalidPayload
from docgen.kinds import Kind, Payload
from docgen.services.untrusted import text_problems

_MESSAGES = {
    "missing": "必填",
    "extra_forbidden": "没有这个字段",
    "string_type": "应为文字",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "bool_type": "应为 true 或 false",
    "list_type": "应为列表",
    "model_type": "应为对象（JSON 对象）",
    "dict_type": "应为对象（JSON 对象）",
    "date_type": "应为日期，格式如 2026-11-22",
    "date_parsing": "应为日期，格式如 2026-11-22",
    "date_from_datetime_parsing": "应为日期，格式如 2026-11-22",
    "date_from_datetime_inexact": "应为日期（不含时间），格式如 2026-11-22",
}


def _message(error: dict[str, Any]) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind == "greater_than_equal":
        return f"不能小于 {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"不能大于 {ctx.get('le')}"
    if kind == "too_short":
        return f"至少需要 {ctx.get('min_length')} 项"
    if kind == "too_long":
        if "max_length" in ctx and error.get("input") is not None and isinstance(error["input"], list):
            return f"最多 {ctx['max_length']} 项"
        return f"最多 {ctx.get('max_length')} 项"
    if kind == "string_too_long":
        return f"不能超过 {ctx.get('max_length')} 个字"
    if kind == "string_too_short":
        return "不能为空"
    if kind == "literal_error":
        return "只能是：" + str(ctx.get("expected", "")).replace("'", "").replace(" or ", "、").replace(", ", "、")
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return error["msg"]


def details_from(exc: ValidationError, prefix: str = "") -> list[ErrorDetail]:
    """Every bad field of a pydantic error, as dotted paths with Chinese messages."""
    out = []
    for error in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in error["loc"])
        loc = f"{prefix}.{loc}" if prefix and loc else (prefix or loc or "(body)")
        out.append(ErrorDetail(loc, _message(error)))
    return out


def validate_payload(kind: Kind, data: Any, prefix: str = "") -> Payload:
    """The payload as the kind's model, or InvalidPayload listing every bad field.

    Besides the kind's own rules, every text is free of control characters
    (DEL and lone surrogates included) and every date lies between
    ``EARLIEST_DATE`` and ``LATEST_DATE``.
    """
    if not isinstance(data, dict):
        raise InvalidPayload("请求内容应为一个 JSON 对象", [ErrorDetail(prefix or "(body)", "应为 JSON 对象")])
    details = text_problems(data, prefix)
    try:
        payload = kind.model.model_validate(data)
    except ValidationError as exc:
        known = {d.loc for d in details}
        details += [d for d in details_from(exc, prefix) if d.loc not in known]
        payload = None
    if payload is not None:
        details += _dates_out_of_range(payload.model_dump(), prefix)
    if details:
        raise InvalidPayload(f"{kind.title}的内容有误，请检查标出的字段", details)
    _check_unique_findings(payload, prefix)
    return payload


EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)


def _dates_out_of_range(values: Any, loc: str) -> list[ErrorDetail]:
    """Dates a paper cannot carry (year 9999 and the like), by their path."""
    found: list[ErrorDetail] = []
    if isinstance(values, dt.date) and not EARLIEST_DATE <= values <= LATEST_DATE:
        found.append(ErrorDetail(loc or "(body)", f"日期应在 {EARLIEST_DATE.isoformat()} 到 {LATEST_DATE.isoformat()} 之间"))
    elif isinstance(values, dict):
        for key, value in values.items():
            found += _dates_out_of_range(value, f"{loc}.{key}" if loc else str(key))
    elif isinstance(values, list):
        for i, value in enumerate(values):
            found += _dates_out_of_range(value, f"{loc}.{i}" if loc else str(i))
    return found


def _check_unique_findings(payload: Payload, prefix: str) -> None:
    findings = getattr(payload, "findings", None)
    if findings and len(set(findings)) != len(findings):
        loc = f"{prefix}.findings" if prefix else "findings"
        raise InvalidPayload("存在问题不能重复", [ErrorDetail(loc, "同一情形只能选一次")])
