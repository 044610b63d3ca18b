"""An operator's holiday file (``DOCGEN_HOLIDAYS``): a year the library does not cover yet.

The State Council publishes each year's holidays and make-up workdays (调休)
in a notice; until ``chinesecalendar`` carries them, an operator writes them
into a TOML file, one table per year::

    [2027]
    source = "国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕…号）"
    holidays = [
      { name = "元旦", from = 2027-01-01, to = 2027-01-03 },
      { name = "春节", from = 2027-02-06, to = 2027-02-13 },
    ]
    workdays = [2027-02-14]          # 调休上班的周末

The file wins for its years: there a day is a working day if it is a listed
workday, or a weekday that no holiday covers. A holiday may reach into the
year before (元旦 from 12月31日); the day then follows the file too. A bad file
stops the start with the line and the field (:class:`HolidayFileError`).
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docgen.errors import ConfigError


class HolidayFileError(ConfigError):
    """The DOCGEN_HOLIDAYS file is missing or wrong (a start-up error)."""

    code = "holiday_file_error"


@dataclass(frozen=True)
class HolidayTable:
    """The days an operator's file decides: for each of its years, which days are off and which are worked."""

    years: frozenset[int] = frozenset()
    days_off: dict[dt.date, str] = field(default_factory=dict)  # date -> the holiday's name
    workdays: frozenset[dt.date] = frozenset()
    sources: dict[int, str] = field(default_factory=dict)

    def decides(self, day: dt.date) -> bool:
        return day.year in self.years or day in self.days_off or day in self.workdays

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.days_off


EMPTY = HolidayTable()
_YEAR_KEYS = {"source", "holidays", "workdays"}
_HOLIDAY_KEYS = {"name", "from", "to"}


class _Reader:
    def __init__(self, path: Path, text: str) -> None:
        self.path, self.lines = path, text.splitlines()

    def fail(self, where: str, why: str, near: str | None = None) -> HolidayFileError:
        line = self.line_of(near) if near else None
        at = f"第 {line} 行，" if line else ""
        return HolidayFileError(f"节假日文件 {self.path}：{at}{where}：{why}")

    def line_of(self, needle: str) -> int | None:
        """The first line that holds ``needle`` (tomllib gives no positions for values)."""
        for number, line in enumerate(self.lines, start=1):
            if needle in line.split("#", 1)[0]:
                return number
        return None

    def date(self, value: Any, where: str) -> dt.date:
        if isinstance(value, dt.datetime):
            raise self.fail(where, f"应为日期（不含时间），如 2027-01-01，现为 {value}", str(value)[:10])
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                raise self.fail(where, f"不是日期：{value!r}，应如 2027-01-01", value) from None
        raise self.fail(where, f"应为日期，如 2027-01-01，现为 {value!r}")


def load_holiday_file(path: str | Path) -> HolidayTable:
    """Read and check an operator's holiday file; raises HolidayFileError naming the line and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise HolidayFileError(f"找不到节假日文件（DOCGEN_HOLIDAYS）：{path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise HolidayFileError(f"读不了节假日文件 {path}：{exc}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        at = f"第 {found.group(1)} 行第 {found.group(2)} 列" if found else "文件"
        raise HolidayFileError(f"节假日文件 {path}：{at}：不是有效的 TOML（{exc}）") from None
    reader = _Reader(path, text)
    if not raw:
        raise reader.fail("文件", "没有任何年份；每年写一个 [年份] 表，如 [2027]")
    years: set[int] = set()
    days_off: dict[dt.date, str] = {}
    workdays: set[dt.date] = set()
    sources: dict[int, str] = {}
    for key, spec in raw.items():
        if not (key.isdigit() and 2000 <= int(key) <= 2100) or not isinstance(spec, dict):
            raise reader.fail(key, "顶层应为年份表（2000 至 2100），如 [2027]", f"[{key}]" if isinstance(spec, dict) else key)
        year = int(key)
        unknown = sorted(set(spec) - _YEAR_KEYS)
        if unknown:
            raise reader.fail(f"{year}.{unknown[0]}", f"不认识的项；可用 {', '.join(sorted(_YEAR_KEYS))}", unknown[0])
        source = spec.get("source")
        if not isinstance(source, str) or not source.strip():
            raise reader.fail(f"{year}.source", "必填：写明所依据的国务院办公厅通知，如“国务院办公厅关于2027年部分节假日安排的通知”",
                              f"[{year}]")
        holidays = spec.get("holidays")
        if not isinstance(holidays, list) or not holidays:
            raise reader.fail(f"{year}.holidays", "应列出该年的节假日，如 { name = \"元旦\", from = 2027-01-01, to = 2027-01-03 }",
                              f"[{year}]")
        for i, holiday in enumerate(holidays):
            where = f"{year}.holidays[{i}]"
            if not isinstance(holiday, dict):
                raise reader.fail(where, "每个节假日应为 { name = …, from = …, to = … }")
            unknown = sorted(set(holiday) - _HOLIDAY_KEYS)
            if unknown:
                raise reader.fail(f"{where}.{unknown[0]}", "不认识的项；可用 name、from、to", unknown[0])
            name = holiday.get("name")
            if not isinstance(name, str) or not name.strip():
                raise reader.fail(f"{where}.name", "必填：节日名称，如“春节”")
            if "from" not in holiday:
                raise reader.fail(f"{where}.from", "必填：放假的第一天", name)
            first = reader.date(holiday["from"], f"{where}.from")
            last = reader.date(holiday.get("to", holiday["from"]), f"{where}.to")
            if last < first:
                raise reader.fail(f"{where}.to", f"不能早于 from（{first.isoformat()}）", str(holiday.get("to")))
            if first.year not in (year - 1, year) or last.year != year:
                raise reader.fail(f"{where}", f"{name}的日期应在 {year} 年（可从上年年末开始）", name)
            if (last - first).days > 31:
                raise reader.fail(f"{where}.to", f"{name}放假超过一个月，请核对", name)
            day = first
            while day <= last:
                if day in days_off:
                    raise reader.fail(f"{where}", f"{day.isoformat()} 已列为{days_off[day]}", name)
                days_off[day] = name.strip()
                day += dt.timedelta(days=1)
        if not isinstance(spec.get("workdays", []), list):
            raise reader.fail(f"{year}.workdays", "应为日期列表，如 [2027-02-14]", "workdays")
        for i, value in enumerate(spec.get("workdays", [])):
            where = f"{year}.workdays[{i}]"
            day = reader.date(value, where)
            needle = day.isoformat()
            if not year - 1 <= day.year <= year:
                raise reader.fail(where, f"调休上班日应在 {year} 年", needle)
            if day.weekday() < 5:
                raise reader.fail(where, f"{needle} 是周{'一二三四五'[day.weekday()]}，本来就是工作日；只列调休上班的周末", needle)
            if day in days_off:
                raise reader.fail(where, f"{needle} 已列为{days_off[day]}假日，不能同时是上班日", needle)
            workdays.add(day)
        years.add(year)
        sources[year] = source.strip()
    return HolidayTable(frozenset(years), days_off, frozenset(workdays), sources)


__all__ = ["EMPTY", "HolidayFileError", "HolidayTable", "load_holiday_file"]
