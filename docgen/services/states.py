"""Where a paper stands in the supervision cycle, as of a date.

``issued`` → ``replied`` (its written reply was received) | ``overdue`` (its
reply deadline has passed with no reply) → ``escalated`` (the next step of
its chain was issued) | ``voided``. Everything is computed as of a date, so a
report for a past month sees the papers as they stood at that month's end:
a reply received later, or a next step issued later, does not count yet.
Knows nothing of Flask.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, exists, not_, or_, select
from sqlalchemy.orm import Session, aliased

from docgen.services.db import Document, Reply

STATES = ("issued", "replied", "overdue", "escalated", "voided")

# what people read
STATE_NAMES = {
    "issued": "已签发",
    "replied": "已回复",
    "overdue": "已逾期",
    "escalated": "已升级",
    "voided": "已作废",
}


@dataclass(frozen=True)
class ReplyView:
    """A recorded written reply."""

    received_on: dt.date
    summary: str
    on_time: bool
    filename: str | None = None
    recorded_by: str | None = None


@dataclass(frozen=True)
class PaperState:
    """A paper's state as of a date."""

    state: str
    as_of: dt.date
    days_overdue: int | None = None  # days past the deadline with no reply (overdue or escalated), else None
    reply: ReplyView | None = None  # recorded, and received by as_of
    followed_by: str | None = None  # the id of the next step issued by as_of

    @property
    def name(self) -> str:
        return STATE_NAMES[self.state]


def reply_view(document: Document, reply: Reply) -> ReplyView:
    on_time = document.due_on is None or reply.received_on <= document.due_on
    return ReplyView(reply.received_on, reply.summary, on_time, reply.filename, reply.recorded_by)


def state_of(document: Document, as_of: dt.date, reply: Reply | None = None, next_step: Document | None = None) -> PaperState:
    """The state of one paper as of ``as_of``, given its reply and its next step (if any)."""
    if reply is not None and reply.received_on > as_of:
        reply = None
    if next_step is not None and (next_step.status != "issued" or next_step.issued_on > as_of):
        next_step = None
    view = reply_view(document, reply) if reply is not None else None
    late = (as_of - document.due_on).days if document.due_on is not None and document.due_on < as_of else None
    if document.status == "voided":
        return PaperState("voided", as_of, reply=view)
    if next_step is not None:
        return PaperState("escalated", as_of, days_overdue=late if view is None else None, reply=view, followed_by=next_step.id)
    if view is not None:
        return PaperState("replied", as_of, reply=view)
    if late is not None:
        return PaperState("overdue", as_of, days_overdue=late)
    return PaperState("issued", as_of)


def states_for(session: Session, documents: Iterable[Document], as_of: dt.date) -> dict[str, PaperState]:
    """The states of many papers in two queries, by paper id."""
    documents = list(documents)
    ids = [d.id for d in documents]
    replies: dict[str, Reply] = {}
    next_steps: dict[str, Document] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for reply in session.execute(select(Reply).where(Reply.document_id.in_(chunk))).scalars():
            replies[reply.document_id] = reply
        rows = session.execute(
            select(Document).where(Document.follows_id.in_(chunk), Document.status == "issued").order_by(Document.issued_on)
        ).scalars()
        for step in rows:
            next_steps.setdefault(step.follows_id, step)
    return {d.id: state_of(d, as_of, replies.get(d.id), next_steps.get(d.id)) for d in documents}


def state_condition(state: str, as_of: dt.date):
    """A SQL condition on ``Document`` that holds for papers in ``state`` as of ``as_of`` (the same rules as ``state_of``)."""
    step = aliased(Document)
    escalated = exists().where(step.follows_id == Document.id, step.status == "issued", step.issued_on <= as_of)
    replied = exists().where(Reply.document_id == Document.id, Reply.received_on <= as_of)
    live = Document.status == "issued"
    if state == "voided":
        return Document.status == "voided"
    if state == "escalated":
        return and_(live, escalated)
    if state == "replied":
        return and_(live, not_(escalated), replied)
    late = and_(Document.due_on.is_not(None), Document.due_on < as_of)
    if state == "overdue":
        return and_(live, not_(escalated), not_(replied), late)
    if state == "issued":
        return and_(live, not_(escalated), not_(replied), or_(Document.due_on.is_(None), Document.due_on >= as_of))
    raise ValueError(state)


def overdue_documents(session: Session, as_of: dt.date, recipient: str | None = None) -> list[Document]:
    """The papers overdue as of ``as_of`` (deadline passed, no reply, no next step), oldest deadline first."""
    conditions = [state_condition("overdue", as_of)]
    if recipient is not None:
        conditions.append(Document.recipient == recipient)
    return list(session.execute(select(Document).where(*conditions).order_by(Document.due_on, Document.issued_on)).scalars())
