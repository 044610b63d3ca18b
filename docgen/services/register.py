"""The register of issued papers and the number series behind it."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from docgen.errors import Conflict, ErrorDetail, InvalidPayload, NotFound
from docgen.services.audit import audit_entry
from docgen.services.db import BatchFile, Document, Series, get_engine, utcnow
from docgen.services.states import PaperState, ReplyView, state_condition
from docgen.services.untrusted import check_text, search_words

if TYPE_CHECKING:
    from docgen.services.accounts import Principal

MAX_REASON = 500


def format_number(prefix: str, year: int, seq: int) -> str:
    """``督办〔2026〕7号`` after the prefix: 六角括号, the year in full, the sequence unpadded."""
    return f"{prefix}\u3014{year}\u3015{seq}号"


@dataclass
class RegisterQuery:
    """Filters for the register; every one optional."""

    kind: str | None = None
    year: int | None = None
    month: int | None = None
    status: str | None = None
    recipient: str | None = None
    q: str | None = None
    overdue: bool | None = None  # the same as state="overdue"
    state: str | None = None  # issued | replied | overdue | escalated | voided (docgen.services.states), as of AS_OF
    as_of: dt.date | None = None  # default today
    # a department's view: only papers addressed to exactly this recipient
    scope_recipient: str | None = None
    page: int = 1
    per_page: int = 50


def transaction_cache(session: Session) -> dict[Any, Any]:
    """Facts worth keeping until the end of the session's current (outermost) transaction, then forgotten."""
    transaction = session.get_transaction()
    held = session.info.get("docgen_transaction_cache")
    if held is None or held[0] is not transaction:
        held = (transaction, {})
        session.info["docgen_transaction_cache"] = held
    return held[1]


class WriterQueue:
    """Writers to one SQLite file take turns, across threads and processes.

    SQLite's own busy handler polls with growing sleeps, so under load a
    waiting writer can idle for hundreds of milliseconds after the lock is
    free; a blocking ``flock`` wakes the next writer at once.
    """

    def __init__(self, lock_path: Path) -> None:
        self.lock_path = lock_path
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    @contextmanager
    def turn(self) -> Iterator[None]:
        with self._thread_lock:
            if self._fd is None or self._pid != os.getpid():  # a new process after fork
                self._fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
                self._pid = os.getpid()
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)


class Register:
    """Database access for issuing, finding and voiding papers."""

    def __init__(self, database_url: str) -> None:
        engine = get_engine(database_url)
        self.dialect = engine.dialect.name
        self.reading = sessionmaker(engine, expire_on_commit=False)
        self._lookups = engine.execution_options(lookup=True)
        # On SQLite a writing transaction takes the database's write lock at
        # BEGIN, so concurrent issuers queue instead of deadlocking.
        self._writing = sessionmaker(engine.execution_options(write_lock=True), expire_on_commit=False)
        self._queue = None
        if self.dialect == "sqlite":
            self._queue = WriterQueue(Path(database_url.split("///", 1)[1] + ".writer.lock"))

    def lookup(self) -> Connection:
        """A connection for reads of one statement each, with Core (``with register.lookup() as c``).

        For what every request reads (its bearer token, a batch's progress):
        no ORM session, no identity map, and on SQLite no BEGIN — each
        statement is its own transaction and sees every change committed
        before it, in any process.
        """
        return self._lookups.connect()

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A session for one writing transaction (use ``with session.begin()``)."""
        if self._queue is None:
            with self._writing() as session:
                yield session
            return
        with self._queue.turn(), self._writing() as session:
            yield session

    def next_number(self, session: Session, kind: str, organisation: str, year: int) -> int:
        """Take the next sequence of a series inside the caller's transaction.

        Rolled back with the transaction, so a failed issue leaves no gap. The
        series row, once locked, is kept for the rest of the transaction (a
        batch numbers all its papers in one).
        """
        cache = transaction_cache(session)
        series = cache.get(("series", kind, organisation, year))
        if series is not None:
            series.last_seq += 1
            return series.last_seq
        insert = pg_insert if self.dialect == "postgresql" else sqlite_insert
        session.execute(
            insert(Series)
            .values(kind=kind, organisation=organisation, year=year, last_seq=0)
            .on_conflict_do_nothing(index_elements=["kind", "organisation", "year"])
        )
        series = session.execute(
            select(Series)
            .where(Series.kind == kind, Series.organisation == organisation, Series.year == year)
            .with_for_update()
        ).scalar_one()
        cache[("series", kind, organisation, year)] = series
        series.last_seq += 1
        return series.last_seq

    def find_by_number(self, session: Session, kind: str | None, number: str) -> Document | None:
        """The paper numbered NUMBER (of KIND, unless None)."""
        conditions = [Document.number == number] + ([Document.kind == kind] if kind else [])
        return session.execute(select(Document).where(*conditions)).scalar_one_or_none()

    def get(self, document_id: str) -> Document:
        with self.reading() as session:
            document = session.get(Document, document_id)
        if document is None:
            raise NotFound(f"登记簿中没有这份文件：{document_id}")
        return document

    def search(self, query: RegisterQuery, today: dt.date) -> tuple[list[Document], int]:
        conditions = []
        if query.kind:
            conditions.append(Document.kind == query.kind)
        if query.year:
            conditions.append(Document.year == query.year)
        if query.month:
            conditions.append(func.strftime("%m", Document.issued_on) == f"{query.month:02d}" if self.dialect == "sqlite"
                              else func.extract("month", Document.issued_on) == query.month)
        if query.status:
            conditions.append(Document.status == query.status)
        if query.scope_recipient is not None:
            conditions.append(Document.recipient == query.scope_recipient)
        if query.recipient:
            conditions.append(Document.recipient.contains(query.recipient, autoescape=True))
        for word in search_words(query.q):
            conditions.append(or_(Document.search_text.contains(word, autoescape=True), Document.number.contains(word, autoescape=True)))
        state = "overdue" if query.overdue else query.state
        if state:
            conditions.append(state_condition(state, query.as_of or today))
        with self.reading() as session:
            total = session.execute(select(func.count()).select_from(Document).where(*conditions)).scalar_one()
            rows = session.execute(
                select(Document)
                .where(*conditions)
                .order_by(Document.issued_on.desc(), Document.created_at.desc())
                .limit(query.per_page)
                .offset((query.page - 1) * query.per_page)
            ).scalars().all()
        return list(rows), total

    def of_batch(self, batch_id: str) -> list[Document]:
        """The papers issued by a batch, in item order."""
        with self.reading() as session:
            return list(
                session.execute(select(Document).where(Document.batch_id == batch_id).order_by(Document.batch_position)).scalars()
            )

    def follow_up_of(self, session: Session, document_id: str) -> Document | None:
        """The issued paper that escalates this one, if any."""
        return session.execute(
            select(Document).where(Document.follows_id == document_id, Document.status == "issued")
        ).scalars().first()

    def void(self, document_id: str, reason: str, actor: Principal | None = None) -> Document:
        reason = check_text("reason", reason or "", MAX_REASON, "作废理由有误").strip()
        if not reason:
            raise InvalidPayload("作废须写明理由", [ErrorDetail("reason", "必填")])
        with self.writing() as session, session.begin():
            document = session.get(Document, document_id)
            if document is None:
                raise NotFound(f"登记簿中没有这份文件：{document_id}")
            if document.status == "voided":
                raise Conflict(f"{document.number or '该文件'}已于此前作废")
            document.status = "voided"
            document.void_reason = reason
            document.voided_at = utcnow()
            if actor is not None:
                document.voided_by = actor.name
                session.add(audit_entry(actor, "void", document.number or document.id, detail={"id": document.id, "reason": reason}))
        return document

    def set_pdf(self, document_id: str, pdf_key: str) -> bool:
        """Remember the stored PDF of a paper; False if another request stored one first."""
        with self.writing() as session, session.begin():
            document = session.get(Document, document_id)
            if document is None or document.pdf_key:
                return False
            document.pdf_key = pdf_key
            return True

    def batch_pages(self, document_id: str) -> tuple[str, list[int]] | None:
        """Where a batch's paper is in the PDF its run was converted to: that PDF's key and the pages."""
        with self.reading() as session:
            row = session.execute(
                select(BatchFile).where(BatchFile.document_id == document_id, BatchFile.run_key.is_not(None))
            ).scalars().first()
        if row is None or row.run_pages is None:
            return None
        return row.run_key, row.run_pages


@dataclass(frozen=True)
class Paper:
    """One paper of the register, as the services hand it out (the API adds its links)."""

    id: str
    kind: str
    title: str
    number: str | None
    status: str
    issued_on: dt.date
    due_on: dt.date | None
    recipient: str | None
    void_reason: str | None
    follows: str | None
    force_reason: str | None
    batch_id: str | None
    payload: dict[str, Any]
    template_sha256: str | None
    file_sha256: str | None
    template_version: int | None = None
    issued_by: str | None = None
    voided_by: str | None = None
    # where it stands in the supervision cycle, as of a date (docgen.services.states)
    state: str = "issued"
    as_of: dt.date | None = None
    days_overdue: int | None = None
    reply: ReplyView | None = None
    followed_by: str | None = None


def paper_of(document: Document, titles: dict[str, str], state: PaperState | None = None) -> Paper:
    """The register row as a domain object (with its state, when known; else as just issued or voided)."""
    if state is None:
        state = PaperState("voided" if document.status == "voided" else "issued", dt.date.today())
    return Paper(
        id=document.id,
        kind=document.kind,
        title=titles.get(document.kind, document.kind),
        number=document.number,
        status=document.status,
        issued_on=document.issued_on,
        due_on=document.due_on,
        recipient=document.recipient,
        void_reason=document.void_reason,
        follows=document.follows_id,
        force_reason=document.force_reason,
        batch_id=document.batch_id,
        payload=document.payload,
        template_sha256=document.template_sha256,
        file_sha256=document.file_sha256,
        template_version=document.template_version,
        issued_by=document.issued_by,
        voided_by=document.voided_by,
        state=state.state,
        as_of=state.as_of,
        days_overdue=state.days_overdue,
        reply=state.reply,
        followed_by=state.followed_by,
    )
