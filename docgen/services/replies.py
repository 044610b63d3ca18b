"""Written replies (书面回复) to the papers that ask for one.

A paper with a reply deadline (``due_on``) asks for a reply; the two offices
or the department it was sent to record it once, with the day it was
received, a summary and, if wanted, the reply itself as a file. Bad input
changes nothing. Knows nothing of Flask.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import PurePath

from docgen.errors import AlreadyReplied, ErrorDetail, InvalidPayload, NoReplyAsked, NotFound, PaperVoided
from docgen.services.accounts import Principal
from docgen.services.audit import audit_entry
from docgen.services.db import Document, Reply
from docgen.services.storage import FileStore
from docgen.services.untrusted import check_text

MAX_SUMMARY = 2000
MAX_FILE_BYTES = 20 * 1024 * 1024
# what units send back: a scan, a PDF, a Word or OFD file
FILE_TYPES = {".pdf", ".docx", ".doc", ".wps", ".ofd", ".jpg", ".jpeg", ".png", ".tif", ".tiff"}


@dataclass(frozen=True)
class ReplyFile:
    filename: str
    content: bytes


def check_reply(received_on: object, summary: object, issued_on: dt.date, today: dt.date,
                file: ReplyFile | None) -> tuple[dt.date, str]:
    """The reply's date and summary, checked; every bad field listed."""
    errors: list[ErrorDetail] = []
    day: dt.date | None = None
    if received_on in (None, ""):
        errors.append(ErrorDetail("received_on", "必填，写收到书面回复的日期，如 2026-11-27"))
    elif isinstance(received_on, dt.date):
        day = received_on
    else:
        try:
            day = dt.date.fromisoformat(str(received_on))
        except ValueError:
            errors.append(ErrorDetail("received_on", "应为日期，格式如 2026-11-27"))
    if day is not None:
        if day < issued_on:
            errors.append(ErrorDetail("received_on", f"不能早于文件的成文日期 {issued_on.isoformat()}"))
        elif day > today:
            errors.append(ErrorDetail("received_on", f"不能晚于今天（{today.isoformat()}）"))
    text = ""
    if not isinstance(summary, str) or not summary.strip():
        errors.append(ErrorDetail("summary", "必填，写回复的主要内容"))
    else:
        try:
            text = check_text("summary", summary, MAX_SUMMARY, "回复内容有误").strip()
        except InvalidPayload as exc:
            errors.extend(exc.details)
    if file is not None:
        suffix = PurePath(file.filename).suffix.lower()
        if suffix not in FILE_TYPES:
            errors.append(ErrorDetail("file", f"只收 {'、'.join(sorted(FILE_TYPES))} 文件"))
        elif not file.content:
            errors.append(ErrorDetail("file", "文件是空的"))
        elif len(file.content) > MAX_FILE_BYTES:
            errors.append(ErrorDetail("file", f"文件不能超过 {MAX_FILE_BYTES // (1024 * 1024)} MB"))
    if errors:
        raise InvalidPayload("书面回复的内容有误", errors)
    return day, text  # type: ignore[return-value]


def record_reply(register, store: FileStore, document_id: str, received_on: object, summary: object, today: dt.date,
                 file: ReplyFile | None = None, actor: Principal | None = None) -> Document:
    """Record the written reply to a paper; the paper, refreshed."""
    with register.writing() as session, session.begin():
        document = session.get(Document, document_id)
        if document is None or (actor is not None and not actor.sees_recipient(document.recipient)):
            raise NotFound(f"登记簿中没有这份文件：{document_id}")
        name = document.number or "该文件"
        if document.status == "voided":
            raise PaperVoided(f"{name}已作废，不能再登记回复")
        if document.due_on is None:
            raise NoReplyAsked(f"{name}不要求书面回复（没有回复期限）",
                               [ErrorDetail("(path).document_id", "这份文件没有回复期限")])
        earlier = session.query(Reply).filter_by(document_id=document.id).one_or_none()
        if earlier is not None:
            raise AlreadyReplied(f"{name}的书面回复已于此前登记（{earlier.received_on.isoformat()} 收到）")
        day, text = check_reply(received_on, summary, document.issued_on, today, file)
        reply = Reply(document_id=document.id, received_on=day, summary=text, recorded_by=actor.name if actor else None)
        if file is not None:
            reply.file_key = store.put(file.content, PurePath(file.filename).suffix.lower().lstrip("."))
            reply.filename = PurePath(file.filename).name[:300]
        session.add(reply)
        on_time = day <= document.due_on
        if actor is not None:
            session.add(audit_entry(actor, "reply", document.number or document.id,
                                    detail={"id": document.id, "received_on": day.isoformat(), "on_time": on_time}))
    return document


def reply_file(register, store: FileStore, document_id: str, viewer: Principal | None = None) -> tuple[str, bytes]:
    """The reply's attached file: its name and bytes."""
    with register.reading() as session:
        document = session.get(Document, document_id)
        if document is None or (viewer is not None and not viewer.sees_recipient(document.recipient)):
            raise NotFound(f"登记簿中没有这份文件：{document_id}")
        reply = session.query(Reply).filter_by(document_id=document_id).one_or_none()
    if reply is None or not reply.file_key:
        raise NotFound(f"{document.number or '该文件'}的书面回复没有附件")
    return reply.filename or f"reply{PurePath(reply.file_key).suffix}", store.get(reply.file_key)

