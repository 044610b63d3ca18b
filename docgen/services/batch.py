"""Batches: many papers of one kind, made in the background, kept in the database.

``create_batch`` checks every item first (nothing is made when one is bad),
records the batch and hands it to the task queue (``docgen.tasks``);
``get_batch`` answers from the database, so any web worker answers for any
batch. The work is done in steps that any queue worker on any machine can
take, each safe to run again:

1. ``start_batch`` makes every paper: with ``issue`` all items are numbered,
   rendered and registered in ONE transaction, so their numbers are
   consecutive in item order even while single papers are issued, and a
   batch holds numbers only for papers that exist (the transaction rolls
   back whole: a batch that fails here has taken no number). It answers the
   runs of papers still to convert.
2. ``convert_run`` converts one run of papers (joined into one document,
   see below) and stores their PDFs; the run that converts the last paper
   goes on with step 3.
3. ``finish_batch`` builds the signing packet (``docgen.services.packet``)
   and a zip of the .docx files.

A batch that failed after its papers were issued keeps those papers (they
are in the register with their numbers) and is taken up again by
``resume_batch``, which converts what is missing: the same numbers, nothing
issued twice (an item's Document is unique by batch id and position).

Liveness: whoever works on a batch keeps its ``heartbeat_at`` fresh. A batch
that nobody has worked on for ``BATCH_STALE_SECONDS`` while nothing of it
waits in the queue (its worker died) is found by ``orphaned_batches``, which
the queue's watchdog runs every few seconds, and taken up again.

Throughput: LibreOffice spends most of a small conversion on per-document
work (loading styles, exporting fonts), so a run of consecutive papers is
converted as ONE document (their bodies joined with section breaks that
restart the page numbers) and the PDF cut apart again where the footer says
``— 1 —``. When that cannot be checked (page numbers missing, numbering or
fields that would run on across papers) each paper is converted on its own.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import logging
import math
import os
import re
import socket
import struct
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer

from docgen.errors import (
    Conflict,
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
from docgen.services.db import Batch, BatchFile, Document, IdempotencyKey, Series, utcnow
from docgen.services.office import PDF_MIME, Office, RenderedFile, ascii_filename, paper_filename, recipient_of, request_fingerprint
from docgen.services.packet import (
    Cover,
    CutPaper,
    PacketEntry,
    PageSource,
    build_packet,
    cover_docx,
    file_list_cover,
    page_count,
    read_pages,
    signature_box,
    split_by_page_numbers,
)
from docgen.services.register import Paper, format_number
from docgen.services.signature_page import carry_last_lines, signature_alone_on

log = logging.getLogger(__name__)

ZIP_MIME = "application/zip"
PENDING = ("queued", "running")
# papers converted in one LibreOffice pass at most; more is faster, fewer spreads a batch over more workers
MAX_RUN = 50
# with a shared queue (several machines) shorter runs, so that the waiting workers of every machine get some
SHARED_MAX_RUN = 20
HEARTBEAT_SECONDS = 2.0
# What ``describe`` shows, never ``items`` (a large JSON): clients poll this while the batch runs.
_PROGRESS = select(
    Batch.id, Batch.kind, Batch.status, Batch.done, Batch.total, Batch.issue, Batch.duplex, Batch.error, Batch.created_at
).where(Batch.id == bindparam("batch_id"))


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
    """Check every item, record the batch and queue it; the batch as ``get_batch`` shows it.

    Raises InvalidPayload (every bad field of every item, as ``items.3.recipient``;
    nothing is recorded or issued), QueueFull (too many batches pending) or
    IdempotencyMismatch. With the same ``idempotency_key`` and body, the
    first batch is answered again. ``background=False`` runs the batch in
    this process (the CLI) and answers when it is done or failed, calling
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
    for attempt in range(3):
        try:
            batch, created = _record(office, kind, items, bool(issue), bool(duplex), fingerprint, idempotency_key)
            break
        except IntegrityError:  # the same key, at the same moment, from another process
            if attempt == 2 or not idempotency_key:
                raise
    if created and not background:
        return run_batch(office, batch["id"], progress)
    if created:
        _enqueue_start(office, batch["id"])
    return batch


def get_batch(office: Office, batch_id: str) -> dict[str, Any]:
    """The batch's progress: ``{"id", "kind", "status", "done", "total", "issue", "duplex", "error", "links"}``."""
    with office.register.lookup() as connection:
        batch = connection.execute(_PROGRESS, {"batch_id": batch_id}).one_or_none()
    if batch is None:
        raise _no_such_batch(batch_id)
    return describe(batch)


def resume_batch(office: Office, batch_id: str) -> dict[str, Any]:
    """Take a failed batch up again: the papers it issued keep their numbers, the rest is made.

    Conflict (409) unless the batch has failed.
    """
    with office.register.writing() as session, session.begin():
        batch = _get(session, batch_id)
        if batch.status != "failed":
            raise Conflict(f"只有失败的批量任务可以继续，该任务状态为 {batch.status}", [ErrorDetail("(batch).status", batch.status)])
        batch.status, batch.error, batch.heartbeat_at, batch.updated_at = "queued", None, utcnow(), utcnow()
        answer = describe(batch)
    _enqueue_start(office, batch_id)
    return answer


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
    return [
        {"position": f.position, "label": f.label, "recipient": f.recipient, "pages": f.pages, "document_id": f.document_id,
         "converted_by": f.converted_by}
        for f in files
    ]


def describe(batch: Batch | Row) -> dict[str, Any]:
    """A batch as ``get_batch`` shows it, from its row or the row's columns (``_PROGRESS``)."""
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


def _get(session, batch_id: str, *options) -> Batch:
    batch = session.get(Batch, batch_id, options=options)
    if batch is None:
        raise _no_such_batch(batch_id)
    return batch


def _no_such_batch(batch_id: str) -> NotFound:
    return NotFound(f"没有这个批量任务：{batch_id}")


def _finished(office: Office, batch_id: str) -> Batch:
    with office.register.reading() as session:
        batch = _get(session, batch_id, defer(Batch.items))
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


def worker_name() -> str:
    """This process as a queue worker: host and pid."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}"


def _record(office, kind, items, issue, duplex, fingerprint, key) -> tuple[dict[str, Any], bool]:
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
            total=len(items), done=0, heartbeat_at=now, created_at=now, updated_at=now,
        )
        session.add(batch)
        if key:
            session.add(IdempotencyKey(key=key, scope="batch", request_sha256=fingerprint, resource_id=batch.id))
        session.flush()
        return describe(batch), True


def _enqueue_start(office: Office, batch_id: str) -> None:
    from docgen import queue

    queue.for_office(office).start_batch(batch_id)


# -- the steps ---------------------------------------------------------------------
def start_batch(office: Office, batch_id: str) -> list[list[int]]:
    """Step 1: make every paper not made yet; the runs of positions still to convert.

    An empty list when the batch is not pending (done, failed, or unknown to
    this step) — or when every paper is converted already (then call
    ``finish_batch``: see ``is_converted``).
    """
    with office.register.writing() as session, session.begin():
        batch = session.get(Batch, batch_id)
        if batch is None or batch.status not in PENDING:
            return []
        batch.status, batch.worker, batch.heartbeat_at, batch.updated_at = "running", worker_name(), utcnow(), utcnow()
    with heartbeat(office, batch_id):
        with office.register.reading() as session:
            batch = _get(session, batch_id)
            made = set(session.execute(select(BatchFile.position).where(BatchFile.batch_id == batch_id)).scalars())
        kind = get_kind(batch.kind)
        if len(made) < batch.total:
            early = _EarlyCover(office, kind, batch) if not made else None
            started = time.perf_counter()
            try:
                if batch.issue:
                    _issue_all(office, kind, batch)
                else:
                    _draft_all(office, kind, batch, made)
            finally:
                if early is not None:
                    early.papers_made.set()
            log.info("docgen batch %s: %d papers %s in %.2f s", batch_id, batch.total - len(made),
                     "issued" if batch.issue else "drafted", time.perf_counter() - started)
        with office.register.reading() as session:
            todo = session.execute(
                select(BatchFile.position).where(BatchFile.batch_id == batch_id, ~BatchFile.converted).order_by(BatchFile.position)
            ).scalars().all()
    return runs(list(todo), _converter_instances(office), SHARED_MAX_RUN if _shared_queue(office) else MAX_RUN)


def _shared_queue(office: Office) -> bool:
    """Workers of several machines take this office's tasks (``docgen serve``'s own SQLite queue is one machine's)."""
    from docgen.queue import is_shared

    return is_shared(office.settings.get("QUEUE_URL") or "")


def runs(positions: Sequence[int], instances: int, max_run: int = MAX_RUN) -> list[list[int]]:
    """Positions in runs for one conversion each: as few runs as keep every instance busy, of even length.

    A conversion costs about 0.1 s plus a few milliseconds a paper, so one
    long run per instance beats many short ones; runs are at most ``max_run``
    papers (LibreOffice's memory grows with the document; a queue shared by
    several machines takes shorter ones, to spread them), and their number
    is a multiple of the instances, so that the instances finish together.
    """
    if not positions:
        return []
    instances = max(1, instances)
    count = math.ceil(max(instances, math.ceil(len(positions) / max_run)) / instances) * instances
    count = min(count, len(positions))
    length, longer = divmod(len(positions), count)
    out, start = [], 0
    for index in range(count):
        end = start + length + (1 if index < longer else 0)
        out.append(list(positions[start:end]))
        start = end
    return out


def _issue_all(office: Office, kind: Kind, batch: Batch) -> None:
    """Number, render and register every item in one transaction (all or none, once per batch)."""
    stored: list[str] = []
    try:
        with office.register.writing() as session, session.begin():
            # whoever gets here second finds the papers of the first
            session.execute(select(Batch.id).where(Batch.id == batch.id).with_for_update()).scalar_one()
            if session.execute(select(func.count()).select_from(Document).where(Document.batch_id == batch.id)).scalar_one():
                return
            documents = []
            for position, item in enumerate(batch.items):
                try:
                    _, payload = office.validate(kind.id, item)
                    document, key = office.register_paper(session, kind, payload, batch.id, position, durable=False)
                except InvalidPayload as exc:
                    raise InvalidPayload(
                        f"第 {position + 1} 项无法签发：{exc.message}（整批未签发，没有占用文号）",
                        [ErrorDetail(f"items.{position}.{d.loc}", d.msg) for d in exc.details],
                    ) from None
                stored.append(key)
                documents.append(document)
            # every Document before the rows that point to them: the unit of work knows no order between the two
            # (no relationship); one flush for all papers sends their rows in one statement, not one flush a paper
            session.flush()
            session.add_all(
                BatchFile(
                    batch_id=batch.id, position=position, document_id=document.id,
                    label=_paper_label(kind, position, document.number), recipient=document.recipient, docx_key=key,
                )
                for position, (document, key) in enumerate(zip(documents, stored, strict=True))
            )
            office.store.sync(stored)  # every file on disk before the register names it
    except BaseException:
        for key in stored:
            office.store.delete(key)
        raise


def _draft_all(office: Office, kind: Kind, batch: Batch, made: set[int]) -> None:
    rows, docxs = [], []
    for position, item in enumerate(batch.items):
        if position in made:
            continue
        docxs.append((office.draft(kind.id, item, "docx").content, "docx"))
        rows.append(BatchFile(batch_id=batch.id, position=position, label=_paper_label(kind, position, issued=False),
                              recipient=_draft_recipient(kind, item)))
    for row, key in zip(rows, office.store.put_many(docxs), strict=True):
        row.docx_key = key
    with office.register.writing() as session, session.begin():
        have = set(session.execute(select(BatchFile.position).where(BatchFile.batch_id == batch.id)).scalars())
        for row in rows:
            if row.position in have:
                office.store.delete(row.docx_key)
            else:
                session.add(row)


def _paper_label(kind: Kind, position: int, number: str | None = None, *, issued: bool = True) -> str:
    """A paper's label in its batch (the cover, the bookmarks, the zip): its number, or what stands in for one."""
    if not issued:
        return f"草稿 {position + 1}"
    return (number or f"{kind.title} {position + 1}")[:300]


def _draft_recipient(kind: Kind, item: Any) -> str | None:
    """A drafted item's recipient, as given (a draft is not validated into the register)."""
    return item.get(kind.recipient_field) if kind.recipient_field else None


def convert_run(office: Office, batch_id: str, positions: Sequence[int]) -> bool:
    """Step 2: convert these papers (those not converted yet) and store their PDFs.

    True when this run converted the batch's last paper (the caller goes on
    with ``finish_batch``).
    """
    with office.register.reading() as session:
        batch = session.get(Batch, batch_id)
        if batch is None or batch.status != "running":
            return False
        rows = session.execute(
            select(BatchFile).where(BatchFile.batch_id == batch_id, BatchFile.position.in_(list(positions)), ~BatchFile.converted)
            .order_by(BatchFile.position)
        ).scalars().all()
    if not rows:
        return False
    with heartbeat(office, batch_id):
        started = time.perf_counter()
        papers = convert_papers(office, [office.store.get(r.docx_key) for r in rows])
        converted = time.perf_counter()
        # the joined PDFs once each, and the PDF of each paper converted on its own: a paper cut from a
        # joined PDF is its pages there (its own PDF is cut from it when somebody downloads it)
        sources = list({id(p.source.pdf): p.source.pdf for p in papers if p.source is not None}.items())
        alone = [index for index, paper in enumerate(papers) if paper.source is None]
        stored = office.store.put_many([(pdf, "pdf") for _, pdf in sources] + [(papers[i].pdf, "pdf") for i in alone])
        run_keys = {source_id: key for (source_id, _), key in zip(sources, stored[:len(sources)], strict=True)}
        own_keys = dict(zip(alone, stored[len(sources):], strict=True))
        used: set[str] = set()
        me = worker_name()
        with office.register.writing() as session, session.begin():
            # the rows in one query, not one a paper
            current_rows = {r.position: r for r in session.execute(
                select(BatchFile).where(BatchFile.batch_id == batch_id, BatchFile.position.in_([r.position for r in rows]))
            ).scalars()}
            for index, (row, paper) in enumerate(zip(rows, papers, strict=True)):
                current = current_rows[row.position]
                if current.converted:  # converted meanwhile by another worker
                    continue
                current.pages, current.seal_box, current.converted_by = paper.pages, list(paper.signature_box), me
                if paper.source is not None:
                    current.run_key, current.run_first_page = run_keys[id(paper.source.pdf)], paper.source.pages[0]
                    used.add(current.run_key)
                else:
                    current.pdf_key = own_keys[index]
                    used.add(current.pdf_key)
                    if current.document_id:  # the paper's own PDF download needs no new conversion
                        session.execute(update(Document).where(Document.id == current.document_id, Document.pdf_key.is_(None))
                                        .values(pdf_key=current.pdf_key))
            done = session.execute(
                select(func.count()).select_from(BatchFile).where(BatchFile.batch_id == batch_id, BatchFile.converted)
            ).scalar_one()
            session.execute(update(Batch).where(Batch.id == batch_id).values(done=done, heartbeat_at=utcnow(), updated_at=utcnow()))
    for key in set(stored) - used:  # only papers converted meanwhile by another worker
        office.store.delete(key)
    log.info("docgen batch %s: papers %d-%d converted and cut in %.2f s, stored in %.2f s", batch_id, rows[0].position + 1,
             rows[-1].position + 1, converted - started, time.perf_counter() - converted)
    return done == batch.total


def is_converted(office: Office, batch_id: str) -> bool:
    """Every paper of a running batch has its PDF (only the packet is missing)."""
    with office.register.reading() as session:
        batch = session.get(Batch, batch_id)
        if batch is None or batch.status != "running":
            return False
        done = session.execute(
            select(func.count()).select_from(BatchFile).where(BatchFile.batch_id == batch_id, BatchFile.converted)
        ).scalar_one()
    return done == batch.total


def convert_papers(office: Office, docxs: Sequence[bytes]) -> list[CutPaper]:
    """The PDFs of several papers made from one template, in one LibreOffice pass when that is safe.

    A paper whose signature block was left alone on its last page is converted again with its
    last body lines carried along (``docgen.services.signature_page``); those papers again in
    one pass.
    """
    if len(docxs) > 1:
        parts = _convert_joined(office, docxs)
        if parts is not None:
            return _keep_signatures(office, docxs, parts)
        log.info("docgen batch: could not cut the joined PDF at its page numbers; converting one by one")
    return [_cut(office.paper_pdf(docx, background=True)) for docx in docxs]


def _convert_joined(office: Office, docxs: Sequence[bytes]) -> list[CutPaper] | None:
    """The papers converted as one document and cut apart again; None when they cannot be."""
    if len(docxs) == 1:
        return [_cut(office.to_pdf(docxs[0], background=True))]
    joined = join_documents(docxs)
    if joined is None:
        return None
    return split_by_page_numbers(office.to_pdf(joined, background=True), len(docxs))


def _keep_signatures(office: Office, docxs: Sequence[bytes], parts: list[CutPaper]) -> list[CutPaper]:
    """``parts``, with those whose signature stands alone on the last page converted again, carried."""
    carried = {}
    for index, part in enumerate(parts):
        if signature_alone_on(part.pages, part.last_page):
            docx = carry_last_lines(docxs[index], part.pdf)
            if docx is not None:
                carried[index] = docx
    if not carried:
        return parts
    again = _convert_joined(office, list(carried.values()))
    if again is None:
        again = [_cut(office.to_pdf(docx, background=True)) for docx in carried.values()]
    out = list(parts)
    for index, part in zip(carried, again, strict=True):
        if not signature_alone_on(part.pages, part.last_page):
            out[index] = part
    return out


def _cut(pdf: bytes) -> CutPaper:
    last = read_pages(pdf, [-1])[0]
    return CutPaper(page_count(pdf), signature_box(last), last, own_pdf=pdf)


def _to_pdf(office: Office, docx: bytes) -> bytes:
    """Office.to_pdf as background work; the converter retries what is transient, so no retry here."""
    return office.to_pdf(docx, background=True)


def finish_batch(office: Office, batch_id: str) -> None:
    """Step 3: the signing packet and the zip, once every paper has its PDF; the batch is done."""
    early = _EarlyCover.running.get(batch_id)
    if early is not None:  # converted in this process while the papers were made: nearly done
        early.thread.join(_EarlyCover.WAIT_SECONDS)
    with office.register.reading() as session:
        batch = session.get(Batch, batch_id)
        if batch is None or batch.status != "running":
            return
        files = session.execute(select(BatchFile).where(BatchFile.batch_id == batch_id).order_by(BatchFile.position)).scalars().all()
        numbers = dict(session.execute(select(Document.id, Document.number).where(Document.batch_id == batch_id)).all())
    if len(files) < batch.total or not all(f.converted for f in files):
        return
    kind = get_kind(batch.kind)
    started = time.perf_counter()
    with heartbeat(office, batch_id):
        runs_read: dict[str, bytes] = {}  # each joined PDF once, shared by the papers cut from it
        entries = []
        for f in files:
            source = None
            if f.run_pages:
                if f.run_key not in runs_read:
                    runs_read[f.run_key] = office.store.get(f.run_key)
                source = PageSource(runs_read[f.run_key], f.run_pages)
            box = tuple(f.seal_box) if f.seal_box else None
            # a paper cut from a joined PDF is copied from that: its own PDF is not read (1000 papers: ~100 MB)
            pdf = None if source is not None else office.store.get(f.pdf_key)
            entries.append(PacketEntry(pdf, f.label, f.recipient, _entry_title(kind, batch.items[f.position]), box, source))
        cover = _batch_cover(kind, batch.issue, batch.items, [(f.label, f.recipient) for f in files], office.today())
        cover_pdf = office.store.get(batch.cover_key) if batch.cover_key and office.store.exists(batch.cover_key) else None
        with ThreadPoolExecutor(1, thread_name_prefix="docgen-zip") as background:
            # the zip (file reads and CRCs, which leave the interpreter free) beside the packet
            zipping = background.submit(_zip, office, kind, files, numbers)
            packet, _ = build_packet(entries, batch.duplex, to_pdf=lambda docx: _to_pdf(office, docx), cover=cover, cover_pdf=cover_pdf,
                                     title=f"{kind.title}签批包")
            archive = zipping.result()
        packet_key, zip_key = office.store.put_many([(packet, "pdf"), (archive, "zip")])
        with office.register.writing() as session, session.begin():
            result = session.execute(
                update(Batch).where(Batch.id == batch_id, Batch.status == "running")
                .values(status="done", done=batch.total, packet_key=packet_key, zip_key=zip_key, heartbeat_at=utcnow(), updated_at=utcnow())
            )
        if result.rowcount == 0:  # finished (or failed) meanwhile elsewhere
            office.store.delete(packet_key)
            office.store.delete(zip_key)
        else:
            log.info("docgen batch %s: packet and zip of %d papers in %.2f s", batch_id, batch.total, time.perf_counter() - started)


def _entry_title(kind: Kind, item: Any) -> str:
    """What a paper of the batch is, for its cover line: 督办提示（院感防控）."""
    matter = item.get("matter") if isinstance(item, dict) else None
    if isinstance(matter, str) and len(matter) > 12:
        matter = matter[:11] + "…"
    return f"{kind.title}（{matter}）" if matter else kind.title


def _batch_cover(kind: Kind, issue: bool, items: Sequence[Any], rows: Sequence[tuple[str, str | None]], day: dt.date) -> Cover:
    """The batch packet's cover: a line for each paper (its label and recipient in ``rows``) under the date."""
    entries = [PacketEntry(None, label, recipient, _entry_title(kind, item)) for (label, recipient), item in zip(rows, items, strict=True)]
    subtitle = f"{kind.title}　共 {len(entries)} 份　{format_official_date(day)}" + ("" if issue else "（草稿，未编号）")
    return file_list_cover(entries, subtitle=subtitle)


class _EarlyCover:
    """A batch's cover, converted while its papers are made instead of after they are converted.

    The cover lists the papers' numbers, which follow the series' last one: the cover is made
    from the numbers foreseen and converted on a LibreOffice instance the making leaves idle.
    Once the papers are made it is kept (``Batch.cover_key``) if it lists what they really
    got; otherwise (another paper of the series issued meanwhile, a signing date of the
    items' own, a follow-up paper's recipient taken from the paper it follows) it is
    dropped, and ``finish_batch`` converts the cover as before.
    """

    WAIT_SECONDS = 120.0
    running: dict[str, _EarlyCover] = {}  # batch id → the cover being made in this process

    def __init__(self, office: Office, kind: Kind, batch: Batch) -> None:
        self.office, self.kind, self.batch_id = office, kind, batch.id
        self.items, self.issue = list(batch.items), batch.issue
        self.day = office.today()
        self.labels = self._labels()  # read now, before the papers take their numbers
        self.papers_made = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"docgen-cover-{batch.id[:8]}", daemon=True)
        _EarlyCover.running[batch.id] = self
        self.thread.start()

    def _labels(self) -> list[str]:
        """Each paper's label as the batch will record it, if the series goes on from its last number."""
        kind, office, count = self.kind, self.office, len(self.items)
        settings = office.profile.for_kind(kind.id)
        if not self.issue or not settings.numbered:
            return [_paper_label(kind, position, issued=self.issue) for position in range(count)]
        with office.register.reading() as session:
            last = session.execute(select(Series.last_seq).where(
                Series.kind == kind.id, Series.organisation == office.profile.name, Series.year == self.day.year,
            )).scalar_one_or_none() or 0
        return [_paper_label(kind, i, format_number(settings.prefix, self.day.year, last + 1 + i)) for i in range(count)]

    def _run(self) -> None:
        try:
            recipients = self._recipients()
            if recipients is None:
                return
            rows = list(zip(self.labels, recipients, strict=True))
            pdf = self.office.to_pdf(cover_docx(_batch_cover(self.kind, self.issue, self.items, rows, self.day)), background=True)
            if self.papers_made.wait(self.WAIT_SECONDS):
                self._keep(rows, pdf)
        except DocgenError as exc:  # the converter down, say: the batch's own steps say so where it matters
            log.info("docgen batch %s: the cover made early is not used: %s", self.batch_id, exc.message)
        except Exception:  # noqa: BLE001 — the cover is then converted at the end, as it always was
            log.warning("docgen batch %s: the cover made early is not used", self.batch_id, exc_info=True)
        finally:
            _EarlyCover.running.pop(self.batch_id, None)

    def _recipients(self) -> list[str | None] | None:
        """Each paper's recipient as the batch will record it, or None when the labels cannot be foreseen."""
        kind = self.kind
        recipients = []
        for item in self.items:
            _, payload = self.office.validate(kind.id, item)
            if kind.signing_date_field and getattr(payload, kind.signing_date_field, None):
                return None  # the items' own dates: maybe another year's series
            recipients.append(recipient_of(kind, payload) if self.issue else _draft_recipient(kind, item))
        return recipients

    def _keep(self, foreseen: list[tuple[str, str | None]], pdf: bytes) -> None:
        """Record the cover if the papers were made with the labels and recipients it lists."""
        office = self.office
        with office.register.reading() as session:
            status = session.execute(select(Batch.status).where(Batch.id == self.batch_id)).scalar_one_or_none()
            rows = session.execute(
                select(BatchFile.label, BatchFile.recipient).where(BatchFile.batch_id == self.batch_id).order_by(BatchFile.position)
            ).all()
        if status != "running":
            return
        if [tuple(r) for r in rows] != foreseen:  # the rest of the cover follows from the items and the day
            log.info("docgen batch %s: the papers' numbers are not those foreseen; the cover is converted at the end", self.batch_id)
            return
        key = office.store.put(pdf, "pdf")
        with office.register.writing() as session, session.begin():
            result = session.execute(
                update(Batch).where(Batch.id == self.batch_id, Batch.status == "running", Batch.cover_key.is_(None)).values(cover_key=key)
            )
        if result.rowcount == 0:
            office.store.delete(key)


def fail_batch(office: Office, batch_id: str, exc: BaseException) -> None:
    """Record why a batch stopped; its issued papers keep their numbers and ``resume_batch`` goes on."""
    if isinstance(exc, DocgenError):
        error = exc.as_dict()
    else:
        log.error("docgen batch %s failed", batch_id, exc_info=exc)
        error = {"error": "internal_error", "message": f"批量任务中断：{exc}", "details": []}
    with office.register.writing() as session, session.begin():
        session.execute(
            update(Batch).where(Batch.id == batch_id, Batch.status.in_(PENDING))
            .values(status="failed", error=error, heartbeat_at=utcnow(), updated_at=utcnow())
        )


def run_batch(office: Office, batch_id: str, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Every step of a batch in this process (the CLI), runs converted side by side; the batch at the end.

    ``progress(done, total)`` is called as papers are finished.
    """
    try:
        todo = start_batch(office, batch_id)
        with office.register.reading() as session:
            batch = _get(session, batch_id)
        done = batch.total - sum(len(r) for r in todo)
        lock = threading.Lock()

        def one(run: list[int]) -> None:
            nonlocal done
            convert_run(office, batch_id, run)
            with lock:
                done += len(run)
                if progress:
                    progress(done, batch.total)

        if progress:
            progress(done, batch.total)
        with ThreadPoolExecutor(_converter_instances(office), thread_name_prefix=f"docgen-batch-{batch_id[:8]}") as pool:
            list(pool.map(one, todo))
        finish_batch(office, batch_id)
    except Exception as exc:
        fail_batch(office, batch_id, exc)
    return get_batch(office, batch_id)


# -- liveness ------------------------------------------------------------------------
class _Heartbeats:
    """Keeps ``heartbeat_at`` fresh for the batches this process works on, from one thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.working: dict[tuple[int, str], tuple[Office, int]] = {}
        self.thread: threading.Thread | None = None

    def add(self, office: Office, batch_id: str) -> None:
        with self.lock:
            key = (id(office), batch_id)
            _, count = self.working.get(key, (office, 0))
            self.working[key] = (office, count + 1)
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._loop, name="docgen-batch-heartbeat", daemon=True)
                self.thread.start()

    def remove(self, office: Office, batch_id: str) -> None:
        with self.lock:
            key = (id(office), batch_id)
            _, count = self.working.get(key, (office, 1))
            if count <= 1:
                self.working.pop(key, None)
            else:
                self.working[key] = (office, count - 1)

    def _loop(self) -> None:
        while True:
            time.sleep(HEARTBEAT_SECONDS)
            with self.lock:
                by_office: dict[int, tuple[Office, list[str]]] = {}
                for (office_id, batch_id), (office, _) in self.working.items():
                    by_office.setdefault(office_id, (office, []))[1].append(batch_id)
            for office, ids in by_office.values():
                try:
                    with office.register.writing() as session, session.begin():
                        session.execute(update(Batch).where(Batch.id.in_(ids)).values(heartbeat_at=utcnow()))
                except Exception:  # a busy database: the next beat
                    log.exception("docgen batch heartbeat failed")


_heartbeats = _Heartbeats()


class heartbeat:  # noqa: N801 - used as a context manager
    """While inside, this process keeps the batch marked alive."""

    def __init__(self, office: Office, batch_id: str) -> None:
        self.office, self.batch_id = office, batch_id

    def __enter__(self) -> None:
        _heartbeats.add(self.office, self.batch_id)

    def __exit__(self, *exc) -> None:
        _heartbeats.remove(self.office, self.batch_id)


def stale_seconds(office: Office) -> float:
    return float(office.settings.get("BATCH_STALE_SECONDS") or 6)


def orphaned_batches(office: Office, waiting: Iterable[str]) -> list[str]:
    """Batches nobody works on: pending, no heartbeat for ``BATCH_STALE_SECONDS``, none of their tasks
    ``waiting`` in the queue. Each is claimed (its heartbeat renewed) so that one caller takes it up."""
    waiting = set(waiting)
    cutoff = utcnow() - dt.timedelta(seconds=stale_seconds(office))
    with office.register.reading() as session:
        stale = session.execute(
            select(Batch.id, Batch.heartbeat_at).where(Batch.status.in_(PENDING), Batch.heartbeat_at < cutoff)
        ).all()
    taken = []
    for batch_id, beat in stale:
        if batch_id in waiting:
            continue
        with office.register.writing() as session, session.begin():
            result = session.execute(
                update(Batch).where(Batch.id == batch_id, Batch.heartbeat_at == beat, Batch.status.in_(PENDING))
                .values(heartbeat_at=utcnow(), updated_at=utcnow())
            )
        if result.rowcount:
            log.warning("docgen batch %s: nobody has worked on it since %s; taking it up again", batch_id, beat)
            taken.append(batch_id)
    return taken


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


def _converter_instances(office: Office) -> int:
    status = office.converter_status()
    return max(1, int(status.get("total") or office.settings.get("CONVERTER_INSTANCES") or 1))


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


# -- joining papers for one conversion ---------------------------------------------------
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
# fields whose result would run on across joined papers
_RUN_ON_FIELDS = re.compile(rb"\b(NUMPAGES|SEQ|TOC|PAGEREF|NOTEREF|REF|AUTONUM|LISTNUM|SECTION)\b")


def join_documents(docxs: Sequence[bytes]) -> bytes | None:
    """One .docx holding the papers one after another, each a section whose page numbers start at 1.

    Only for papers that share every part but the body and their document
    properties (styles, settings, fonts, headers and footers, relationships):
    the joined document is read only for its pages, so its properties are the
    first paper's. ``None`` when the papers differ in any other part, or when
    something would run on from one paper into the next in a joined document
    (list numbering, footnotes, page totals and other fields).
    """
    archives = [zipfile.ZipFile(io.BytesIO(d)) for d in docxs]
    names = archives[0].namelist()
    if "word/document.xml" not in names or any(n.startswith(("word/footnotes", "word/endnotes", "word/comments")) for n in names):
        return None
    own = {"word/document.xml", "docProps/core.xml", "docProps/app.xml"}  # each paper's own
    shared = {n: archives[0].read(n) for n in names if n not in own}
    first = {n: (archives[0].getinfo(n), _stored_bytes(docxs[0], archives[0].getinfo(n))) for n in shared}
    for docx, archive in zip(docxs[1:], archives[1:], strict=True):
        if archive.namelist() != names or not all(_same_part(docx, archive, n, *first[n], shared[n]) for n in shared):
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
    _inherit_headers_and_footers(joined)
    for child in list(master_body):
        master_body.remove(child)
    master_body.extend(joined)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in archives[0].infolist():
            if info.filename == "word/document.xml":
                data = etree.tostring(master, xml_declaration=True, encoding="UTF-8", standalone=True)
            else:
                data = shared[info.filename] if info.filename in shared else archives[0].read(info)
            dst.writestr(info.filename, data)
    return out.getvalue()


def _inherit_headers_and_footers(body: Sequence) -> None:
    """Drop each section's header and footer references that name the part the section before had.

    A section without a reference of a kind (default, even, first) inherits the one before
    (ECMA-376 17.10.5), so the pages stay the same; LibreOffice then does not read the
    footers anew for every section: a run of 50 papers loads in a quarter less time.
    """
    inherited: dict[tuple[str, str], str | None] = {}
    for element in body:
        sect = element if element.tag == W + "sectPr" else element.find(f"{W}pPr/{W}sectPr")
        if sect is None:
            continue
        for ref in [*sect.findall(W + "headerReference"), *sect.findall(W + "footerReference")]:
            kind = (ref.tag, ref.get(W + "type") or "default")
            rid = ref.get(R_ID)
            if inherited.get(kind) == rid:
                sect.remove(ref)
            else:
                inherited[kind] = rid


def _same_part(docx: bytes, archive: zipfile.ZipFile, name: str, info: zipfile.ZipInfo, stored: bytes | None, data: bytes) -> bool:
    """The part ``name`` of ``archive`` holds ``data`` (``info``, ``stored``: that part in the first paper).

    Papers rendered from one template store their equal parts compressed alike, so equal
    compressed bytes settle it without inflating a 350 kB styles.xml once a paper; other
    parts are read and compared.
    """
    other = archive.getinfo(name)
    if other.CRC != info.CRC or other.file_size != info.file_size:
        return False
    if stored is not None and other.compress_type == info.compress_type and _stored_bytes(docx, other) == stored:
        return True
    return archive.read(other) == data


def _stored_bytes(docx: bytes, info: zipfile.ZipInfo) -> bytes | None:
    """A part's bytes as stored in the .docx (compressed), or None when its local header is not where it says."""
    at = info.header_offset
    if docx[at:at + 4] != b"PK\x03\x04" or info.flag_bits & 0x1:
        return None
    name_length, extra_length = struct.unpack("<HH", docx[at + 26:at + 30])
    start = at + 30 + name_length + extra_length
    return docx[start:start + info.compress_size]


@functools.lru_cache(maxsize=8)  # a template's styles parsed once, not once a run
def _numbered_styles(styles: bytes) -> frozenset[str]:
    """Ids of the paragraph styles that carry list numbering."""
    if b"<w:numPr" not in styles:
        return frozenset()
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
    return frozenset(out)


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
