"""Matters under supervision (督查事项): 立项, progress reports, 报结 and 撤销, and their lights.

A matter is one piece of work the two offices follow: registered by hand, from
a row of a 重点工作台帐 (its measures "具体到月份" become milestones), or from a
decision of the 局党委 / 局长办公会. Departments report progress on it; papers
that name it (``matter_id`` in their payload) join its timeline. Its light is
computed as of a date:

- ``red``: the deadline or a milestone has passed undone, or a paper about the
  matter is overdue (its state from ``docgen.services.states``);
- ``yellow``: the deadline or an undone milestone falls within the profile's
  ``[matters] warning_days``;
- ``green``: on track. Matters that are done or cancelled have no light.

Knows nothing of Flask: the API, the form, the CLI and the reports call it.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from docgen.errors import Conflict, ErrorDetail, InvalidPayload, NotFound
from docgen.kinds import Kind, get_kind
from docgen.kinds.base import Text
from docgen.services.accounts import Principal
from docgen.services.audit import audit_entry
from docgen.services.dates import format_official_date
from docgen.services.db import Document, Matter, ProgressReport, utcnow
from docgen.services.milestones import Milestone, parse_milestones
from docgen.services.payloads import EARLIEST_DATE, LATEST_DATE, details_from, validate_payload
from docgen.services.register import format_number
from docgen.services.untrusted import search_words, text_problems

STATUSES = {"open": "在办", "done": "已报结", "cancelled": "已撤销"}
LIGHTS = {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}
PERIODS = {"weekly": "周报", "monthly": "月报", "special": "专报"}
LEDGER_KIND = "key-work-ledger"
SERIES_KIND = "matter:code"  # the matters' code series in the number table (a colon: never a kind id)
MAX_MILESTONES = 100


# -- what a client sends ---------------------------------------------------------------------
def _blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


OptionalText = Annotated[Text | None, BeforeValidator(_blank_is_none)]
OptionalDate = Annotated[dt.date | None, BeforeValidator(_blank_is_none)]


class MilestoneIn(BaseModel):
    """A milestone: its measure, the day it is due (none: undated) and the day it was done."""

    model_config = ConfigDict(extra="forbid")

    due_on: OptionalDate = Field(None, description="节点时间（不写为未定时间的节点）")
    measure: Text = Field(max_length=2000, description="具体措施")
    done_on: OptionalDate = Field(None, description="完成日期（未完成为 null）")


class MatterIn(BaseModel):
    """A matter to register (立项)."""

    model_config = ConfigDict(extra="forbid")

    title: Text = Field(max_length=500, description="督查事项（工作内容）")
    source: Text = Field(max_length=200, description="来源：如“2026年度重点工作台帐（医政科）”“局长办公会”“区委交办”")
    department: Text = Field(max_length=200, description="责任科室或单位")
    leader: OptionalText = Field(None, max_length=100, description="分管局领导")
    opened_on: OptionalDate = Field(None, description="立项日期；不写为今天")
    deadline: dt.date = Field(description="办结时限")
    milestones: list[MilestoneIn] = Field(default_factory=list, max_length=MAX_MILESTONES, description="节点（具体到月份的措施）")


class ProgressIn(BaseModel):
    """A department's progress report (周报、月报或专报)."""

    model_config = ConfigDict(extra="forbid")

    reported_on: OptionalDate = Field(None, description="报送日期；不写为今天")
    period: Literal["weekly", "monthly", "special"] = Field(description="weekly 周报、monthly 月报、special 专报")
    progress: Text = Field(max_length=20000, description="工作进展")
    problems: OptionalText = Field(None, max_length=20000, description="存在问题")
    needs_coordination: OptionalText = Field(None, max_length=20000, description="需要局领导协调的问题（没有则不写）")
    milestones_done: list[Annotated[int, Field(ge=0, le=MAX_MILESTONES - 1)]] = Field(
        default_factory=list, max_length=MAX_MILESTONES, description="本次完成的节点：在 milestones 中的位置（从 0 起）"
    )


class CloseIn(BaseModel):
    """报结: the day the matter was done and what came of it."""

    model_config = ConfigDict(extra="forbid")

    closed_on: OptionalDate = Field(None, description="报结日期；不写为今天")
    result: Text = Field(max_length=20000, description="办理结果")


class CancelIn(BaseModel):
    """撤销: why the matter is no longer followed."""

    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(max_length=500, description="撤销理由")


class FromMattersIn(BaseModel):
    """Which matters a paper is drafted from (``from_matters``)."""

    model_config = ConfigDict(extra="forbid")

    department: OptionalText = Field(None, max_length=200, description="只取这个科室或单位的事项")
    as_of: OptionalDate = Field(None, description="截至哪一天（不写为今天）")
    year: int | None = Field(None, ge=2000, le=2100, description="督查工作台帐的年度（不写取 as_of 的年度）")
    month: int | None = Field(None, ge=1, le=12, description="督查工作台帐的月份（不写取 as_of 的月份）")


@dataclass
class MatterQuery:
    """Filters of the matters list; every one optional."""

    department: str | None = None
    status: str | None = None
    light: str | None = None
    year: int | None = None
    q: str | None = None
    page: int = 1
    per_page: int = 50


# -- what the service hands out ------------------------------------------------------------------
@dataclass(frozen=True)
class Progress:
    id: int
    matter_id: str
    reported_on: dt.date
    period: str
    progress: str
    problems: str | None
    needs_coordination: str | None
    milestones_done: tuple[int, ...]
    reported_by: str | None


@dataclass(frozen=True)
class MatterReply:
    received_on: dt.date
    summary: str
    on_time: bool | None


@dataclass(frozen=True)
class MatterPaper:
    """A paper that names the matter, with its state as of the view's date."""

    id: str
    kind: str
    title: str
    number: str | None
    issued_on: dt.date
    due_on: dt.date | None
    recipient: str | None
    state: str
    reply: MatterReply | None = None


@dataclass(frozen=True)
class TimelineEntry:
    on: dt.date
    type: str  # opened, progress, milestone, paper, reply, closed, cancelled
    text: str
    progress_id: int | None = None
    document_id: str | None = None


@dataclass(frozen=True)
class MatterView:
    """One matter as of a date, with its light (and why)."""

    id: str
    code: str
    title: str
    source: str
    department: str
    leader: str | None
    opened_on: dt.date
    deadline: dt.date
    milestones: tuple[Milestone, ...]
    status: str
    light: str | None
    light_reason: str | None
    closed_on: dt.date | None
    result: str | None
    cancelled_on: dt.date | None
    cancel_reason: str | None
    created_by: str | None
    as_of: dt.date
    progress: tuple[Progress, ...] = ()
    papers: tuple[MatterPaper, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()

    @property
    def status_title(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def light_title(self) -> str:
        return LIGHTS.get(self.light or "", "")


# -- lights --------------------------------------------------------------------------------------
def status_as_of(matter: Matter, as_of: dt.date) -> str:
    """What the matter was on AS_OF: done or cancelled only from the day it was."""
    if matter.status == "done" and matter.closed_on is not None and matter.closed_on <= as_of:
        return "done"
    if matter.status == "cancelled" and matter.cancelled_on is not None and matter.cancelled_on <= as_of:
        return "cancelled"
    return "open"


def milestones_of(matter: Matter) -> tuple[Milestone, ...]:
    return tuple(
        Milestone(_day(m.get("due_on")), str(m.get("measure") or ""), _day(m.get("done_on"))) for m in (matter.milestones or [])
    )


def light_of(matter: Matter, as_of: dt.date, warning_days: int, overdue_papers: Sequence[MatterPaper] = ()) -> tuple[str | None, str | None]:
    """The matter's light on AS_OF and the reason, in Chinese (no light unless it was open)."""
    if status_as_of(matter, as_of) != "open":
        return None, None
    if matter.deadline < as_of:
        return "red", f"办结时限{format_official_date(matter.deadline)}已过，尚未报结"
    undone = [m for m in milestones_of(matter) if m.due_on is not None and not (m.done_on and m.done_on <= as_of)]
    late = [m for m in undone if m.due_on < as_of]
    if late:
        return "red", f"节点“{late[0].measure[:40]}”（{format_official_date(late[0].due_on)}）已到期未完成"
    if overdue_papers:
        p = overdue_papers[0]
        return "red", f"{p.title}{p.number or ''}回复期限{format_official_date(p.due_on) if p.due_on else ''}已过，未回复"
    horizon = as_of + dt.timedelta(days=warning_days)
    if matter.deadline <= horizon:
        return "yellow", f"办结时限{format_official_date(matter.deadline)}将到（{(matter.deadline - as_of).days} 天内）"
    soon = [m for m in undone if m.due_on <= horizon]
    if soon:
        return "yellow", f"节点“{soon[0].measure[:40]}”将于{format_official_date(soon[0].due_on)}到期"
    return "green", None


def _day(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _milestone_json(m: Milestone) -> dict[str, Any]:
    return {"due_on": m.due_on.isoformat() if m.due_on else None, "measure": m.measure,
            "done_on": m.done_on.isoformat() if m.done_on else None}


# -- checking input ---------------------------------------------------------------------------------
def validated(model: type[BaseModel], data: Any, message: str, prefix: str = "") -> Any:
    """DATA as MODEL, or 422 listing every bad field (control characters and dates outside 2000–2100 too)."""
    if not isinstance(data, dict):
        raise InvalidPayload("请求内容应为一个 JSON 对象", [ErrorDetail(prefix or "(body)", "应为 JSON 对象")])
    details = text_problems(data, prefix)
    try:
        value = model.model_validate(data)
    except ValidationError as exc:
        known = {d.loc for d in details}
        details += [d for d in details_from(exc, prefix) if d.loc not in known]
        value = None
    if value is not None:
        details += _dates_outside(value.model_dump(), prefix)
    if details:
        raise InvalidPayload(message, details)
    return value


def _dates_outside(values: Any, loc: str) -> list[ErrorDetail]:
    found: list[ErrorDetail] = []
    if isinstance(values, dt.date) and not EARLIEST_DATE <= values <= LATEST_DATE:
        found.append(ErrorDetail(loc or "(body)", f"日期应在 {EARLIEST_DATE.isoformat()} 到 {LATEST_DATE.isoformat()} 之间"))
    elif isinstance(values, dict):
        for key, value in values.items():
            found += _dates_outside(value, f"{loc}.{key}" if loc else str(key))
    elif isinstance(values, list):
        for i, value in enumerate(values):
            found += _dates_outside(value, f"{loc}.{i}" if loc else str(i))
    return found


def field_path(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


class Matters:
    """The matters of one organisation, in the register's database."""

    def __init__(self, office: Any) -> None:
        self.office = office

    @property
    def register(self):
        return self.office.register

    @property
    def settings(self):
        return self.office.profile.matters

    def today(self) -> dt.date:
        return self.office.today()

    # -- 立项 ----------------------------------------------------------------------------------
    def register_matter(self, data: Any, actor: Principal | None = None) -> MatterView:
        """Register one matter (立项): its code is the next of the year's series."""
        body = validated(MatterIn, data, "督查事项的内容有误，请检查标出的字段")
        self._check_dates(body, "")
        with self.register.writing() as session, session.begin():
            matter = self._add(session, body, actor)
            session.flush()
            view = self._view(session, matter, self.today())
        return view

    def _check_dates(self, body: MatterIn, prefix: str) -> None:
        today = self.today()
        opened = body.opened_on or today
        errors = []
        if opened > today:
            errors.append(ErrorDetail(field_path(prefix, "opened_on"), f"立项日期不能晚于今天（{today.isoformat()}）"))
        if body.deadline < opened:
            errors.append(ErrorDetail(field_path(prefix, "deadline"), f"办结时限不能早于立项日期 {opened.isoformat()}"))
        for i, m in enumerate(body.milestones):
            if m.done_on and m.done_on > today:
                errors.append(ErrorDetail(field_path(prefix, f"milestones.{i}.done_on"), "完成日期不能晚于今天"))
        if errors:
            raise InvalidPayload("督查事项的日期有误", errors)

    def _add(self, session: Session, body: MatterIn, actor: Principal | None, origin: dict[str, Any] | None = None) -> Matter:
        opened = body.opened_on or self.today()
        seq = self.register.next_number(session, SERIES_KIND, self.office.profile.name, opened.year)
        milestones = [Milestone(m.due_on, m.measure, m.done_on) for m in body.milestones]
        matter = Matter(
            id=uuid.uuid4().hex,
            organisation=self.office.profile.name,
            year=opened.year,
            seq=seq,
            code=format_number(self.settings.prefix, opened.year, seq),
            title=body.title,
            source=body.source,
            department=body.department,
            leader=body.leader,
            opened_on=opened,
            deadline=body.deadline,
            milestones=[_milestone_json(m) for m in milestones],
            status="open",
            origin=origin,
            created_by=actor.name if actor else None,
        )
        session.add(matter)
        if actor is not None:
            session.add(audit_entry(actor, "matter", matter.code, detail={"id": matter.id, "change": "register", "title": matter.title}))
        return matter

    # -- from a 重点工作台帐 -------------------------------------------------------------------------
    def matters_of_ledger(self, ledger: Any, prefix: str = "ledger", opened_on: dt.date | None = None) -> list[MatterIn]:
        """The matters a 重点工作台帐 payload gives: one per row, milestones read from its 具体措施; opened on OPENED_ON (default today)."""
        kind = get_kind(LEDGER_KIND)
        payload = validate_payload(kind, ledger, prefix)
        year, department = payload.year, payload.department
        today = self.today()
        if opened_on is not None and (opened_on > today or opened_on.year != year):
            raise InvalidPayload("立项日期有误", [ErrorDetail("opened_on", f"应在台帐年度 {year} 年内，且不晚于今天（{today.isoformat()}）")])
        deadline = dt.date(year, 12, 31)
        if deadline < today:
            raise InvalidPayload("台帐年度已过，不能据此立项", [ErrorDetail(field_path(prefix, "year"), f"{year} 年度已结束")])
        out = []
        errors = []
        for i, row in enumerate(payload.rows):
            if len(row.work) > 500:
                errors.append(ErrorDetail(field_path(prefix, f"rows.{i}.work"), "作为督查事项名称不能超过 500 个字"))
                continue
            milestones = parse_milestones(row.measures, year)
            if len(milestones) > MAX_MILESTONES:
                errors.append(ErrorDetail(field_path(prefix, f"rows.{i}.measures"), f"节点最多 {MAX_MILESTONES} 个"))
                continue
            out.append(MatterIn(
                title=row.work,
                source=f"{year}年度重点工作台帐（{department}）",
                department=department,
                opened_on=opened_on or today,
                deadline=deadline,
                milestones=[MilestoneIn(due_on=m.due_on, measure=m.measure[:2000]) for m in milestones],
            ))
        if errors:
            raise InvalidPayload("重点工作台帐的内容不能立项", errors)
        return out

    def import_ledgers(self, ledgers: Sequence[Any], actor: Principal | None = None, prefix: str = "ledger",
                       opened_on: dt.date | None = None) -> list[MatterView]:
        """One matter per row of each ledger, all in one transaction; a row already registered is 409."""
        bodies: list[tuple[int, int, MatterIn, dict[str, Any]]] = []
        for li, ledger in enumerate(ledgers):
            where = prefix if len(ledgers) == 1 else f"{prefix}.{li}"
            for ri, body in enumerate(self.matters_of_ledger(ledger, where, opened_on)):
                bodies.append((li, ri, body, {"kind": LEDGER_KIND, "year": body.deadline.year, "department": body.department, "row": ri}))
        with self.register.writing() as session, session.begin():
            clashes = []
            for li, ri, body, _origin in bodies:
                existing = session.execute(
                    select(Matter).where(Matter.organisation == self.office.profile.name, Matter.department == body.department,
                                         Matter.title == body.title, Matter.deadline == body.deadline, Matter.status != "cancelled")
                ).scalars().first()
                if existing is not None:
                    where = prefix if len(ledgers) == 1 else f"{prefix}.{li}"
                    clashes.append(ErrorDetail(f"{where}.rows.{ri}.work", f"已立项为 {existing.code}（{STATUSES[existing.status]}）"))
            if clashes:
                raise Conflict("台帐中有已经立项的重点工作，未导入任何一项", clashes)
            made = [self._add(session, body, actor, origin) for _, _, body, origin in bodies]
            session.flush()
            views = [self._view(session, m, self.today(), full=False) for m in made]
        return views

    def import_spreadsheet(self, filename: str, content: bytes, defaults: dict[str, Any] | None = None,
                           actor: Principal | None = None) -> list[MatterView]:
        """The 重点工作台帐 of an uploaded .xlsx/.csv/.json (its year and 科室 from DEFAULTS if the sheet has none)."""
        from docgen.services.spreadsheet import read_items

        ledgers = read_items(get_kind(LEDGER_KIND), filename, content, defaults)
        return self.import_ledgers(ledgers, actor, prefix="(文件)")

    # -- reading -------------------------------------------------------------------------------------
    def search(self, query: MatterQuery, viewer: Principal | None = None, as_of: dt.date | None = None) -> tuple[list[MatterView], int]:
        """One page of the matters the query finds (a department: its own), and how many there are in all."""
        as_of = as_of or self.today()
        conditions = [Matter.organisation == self.office.profile.name]
        if viewer is not None and viewer.is_department:
            conditions.append(Matter.department == viewer.department)
        if query.department:
            conditions.append(Matter.department == query.department)
        if query.status:
            conditions.append(Matter.status == query.status)
        if query.year:
            conditions.append(Matter.year == query.year)
        for word in search_words(query.q):
            conditions.append(or_(*(c.contains(word, autoescape=True) for c in (Matter.code, Matter.title, Matter.source, Matter.department, Matter.leader))))
        with self.register.reading() as session:
            rows = list(session.execute(
                select(Matter).where(*conditions).order_by(Matter.deadline, Matter.year, Matter.seq)
            ).scalars())
            papers = self._papers(session, [m.id for m in rows], as_of)
            views = [self._view(session, m, as_of, papers=papers.get(m.id, []), full=False) for m in rows]
        if query.light:
            views = [v for v in views if v.light == query.light]
        # open matters first, red before yellow before green
        order = {"red": 0, "yellow": 1, "green": 2}
        views.sort(key=lambda v: (v.status != "open", order.get(v.light or "", 3)))
        start = (query.page - 1) * query.per_page
        return views[start:start + query.per_page], len(views)

    def get(self, matter_id: str, viewer: Principal | None = None, as_of: dt.date | None = None) -> MatterView:
        """One matter with its timeline (progress reports, papers naming it, replies to them)."""
        with self.register.reading() as session:
            matter = self._visible(session, matter_id, viewer)
            return self._view(session, matter, as_of or self.today())

    def find(self, session: Session, id_or_code: str) -> Matter | None:
        """A matter by its id or its code."""
        if not isinstance(id_or_code, str) or not id_or_code.strip() or len(id_or_code) > 200:
            return None
        key = id_or_code.strip()
        matter = session.get(Matter, key) if len(key) <= 32 else None
        if matter is None:
            matter = session.execute(select(Matter).where(Matter.code == key)).scalar_one_or_none()
        return matter

    def _visible(self, session: Session, matter_id: str, viewer: Principal | None) -> Matter:
        matter = self.find(session, matter_id)
        if matter is None or matter.organisation != self.office.profile.name or (viewer is not None and not viewer.sees_department(matter.department)):
            raise NotFound(f"没有这个督查事项：{matter_id}")
        return matter

    def _papers(self, session: Session, matter_ids: Sequence[str], as_of: dt.date) -> dict[str, list[MatterPaper]]:
        """The papers naming each matter, issued by AS_OF, with their state as of AS_OF."""
        if not matter_ids:
            return {}
        documents: list[Document] = []
        ids = list(matter_ids)
        for i in range(0, len(ids), 500):
            documents += session.execute(
                select(Document).where(Document.matter_id.in_(ids[i:i + 500]), Document.issued_on <= as_of)
                .order_by(Document.issued_on, Document.created_at)
            ).scalars()
        states = paper_states(session, documents, as_of)
        titles = _kind_titles()
        out: dict[str, list[MatterPaper]] = defaultdict(list)
        for d in documents:
            state, reply = states[d.id]
            out[d.matter_id].append(MatterPaper(d.id, d.kind, titles.get(d.kind, d.kind), d.number, d.issued_on, d.due_on,
                                                d.recipient, state, reply))
        return out

    def _view(self, session: Session, matter: Matter, as_of: dt.date, papers: list[MatterPaper] | None = None,
              full: bool = True) -> MatterView:
        if papers is None:
            papers = self._papers(session, [matter.id], as_of).get(matter.id, [])
        overdue = [p for p in papers if p.state == "overdue"]
        light, reason = light_of(matter, as_of, self.settings.warning_days, overdue)
        progress: tuple[Progress, ...] = ()
        timeline: tuple[TimelineEntry, ...] = ()
        if full:
            rows = session.execute(
                select(ProgressReport).where(ProgressReport.matter_id == matter.id).order_by(ProgressReport.reported_on, ProgressReport.id)
            ).scalars()
            progress = tuple(_progress_of(r) for r in rows)
            timeline = _timeline(matter, progress, papers)
        return MatterView(
            id=matter.id, code=matter.code, title=matter.title, source=matter.source, department=matter.department,
            leader=matter.leader, opened_on=matter.opened_on, deadline=matter.deadline, milestones=milestones_of(matter),
            status=matter.status, light=light, light_reason=reason, closed_on=matter.closed_on, result=matter.result,
            cancelled_on=matter.cancelled_on, cancel_reason=matter.cancel_reason, created_by=matter.created_by, as_of=as_of,
            progress=progress, papers=tuple(papers) if full else (), timeline=timeline,
        )

    # -- progress, 报结, 撤销 ---------------------------------------------------------------------------
    def report_progress(self, matter_id: str, data: Any, actor: Principal | None = None) -> Progress:
        """Record a progress report (a department: on its own matters only); the milestones it names are done."""
        body = validated(ProgressIn, data, "进展报告的内容有误，请检查标出的字段")
        with self.register.writing() as session, session.begin():
            matter = self._visible(session, matter_id, actor)
            report = self._add_progress(session, matter, body, actor, "")
            session.flush()
            return _progress_of(report)

    def _add_progress(self, session: Session, matter: Matter, body: ProgressIn, actor: Principal | None, prefix: str) -> ProgressReport:
        if matter.status != "open":
            raise Conflict(f"督查事项 {matter.code} {STATUSES[matter.status]}，不能再报送进展", [ErrorDetail(field_path(prefix, "matter"), STATUSES[matter.status])])
        today = self.today()
        reported = body.reported_on or today
        errors = []
        if reported > today:
            errors.append(ErrorDetail(field_path(prefix, "reported_on"), f"报送日期不能晚于今天（{today.isoformat()}）"))
        if reported < matter.opened_on:
            errors.append(ErrorDetail(field_path(prefix, "reported_on"), f"报送日期不能早于立项日期 {matter.opened_on.isoformat()}"))
        milestones = list(matter.milestones or [])
        for i, index in enumerate(body.milestones_done):
            if index >= len(milestones):
                errors.append(ErrorDetail(field_path(prefix, f"milestones_done.{i}"), f"没有第 {index} 个节点（共 {len(milestones)} 个，从 0 起）"))
        if len(set(body.milestones_done)) != len(body.milestones_done):
            errors.append(ErrorDetail(field_path(prefix, "milestones_done"), "同一节点只能写一次"))
        if errors:
            raise InvalidPayload("进展报告的内容有误", errors)
        for index in body.milestones_done:
            if not milestones[index].get("done_on"):
                milestones[index] = {**milestones[index], "done_on": reported.isoformat()}
        matter.milestones = milestones
        matter.updated_at = utcnow()
        report = ProgressReport(
            matter_id=matter.id, reported_on=reported, period=body.period, progress=body.progress, problems=body.problems,
            needs_coordination=body.needs_coordination, milestones_done=list(body.milestones_done),
            reported_by=actor.name if actor else None,
        )
        session.add(report)
        if actor is not None:
            session.add(audit_entry(actor, "progress", matter.code, detail={"id": matter.id, "period": body.period,
                                                                          "reported_on": reported.isoformat()}))
        return report

    def close(self, matter_id: str, data: Any, actor: Principal | None = None) -> MatterView:
        """报结: the matter is done (409 unless it is open)."""
        body = validated(CloseIn, data, "报结的内容有误，请检查标出的字段")
        today = self.today()
        with self.register.writing() as session, session.begin():
            matter = self._visible(session, matter_id, actor)
            self._check_open(matter, "报结")
            closed = body.closed_on or today
            if closed > today:
                raise InvalidPayload("报结日期有误", [ErrorDetail("closed_on", f"不能晚于今天（{today.isoformat()}）")])
            if closed < matter.opened_on:
                raise InvalidPayload("报结日期有误", [ErrorDetail("closed_on", f"不能早于立项日期 {matter.opened_on.isoformat()}")])
            matter.status, matter.closed_on, matter.result, matter.updated_at = "done", closed, body.result, utcnow()
            if actor is not None:
                session.add(audit_entry(actor, "matter", matter.code, detail={"id": matter.id, "change": "close", "closed_on": closed.isoformat()}))
            session.flush()
            return self._view(session, matter, today)

    def cancel(self, matter_id: str, data: Any, actor: Principal | None = None) -> MatterView:
        """撤销 with a reason (409 unless it is open)."""
        body = validated(CancelIn, data, "撤销须写明理由")
        today = self.today()
        with self.register.writing() as session, session.begin():
            matter = self._visible(session, matter_id, actor)
            self._check_open(matter, "撤销")
            matter.status, matter.cancelled_on, matter.cancel_reason, matter.updated_at = "cancelled", today, body.reason, utcnow()
            if actor is not None:
                session.add(audit_entry(actor, "matter", matter.code, detail={"id": matter.id, "change": "cancel", "reason": body.reason}))
            session.flush()
            return self._view(session, matter, today)

    def _check_open(self, matter: Matter, what: str) -> None:
        if matter.status != "open":
            raise Conflict(f"督查事项 {matter.code} {STATUSES[matter.status]}，不能{what}", [ErrorDetail("status", STATUSES[matter.status])])

    # -- progress from a spreadsheet -------------------------------------------------------------------
    def import_progress(self, reports: Sequence[Any], actor: Principal | None = None, where: Sequence[str] | None = None) -> list[Progress]:
        """Several progress reports, each naming its matter (``matter``: code or id), all or none;
        every bad field and every unknown matter is listed."""
        errors: list[ErrorDetail] = []
        if not reports:
            errors.append(ErrorDetail("reports", "至少要有一条进展报告"))
        with self.register.writing() as session, session.begin():
            made = []
            for i, entry in enumerate(reports):
                loc = where[i] if where else f"reports.{i}"
                if not isinstance(entry, dict):
                    errors.append(ErrorDetail(loc, "应为 JSON 对象"))
                    continue
                entry = dict(entry)
                key = entry.pop("matter", None)
                matter = None
                if not isinstance(key, str) or not key.strip():
                    errors.append(ErrorDetail(field_path(loc, "matter"), "必填：事项编号（或 id）"))
                else:
                    try:
                        matter = self._visible(session, key, actor)
                    except NotFound:
                        errors.append(ErrorDetail(field_path(loc, "matter"), f"没有编号为 {key[:100]} 的督查事项"))
                try:
                    body = validated(ProgressIn, entry, "进展报告的内容有误", loc)
                except InvalidPayload as exc:
                    errors += exc.details
                    continue
                if matter is None:
                    continue
                try:
                    made.append(self._add_progress(session, matter, body, actor, loc))
                except (InvalidPayload, Conflict) as exc:
                    errors += exc.details or [ErrorDetail(loc, exc.message)]
                session.flush()
            if errors:
                raise InvalidPayload("进展报告有误，未导入任何一条", errors)
            return [_progress_of(r) for r in made]

    def import_progress_sheet(self, filename: str, content: bytes, actor: Principal | None = None) -> list[Progress]:
        """Progress reports from a .xlsx/.csv: one row each, columns as ``PROGRESS_COLUMNS``."""
        from docgen.services.spreadsheet import bounded_errors, read_table, to_date, to_text

        rows = read_table(filename, content)
        if not rows:
            raise InvalidPayload("文件中没有数据行", [ErrorDetail("(文件)", "表头下面至少要填一行")])
        entries, places, errors = [], [], []
        for where, cells in rows:
            entry: dict[str, Any] = {}
            for header, value in cells.items():
                name = _PROGRESS_HEADERS.get(_norm(header))
                if name is None:
                    errors.append(ErrorDetail(f"第1行.{header}", "没有这一列；可用的列：" + "、".join(t for t, _ in PROGRESS_COLUMNS)))
                    continue
                if name == "reported_on":
                    entry[name] = to_date(value)
                elif name == "period":
                    text = to_text(value).strip()
                    entry[name] = _PERIOD_WORDS.get(text, text)
                elif name == "milestones_done":
                    numbers = [n for n in re.split(r"[,，、;；\s]+", to_text(value)) if n]
                    if all(n.isdigit() and int(n) >= 1 for n in numbers):
                        entry[name] = [int(n) - 1 for n in numbers]
                    else:
                        errors.append(ErrorDetail(f"{where}.完成的节点", "应为节点序号（从 1 起），如“1、3”"))
                else:
                    entry[name] = to_text(value)
            entries.append(entry)
            places.append(where)
        if errors:
            raise InvalidPayload("进展报告表有误，未导入任何一条", bounded_errors(errors))
        try:
            return self.import_progress(entries, actor, places)
        except InvalidPayload as exc:
            exc.details = bounded_errors([ErrorDetail(_sheet_loc(d.loc), d.msg) for d in exc.details])
            raise

    def payload_from_matters(self, kind: Kind, data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
        """A 督查工作台帐 or 督查报告 payload drafted from the matters (``docgen.services.matter_drafts``)."""
        from docgen.services.matter_drafts import payload_from_matters

        return payload_from_matters(self, kind, data, prefix)

    # -- papers about a matter ---------------------------------------------------------------------
    def fill_paper(self, kind: Kind, data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
        """A paper's payload that names ``matter_id``: its recipient and the work concerned (a ``matter``
        field) from the matter where the payload leaves them out; an unknown matter is 422."""
        key = data.get("matter_id")
        loc = field_path(prefix, "matter_id")
        if not isinstance(key, str):
            raise InvalidPayload("督查事项有误", [ErrorDetail(loc, "应为督查事项的 id 或编号（文字）")])
        with self.register.reading() as session:
            matter = self.find(session, key)
            if matter is None or matter.organisation != self.office.profile.name:
                raise InvalidPayload("没有这个督查事项", [ErrorDetail(loc, f"没有 id 或编号为 {key[:100]} 的督查事项")])
            if matter.status == "cancelled":
                raise InvalidPayload("督查事项已撤销", [ErrorDetail(loc, f"{matter.code} 已撤销：{matter.cancel_reason}")])
            filled = dict(data, matter_id=matter.id)
        fields = kind.model.model_fields
        if kind.recipient_field and is_blank(filled.get(kind.recipient_field)):
            filled[kind.recipient_field] = matter.department
        if "matter" in fields and is_blank(filled.get("matter")):
            filled["matter"] = matter.title
        return filled


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


PROGRESS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("事项编号", "matter"),
    ("报送日期", "reported_on"),
    ("报送类型", "period"),
    ("工作进展", "progress"),
    ("存在问题", "problems"),
    ("需要局领导协调的问题", "needs_coordination"),
    ("完成的节点", "milestones_done"),
)
_PERIOD_WORDS = {"周报": "weekly", "月报": "monthly", "专报": "special", "专项": "special", "专项报告": "special",
                 "每周": "weekly", "每月": "monthly"}


def _norm(header: str) -> str:
    return re.sub(r"[\s（）()*＊]", "", header).lower()


_PROGRESS_HEADERS = {**{_norm(t): n for t, n in PROGRESS_COLUMNS}, **{_norm(n): n for _, n in PROGRESS_COLUMNS},
                     _norm("事项"): "matter", _norm("编号"): "matter", _norm("需要协调的问题"): "needs_coordination",
                     _norm("完成节点"): "milestones_done"}
_FIELD_TITLES = {n: t for t, n in PROGRESS_COLUMNS}


def _sheet_loc(loc: str) -> str:
    """``第3行.milestones_done.0`` -> ``第3行.完成的节点``."""
    parts = loc.split(".")
    if len(parts) >= 2 and parts[0].startswith("第") and parts[1] in _FIELD_TITLES:
        return f"{parts[0]}.{_FIELD_TITLES[parts[1]]}"
    return loc


def progress_sheet_example(prefix: str, year: int) -> bytes:
    """A .xlsx with the progress table's headers and one example row (codes start with PREFIX)."""
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "进展报告"
    sheet.append([t for t, _ in PROGRESS_COLUMNS])
    sheet.append([format_number(prefix, year, 1), f"{year}-11-19", "周报", "完成全区摸底，形成报告。", "个别机构数据未报。", "", "1"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _progress_of(r: ProgressReport) -> Progress:
    return Progress(r.id, r.matter_id, r.reported_on, r.period, r.progress, r.problems, r.needs_coordination,
                    tuple(r.milestones_done or ()), r.reported_by)


def _timeline(matter: Matter, progress: Iterable[Progress], papers: Iterable[MatterPaper]) -> tuple[TimelineEntry, ...]:
    entries = [TimelineEntry(matter.opened_on, "opened", f"立项（{matter.source}），责任单位：{matter.department}")]
    milestones = milestones_of(matter)
    for p in progress:
        text = f"{PERIODS.get(p.period, p.period)}：{p.progress}"
        if p.needs_coordination:
            text += f"（需协调：{p.needs_coordination}）"
        entries.append(TimelineEntry(p.reported_on, "progress", text, progress_id=p.id))
        for i in p.milestones_done:
            if i < len(milestones):
                entries.append(TimelineEntry(p.reported_on, "milestone", f"完成节点：{milestones[i].measure}", progress_id=p.id))
    for paper in papers:
        state = {"voided": "（已作废）", "overdue": "（逾期未回复）", "escalated": "（已升级督办）"}.get(paper.state, "")
        entries.append(TimelineEntry(paper.issued_on, "paper", f"下发{paper.title}{paper.number or ''}{state}", document_id=paper.id))
        if paper.reply is not None:
            late = "" if paper.reply.on_time in (None, True) else "（逾期）"
            entries.append(TimelineEntry(paper.reply.received_on, "reply", f"收到书面回复{late}：{paper.reply.summary}", document_id=paper.id))
    if matter.status == "done" and matter.closed_on:
        entries.append(TimelineEntry(matter.closed_on, "closed", f"报结：{matter.result or ''}"))
    if matter.status == "cancelled" and matter.cancelled_on:
        entries.append(TimelineEntry(matter.cancelled_on, "cancelled", f"撤销：{matter.cancel_reason or ''}"))
    order = {"opened": 0, "paper": 1, "reply": 2, "progress": 3, "milestone": 4, "closed": 5, "cancelled": 5}
    return tuple(sorted(entries, key=lambda e: (e.on, order[e.type])))


def _kind_titles() -> dict[str, str]:
    from docgen.kinds import KINDS

    return {k: v.title for k, v in KINDS.items()}


# -- the state of a paper ------------------------------------------------------------------------
def paper_states(session: Session, documents: Sequence[Document], as_of: dt.date) -> dict[str, tuple[str, MatterReply | None]]:
    """Each paper's state as of AS_OF and its reply, from the replies service (the one overdue rule)."""
    from docgen.services.states import states_for

    out: dict[str, tuple[str, MatterReply | None]] = {}
    if not documents:
        return out
    facts = states_for(session, documents, as_of)
    for d in documents:
        f = facts[d.id]
        reply = MatterReply(f.reply.received_on, f.reply.summary, f.reply.on_time) if f.reply is not None else None
        out[d.id] = (f.state, reply)
    return out


# -- for the reports ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class PeriodMatter:
    """A matter as it stood on a date, with the progress reports of a period."""

    view: MatterView
    status: str  # as of the date
    period_progress: tuple[Progress, ...] = field(default_factory=tuple)
    undone_milestones: tuple[Milestone, ...] = field(default_factory=tuple)


def period_matters(office: Any, start: dt.date, end: dt.date, as_of: dt.date) -> list[PeriodMatter]:
    """The matters open at some time in [START, END] (registered by END, not done or cancelled before START),
    each as of AS_OF, with the progress reports of [START, END] made by AS_OF."""
    service = Matters(office)
    with office.register.reading() as session:
        rows = list(session.execute(
            select(Matter).where(Matter.organisation == office.profile.name, Matter.opened_on <= end)
            .order_by(Matter.department, Matter.year, Matter.seq)
        ).scalars())
        rows = [m for m in rows if not (m.status == "done" and m.closed_on and m.closed_on < start)
                and not (m.status == "cancelled" and m.cancelled_on and m.cancelled_on < start)]
        papers = service._papers(session, [m.id for m in rows], as_of)
        reports: dict[str, list[Progress]] = defaultdict(list)
        ids = [m.id for m in rows]
        for i in range(0, len(ids), 500):
            for r in session.execute(
                select(ProgressReport).where(ProgressReport.matter_id.in_(ids[i:i + 500]), ProgressReport.reported_on >= start,
                                             ProgressReport.reported_on <= min(end, as_of))
                .order_by(ProgressReport.reported_on, ProgressReport.id)
            ).scalars():
                reports[r.matter_id].append(_progress_of(r))
        out = []
        for m in rows:
            view = service._view(session, m, as_of, papers=papers.get(m.id, []), full=False)
            undone = tuple(x for x in view.milestones if x.due_on and not (x.done_on and x.done_on <= as_of))
            out.append(PeriodMatter(view, status_as_of(m, as_of), tuple(reports.get(m.id, [])), undone))
    return out


def matter_titles(session: Session, matter_ids: Iterable[str | None]) -> dict[str, str]:
    """The title of each matter id given."""
    ids = sorted({i for i in matter_ids if i})
    if not ids:
        return {}
    return {matter_id: title for matter_id, title in session.execute(select(Matter.id, Matter.title).where(Matter.id.in_(ids)))}
