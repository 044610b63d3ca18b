"""Reading what a client sends, within limits: JSON, text, names.

Every check here answers with a 4xx error of ``docgen.errors`` naming the
place of the problem; nothing here lets a hostile body reach the database,
a document or a header.
"""

from __future__ import annotations

import json
import re
from typing import Any

from docgen.errors import ErrorDetail, InvalidPayload, MalformedRequest

MAX_JSON_DEPTH = 64
MAX_INT_DIGITS = 30
MAX_SEARCH_WORDS = 20
MAX_SEARCH_LENGTH = 500

# C0 controls but tab, newline and carriage return; DEL and the C1 controls;
# lone surrogates; the non-characters U+FFFE/U+FFFF. None of them belongs in a
# paper, a name or a header, and several make a .docx that will not open.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def forbidden_character(value: str) -> str | None:
    """A description of the first character not allowed in text, or None."""
    match = _FORBIDDEN.search(value)
    if match is None:
        return None
    return f"含有不允许的控制字符 U+{ord(match.group()):04X}（第 {match.start() + 1} 个字符）"


def check_text(loc: str, value: str, max_length: int, message: str = "请求内容有误") -> str:
    """VALUE if it is text of at most MAX_LENGTH characters without control characters, else 422 at LOC."""
    if not isinstance(value, str):
        raise InvalidPayload(message, [ErrorDetail(loc, "应为文字")])
    if len(value) > max_length:
        raise InvalidPayload(message, [ErrorDetail(loc, f"不能超过 {max_length} 个字")])
    problem = forbidden_character(value)
    if problem:
        raise InvalidPayload(message, [ErrorDetail(loc, problem)])
    return value


def text_problems(data: Any, prefix: str = "") -> list[ErrorDetail]:
    """Every string (and object key) in DATA holding a forbidden character, by its dotted path."""
    found: list[ErrorDetail] = []

    def walk(value: Any, loc: str) -> None:
        if isinstance(value, str):
            problem = forbidden_character(value)
            if problem:
                found.append(ErrorDetail(loc or "(body)", problem))
        elif isinstance(value, dict):
            for key, item in value.items():
                where = f"{loc}.{key}" if loc else str(key)
                if isinstance(key, str) and forbidden_character(key):
                    found.append(ErrorDetail(loc or "(body)", f"字段名{forbidden_character(key)}"))
                    continue
                walk(item, where)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{loc}.{i}" if loc else str(i))

    walk(data, prefix)
    return found


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _TooManyDigits(text)
    return int(text)


class _TooManyDigits(ValueError):
    pass


def json_depth_exceeds(text: str, limit: int = MAX_JSON_DEPTH) -> int | None:
    """The offset at which TEXT nests deeper than LIMIT arrays/objects, or None."""
    depth = 0
    in_string = escaped = False
    for offset, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return offset
        elif char in "]}":
            depth -= 1
    return None


def parse_json(raw: bytes) -> Any:
    """RAW as JSON: UTF-8, nested at most MAX_JSON_DEPTH deep, integers of at most MAX_INT_DIGITS digits.

    Anything else is a 400 in the error shape, never a RecursionError or a
    ValueError from the int conversion limit.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedRequest("请求体不是 UTF-8 编码", [ErrorDetail("(body)", f"第 {exc.start + 1} 个字节无法解码")]) from None
    too_deep = json_depth_exceeds(text)
    if too_deep is not None:
        raise MalformedRequest(
            "请求体的 JSON 嵌套太深",
            [ErrorDetail("(body)", f"嵌套不能超过 {MAX_JSON_DEPTH} 层（第 {too_deep + 1} 个字符处超出）")],
        )
    try:
        return json.loads(text, parse_int=_bounded_int, parse_constant=_reject_constant)
    except _TooManyDigits as exc:
        raise MalformedRequest("请求体中的整数位数太多", [ErrorDetail("(body)", f"整数不能超过 {MAX_INT_DIGITS} 位（收到 {len(str(exc))} 位）")]) from None
    except _NotJsonConstant as exc:
        raise MalformedRequest("请求体不是合法的 JSON", [ErrorDetail("(body)", f"{exc} 不是 JSON 允许的数值")]) from None
    except json.JSONDecodeError as exc:
        raise MalformedRequest(
            "请求体不是合法的 JSON",
            [ErrorDetail("(body)", f"第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}")],
        ) from None
    except (RecursionError, ValueError) as exc:  # belt and braces: nothing the parser raises is a 500
        raise MalformedRequest("请求体不是合法的 JSON", [ErrorDetail("(body)", str(exc)[:200])]) from None


class _NotJsonConstant(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _NotJsonConstant(name)


def search_words(q: str | None, loc: str = "(query).q") -> list[str]:
    """The words of a free-text search, bounded in number and length, each without control characters."""
    if not q:
        return []
    words = q.split()
    if len(words) > MAX_SEARCH_WORDS:
        raise InvalidPayload("查询条件有误", [ErrorDetail(loc, f"关键词最多 {MAX_SEARCH_WORDS} 个（收到 {len(words)} 个）")])
    check_text(loc, q, MAX_SEARCH_LENGTH, "查询条件有误")
    return words


def safe_filename(name: str, fallback: str = "文件") -> str:
    """NAME with path separators, quotes and every control character replaced, for a download's name."""
    unsafe = '/\\:*?"<>|\r\n\t'
    cleaned = "".join("_" if (c in unsafe or _FORBIDDEN.match(c)) else c for c in name).strip()
    return cleaned[:150] or fallback
