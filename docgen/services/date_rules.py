"""Dates that make sense: the checks on a paper's signing date before it is issued.

- A signing date more than the profile's ``date_window_days`` (30) days before
  or after today needs a ``date_reason``.
- A paper is never dated before the paper it follows (no reason helps).
- Within a numbered series (one kind, one organisation, one year), a paper
  dated before the latest paper already numbered in it needs a ``date_reason``:
  the register never gives a later number to an earlier date silently.

Years stay 2000–2100 (``payloads.validate_payload``). The office calls
``check_signing_date`` from its one issuing path (``Office.register_paper``),
so the API, the form, batches and the CLI all meet the same rules. Errors
name the signing date's field; nothing is numbered.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from docgen.errors import ErrorDetail, InvalidPayload
from docgen.kinds import Kind, Payload
from docgen.services.db import Document
from docgen.services.register import transaction_cache
from docgen.services.untrusted import check_text

MAX_DATE_REASON = 1000


def date_reason(payload: Payload) -> str:
    """The payload's ``date_reason``, stripped ('' when none)."""
    return check_text("date_reason", getattr(payload, "date_reason", None) or "", MAX_DATE_REASON, "日期说明有误").strip()


def _loc(kind: Kind) -> str:
    return kind.signing_date_field or "issued_on"


def check_signing_date(
    kind: Kind, payload: Payload, issued_on: dt.date, today: dt.date, window_days: int, follows: Document | None = None,
) -> None:
    """The window around today and the paper followed; raises InvalidPayload naming the date field."""
    loc = _loc(kind)
    reason = date_reason(payload)
    followed_day = follows.issued_on if follows is not None else None
    if followed_day is None and kind.follows_date_field:
        followed_day = getattr(payload, kind.follows_date_field, None)
    if followed_day is not None and issued_on < followed_day:
        label = f"所依据的{follows.number or '文件'}" if follows is not None else "所依据的文件"
        raise InvalidPayload(
            "成文日期早于所依据的文件",
            [ErrorDetail(loc, f"{issued_on.isoformat()} 早于{label}的成文日期 {followed_day.isoformat()}；后一份文件不能早于前一份")],
        )
    distance = (issued_on - today).days
    if abs(distance) > window_days and not reason:
        way = f"早于今天（{today.isoformat()}）{-distance} 天" if distance < 0 else f"晚于今天（{today.isoformat()}）{distance} 天"
        raise InvalidPayload(
            f"成文日期距今超过 {window_days} 天，请写明理由",
            [ErrorDetail(loc, f"{issued_on.isoformat()} {way}，超过 {window_days} 天：如确需如此，请在“日期说明”（date_reason）写明理由")],
        )


def check_series_order(session: Session, kind: Kind, payload: Payload, organisation: str, issued_on: dt.date, number: str) -> None:
    """Inside the issuing transaction, once the number is taken: refuse an earlier date than the series' latest, unless explained.

    The series' latest date is looked up once a transaction and then kept up to date (a batch issues many papers in one).
    """
    cache = transaction_cache(session)
    key = ("latest", kind.id, organisation, issued_on.year)
    if key in cache:
        latest = cache[key]
    elif date_reason(payload):
        return
    else:
        latest = session.execute(
            select(func.max(Document.issued_on)).where(
                Document.kind == kind.id, Document.organisation == organisation, Document.year == issued_on.year,
                Document.seq.is_not(None),
            )
        ).scalar_one_or_none()
    if date_reason(payload):
        cache[key] = max(latest, issued_on) if latest else issued_on
        return
    if latest is not None and issued_on < latest:
        raise InvalidPayload(
            "成文日期早于本系列已签发的最新文件",
            [ErrorDetail(_loc(kind), f"{issued_on.isoformat()} 早于本系列已签发的最新文件的成文日期 {latest.isoformat()}，"
                                     f"却将得到更大的文号 {number}：如确需补发，请在“日期说明”（date_reason）写明理由")],
        )
    cache[key] = max(latest, issued_on) if latest else issued_on


__all__ = ["check_series_order", "check_signing_date", "date_reason"]
