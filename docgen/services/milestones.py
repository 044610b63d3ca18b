"""Milestones (节点) of a matter, and reading them from a 重点工作台帐's 具体措施 ("3月：…；6月：…")."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Milestone:
    due_on: dt.date | None
    measure: str
    done_on: dt.date | None = None


_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_CHINESE_MONTHS = {"元": 1, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10, "十一": 11, "十二": 12}
_SEPARATORS = "；;。，,、 \t\r\n　"
# "3月：" "3月份：" "三月：" "12月底：" "10月15日：" at the start of the text or after a separator;
# a range ("3-4月"), a season ("每季度末月") or a month without a colon is no marker: nothing is guessed
_MARKER = re.compile(
    r"(?<![^；;。，,、\s])"
    r"(?P<month>1[0-2]|0?[1-9]|十[一二]?|[元一二三四五六七八九])月(?:份)?"
    r"(?:(?P<day>3[01]|[12][0-9]|0?[1-9])日)?(?:底)?\s*[:：]"
)


# a month named just before a marker and joined to it ("3、4月：", "3和4月：", "三、四月："): a list, not one month
_MONTH_LIST = re.compile(r"(?<![^；;。，,、\s])(?:1[0-2]|0?[1-9]|十[一二]?|[元一二三四五六七八九])月?(?:份)?\s*[、,，和及至到~～]\s*$")


def parse_milestones(text: str, year: int) -> list[Milestone]:
    """The milestones a ledger's 具体措施 states, in their order.

    ``"3月：完成方案；6月：中期评估；12月：总结"`` gives three milestones due at
    the end of March, June and December of YEAR (a day, ``10月15日：``, is taken
    as written). Full-width and half-width colons and digits, ``3月份``,
    ``三月`` and the separators ；;。，,、 and line breaks are read; text before
    the first month, text that names no month, and several months for one
    measure (``3、4月：``, ``3-4月：``) are undated milestones, as written.
    """
    probe = text.translate(_FULL_WIDTH_DIGITS)  # same length: positions in probe are positions in text
    # each marker: (where its segment starts, where its measure starts, the day due or None)
    marks: list[tuple[int, int, dt.date | None]] = []
    for mark in _MARKER.finditer(probe):
        listed = _MONTH_LIST.search(probe, 0, mark.start())
        if listed is not None:  # "3、4月：": several months (or a range) for one measure: undated, as written
            marks.append((listed.start(), listed.start(), None))
            continue
        raw = mark.group("month")
        month = int(raw) if raw.isdigit() else _CHINESE_MONTHS[raw]
        day = int(mark.group("day")) if mark.group("day") else calendar.monthrange(year, month)[1]
        try:
            marks.append((mark.start(), mark.end(), dt.date(year, month, day)))
        except ValueError:  # 2月30日: not a day; keep the words, undated
            marks.append((mark.start(), mark.start(), None))
    out: list[Milestone] = []
    head = text[: marks[0][0] if marks else len(text)].strip(_SEPARATORS)
    if head:
        out.append(Milestone(None, head))
    for i, (_, begin, due) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else len(text)
        measure = text[begin:end].strip(_SEPARATORS)
        if measure:
            out.append(Milestone(due, measure))
    return out
