"""Batches: many papers of one kind, made in the background, kept in the database.

``create_batch`` checks every item first (nothing is made when one is bad),
records the batch and starts it in a thread of this process; ``get_batch``
answers from the database, so any web worker answers for any batch. The
runner issues (or drafts) the items in order, so issued numbers follow the
item order, converts them to PDF on all LibreOffice instances at once, then
builds the signing packet (``docgen.services.packet``) and a zip of the .docx
files.

Throughput: LibreOffice spends most of a small conversion on per-document
work (loading styles, exporting fonts), so a run of consecutive papers is
converted as ONE document (their bodies joined with section breaks that
restart the page numbers) and the PDF cut apart again where the footer says
``— 1 —``. When that cannot be checked (page numbers missing, numbering or
fields that would run on across papers) each paper is converted on its own.

Crash safety: the runner holds the batch by a token and a heartbeat; a batch
whose heartbeat is older than ``BATCH_STALE_SECONDS`` (a dead process) is
picked up by the next batch request in any process and continues with the
items not yet done. An item is issued at most once: its Document is found by
batch id and position, and the issue itself carries an idempotency key.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import math
import os
import re
import socket
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from docgen.errors import (
    Conflict,
    ConverterUnavailable,
    DocgenError,
    ErrorDetail,
    IdempotencyMismatch,
    InvalidPayload,
    NotFound,
    NotReady,
    QueueFull,
)
from docgen.kinds import Kind, get_kind
from docgen.services.dates import format_official_date
from docgen.services.db import Batch, BatchFile, Document, IdempotencyKey, utcnow
from docgen.services.office import PDF_MIME, Office, RenderedFile, ascii_filename, paper_filename, request_fingerprint
from docgen.services.packet import (
    CutPaper,
    PacketEntry,
    build_packet,
    page_count,
    read_pages,
    signature_box,
    split_by_page_numbers,
)
from docgen.services.register import Paper

log = logging.getLogger(__name__)

ZIP_MIME = "application/zip"
PENDING = ("queued", "running")
HEARTBEAT_SECONDS = 10.0
# papers converted in one LibreOffice pass; more is faster, fewer gives finer progress
MAX_RUN = 20

# Batches of one process issue one after another, so a batch's numbers are
# consecutive unless another process issues at the same time.
_issuing = threading.Lock()
_threads: dict[str, threading.Thread] = {}
_threads_lock = threading.Lock()
_last_sweep: dict[str, float] = {}


# -- the API -----------------------------------------------------------------------
def create_batch(
    office: Office,
    kind_id: str,
    items: Any,
    issue: bool,
    duplex: bool = True,
    idempotency_key: str | None = None,
    *,
    background: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Check every item, record the batch and start it; the batch as ``get_batch`` shows it.

    Raises InvalidPayload (every bad field of every item, as ``items.3.recipient``;
    nothing is recorded or issued), QueueFull (too many batches pending) or
    IdempotencyMismatch. With the same ``idempotency_key`` and body, the
    first batch is answered again. ``background=False`` runs the batch in
    this thread (the CLI) and answers when it is done or failed, calling
    ``progress(done, total)`` on the way.
    """
    kind = get_kind(kind_id)
    limit = int(office.settings.get("MAX_BATCH_ITEMS") or 2000)
    if not isinstance(items, list):
        raise InvalidPayload("items 应为列表", [ErrorDetail("items", "应为列表")])
    if not items:
        raise InvalidPayload("批量任务至少要有一项", [ErrorDetail("items", "至少需要 1 项")])
    if len(items) > limit:
        raise InvalidPayload(f"一个批量任务最多 {limit} 项", [ErrorDetail("items", f"最多 {limit} 项，收到 {len(items)} 项")])
    errors: list[ErrorDetail] = []
    for index, item in enumerate(items):
        try:
            if issue:  # an escalation must follow a paper in the register whose deadline has passed
                office.check_follow_up(kind.id, item, prefix=f"items.{index}")
            else:
                office.validate(kind.id, item, prefix=f"items.{index}")
        except InvalidPayload as exc:
            errors += exc.details
    if errors:
        raise InvalidPayload(f"有 {len({d.loc.split('.')[1] for d in errors})} 项内容有误，整批未生成，请改正后重新提交", errors)
    fingerprint = request_fingerprint(kind.id, {"items": items, "issue": bool(issue), "duplex": bool(duplex)})
    token = _token()
    for attempt in range(3):
        try:
            batch, created = _record(office, kind, items, bool(issue), bool(duplex), fingerprint, idempotency_key, token)
            break
        except IntegrityError:  # the same key, at the same moment, from another process
            if attempt == 2 or not idempotency_key:
                raise
    if created and not background:
        return run_batch(office, batch["id"], progress, token)
    if created:
        _start(office, batch["id"], token)
    sweep_stale_batches(office)
    return batch


def get_batch(office: Office, batch_id: str) -> dict[str, Any]:
    """The batch's progress: ``{"id", "kind", "status", "done", "total", "issue", "duplex", "error", "links"}``."""
    sweep_stale_batches(office)
    with office.register.reading() as session:
        return describe(_get(session, batch_id))


def batch_packet(office: Office, batch_id: str) -> bytes:
    """The signing packet; NotReady (409) while the batch still runs."""
    return packet_file(office, batch_id).content


def batch_zip(office: Office, batch_id: str) -> bytes:
    """Every .docx of the batch in a zip; NotReady (409) while the batch still runs."""
    return zip_file(office, batch_id).content


def packet_file(office: Office, batch_id: str) -> RenderedFile:
    batch = _finished(office, batch_id)
    return RenderedFile(
        office.store.get(batch.packet_key), f"{_title(batch)}-签批包-{_day(office, batch)}.pdf", PDF_MIME,
        ascii_filename(batch.kind, "packet", _day(office, batch), ext="pdf"),
    )


def zip_file(office: Office, batch_id: str) -> RenderedFile:
    batch = _finished(office, batch_id)
    return RenderedFile(
        office.store.get(batch.zip_key), f"{_title(batch)}-文件-{_day(office, batch)}.zip", ZIP_MIME,
        ascii_filename(batch.kind, "documents", _day(office, batch), ext="zip"),
    )


def batch_papers(office: Office, batch_id: str) -> list[dict[str, Any]]:
    """The papers made so far, in item order: position, label (the number), recipient, pages, document id."""
    with office.register.reading() as session:
        _get(session, batch_id)
        files = session.execute(select(BatchFile).where(BatchFile.batch_id == batch_id).order_by(BatchFile.position)).scalars().all()
    return [{"position": f.position, "label": f.label, "recipient": f.recipient, "pages": f.pages, "document_id": f.document_id} for f in files]


def describe(batch: Batch) -> dict[str, Any]:
    base = f"/api/v1/batches/{batch.id}"
    return {
        "id": batch.id,
        "kind": batch.kind,
        "status": batch.status,
        "done": batch.done,
        "total": batch.total,
        "issue": batch.issue,
        "duplex": batch.duplex,
        "error": batch.error,
        "created_at": batch.created_at.replace(tzinfo=dt.UTC).isoformat(),
        "links": {"self": base, "packet": f"{base}/packet.pdf", "documents": f"{base}/documents.zip"},
    }


def _get(session, batch_id: str) -> Batch:
    batch = session.get(Batch, batch_id)
    if batch is None:
        raise NotFound(f"没有这个批量任务：{batch_id}")
    return batch


def _finished(office: Office, batch_id: str) -> Batch:
    sweep_stale_batches(office)
    with office.register.reading() as session:
        batch = _get(session, batch_id)
    if batch.status == "failed":
        message = (batch.error or {}).get("message", "")
        raise Conflict(f"批量任务已失败，没有签批包：{message}", [ErrorDetail("(batch).status", "failed")])
    if batch.status != "done":
        raise NotReady(
            f"批量任务尚未完成（已完成 {batch.done}/{batch.total}），请稍后再取",
            [ErrorDetail("(batch).done", f"{batch.done}/{batch.total}")],
        )
    return batch


def _title(batch: Batch) -> str:
    return get_kind(batch.kind).title


def _day(office: Office, batch: Batch) -> str:
    return batch.created_at.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(office.profile.timezone)).date().isoformat()


def _token() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _record(office, kind, items, issue, duplex, fingerprint, key, token) -> tuple[dict[str, Any], bool]:
    with office.register.writing() as session, session.begin():
        if key:
            previous = session.get(IdempotencyKey, key)
            if previous is not None:
                if previous.scope != "batch" or previous.request_sha256 != fingerprint:
                    raise IdempotencyMismatch(
                        "这个 Idempotency-Key 已用于另一份不同的请求",
                        [ErrorDetail("(header).Idempotency-Key", "同一个键只能重发完全相同的请求")],
                    )
                return describe(_get(session, previous.resource_id)), False
        limit = int(office.settings.get("MAX_PENDING_BATCHES") or 20)
        pending = session.execute(select(func.count()).select_from(Batch).where(Batch.status.in_(PENDING))).scalar_one()
        if pending >= limit:
            raise QueueFull(f"排队中的批量任务已有 {pending} 个（上限 {limit}），请稍后再提交", [ErrorDetail("(queue)", f"{pending}/{limit}")])
        now = utcnow()
        batch = Batch(
            id=uuid.uuid4().hex, kind=kind.id, status="queued", issue=issue, duplex=duplex, items=items,
            total=len(items), done=0, worker=token, heartbeat_at=now, created_at=now, updated_at=now,
        )
        session.add(batch)
        if key:
            session.add(IdempotencyKey(key=key, scope="batch", request_sha256=fingerprint, resource_id=batch.id))
        session.flush()
        return describe(batch), True


# -- running -----------------------------------------------------------------------
class _LostClaim(Exception):
    """Another process took the batch over (this one was thought dead)."""


def _start(office: Office, batch_id: str, token: str | None) -> None:
    """Run the batch in a background thread of this process (once per process)."""
    with _threads_lock:
        running = _threads.get(batch_id)
        if running is not None and running.is_alive():
            return
        thread = threading.Thread(target=run_batch, args=(office, batch_id), kwargs={"token": token}, name=f"docgen-batch-{batch_id[:8]}", daemon=True)
        _threads[batch_id] = thread
        thread.start()


def sweep_stale_batches(office: Office, every: float = 5.0) -> list[str]:
    """Pick up batches whose runner died (heartbeat too old); at most every ``every`` seconds per process."""
    url = office.settings["DATABASE_URL"]
    now = time.monotonic()
    if now - _last_sweep.get(url, -every) < every:
        return []
    _last_sweep[url] = now
    cutoff = utcnow() - dt.timedelta(seconds=_stale_seconds(office))
    with office.register.reading() as session:
        ids = session.execute(select(Batch.id).where(Batch.status.in_(PENDING), Batch.heartbeat_at < cutoff)).scalars().all()
    for batch_id in ids:
        log.warning("docgen batch %s: runner gone (no heartbeat since %s), resuming", batch_id, cutoff)
        _start(office, batch_id, None)
    return list(ids)


def _stale_seconds(office: Office) -> float:
    return float(office.settings.get("BATCH_STALE_SECONDS") or 120)


def _claim(office: Office, batch_id: str, token: str | None) -> str | None:
    """Take the batch: with our own token (we created it) or when its runner is dead."""
    cutoff = utcnow() - dt.timedelta(seconds=_stale_seconds(office))
    with office.register.writing() as session, session.begin():
        batch = _get(session, batch_id)
        if batch.status not in PENDING:
            return None
        if not (token and batch.worker == token) and batch.heartbeat_at and batch.heartbeat_at >= cutoff:
            return None  # someone alive holds it
        token = token if token and batch.worker == token else _token()
        batch.worker, batch.status, batch.heartbeat_at, batch.updated_at = token, "running", utcnow(), utcnow()
    return token


class _Heartbeat:
    """Keeps the claim fresh from a thread; notices when it was taken over."""

    def __init__(self, office: Office, batch_id: str, token: str) -> None:
        self.office, self.batch_id, self.token = office, batch_id, token
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"docgen-heartbeat-{batch_id[:8]}", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                with self.office.register.writing() as session, session.begin():
                    result = session.execute(
                        update(Batch).where(Batch.id == self.batch_id, Batch.worker == self.token).values(heartbeat_at=utcnow())
                    )
                    if result.rowcount == 0:
                        self.lost = True
                        return
            except Exception:  # a busy database: try again at the next beat
                log.exception("docgen batch %s: heartbeat failed", self.batch_id)

    def check(self) -> None:
        if self.lost:
            raise _LostClaim(self.batch_id)


def run_batch(
    office: Office,
    batch_id: str,
    progress: Callable[[int, int], None] | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    """Run (or continue) a batch in this thread until it is done or failed; the batch at the end.

    ``progress(done, total)`` is called as papers are finished. Returns at once
    when another live process runs the batch.
    """
    token = _claim(office, batch_id, token)
    if token is None:
        with office.register.reading() as session:
            return describe(_get(session, batch_id))
    with _Heartbeat(office, batch_id, token) as heartbeat:
        try:
            _run(office, batch_id, token, heartbeat, progress)
        except _LostClaim:
            log.warning("docgen batch %s: taken over by another process; stopping here", batch_id)
        except DocgenError as exc:
            _fail(office, batch_id, token, exc.as_dict())
        except Exception as exc:
            log.exception("docgen batch %s failed", batch_id)
            _fail(office, batch_id, token, {"error": "internal_error", "message": f"批量任务中断：{exc}", "details": []})
    with office.register.reading() as session:
        return describe(_get(session, batch_id))


@dataclass
class _Paper:
    """One item on its way: its .docx made (and stored), its PDF to come."""

    position: int
    docx: bytes


def _run(office: Office, batch_id: str, token: str, heartbeat: _Heartbeat, progress) -> None:
    with office.register.reading() as session:
        batch = _get(session, batch_id)
        files = {f.position: f for f in session.execute(select(BatchFile).where(BatchFile.batch_id == batch_id)).scalars()}
    kind = get_kind(batch.kind)
    todo = [p for p in range(batch.total) if not (p in files and files[p].pdf_key)]
    size = _converter_instances(office)
    run_length = max(1, min(MAX_RUN, math.ceil(len(todo) / (2 * size)) if todo else 1))
    tracker = _Progress(batch.total - len(todo), batch.total, progress)
    cut: dict[int, CutPaper] = {}  # each paper's seal box and joined PDF, found while cutting the PDFs apart
    with ThreadPoolExecutor(size, thread_name_prefix=f"docgen-convert-{batch_id[:8]}") as pool:
        futures: list[Future] = []
        run: list[_Paper] = []
        with _issuing if batch.issue else contextlib.nullcontext():
            for position in todo:
                heartbeat.check()
                for future in futures:
                    if future.done() and future.exception():
                        raise future.exception()
                known = files.get(position)
                docx = office.store.get(known.docx_key) if known else _make(office, kind, batch, position)
                run.append(_Paper(position, docx))
                if len(run) == run_length:
                    futures.append(pool.submit(_convert_run, office, batch_id, token, run, tracker, cut))
                    run = []
        if run:
            futures.append(pool.submit(_convert_run, office, batch_id, token, run, tracker, cut))
        for future in futures:
            future.result()
    heartbeat.check()
    _finish(office, batch_id, token, kind, cut)
    tracker.report()


class _Progress:
    def __init__(self, done: int, total: int, callback) -> None:
        self.done, self.total, self.callback = done, total, callback
        self.lock = threading.Lock()

    def add(self, n: int) -> None:
        with self.lock:
            self.done += n
            self.report()

    def report(self) -> None:
        if self.callback:
            self.callback(self.done, self.total)


def _converter_instances(office: Office) -> int:
    status = office.converter_status()
    return max(1, int(status.get("total") or office.settings.get("CONVERTER_INSTANCES") or 1))


def _make(office: Office, kind: Kind, batch: Batch, position: int) -> bytes:
    """Issue (or draft) one item and record it; its .docx."""
    item = batch.items[position]
    document = None
    if batch.issue:
        with office.register.reading() as session:
            document = session.execute(
                select(Document).where(Document.batch_id == batch.id, Document.batch_position == position)
            ).scalar_one_or_none()
        if document is None:
            try:
                issued = office.issue(kind.id, item, idempotency_key=f"batch:{batch.id}:{position}", batch_id=batch.id, batch_position=position)
            except InvalidPayload as exc:
                raise InvalidPayload(
                    f"第 {position + 1} 项无法签发：{exc.message}" + (f"（前 {position} 项已签发）" if position else ""),
                    [ErrorDetail(f"items.{position}.{d.loc}", d.msg) for d in exc.details],
                ) from None
            with office.register.reading() as session:
                document = session.get(Document, issued.document.id)
        docx = office.store.get(document.file_key)
        docx_key, label, recipient = document.file_key, document.number or f"{kind.title} {position + 1}", document.recipient
    else:
        docx = office.draft(kind.id, item, "docx").content
        docx_key = office.store.put(docx, "docx")
        label = f"草稿 {position + 1}"
        recipient = item.get(kind.recipient_field) if kind.recipient_field else None
    with office.register.writing() as session, session.begin():
        if session.get(BatchFile, (batch.id, position)) is None:
            session.add(BatchFile(
                batch_id=batch.id, position=position, document_id=document.id if document else None,
                label=label[:300], recipient=recipient, docx_key=docx_key,
            ))
    return docx


def _convert_run(office: Office, batch_id: str, token: str, run: list[_Paper], tracker: _Progress, cut: dict[int, CutPaper]) -> None:
    """Convert a run of papers, store their PDFs, count them done."""
    papers = convert_papers(office, [p.docx for p in run])
    keys = [office.store.put(paper.pdf, "pdf") for paper in papers]
    with office.register.writing() as session, session.begin():
        owner = session.execute(select(Batch.worker).where(Batch.id == batch_id)).scalar_one()
        if owner != token:
            raise _LostClaim(batch_id)
        for item, paper, key in zip(run, papers, keys, strict=True):
            row = session.get(BatchFile, (batch_id, item.position))
            row.pdf_key, row.pages = key, paper.pages
            cut[item.position] = paper
            if row.document_id:
                document = session.get(Document, row.document_id)
                if document.pdf_key is None:  # the paper's own PDF download needs no new conversion
                    document.pdf_key = key
        session.execute(
            update(Batch).where(Batch.id == batch_id)
            .values(done=Batch.done + len(run), heartbeat_at=utcnow(), updated_at=utcnow())
        )
    tracker.add(len(run))


def convert_papers(office: Office, docxs: Sequence[bytes]) -> list[CutPaper]:
    """The PDFs of several papers made from one template, in one LibreOffice pass when that is safe."""
    if len(docxs) > 1:
        joined = join_documents(docxs)
        if joined is not None:
            parts = split_by_page_numbers(_to_pdf(office, joined), len(docxs))
            if parts is not None:
                return parts
            log.info("docgen batch: could not cut the joined PDF at its page numbers; converting one by one")
    out = []
    for docx in docxs:
        pdf = _to_pdf(office, docx)
        out.append(CutPaper(pdf, page_count(pdf), signature_box(read_pages(pdf, [-1])[0])))
    return out


def _to_pdf(office: Office, docx: bytes) -> bytes:
    """Office.to_pdf, tried once more when LibreOffice failed (the pool restarts a crashed instance)."""
    try:
        return office.to_pdf(docx)
    except ConverterUnavailable as exc:
        log.warning("docgen batch: conversion failed (%s); trying once more", exc.message)
        time.sleep(0.5)
        return office.to_pdf(docx)


def _finish(office: Office, batch_id: str, token: str, kind: Kind, cut: dict[int, CutPaper]) -> None:
    with office.register.reading() as session:
        batch = _get(session, batch_id)
        files = session.execute(select(BatchFile).where(BatchFile.batch_id == batch_id).order_by(BatchFile.position)).scalars().all()
    entries = []
    for f in files:
        matter = batch.items[f.position].get("matter") if isinstance(batch.items[f.position], dict) else None
        if isinstance(matter, str) and len(matter) > 12:
            matter = matter[:11] + "…"
        title = f"{kind.title}（{matter}）" if matter else kind.title
        known = cut.get(f.position)  # not after a restart: then read from the stored PDF
        entries.append(PacketEntry(
            office.store.get(f.pdf_key), f.label, f.recipient, title,
            known.signature_box if known else None, known.source if known else None,
        ))
    day = office.today()
    subtitle = f"{kind.title}　共 {len(entries)} 份　{format_official_date(day)}" + ("" if batch.issue else "（草稿，未编号）")
    packet, _ = build_packet(entries, batch.duplex, to_pdf=lambda docx: _to_pdf(office, docx), subtitle=subtitle, title=f"{kind.title}签批包")
    with office.register.reading() as session:
        numbers = dict(session.execute(select(Document.id, Document.number).where(Document.batch_id == batch_id)).all())
    archive = _zip(office, kind, files, numbers)
    packet_key, zip_key = office.store.put(packet, "pdf"), office.store.put(archive, "zip")
    with office.register.writing() as session, session.begin():
        result = session.execute(
            update(Batch).where(Batch.id == batch_id, Batch.worker == token)
            .values(status="done", done=batch.total, packet_key=packet_key, zip_key=zip_key, heartbeat_at=utcnow(), updated_at=utcnow())
        )
        if result.rowcount == 0:
            raise _LostClaim(batch_id)


def _zip(office: Office, kind: Kind, files: Sequence[BatchFile], numbers: dict[str, str | None]) -> bytes:
    """The .docx files under their Chinese names (UTF-8 names in the zip): by number, else by position and recipient."""
    buf = io.BytesIO()
    used: set[str] = set()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as archive:  # a .docx is compressed already
        for f in files:
            label = numbers.get(f.document_id) or "-".join(
                p for p in (f"{f.position + 1:03d}", f.recipient, None if f.document_id else "草稿") if p
            )
            name = paper_filename(kind, label, "docx")
            stem, n = name[:-5], 2
            while name in used:
                name, n = f"{stem}（{n}）.docx", n + 1
            used.add(name)
            archive.writestr(zipfile.ZipInfo(name, date_time=time.localtime()[:6]), office.store.get(f.docx_key))
    return buf.getvalue()


def _fail(office: Office, batch_id: str, token: str, error: dict[str, Any]) -> None:
    with office.register.writing() as session, session.begin():
        session.execute(
            update(Batch).where(Batch.id == batch_id, Batch.worker == token)
            .values(status="failed", error=error, heartbeat_at=utcnow(), updated_at=utcnow())
        )


# -- joining papers for one conversion ---------------------------------------------------
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# fields whose result would run on across joined papers
_RUN_ON_FIELDS = re.compile(rb"\b(NUMPAGES|SEQ|TOC|PAGEREF|NOTEREF|REF|AUTONUM|LISTNUM|SECTION)\b")


def join_documents(docxs: Sequence[bytes]) -> bytes | None:
    """One .docx holding the papers one after another, each a section whose page numbers start at 1.

    Only for papers from the same template (every part but the body equal);
    ``None`` when they are not, or when something would run on from one paper
    into the next in a joined document (list numbering, footnotes, page
    totals and other fields).
    """
    archives = [zipfile.ZipFile(io.BytesIO(d)) for d in docxs]
    names = archives[0].namelist()
    if "word/document.xml" not in names or any(n.startswith(("word/footnotes", "word/endnotes", "word/comments")) for n in names):
        return None
    shared = {n: archives[0].read(n) for n in names if n != "word/document.xml"}
    for archive in archives[1:]:
        if archive.namelist() != names or any(archive.read(n) != data for n, data in shared.items()):
            return None
    bodies = [a.read("word/document.xml") for a in archives]
    numbered_styles = _numbered_styles(shared.get("word/styles.xml", b""))
    for part in [*bodies, *(data for n, data in shared.items() if n.startswith(("word/header", "word/footer")))]:
        if b"<w:numPr" in part or _RUN_ON_FIELDS.search(b" ".join(re.findall(rb"<w:instrText[^>]*>([^<]*)<", part) + re.findall(rb'w:instr="([^"]*)"', part))):
            return None
    roots = [etree.fromstring(b) for b in bodies]
    for root in roots:
        used = {s.get(W + "val") for s in root.iter(W + "pStyle")}
        if used & numbered_styles:
            return None
    master = roots[0]
    master_body = master.find(W + "body")
    joined = []
    for index, root in enumerate(roots):
        body = root.find(W + "body")
        children = list(body)
        final = children.pop() if children and children[-1].tag == W + "sectPr" else None
        if final is None:
            return None
        first = next(body.iter(W + "sectPr"))
        _restart_numbering(first)
        if index < len(roots) - 1:
            last = children[-1] if children else None
            if last is None or last.tag != W + "p":
                last = etree.SubElement(body, W + "p")
                children.append(last)
            ppr = last.find(W + "pPr")
            if ppr is None:
                ppr = etree.Element(W + "pPr")
                last.insert(0, ppr)
            ppr.append(final)  # the paper's last section ends with its last paragraph
        else:
            children.append(final)
        joined += children
    for child in list(master_body):
        master_body.remove(child)
    master_body.extend(joined)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in archives[0].infolist():
            data = etree.tostring(master, xml_declaration=True, encoding="UTF-8", standalone=True) if info.filename == "word/document.xml" else shared[info.filename]
            dst.writestr(info.filename, data)
    return out.getvalue()


def _numbered_styles(styles: bytes) -> set[str]:
    """Ids of the paragraph styles that carry list numbering."""
    if b"<w:numPr" not in styles:
        return set()
    root = etree.fromstring(styles)
    based_on, out = {}, set()
    for style in root.iter(W + "style"):
        sid = style.get(W + "styleId")
        parent = style.find(W + "basedOn")
        based_on[sid] = parent.get(W + "val") if parent is not None else None
        if style.find(f"{W}pPr/{W}numPr/{W}numId") is not None:
            out.add(sid)
    for sid in based_on:  # a style based on a numbered style is numbered too
        seen, parent = {sid}, based_on[sid]
        while parent and parent not in seen:
            if parent in out:
                out.add(sid)
                break
            seen.add(parent)
            parent = based_on.get(parent)
    return out


# what comes before pgNumType in a sectPr (CT_SectPr's sequence)
_BEFORE_PAGE_NUMBERS = {"headerReference", "footerReference", "footnotePr", "endnotePr", "type", "pgSz", "pgMar", "paperSrc", "pgBorders", "lnNumType"}


def _restart_numbering(sect) -> None:
    """The section starts on a new page (the default type) with page 1."""
    for old in sect.findall(W + "type"):
        sect.remove(old)
    numbering = sect.find(W + "pgNumType")
    if numbering is None:
        numbering = etree.Element(W + "pgNumType")
        before = [c for c in sect if etree.QName(c).localname in _BEFORE_PAGE_NUMBERS]
        if before:
            before[-1].addnext(numbering)
        else:
            sect.insert(0, numbering)
    numbering.set(W + "start", "1")


# -- the monthly report to the leaders ---------------------------------------------------
_STATUS = {"issued": "已签发", "voided": "已作废"}


def monthly_report(
    office: Office, year: int, month: int, duplex: bool = True, progress: Callable[[int, int], None] | None = None
) -> bytes:
    """The monthly report to the leaders (每月27日前): a packet of the month's papers.

    The cover lists every paper of the register issued that month (number,
    title, recipient, date, reply deadline, status) and the reminders whose
    reply deadline has passed with no reply (as of today); then come the
    month's papers themselves (voided ones are listed, not included).
    ``progress(done, total)`` is called as the papers' PDFs are ready.
    """
    from docgen.services.packet import Cover, CoverTable
    from docgen.services.register import RegisterQuery

    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise InvalidPayload("年度或月份有误", [ErrorDetail("year/month", "年度 2000–2100，月份 1–12")])
    papers = _all(office, RegisterQuery(year=year, month=month))
    papers.sort(key=lambda d: (d.issued_on, d.kind, _sequence(d.number)))
    today = office.today()
    overdue = _all(office, RegisterQuery(overdue=True))
    overdue.sort(key=lambda d: (d.due_on, _sequence(d.number)))
    overdue_ids = {d.id for d in overdue}

    def status(d: Paper) -> str:
        return "逾期未回复" if d.id in overdue_ids else _STATUS.get(d.status, d.status)

    def day(value: dt.date | None) -> str:
        return format_official_date(value) if value else ""

    def short(value: dt.date | None) -> str:  # within the month's year: 11月22日
        if not value:
            return ""
        return f"{value.month}月{value.day}日" if value.year == year else day(value)

    listed = CoverTable(
        f"本月签发文件（共 {len(papers)} 份）",
        ["序号", "文号", "标题", "收文单位", "成文日期", "回复期限", "状态"],
        [[str(i), d.number or "", d.title, d.recipient or "", short(d.issued_on), short(d.due_on), status(d)]
         for i, d in enumerate(papers, start=1)],
        [1.2, 4.2, 2.0, 2.4, 2.2, 2.2, 1.4],
        font_pt=10.5,
    )
    late = CoverTable(
        f"逾期未回复的督办提示（截至 {format_official_date(today)}，共 {len(overdue)} 份）",
        ["序号", "文号", "收文单位", "成文日期", "回复期限", "逾期天数"],
        [[str(i), d.number or "", d.recipient or "", day(d.issued_on), day(d.due_on),
          str((today - d.due_on).days)] for i, d in enumerate(overdue, start=1)],
        [1.2, 4.2, 3.0, 2.8, 2.8, 1.6],
        font_pt=10.5,
    )
    cover = Cover(
        title=f"{year}年{month}月督查工作月报",
        subtitle=f"{office.profile.name}　报局领导　{format_official_date(today)}",
        tables=[listed, late],
    )
    included = [d for d in papers if d.status != "voided"]
    tracker = _Progress(0, len(included), progress)
    tracker.report()

    def paper_pdf(d: Paper) -> bytes:
        pdf = office.document_file(d.id, "pdf").content
        tracker.add(1)
        return pdf

    with ThreadPoolExecutor(_converter_instances(office)) as pool:
        pdfs = list(pool.map(paper_pdf, included))
    entries = [
        PacketEntry(pdf, d.number or d.title, d.recipient, d.title) for d, pdf in zip(included, pdfs, strict=True)
    ]
    packet, _ = build_packet(entries, duplex, to_pdf=lambda docx: _to_pdf(office, docx), cover=cover, title=cover.title)
    return packet


def _all(office: Office, query) -> list[Paper]:
    """Every register entry a query finds, page after page."""
    query.per_page, query.page = 500, 1
    out: list[Paper] = []
    while True:
        items, total = office.search(query)
        out += items
        if not items or len(out) >= total:
            return out
        query.page += 1


def _sequence(number: str | None) -> int:
    match = re.search(r"(\d+)号$", number or "")
    return int(match.group(1)) if match else 0
