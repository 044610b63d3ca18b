"""The one error hierarchy of docgen and the one JSON shape every error takes.

Services raise these; the web layer maps them to HTTP answers in one place
(``docgen.api.register_error_handlers``). Nothing here imports Flask.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ErrorDetail:
    """One bad field: ``loc`` is its dotted path (``items.0.deadline``)."""

    loc: str
    msg: str

    def as_dict(self) -> dict[str, str]:
        return {"loc": self.loc, "msg": self.msg}


@dataclass
class DocgenError(Exception):
    """Base of every error docgen raises on purpose."""

    message: str
    details: list[ErrorDetail] = field(default_factory=list)
    status = 500
    code = "internal_error"

    def __str__(self) -> str:
        return self.message

    def headers(self) -> dict[str, str]:
        """HTTP headers that go with this error's answer."""
        return {}

    def as_dict(self) -> dict[str, Any]:
        return {
            "error": self.code,
            "message": self.message,
            "details": [d.as_dict() for d in self.details],
        }


class MalformedRequest(DocgenError):
    """The body could not be parsed (broken JSON, unreadable spreadsheet)."""

    status = 400
    code = "malformed_request"


class HostNotAllowed(MalformedRequest):
    """The request names a host this service does not answer for (DNS rebinding)."""

    code = "host_not_allowed"


class Unauthorized(DocgenError):
    """No credential, or one that is wrong, expired or revoked."""

    status = 401
    code = "unauthorized"


class Forbidden(DocgenError):
    """The credential is good but its role may not do this."""

    status = 403
    code = "forbidden"


class NotFound(DocgenError):
    """An unknown kind, document, batch or page."""

    status = 404
    code = "not_found"


class Conflict(DocgenError):
    """The request clashes with the current state (already voided, not ready)."""

    status = 409
    code = "conflict"


class NotReady(Conflict):
    """The thing asked for is still being made (a batch still running)."""

    code = "not_ready"


class PaperVoided(Conflict):
    """The paper was voided: nothing more is recorded against it."""

    code = "paper_voided"


class AlreadyReplied(Conflict):
    """The paper's written reply is already recorded."""

    code = "already_replied"


class AlreadyEscalated(Conflict):
    """The paper already has a next step in its chain that is not voided."""

    code = "already_escalated"


class PayloadTooLarge(DocgenError):
    """The body is larger than the configured limit."""

    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(DocgenError):
    """The body is not of a type this endpoint takes."""

    status = 415
    code = "unsupported_media_type"


class InvalidPayload(DocgenError):
    """The payload does not satisfy the kind's schema; every bad field is listed."""

    status = 422
    code = "invalid_payload"


class NoReplyAsked(InvalidPayload):
    """The paper asks for no written reply (it has no reply deadline)."""

    code = "no_reply_asked"


class NotOverdue(InvalidPayload):
    """The next step of a chain while the paper it follows is not overdue (and no ``force_reason``)."""

    code = "not_overdue"


class WrongKind(InvalidPayload):
    """The paper named is not of the kind this step follows."""

    code = "wrong_kind"


class TemplateRejected(InvalidPayload):
    """An uploaded template is unsafe or does not fit its kind; every problem is listed."""

    code = "template_rejected"


class IdempotencyMismatch(InvalidPayload):
    """An Idempotency-Key was reused with a different body."""

    code = "idempotency_key_reused"


class QueueFull(DocgenError):
    """Too much work is already queued; try again later."""

    status = 429
    code = "queue_full"


@dataclass
class ConverterBusy(QueueFull):
    """The PDF converter's queue is full; ``retry_after`` seconds is a fair wait."""

    retry_after: int = 5

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class TooManyPages(InvalidPayload):
    """The document has more pages than one conversion request may have."""

    code = "too_many_pages"

    @classmethod
    def over(cls, pages: int, limit: int) -> TooManyPages:
        return cls(
            f"文档共 {pages} 页，超过单次转换 PDF 的上限 {limit} 页，请拆分后再试",
            [ErrorDetail("(document)", f"{pages} 页，上限 {limit} 页（DOCGEN_CONVERTER_MAX_PAGES）")],
        )


class ConverterUnavailable(DocgenError):
    """The PDF converter (LibreOffice) is missing, down or failed."""

    status = 503
    code = "converter_unavailable"


class HolidayDataMissing(InvalidPayload):
    """Working days cannot be counted: the holiday data does not cover that year."""

    code = "holiday_data_missing"


class ConfigError(DocgenError):
    """A setting is invalid (a start-up error)."""

    status = 500
    code = "config_error"


class ProfileError(ConfigError):
    """The organisation profile file is missing or invalid (a start-up error)."""

    code = "profile_error"


class KindDefinitionError(ConfigError):
    """A kind's TOML definition cannot be used: the file, the field and why (a start-up error)."""

    code = "kind_definition_error"


def invalid(loc: str, msg: str, message: str = "请求内容有误") -> InvalidPayload:
    """Shorthand for a 422 about one field."""
    return InvalidPayload(message, [ErrorDetail(loc, msg)])
