"""The kinds of paper docgen makes, by their stable ASCII id."""

from __future__ import annotations

from docgen.errors import NotFound
from docgen.kinds import (
    accountability_notice,
    key_work_ledger,
    supervision_ledger,
    supervision_prompt,
    supervision_report,
)
from docgen.kinds.base import COMMON_VARIABLES, FINDINGS, Kind, Payload

KINDS: dict[str, Kind] = {
    k.id: k
    for k in (
        key_work_ledger.KIND,
        supervision_ledger.KIND,
        supervision_report.KIND,
        supervision_prompt.KIND,
        accountability_notice.KIND,
    )
}


def get_kind(kind_id: str) -> Kind:
    """The kind with that id, or NotFound."""
    try:
        return KINDS[kind_id]
    except KeyError:
        raise NotFound(f"没有这种公文：{kind_id}；可用的有 {', '.join(KINDS)}") from None


__all__ = ["COMMON_VARIABLES", "FINDINGS", "KINDS", "Kind", "Payload", "get_kind"]
