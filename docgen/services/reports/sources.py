"""Where the reports' facts come from: the replies service's paper states and the matters service.

The one seam between the reports and the other services of the supervision
cycle: the paper state is ``docgen.services.states.states_for`` (the ONE
overdue rule); matters, their lights and progress reports come from
``docgen.services.matters``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from docgen.services.db import Document
from docgen.services.reports.model import MatterLine, ProgressLine
from docgen.services.states import states_for

if TYPE_CHECKING:
    from docgen.services.office import Office


@dataclass(frozen=True)
class PaperFacts:
    """What a report needs of a paper's state as of a date."""

    state: str
    replied_on: dt.date | None = None
    on_time: bool | None = None
    matter: str | None = None


@dataclass(frozen=True)
class GatheredMatter:
    """A matter as a report line, with its milestones (due date, measure) still undone."""

    line: MatterLine
    milestones: tuple[tuple[dt.date, str], ...] = field(default_factory=tuple)


def paper_states(office: Office, session: Session, documents: Sequence[Document], as_of: dt.date) -> dict[str, PaperFacts]:
    """Each paper's state as of AS_OF, from the replies service, and the title of the matter it is about."""
    from docgen.services.matters import matter_titles

    titles = matter_titles(session, (d.matter_id for d in documents))
    facts = states_for(session, documents, as_of)
    return {
        d.id: PaperFacts(facts[d.id].state, facts[d.id].reply.received_on if facts[d.id].reply else None,
                         facts[d.id].reply.on_time if facts[d.id].reply else None, titles.get(d.matter_id or ""))
        for d in documents
    }

def matters(office: Office, start: dt.date, end: dt.date, as_of: dt.date) -> list[GatheredMatter]:
    """The matters open at some time in [START, END], each as of AS_OF, with that period's progress reports."""
    from docgen.services.matters import period_matters

    out = []
    for m in period_matters(office, start, end, as_of):
        v = m.view
        line = MatterLine(
            code=v.code,
            title=v.title,
            department=v.department,
            status=m.status,
            light=v.light or "green",
            deadline=v.deadline,
            leader=v.leader,
            closed_on=v.closed_on if m.status == "done" else None,
            progress=tuple(ProgressLine(p.reported_on, p.progress, p.problems or "", p.needs_coordination or "") for p in m.period_progress),
        )
        out.append(GatheredMatter(line, tuple((x.due_on, x.measure) for x in m.undone_milestones if x.due_on)))
    return out
