"""The figures of a report, read from the register as of a date.

Papers come from the register; what became of each (issued, replied,
overdue, escalated, voided) comes from the ONE paper-state function of the
replies service; matters, their lights and progress reports from the matters
service. This module only counts and sorts what those give it.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING

from sqlalchemy import select

from docgen.services.db import Document
from docgen.services.reports import sources
from docgen.services.reports.model import (
    CoordinationItem,
    DepartmentFigures,
    DueItem,
    Heading,
    MatterLine,
    MonthlyBulletin,
    MonthlyReport,
    PaperLine,
    QuarterlyBulletin,
    UnitLine,
    reply_figures,
)

if TYPE_CHECKING:
    from docgen.services.office import Office


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def papers(office: Office, start: dt.date, end: dt.date, as_of: dt.date) -> list[PaperLine]:
    """The papers issued between START and END (both included), each with its state as of AS_OF."""
    with office.register.reading() as session:
        documents = list(
            session.execute(
                select(Document)
                .where(Document.issued_on >= start, Document.issued_on <= end, Document.organisation == office.profile.name)
                .order_by(Document.issued_on, Document.kind, Document.seq)
            ).scalars()
        )
        numbers = {d.id: d.number for d in documents}
        missing = {d.follows_id for d in documents if d.follows_id and d.follows_id not in numbers}
        if missing:
            numbers.update(session.execute(select(Document.id, Document.number).where(Document.id.in_(missing))).tuples())
        states = sources.paper_states(office, session, documents, as_of)
    titles = _titles()
    lines = []
    for d in documents:
        state = states[d.id]
        lines.append(
            PaperLine(
                number=d.number or "",
                kind=d.kind,
                kind_title=titles.get(d.kind, d.kind),
                recipient=d.recipient or "",
                issued_on=d.issued_on,
                state=state.state,
                due_on=d.due_on,
                replied_on=state.replied_on,
                on_time=state.on_time,
                follows=numbers.get(d.follows_id) if d.follows_id else None,
                matter=state.matter,
            )
        )
    return lines


def _titles() -> dict[str, str]:
    from docgen.kinds import KINDS

    return {k: v.title for k, v in KINDS.items()}


def department_figures(matters: list[MatterLine]) -> tuple[DepartmentFigures, ...]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"done": 0, "green": 0, "yellow": 0, "red": 0})
    for m in matters:
        if m.status == "cancelled":
            continue
        key = "done" if m.status == "done" else m.light
        counts[m.department][key] += 1
    return tuple(DepartmentFigures(name, **c) for name, c in counts.items())


def monthly(office: Office, year: int, month: int, as_of: dt.date, heading: Heading) -> MonthlyReport:
    start, end = month_bounds(year, month)
    matters = sources.matters(office, start, end, as_of)
    lines = [m.line for m in matters]
    coordination = tuple(
        CoordinationItem(m.line.department, m.line.title, p.needs_coordination, p.reported_on, m.line.leader)
        for m in matters
        for p in m.line.progress
        if p.needs_coordination
    )
    next_start, next_end = month_bounds(end.year + (end.month == 12), end.month % 12 + 1)
    coming: list[DueItem] = []
    for m in matters:
        if m.line.status != "open":
            continue
        for due_on, measure in m.milestones:
            if next_start <= due_on <= next_end:
                coming.append(DueItem(due_on, m.line.department, m.line.title, measure))
        if m.line.deadline and next_start <= m.line.deadline <= next_end:
            coming.append(DueItem(m.line.deadline, m.line.department, m.line.title, "办结时限", is_deadline=True))
    coming.sort(key=lambda d: (d.due_on, d.department))
    return MonthlyReport(
        heading=heading,
        year=year,
        month=month,
        as_of=as_of,
        departments=department_figures(lines),
        matters=tuple(lines),
        papers=tuple(papers(office, start, end, as_of)),
        coordination=coordination,
        next_month=tuple(coming),
    )


def quarterly(office: Office, year: int, quarter: int, as_of: dt.date, heading: Heading) -> QuarterlyBulletin:
    start = dt.date(year, 3 * quarter - 2, 1)
    end = month_bounds(year, 3 * quarter)[1]
    matters = [m.line for m in sources.matters(office, start, end, as_of)]
    quarter_papers = [p for p in papers(office, start, end, as_of) if p.state != "voided"]
    units: dict[str, dict[str, object]] = defaultdict(dict)
    for m in matters:
        units[m.department]
    for p in quarter_papers:
        units[p.recipient or "（未写收文单位）"]
    lines = []
    for unit in units:
        own = [m for m in matters if m.department == unit]
        received = [p for p in quarter_papers if (p.recipient or "（未写收文单位）") == unit]
        f = reply_figures(received)
        lines.append(
            UnitLine(
                unit=unit,
                done=sum(1 for m in own if m.status == "done" and (m.closed_on is None or m.closed_on >= start)),
                in_progress=sum(1 for m in own if m.status == "open" and m.light != "red"),
                overdue=sum(1 for m in own if m.status == "open" and m.light == "red"),
                papers_received=len(received),
                replies_on_time=f.on_time,
                replies_late=f.late,
                replies_missing=f.missing,
                replies_pending=f.pending,
                escalations=tuple(p.number for p in received if p.follows),
            )
        )
    lines.sort(key=lambda u: (-(u.overdue + u.replies_missing + len(u.escalations)), u.unit))
    return QuarterlyBulletin(heading=heading, year=year, quarter=quarter, as_of=as_of, units=tuple(lines))


def bulletin(office: Office, year: int, month: int, as_of: dt.date, heading: Heading) -> MonthlyBulletin:
    start, end = month_bounds(year, month)
    lines = [m.line for m in sources.matters(office, start, end, as_of)]
    titles = _titles()
    chain = next(iter(office.profile.chains.values()), ())
    return MonthlyBulletin(
        heading=heading,
        year=year,
        month=month,
        as_of=as_of,
        departments=department_figures(lines),
        matters=tuple(lines),
        papers=tuple(papers(office, start, end, as_of)),
        rounds=tuple((k, titles.get(k, k)) for k in chain),
    )
