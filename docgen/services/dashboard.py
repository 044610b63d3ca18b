"""The clerk's dashboard: what needs doing, on one page.

Papers awaiting a reply with the days left (overdue ones with their next
step in the escalation chain), and the duties of the coming days from the
reporting calendar. Knows nothing of Flask.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import or_, select

from docgen.kinds import KINDS
from docgen.profile import Profile
from docgen.services.accounts import Principal
from docgen.services.calendar import CalendarEntry, coming_duties
from docgen.services.db import Document
from docgen.services.register import Paper, paper_of
from docgen.services.states import state_condition

MOST_PAPERS = 200


@dataclass(frozen=True)
class NextStep:
    """The paper that follows an overdue one: its kind, and the field that names the paper it follows."""

    kind: str
    title: str
    field: str | None


@dataclass(frozen=True)
class AwaitingPaper:
    """A paper whose reply is awaited."""

    paper: Paper
    days_left: int  # negative: overdue by that many days
    next_step: NextStep | None = None

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


@dataclass(frozen=True)
class Dashboard:
    today: dt.date
    awaiting: list[AwaitingPaper]
    duties: list[CalendarEntry]
    duty_days: int
    # the first year the holiday data lacks, when the coming days reach into it
    holiday_gap_year: int | None = None
    extras: dict[str, object] = field(default_factory=dict)

    @property
    def overdue(self) -> list[AwaitingPaper]:
        return [a for a in self.awaiting if a.overdue]


def next_step(profile: Profile, kind_id: str) -> NextStep | None:
    """The kind after ``kind_id`` in the profile's escalation chains (or the kind that follows it)."""
    following = None
    for steps in profile.chains.values():
        if kind_id in steps[:-1]:
            following = steps[steps.index(kind_id) + 1]
            break
    if following is None:
        following = next((k.id for k in KINDS.values() if k.follows_kind == kind_id), None)
    if following is None or following not in KINDS:
        return None
    kind = KINDS[following]
    return NextStep(kind.id, kind.title, kind.follows_field)


def awaiting_replies(office, today: dt.date, viewer: Principal | None = None) -> list[AwaitingPaper]:
    """Issued papers with a reply deadline and no next step issued yet, soonest deadline first.

    A paper whose written reply came in leaves this list (``docgen.services.states``).

    A department sees only the papers addressed to it.
    """
    titles = {k: v.title for k, v in KINDS.items()}
    conditions = [Document.due_on.is_not(None), or_(state_condition("issued", today), state_condition("overdue", today))]
    if viewer is not None and viewer.is_department:
        conditions.append(Document.recipient == viewer.department)
    with office.register.reading() as session:
        rows = session.execute(
            select(Document).where(*conditions).order_by(Document.due_on, Document.issued_on).limit(MOST_PAPERS)
        ).scalars().all()
        papers = [paper_of(d, titles) for d in rows]
    out = []
    for paper in papers:
        days_left = (paper.due_on - today).days
        out.append(AwaitingPaper(paper, days_left, next_step(office.profile, paper.kind) if days_left < 0 else None))
    return out


def clerk_dashboard(office, viewer: Principal | None = None, days: int = 14) -> Dashboard:
    """Everything the dashboard shows, as of today."""
    today = office.today()
    duties, gap = coming_duties(office.profile, today, days)
    return Dashboard(today, awaiting_replies(office, today, viewer), duties, days, gap)


__all__ = ["AwaitingPaper", "Dashboard", "NextStep", "awaiting_replies", "clerk_dashboard", "next_step"]
