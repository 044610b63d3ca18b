"""What a report says, as plain data: gathered from the register, then composed into a .docx.

The composition (``compose.py``) reads only these objects, so it is tested on
constructed figures; the gathering (``gather.py``) fills them from the
matters, the progress reports, the papers and their states as of a date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# the sections of the monthly report, in order: key -> heading (the clerk's notes use the keys)
MONTHLY_SECTIONS = (
    ("overview", "总体情况"),
    ("progress", "重点工作进展"),
    ("supervision", "督办和问责情况"),
    ("coordination", "存在问题和需要局领导协调的事项"),
    ("next_month", "下月工作重点"),
)
QUARTERLY_SECTIONS = (
    ("overview", "总体情况"),
    ("units", "各单位落实情况"),
    ("praise", "表扬"),
    ("criticism", "通报批评"),
    ("requirements", "下一步工作要求"),
)
BULLETIN_SECTIONS = (
    ("overview", "重点工作进展情况"),
    ("notices", "督查通知单下发和办理情况"),
    ("rounds", "三次督查情况"),
    ("requirements", "下步要求"),
)
LIGHTS = {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}
STATES = {
    "issued": "待回复",
    "replied": "已回复",
    "overdue": "逾期未回复",
    "escalated": "已升级",
    "voided": "已作废",
}


@dataclass(frozen=True)
class DepartmentFigures:
    """One department's matters as of the report's date: done, and the open ones by light."""

    department: str
    done: int = 0
    green: int = 0
    yellow: int = 0
    red: int = 0

    @property
    def open(self) -> int:
        return self.green + self.yellow + self.red

    @property
    def overdue(self) -> int:
        """Open matters with a deadline or milestone passed undone, or an overdue paper (red)."""
        return self.red

    @property
    def total(self) -> int:
        return self.done + self.open


@dataclass(frozen=True)
class ProgressLine:
    """One progress report of the period."""

    reported_on: dt.date
    progress: str
    problems: str = ""
    needs_coordination: str = ""


@dataclass(frozen=True)
class MatterLine:
    """One matter under supervision, with the progress reports of the period."""

    code: str
    title: str
    department: str
    status: str  # open, done, cancelled
    light: str  # green, yellow, red (open matters)
    deadline: dt.date | None = None
    leader: str | None = None
    closed_on: dt.date | None = None
    progress: tuple[ProgressLine, ...] = ()


@dataclass(frozen=True)
class PaperLine:
    """One paper issued in the period, and its state as of the report's date."""

    number: str
    kind: str
    kind_title: str
    recipient: str
    issued_on: dt.date
    state: str  # issued, replied, overdue, escalated, voided
    due_on: dt.date | None = None
    replied_on: dt.date | None = None
    on_time: bool | None = None  # of a reply
    follows: str | None = None  # the number of the paper it escalates
    matter: str | None = None  # the matter's title

    @property
    def asks_reply(self) -> bool:
        return self.due_on is not None


@dataclass(frozen=True)
class CoordinationItem:
    """A progress report marked as needing the leaders' coordination."""

    department: str
    matter: str
    text: str
    reported_on: dt.date
    leader: str | None = None


@dataclass(frozen=True)
class DueItem:
    """A milestone or a deadline of the coming month."""

    due_on: dt.date
    department: str
    matter: str
    measure: str  # the milestone's measure, or "办结时限" for a deadline
    is_deadline: bool = False


@dataclass(frozen=True)
class ReplyFigures:
    """The papers of the period that ask for a reply, by what became of it."""

    on_time: int = 0
    late: int = 0
    missing: int = 0  # overdue or escalated, with no reply
    pending: int = 0  # not yet due

    @property
    def asked(self) -> int:
        return self.on_time + self.late + self.missing + self.pending


def reply_figures(papers: list[PaperLine] | tuple[PaperLine, ...]) -> ReplyFigures:
    """Count the replies of the papers that ask for one (voided papers are left out)."""
    on_time = late = missing = pending = 0
    for p in papers:
        if not p.asks_reply or p.state == "voided":
            continue
        if p.replied_on is not None:
            if p.on_time:
                on_time += 1
            else:
                late += 1
        elif p.state in ("overdue", "escalated"):
            missing += 1
        else:
            pending += 1
    return ReplyFigures(on_time, late, missing, pending)


@dataclass(frozen=True)
class Heading:
    """Who issues a report, to whom, and its number (empty for a draft)."""

    organisation: str
    offices: tuple[str, ...]
    signed_on: dt.date
    date_style: str = "arabic"
    number: str = ""


@dataclass(frozen=True)
class MonthlyReport:
    """Everything the monthly written report to the leaders says."""

    heading: Heading
    year: int
    month: int
    as_of: dt.date
    departments: tuple[DepartmentFigures, ...]
    matters: tuple[MatterLine, ...]
    papers: tuple[PaperLine, ...]
    coordination: tuple[CoordinationItem, ...]
    next_month: tuple[DueItem, ...]
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def replies(self) -> ReplyFigures:
        return reply_figures(self.papers)

    @property
    def escalations(self) -> tuple[PaperLine, ...]:
        """Papers of the month that escalate an earlier one (a next step of a chain)."""
        return tuple(p for p in self.papers if p.follows and p.state != "voided")

    @property
    def progress_count(self) -> int:
        return sum(len(m.progress) for m in self.matters)

    @property
    def empty(self) -> bool:
        return not (self.matters or self.papers)


@dataclass(frozen=True)
class UnitLine:
    """One base unit (or department) over a quarter."""

    unit: str
    done: int = 0
    in_progress: int = 0
    overdue: int = 0
    papers_received: int = 0
    replies_on_time: int = 0
    replies_late: int = 0
    replies_missing: int = 0
    replies_pending: int = 0  # asked for, not yet due: whether they come on time is not known yet
    escalations: tuple[str, ...] = ()  # numbers of the escalation papers it received

    @property
    def all_on_time(self) -> bool:
        return (
            (self.done + self.in_progress + self.papers_received) > 0
            and not self.overdue
            and not self.replies_late
            and not self.replies_missing
            and not self.replies_pending
            and not self.escalations
        )


@dataclass(frozen=True)
class QuarterlyBulletin:
    """The quarterly bulletin to the base units."""

    heading: Heading
    year: int
    quarter: int
    as_of: dt.date
    units: tuple[UnitLine, ...]
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def praised(self) -> tuple[UnitLine, ...]:
        return tuple(u for u in self.units if u.all_on_time)

    @property
    def criticised(self) -> tuple[UnitLine, ...]:
        return tuple(u for u in self.units if u.escalations)

    @property
    def empty(self) -> bool:
        return not any(u.done + u.in_progress + u.overdue + u.papers_received for u in self.units)


@dataclass(frozen=True)
class MonthlyBulletin:
    """Seed 002's 月通报: the month's progress of the key matters, the notices and the three rounds."""

    heading: Heading
    year: int
    month: int
    as_of: dt.date
    departments: tuple[DepartmentFigures, ...]
    matters: tuple[MatterLine, ...]
    papers: tuple[PaperLine, ...]
    rounds: tuple[tuple[str, str], ...] = ()  # the chain's kinds: (kind id, title), in order
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.matters or self.papers)
