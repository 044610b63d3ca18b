"""The register's database: SQLAlchemy models, engines and migrations.

SQLite in the data folder by default; any SQLAlchemy URL (PostgreSQL for
several machines) through ``DOCGEN_DATABASE_URL``. The schema is managed by
Alembic (``docgen/migrations``). On SQLite, a transaction that takes a number
starts with ``BEGIN IMMEDIATE`` so that processes issuing at the same time
queue for the write lock instead of failing; on PostgreSQL the series row is
locked with ``SELECT … FOR UPDATE``.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    or_,
)
from sqlalchemy.engine import Engine
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Series(Base):
    """The last number given in one series: one kind, one organisation, one year."""

    __tablename__ = "series"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    organisation: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (UniqueConstraint("kind", "organisation", "year", name="uq_series"),)


class Document(Base):
    """One issued paper in the register."""

    __tablename__ = "documents"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    organisation: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer, index=True)
    seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    number: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)
    status: Mapped[str] = mapped_column(String(16), default="issued", index=True)
    issued_on: Mapped[dt.date] = mapped_column(Date, index=True)
    due_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    recipient: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    search_text: Mapped[str] = mapped_column(Text, default="")
    template_sha256: Mapped[str] = mapped_column(String(64))
    file_key: Mapped[str] = mapped_column(String(64))
    file_sha256: Mapped[str] = mapped_column(String(64))
    pdf_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    follows_id: Mapped[str | None] = mapped_column(ForeignKey("documents.id"), nullable=True)
    force_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    void_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    voided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    batch_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    batch_position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    issued_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    voided_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # the template version it was made with (see TemplateVersion); empty for papers issued before versions were kept
    template_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # the matter (督查事项) the paper is about, from its payload's matter_id
    matter_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    __table_args__ = (
        Index("ix_documents_kind_year_seq", "kind", "year", "seq"),
        # an item of a batch is issued once, whoever runs the batch
        Index("uq_documents_batch_position", "batch_id", "batch_position", unique=True),
    )


class TemplateVersion(Base):
    """One version of a kind's Word template: uploaded, or the bundled file once used."""

    __tablename__ = "template_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    file_key: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    # "upload" or "bundled"
    source: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str | None] = mapped_column(String(300), nullable=True)
    placeholders: Mapped[list[str]] = mapped_column(JSON, default=list)
    uploaded_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (
        UniqueConstraint("kind", "version", name="uq_template_versions_kind_version"),
        UniqueConstraint("kind", "sha256", name="uq_template_versions_kind_sha256"),
    )


class IdempotencyKey(Base):
    """A client's Idempotency-Key and what its first request got."""

    __tablename__ = "idempotency_keys"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    scope: Mapped[str] = mapped_column(String(64))
    request_sha256: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Batch(Base):
    """A batch run: its items, its progress, its outputs."""

    __tablename__ = "batches"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    issue: Mapped[bool] = mapped_column(Boolean, default=False)
    duplex: Mapped[bool] = mapped_column(Boolean, default=True)
    items: Mapped[list[Any]] = mapped_column(JSON)
    total: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    packet_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    zip_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # the packet's cover, when it was converted while the papers were made (``batch._EarlyCover``)
    cover_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    worker: Mapped[str | None] = mapped_column(String(100), nullable=True)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class BatchFile(Base):
    """One finished item of a batch: its document (if issued) and its files."""

    __tablename__ = "batch_files"
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str | None] = mapped_column(ForeignKey("documents.id"), nullable=True)
    label: Mapped[str] = mapped_column(String(300))
    recipient: Mapped[str | None] = mapped_column(String(200), nullable=True)
    docx_key: Mapped[str] = mapped_column(String(64))
    pdf_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    pages: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # the PDF of the run of papers converted together, and where this paper's pages start in it
    run_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    run_first_page: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # where the seal goes on the last page (PDF points: x0, y0, x1, y1)
    seal_box: Mapped[list[float] | None] = mapped_column(JSON, nullable=True)
    # the queue worker that converted it (host:pid)
    converted_by: Mapped[str | None] = mapped_column(String(100), nullable=True)

    @hybrid_property
    def converted(self) -> bool:
        """Converted: it has its own PDF (converted alone, or by an older docgen) or its pages in its run's PDF."""
        return self.pdf_key is not None or self.run_key is not None

    @converted.inplace.expression
    @classmethod
    def _converted_expression(cls):
        return or_(cls.pdf_key.is_not(None), cls.run_key.is_not(None))

    @property
    def run_pages(self) -> list[int] | None:
        """This paper's pages in its run's PDF (``run_key``), or None when it was converted alone."""
        if self.run_key is None or self.run_first_page is None or not self.pages:
            return None
        return list(range(self.run_first_page, self.run_first_page + self.pages))


class User(Base):
    """A person who signs in to the web form (or asks for a token with a password)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    department: Mapped[str | None] = mapped_column(String(200), nullable=True)
    password_hash: Mapped[str | None] = mapped_column(String(300), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ApiToken(Base):
    """A bearer token bound to a role; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    department: Mapped[str | None] = mapped_column(String(200), nullable=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class AuditEntry(Base):
    """Who did what, when: one issue, void, reply, report, matter change, upload or login."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100), index=True)
    role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str | None] = mapped_column(String(300), nullable=True)
    outcome: Mapped[str] = mapped_column(String(16), default="ok")
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Matter(Base):
    """One piece of work under supervision (督查事项): registered, followed, closed (报结) or cancelled."""

    __tablename__ = "matters"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer, index=True)
    seq: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(200), index=True)
    leader: Mapped[str | None] = mapped_column(String(100), nullable=True)
    opened_on: Mapped[dt.date] = mapped_column(Date, index=True)
    deadline: Mapped[dt.date] = mapped_column(Date, index=True)
    # [{"due_on": "2026-03-31" | null, "measure": "…", "done_on": "…" | null}], in the ledger's order
    milestones: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    closed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    result: Mapped[str | None] = mapped_column(Text, nullable=True)
    cancelled_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # where a matter imported from a 重点工作台帐 came from: {"year", "department", "row"}
    origin: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ProgressReport(Base):
    """A department's progress report on one matter (周报, 月报 or 专报)."""

    __tablename__ = "progress_reports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matter_id: Mapped[str] = mapped_column(ForeignKey("matters.id"), index=True)
    reported_on: Mapped[dt.date] = mapped_column(Date, index=True)
    period: Mapped[str] = mapped_column(String(16))
    progress: Mapped[str] = mapped_column(Text)
    problems: Mapped[str | None] = mapped_column(Text, nullable=True)
    needs_coordination: Mapped[str | None] = mapped_column(Text, nullable=True)
    # indexes into the matter's milestones that this report marks done
    milestones_done: Mapped[list[int]] = mapped_column(JSON, default=list)
    reported_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Reply(Base):
    """The written reply (书面回复) to a paper that asks for one; at most one a paper."""

    __tablename__ = "replies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), unique=True)
    received_on: Mapped[dt.date] = mapped_column(Date, index=True)
    summary: Mapped[str] = mapped_column(Text)
    # the reply as the unit sent it (a scan or its .docx), in the file store
    file_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    filename: Mapped[str | None] = mapped_column(String(300), nullable=True)
    recorded_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def get_engine(url: str) -> Engine:
    """One engine per URL per process (a new one after fork)."""
    # a forked process (a gunicorn worker) must not use its parent's pooled
    # connections: two processes on one PostgreSQL socket garble the protocol
    key = f"{os.getpid()}:{url}"
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _make_engine(url)
            _engines[key] = engine
        return engine


def _make_engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, future=True)
    Path(url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False}, pool_size=10, max_overflow=20)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy's "begin" event decide how a transaction starts.
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")
        dbapi_connection.execute("PRAGMA busy_timeout=60000")
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        options = connection.get_execution_options()
        if options.get("lookup"):
            return  # Register.lookup: each statement is its own transaction, no BEGIN to pay for
        mode = "IMMEDIATE" if options.get("write_lock") else "DEFERRED"
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def session_factory(url: str) -> sessionmaker:
    return sessionmaker(get_engine(url), expire_on_commit=False)


def upgrade_database(url: str, data_dir: str | None = None) -> None:
    """Bring the schema to the newest migration (idempotent, safe across processes)."""
    from alembic import command
    from alembic.config import Config

    lock_path = Path(data_dir or ".") / ".migrate.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
        config.attributes["engine"] = get_engine(url)
        command.upgrade(config, "head")
