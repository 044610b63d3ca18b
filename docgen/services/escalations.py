"""Escalation chains: the overdue papers and the next step of their chain, and the run that makes them.

The profile names each chain as an ordered list of kinds (seed 000: 督办提示 →
督查问责通知书; seed 002: 整改通知书 → 黄牌警告 → 追责). A paper that is
overdue as of a date (no reply, deadline passed, no next step issued) and
whose kind has a next step is listed; the run makes that next paper for every
one of them as one batch (numbered, with a packet, when ``issue``). Knows
nothing of Flask.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from docgen.errors import ErrorDetail, InvalidPayload
from docgen.services import batch as batches
from docgen.services.accounts import Principal
from docgen.services.dashboard import next_step
from docgen.services.register import Paper
from docgen.services.states import overdue_documents


@dataclass(frozen=True)
class Escalation:
    """An overdue paper and the kind of paper that follows it in its chain."""

    document: Paper
    next_kind: str
    next_title: str
    days_overdue: int


def check_as_of(as_of: dt.date | None, today: dt.date) -> dt.date:
    if as_of is None:
        return today
    if as_of > today:
        raise InvalidPayload("计算日期不能晚于今天", [ErrorDetail("as_of", f"不能晚于今天（{today.isoformat()}）")])
    return as_of


def escalations(office, as_of: dt.date | None = None, viewer: Principal | None = None) -> list[Escalation]:
    """The papers overdue as of AS_OF (default today) that have a next step, oldest deadline first."""
    as_of = check_as_of(as_of, office.today())
    recipient = viewer.department if viewer is not None and viewer.is_department else None
    with office.register.reading() as session:
        documents = overdue_documents(session, as_of, recipient)
    out = []
    for paper in office.papers(documents, as_of):
        step = next_step(office.profile, paper.kind)
        if step is not None and step.field:
            out.append(Escalation(paper, step.kind, step.title, paper.days_overdue or 0))
    return out


def run_escalations(office, as_of: dt.date | None = None, issue: bool = False, next_kind: str | None = None,
                    idempotency_key: str | None = None, *, background: bool = True, progress=None) -> dict[str, Any]:
    """The next paper of every overdue one, as one batch of one kind (``next_kind`` chooses when the chains give several)."""
    listed = escalations(office, as_of)
    kinds = sorted({e.next_kind for e in listed})
    if next_kind is not None:
        if next_kind not in kinds:
            choices = "、".join(kinds) or "无"
            raise InvalidPayload("没有需要发这种文件的逾期文件",
                                 [ErrorDetail("next_kind", f"截至该日需要发出的下一步文件种类：{choices}")])
        listed = [e for e in listed if e.next_kind == next_kind]
    elif len(kinds) > 1:
        raise InvalidPayload("逾期文件的下一步不止一种，请选定一种（next_kind）",
                             [ErrorDetail("next_kind", f"可选：{'、'.join(kinds)}")])
    if not listed:
        raise InvalidPayload("截至该日没有逾期未回复、需要发出下一步的文件",
                             [ErrorDetail("as_of", "没有逾期的文件")])
    kind = listed[0].next_kind
    field = next_step(office.profile, listed[0].document.kind).field
    items = [{field: e.document.number} for e in listed]
    return batches.create_batch(office, kind, items, issue, idempotency_key=idempotency_key, background=background,
                                progress=progress)
