"""Making a report: check the period, gather as of its last day, compose, number when issued, PDF.

Knows nothing of Flask; the API, the form and the CLI call ``Reports``.
A report kind is numbered when the profile gives it a prefix
(``[kinds.monthly-report] prefix = "…"``); an issued report takes its number
through the register's series (``Register.next_number``) in the same
transaction that records it, so a failed issue leaves no gap.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from docgen.errors import ErrorDetail, InvalidPayload
from docgen.services.audit import audit_entry
from docgen.services.draft_mark import mark_as_draft
from docgen.services.office import DOCX_MIME, PDF_MIME, RenderedFile, check_format
from docgen.services.register import format_number
from docgen.services.reports import compose, gather
from docgen.services.reports.model import BULLETIN_SECTIONS, MONTHLY_SECTIONS, QUARTERLY_SECTIONS, Heading

if TYPE_CHECKING:
    from docgen.services.accounts import Principal
    from docgen.services.office import Office

# report kinds: id -> (title, sections)
MONTHLY = "monthly-report"
QUARTERLY = "quarterly-bulletin"
BULLETIN = "monthly-bulletin"
REPORT_KINDS = {
    MONTHLY: ("督查工作月报", MONTHLY_SECTIONS),
    QUARTERLY: ("督查工作季度通报", QUARTERLY_SECTIONS),
    BULLETIN: ("重点工作督查月通报", BULLETIN_SECTIONS),
}
MAX_NOTE = 4000
Progress = Callable[[int, int], None]


class ReportPeriodInFuture(InvalidPayload):
    """The month or quarter asked for has not begun."""

    code = "report_period_in_future"


class ReportNoData(InvalidPayload):
    """Nothing happened in the period: no matter, no paper."""

    code = "report_no_data"


class ReportNotOffered(InvalidPayload):
    """The profile does not ask for this report (seed 002's 月通报 is the forestry profile's)."""

    code = "report_not_offered"


@dataclass
class MadeReport:
    """A report as made: the file, its number (issued) and the period it covers."""

    file: RenderedFile
    number: str | None
    issued: bool
    as_of: dt.date


def parse_month(text: str, loc: str = "month") -> tuple[int, int]:
    """``2026-11`` -> (2026, 11); a 422 naming ``loc`` otherwise."""
    found = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", text or "")
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise InvalidPayload("月份格式有误", [ErrorDetail(loc, f"应写成“年-月”，如 2026-11，收到的是“{text}”")])
    return int(found.group(1)), int(found.group(2))


def parse_quarter(text: str, loc: str = "quarter") -> tuple[int, int]:
    """``2026-Q4`` -> (2026, 4)."""
    found = re.fullmatch(r"\s*(\d{4})-?[Qq]([1-4])\s*", text or "")
    if not found:
        raise InvalidPayload("季度格式有误", [ErrorDetail(loc, f"应写成“年-Q季度”，如 2026-Q4，收到的是“{text}”")])
    return int(found.group(1)), int(found.group(2))


def check_notes(notes: Any, sections: tuple[tuple[str, str], ...], loc: str = "notes") -> dict[str, str]:
    """The clerk's notes per section: known keys only, text of limited length."""
    if notes is None:
        return {}
    if not isinstance(notes, dict):
        raise InvalidPayload("补充说明应按章节填写", [ErrorDetail(loc, "应为对象，如 {\"overview\": \"……\"}")])
    known = dict(sections)
    problems = []
    clean: dict[str, str] = {}
    for key, value in notes.items():
        if key not in known:
            problems.append(ErrorDetail(f"{loc}.{key}", f"没有这一章节；可用的有：{'、'.join(f'{k}（{t}）' for k, t in sections)}"))
        elif not isinstance(value, str):
            problems.append(ErrorDetail(f"{loc}.{key}", "应为文字"))
        elif len(value) > MAX_NOTE:
            problems.append(ErrorDetail(f"{loc}.{key}", f"不能超过 {MAX_NOTE} 字"))
        elif value.strip():
            clean[key] = value
    if problems:
        raise InvalidPayload("补充说明有误", problems)
    return clean


class Reports:
    """The reports of one office."""

    def __init__(self, office: Office) -> None:
        self.office = office

    @property
    def offers_bulletin(self) -> bool:
        """Seed 002's 月通报 where the profile asks for it (a ``monthly-bulletin`` kind in the profile)."""
        return BULLETIN in self.office.profile.kinds

    # -- the periods ---------------------------------------------------------------------
    def month_as_of(self, year: int, month: int, loc: str = "month") -> dt.date:
        """The last day of a past month, today for this month; 422 for a month to come."""
        if not 2000 <= year <= 2100 or not 1 <= month <= 12:
            raise InvalidPayload("月份有误", [ErrorDetail(loc, "年份应在 2000–2100 之间，月份在 1–12 之间")])
        today = self.office.today()
        first = dt.date(year, month, 1)
        if first > today:
            raise ReportPeriodInFuture(
                f"{year}年{month}月还没有到，不能生成这个月的报告",
                [ErrorDetail(loc, f"今天是{today.year}年{today.month}月{today.day}日，只能生成本月及以前各月的报告")],
            )
        last = dt.date(year, month, calendar.monthrange(year, month)[1])
        return min(last, today)

    def quarter_as_of(self, year: int, quarter: int, loc: str = "quarter") -> dt.date:
        if not 2000 <= year <= 2100 or not 1 <= quarter <= 4:
            raise InvalidPayload("季度有误", [ErrorDetail(loc, "年份应在 2000–2100 之间，季度在 1–4 之间")])
        today = self.office.today()
        first = dt.date(year, 3 * quarter - 2, 1)
        if first > today:
            raise ReportPeriodInFuture(
                f"{year}年第{quarter}季度还没有到，不能生成这个季度的通报",
                [ErrorDetail(loc, f"今天是{today.year}年{today.month}月{today.day}日，只能通报本季度及以前各季度")],
            )
        end_month = 3 * quarter
        return min(dt.date(year, end_month, calendar.monthrange(year, end_month)[1]), today)

    def _heading(self, kind: str, signed_on: dt.date) -> Heading:
        profile = self.office.profile
        return Heading(profile.name, profile.issuing_offices, signed_on, profile.for_kind(kind).date_style)

    # -- making ----------------------------------------------------------------------------
    def monthly(self, year: int, month: int, notes: Any = None, *, issue: bool = False, fmt: str = "docx",
                with_papers: bool = False, actor: Principal | None = None, progress: Progress | None = None) -> MadeReport:
        """The monthly written report to the leaders."""
        check_format(fmt)
        clean = check_notes(notes, MONTHLY_SECTIONS)
        as_of = self.month_as_of(year, month)
        report = gather.monthly(self.office, year, month, as_of, self._heading(MONTHLY, self.office.today()))
        if report.empty:
            raise ReportNoData(
                f"{year}年{month}月没有可报告的数据：没有在办的督查事项，也没有签发的督办文件",
                [ErrorDetail("month", "这个月既无督查事项也无督办文件，请先登记事项或确认月份")],
            )
        report = replace(report, notes=clean)
        return self._make(MONTHLY, report, lambda r: compose.compose_monthly(r, with_papers, progress),
                          f"{compose.monthly_title(year, month)}", f"monthly-report-{year}-{month:02d}", (year, month),
                          issue, fmt, actor, as_of)

    def quarterly(self, year: int, quarter: int, notes: Any = None, *, issue: bool = False, fmt: str = "docx",
                  actor: Principal | None = None, progress: Progress | None = None) -> MadeReport:
        """The quarterly bulletin to the base units."""
        check_format(fmt)
        clean = check_notes(notes, QUARTERLY_SECTIONS)
        as_of = self.quarter_as_of(year, quarter)
        bulletin = gather.quarterly(self.office, year, quarter, as_of, self._heading(QUARTERLY, self.office.today()))
        if bulletin.empty:
            raise ReportNoData(
                f"{year}年第{quarter}季度没有可通报的数据：没有督查事项，也没有督办文件",
                [ErrorDetail("quarter", "这个季度既无督查事项也无督办文件")],
            )
        bulletin = replace(bulletin, notes=clean)
        return self._make(QUARTERLY, bulletin, lambda b: compose.compose_quarterly(b, progress),
                          compose.quarterly_title(year, quarter), f"quarterly-bulletin-{year}-q{quarter}", (year, quarter),
                          issue, fmt, actor, as_of)

    def bulletin(self, year: int, month: int, notes: Any = None, *, issue: bool = False, fmt: str = "docx",
                 actor: Principal | None = None, progress: Progress | None = None) -> MadeReport:
        """Seed 002's 月通报 (the forestry profile)."""
        check_format(fmt)
        if not self.offers_bulletin:
            raise ReportNotOffered(
                "本机构的配置没有月通报",
                [ErrorDetail("(profile)", "月通报见于林业局配置（DOCGEN_PROFILE=forestry）；在配置中加入 [kinds.monthly-bulletin] 即可启用")],
            )
        clean = check_notes(notes, BULLETIN_SECTIONS)
        as_of = self.month_as_of(year, month)
        bulletin = gather.bulletin(self.office, year, month, as_of, self._heading(BULLETIN, self.office.today()))
        if bulletin.empty:
            raise ReportNoData(
                f"{year}年{month}月没有可通报的数据",
                [ErrorDetail("month", "这个月既无督查事项也无督办文件")],
            )
        bulletin = replace(bulletin, notes=clean)
        return self._make(BULLETIN, bulletin, lambda b: compose.compose_monthly_bulletin(b, progress),
                          compose.bulletin_title(year, month), f"monthly-bulletin-{year}-{month:02d}", (year, month),
                          issue, fmt, actor, as_of)

    def _make(self, kind: str, data: Any, write: Callable[[Any], bytes], title: str, ascii_stem: str,
              period: tuple[int, int], issue: bool, fmt: str, actor: Principal | None, as_of: dt.date) -> MadeReport:
        settings = self.office.profile.for_kind(kind)
        number = None
        if not issue:
            docx = mark_as_draft(write(data))  # like any draft: 草稿 on every page until it is issued
        else:
            register = self.office.register
            stored = None
            try:
                with register.writing() as session, session.begin():
                    signed_on = data.heading.signed_on
                    if settings.numbered:
                        seq = register.next_number(session, kind, self.office.profile.name, signed_on.year)
                        number = format_number(settings.prefix, signed_on.year, seq)
                        data = replace(data, heading=replace(data.heading, number=number))
                    docx = write(data)
                    stored = self.office.store.put(docx, "docx")
                    session.add(audit_entry(actor or "docgen", "report", number or title, detail={
                        "kind": kind, "period": list(period), "as_of": as_of.isoformat(), "number": number, "file_key": stored,
                    }))
            except BaseException:
                if stored:
                    self.office.store.delete(stored)
                raise
        label = f"{title}-{number}" if number else title
        if fmt == "pdf":
            file = RenderedFile(self.office.paper_pdf(docx), f"{label}.pdf", PDF_MIME, f"{ascii_stem}.pdf")
        else:
            file = RenderedFile(docx, f"{label}.docx", DOCX_MIME, f"{ascii_stem}.docx")
        return MadeReport(file, number, issue, as_of)
