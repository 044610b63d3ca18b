"""The supervision office as a service: drafts, issuing, the register, PDF.

Knows nothing of Flask: the web API, the clerks' form, the CLI and batch runs
all call these methods.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import mimetypes
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from docgen.errors import AlreadyEscalated, ErrorDetail, IdempotencyMismatch, InvalidPayload, NotFound, NotOverdue, WrongKind
from docgen.kinds import BUNDLED, KINDS, Kind, KindRegistry, Payload, activate, get_kind
from docgen.profile import Profile, load_profile
from docgen.services.accounts import Accounts, Principal
from docgen.services.audit import AuditLog, audit_entry
from docgen.services.date_rules import check_series_order, check_signing_date, date_reason
from docgen.services.dates import due_date, today_in, use_holidays
from docgen.services.db import Document, IdempotencyKey, upgrade_database
from docgen.services.draft_mark import mark_as_draft
from docgen.services.external_links import strip_external_links
from docgen.services.heading_page import keep_headings_with_text
from docgen.services.holidays import load_holiday_file
from docgen.services.packet import extract_pages
from docgen.services.payloads import validate_payload
from docgen.services.register import MAX_REASON, Paper, Register, RegisterQuery, format_number, paper_of
from docgen.services.render import Renderer
from docgen.services.replies import ReplyFile, record_reply, reply_file
from docgen.services.signature_page import keep_signature_with_text
from docgen.services.states import states_for
from docgen.services.storage import FileStore, sha256
from docgen.services.templates import TemplateLibrary
from docgen.services.untrusted import check_text, safe_filename

log = logging.getLogger(__name__)

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_MIME = "application/pdf"


class _KindTitles(Mapping[str, str]):
    """The Chinese title of each kind the service issues."""

    def __getitem__(self, kind_id: str) -> str:
        return KINDS[kind_id].title

    def __iter__(self) -> Iterator[str]:
        return iter(KINDS)

    def __len__(self) -> int:
        return len(KINDS)


TITLES: Mapping[str, str] = _KindTitles()


@dataclass
class RenderedFile:
    """A file to hand to a user: its bytes, its Chinese name and its type."""

    content: bytes
    filename: str
    mimetype: str
    ascii_name: str = ""  # a meaningful ASCII name for clients that cannot read the Chinese one


@dataclass
class Issued:
    """The answer to an issue: the register entry, and whether this request made it."""

    document: Paper
    created: bool


def paper_filename(kind: Kind, label: str, ext: str) -> str:
    """``督办提示-XX督办〔2026〕7号.docx``: the title, then the number or a label."""
    return f"{kind.title}-{safe_filename(label, '草稿')}.{ext}"


def ascii_filename(kind_id: str, *parts: object, ext: str) -> str:
    """``supervision-prompt-2026-7.docx``: the kind's id, then what tells this file apart."""
    return "-".join([kind_id, *(str(p) for p in parts if p not in (None, ""))]) + f".{ext}"


def check_format(fmt: str) -> None:
    if fmt not in ("docx", "pdf"):
        raise InvalidPayload("不支持的文件格式", [ErrorDetail("(query).format", "只能是 docx 或 pdf")])


def request_fingerprint(kind_id: str, data: Any) -> str:
    """The same body gives the same fingerprint, whatever its key order or spacing."""
    canonical = json.dumps({"kind": kind_id, "data": data}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class Office:
    """Everything docgen does, for one organisation and one data folder."""

    def __init__(self, settings: dict[str, Any], profile: Profile | None = None, migrate: bool = True) -> None:
        self.settings = settings
        self.profile = profile or load_profile(settings.get("PROFILE") or None)
        if not self.profile.timezone:  # the profile names none: the service's time zone decides "today"
            self.profile = replace(self.profile, timezone=settings.get("TIMEZONE") or "Asia/Shanghai")
        # the operator's holiday file (DOCGEN_HOLIDAYS) for the years the library lacks; a bad file stops the start
        use_holidays(load_holiday_file(settings["HOLIDAYS"]) if settings.get("HOLIDAYS") else None)
        self.kinds: KindRegistry = BUNDLED.with_folder(self.profile.kinds_dir) if self.profile.kinds_dir else BUNDLED
        activate(self.kinds)
        self.renderer = Renderer(settings["TEMPLATES_DIR"], self.profile)
        self.store = FileStore(Path(settings["DATA_DIR"]) / "files")
        if migrate:
            upgrade_database(settings["DATABASE_URL"], settings["DATA_DIR"])
        self.register = Register(settings["DATABASE_URL"])
        self.accounts = Accounts(self.register)
        self.audit = AuditLog(self.register)
        # template versions live apart from the papers, in their own folder
        template_store = FileStore(Path(settings["DATA_DIR"]) / "templates")
        self.templates = TemplateLibrary(
            self.register,
            template_store,
            self.renderer,
            int(settings.get("TEMPLATE_MAX_BYTES") or 5 * 1024 * 1024),
            signal=Path(settings["DATA_DIR"]) / "templates" / "activated",
        )
        self._converter = None
        self._converter_lock = threading.Lock()

    def today(self) -> dt.date:
        return today_in(self.profile.timezone)

    # -- drafts -----------------------------------------------------------
    @property
    def matters(self):
        """The matters under supervision (``docgen.services.matters``)."""
        from docgen.services.matters import Matters

        return Matters(self)

    def validate(self, kind_id: str, data: Any, prefix: str = "") -> tuple[Kind, Payload]:
        kind = get_kind(kind_id)
        if isinstance(data, dict) and "from_matters" in data:
            # a 督查工作台帐 or 督查报告 drafted from the matters and their progress reports; given fields win
            data = self.matters.payload_from_matters(kind, data, prefix)
        if isinstance(data, dict) and data.get("matter_id") is not None:
            # a paper about a matter: its recipient and the work concerned come from the matter unless given
            data = self.matters.fill_paper(kind, data, prefix)
        if isinstance(data, dict) and kind.follows_field and data.get("follows") and not data.get(kind.follows_field):
            # the generic name of the paper followed (``follows``) stands for the kind's own field
            data = {**data, kind.follows_field: data["follows"]}
        return kind, validate_payload(kind, data, prefix)

    def draft(self, kind_id: str, data: Any, fmt: str = "docx") -> RenderedFile:
        """An unnumbered draft as .docx or .pdf: nothing stored, no number taken."""
        check_format(fmt)
        kind, payload = self.validate(kind_id, data)
        if kind.follows_kind:
            with self.register.reading() as session:
                payload, _ = self._complete_follow_up(session, kind, payload, check_deadline=False)
        template, _ = self.templates.current(kind)
        docx = mark_as_draft(template.render(self.renderer.context(kind, payload), self.renderer.properties(kind, payload, draft=True)))
        label = _draft_label(kind, payload)
        if fmt == "pdf":
            return RenderedFile(self.paper_pdf(docx), paper_filename(kind, label, "pdf"), PDF_MIME, ascii_filename(kind.id, "draft", ext="pdf"))
        return RenderedFile(docx, paper_filename(kind, label, "docx"), DOCX_MIME, ascii_filename(kind.id, "draft", ext="docx"))

    # -- issuing ----------------------------------------------------------
    def issue(
        self,
        kind_id: str,
        data: Any,
        idempotency_key: str | None = None,
        batch_id: str | None = None,
        batch_position: int | None = None,
        actor: Principal | None = None,
    ) -> Issued:
        """Number, date, render, store and register one paper — all or nothing.

        The number is taken inside the same transaction that registers the
        paper, after its file is safely written: if anything fails, the
        transaction rolls back, the file is removed, and the number stays free.
        """
        kind, payload = self.validate(kind_id, data)
        fingerprint = request_fingerprint(kind_id, data)
        for attempt in range(3):
            try:
                return self._issue_once(kind, payload, fingerprint, idempotency_key, batch_id, batch_position, actor)
            except IntegrityError:
                # another process registered the same idempotency key first
                # (PostgreSQL; SQLite serialises writers at BEGIN)
                if attempt == 2 or not idempotency_key:
                    raise
        raise AssertionError("unreachable")

    def _issue_once(self, kind, payload, fingerprint, idempotency_key, batch_id, batch_position, actor=None) -> Issued:
        stored_key = None
        try:
            with self.register.writing() as session, session.begin():
                if idempotency_key:
                    previous = session.get(IdempotencyKey, idempotency_key)
                    if previous is not None:
                        if previous.request_sha256 != fingerprint or previous.scope != "document":
                            raise IdempotencyMismatch(
                                "这个 Idempotency-Key 已用于另一份不同的请求",
                                [ErrorDetail("(header).Idempotency-Key", "同一个键只能重发完全相同的请求")],
                            )
                        return Issued(paper_of(session.get(Document, previous.resource_id), TITLES), False)
                document, stored_key = self.register_paper(session, kind, payload, batch_id, batch_position, actor)
                if idempotency_key:
                    session.add(IdempotencyKey(key=idempotency_key, scope="document", request_sha256=fingerprint, resource_id=document.id))
                session.flush()
                answer = paper_of(document, TITLES)
        except BaseException:
            if stored_key:
                self.store.delete(stored_key)
            raise
        return Issued(answer, True)

    def register_paper(
        self, session, kind: Kind, payload: Payload, batch_id: str | None = None, batch_position: int | None = None,
        actor: Principal | None = None, *, durable: bool = True,
    ) -> tuple[Document, str]:
        """Inside the caller's writing transaction: number, date, render, store and add one paper.

        Returns the Document (added to the session) and the key of its stored
        .docx, which the caller deletes when the transaction does not commit.
        ``durable=False``: the caller ``store.sync``s the key before it commits.
        """
        follows = None
        if kind.follows_kind:
            payload, follows = self._complete_follow_up(session, kind, payload, check_deadline=True)
        settings = self.profile.for_kind(kind.id)
        signing_day = getattr(payload, kind.signing_date_field) if kind.signing_date_field else None
        issued_on = signing_day or self.today()
        check_signing_date(kind, payload, issued_on, self.today(), self.profile.date_window_days, follows)
        due_on = None
        effective: dict[str, Any] = {}
        if kind.signing_date_field:
            effective[kind.signing_date_field] = issued_on
        if kind.reply_days_field:
            days = getattr(payload, kind.reply_days_field) or settings.reply_days
            if days:
                day_type = "calendar" if getattr(payload, "count_calendar_days", None) else settings.reply_day_type
                due_on = due_date(issued_on, days, day_type, kind.reply_days_field)
                effective[kind.reply_days_field] = days
        # the register keeps what was printed, so the paper can be made again
        payload = payload.model_copy(update=effective)
        seq = number = None
        if settings.numbered:
            seq = self.register.next_number(session, kind.id, self.profile.name, issued_on.year)
            number = format_number(settings.prefix, issued_on.year, seq)
            check_series_order(session, kind, payload, self.profile.name, issued_on, number)
        template, version = self.templates.current(kind)
        template_version = self.templates.version_for_issue(session, kind, template, version)
        docx = template.render(self.renderer.context(kind, payload, number or "", issued_on), self.renderer.properties(kind, payload, number or "", issued_on))
        stored_key = self.store.put(docx, "docx", durable=durable)
        document = Document(
            id=uuid.uuid4().hex,
            kind=kind.id,
            organisation=self.profile.name,
            year=issued_on.year,
            seq=seq,
            number=number,
            status="issued",
            issued_on=issued_on,
            due_on=due_on,
            recipient=recipient_of(kind, payload),
            payload=payload.model_dump(mode="json"),
            search_text=_search_text(kind, payload, number),
            template_sha256=template.sha256,
            template_version=template_version,
            file_key=stored_key,
            file_sha256=sha256(docx),
            follows_id=follows.id if follows else None,
            force_reason=getattr(payload, "force_reason", None),
            batch_id=batch_id,
            batch_position=batch_position,
            issued_by=actor.name if actor else None,
            # the matter it is about; an escalation step stays with the matter of the paper it follows
            matter_id=getattr(payload, "matter_id", None) or (follows.matter_id if follows else None),
        )
        session.add(document)
        if actor is not None:
            detail = {"kind": kind.id, "id": document.id}
            if date_reason(payload):
                detail["date_reason"] = date_reason(payload)
            session.add(audit_entry(actor, "issue", number or document.id, detail=detail))
        return document, stored_key

    def _complete_follow_up(self, session, kind: Kind, payload: Payload, check_deadline: bool) -> tuple[Payload, Document | None]:
        """Fill an escalation paper from the paper it follows, and check it may follow it."""
        field = kind.follows_field
        number = getattr(payload, field)
        prompt = self.register.find_by_number(session, kind.follows_kind, number)
        followed_title = TITLES[kind.follows_kind]
        taken = kind.follows_fill + ((kind.follows_date_field,) if kind.follows_date_field else ())
        if prompt is None:
            other = self.register.find_by_number(session, None, number) if number else None
            if other is not None:
                raise WrongKind(f"{number} 是{TITLES.get(other.kind, other.kind)}，{kind.title}只能跟进{followed_title}",
                                [ErrorDetail(field, f"应为{followed_title}的文号")])
            if check_deadline:
                raise InvalidPayload(f"登记簿中没有这份{followed_title}", [ErrorDetail(field, f"没有文号为 {number} 的{followed_title}")])
            missing = [f for f in taken if getattr(payload, f) is None]
            if missing:
                raise InvalidPayload(
                    f"登记簿中没有这份{followed_title}，请补全以下内容",
                    [ErrorDetail(f, f"登记簿中没有 {number}，此项需手工填写") for f in missing],
                )
            return payload, None
        if prompt.status == "voided":
            raise InvalidPayload(f"所依据的{followed_title}已作废", [ErrorDetail(field, f"{number} 已作废：{prompt.void_reason}")])
        force_reason = check_text("force_reason", getattr(payload, "force_reason", None) or "", MAX_REASON,
                                  "提前下发理由有误").strip()
        if check_deadline:
            state = states_for(session, [prompt], self.today())[prompt.id]
            if state.state == "escalated":
                step = session.get(Document, state.followed_by)
                raise AlreadyEscalated(
                    f"{number} 已有下一步文件 {step.number or step.id}（{TITLES.get(step.kind, step.kind)}），不能再发；如需重发，请先作废该文件",
                    [ErrorDetail(field, f"{number} 已于 {step.issued_on.isoformat()} 发出下一步文件")],
                )
            if state.state != "overdue" and not force_reason:
                why = (f"已于 {state.reply.received_on.isoformat()} 收到书面回复" if state.reply is not None
                       else f"回复期限为 {prompt.due_on.isoformat()}，尚未届满" if prompt.due_on else "不要求回复")
                raise NotOverdue(
                    f"{followed_title}尚未逾期，不能下发{kind.title}",
                    [ErrorDetail(field, f"{number} {why}；如确需下发，请填写“提前下发理由”（force_reason）")],
                )
        earlier = dict(prompt.payload)
        if kind.recipient_field:
            # the recipient is the followed paper's recipient, whatever its field is called there
            earlier[kind.recipient_field] = prompt.recipient
        filled: dict[str, Any] = {name: getattr(payload, name) or earlier.get(name) for name in kind.follows_fill}
        if kind.follows_date_field:
            filled[kind.follows_date_field] = prompt.issued_on
        if "force_reason" in kind.model.model_fields:
            filled["force_reason"] = force_reason or None
        return payload.model_copy(update=filled), prompt

    def check_follow_up(self, kind_id: str, data: Any, prefix: str = "") -> None:
        """Raise now what ``issue`` would raise about the paper an escalation follows
        (it is not in the register, is voided, or its reply deadline has not
        passed) and about the signing date (``date_rules``; the order within
        the series is checked when the number is taken). For checking every item of a batch before any is issued;
        ``prefix`` goes before every error path (``items.3``).
        """
        kind, payload = self.validate(kind_id, data, prefix)
        try:
            follows = None
            if kind.follows_kind:
                with self.register.reading() as session:
                    payload, follows = self._complete_follow_up(session, kind, payload, check_deadline=True)
            signing_day = getattr(payload, kind.signing_date_field) if kind.signing_date_field else None
            check_signing_date(kind, payload, signing_day or self.today(), self.today(), self.profile.date_window_days, follows)
        except InvalidPayload as exc:
            details = [ErrorDetail(f"{prefix}.{d.loc}" if prefix else d.loc, d.msg) for d in exc.details]
            raise InvalidPayload(exc.message, details) from None

    # -- the register -----------------------------------------------------
    def visible_document(self, document_id: str, viewer: Principal | None = None) -> Document:
        """The register entry, if VIEWER may see it: a department sees only the papers addressed to it (else 404)."""
        document = self.register.get(document_id)
        if viewer is not None and not viewer.sees_recipient(document.recipient):
            raise NotFound(f"登记簿中没有这份文件：{document_id}")
        return document

    def papers(self, documents: list[Document], as_of: dt.date | None = None) -> list[Paper]:
        """Register rows as papers, each with its state as of AS_OF (default today)."""
        with self.register.reading() as session:
            states = states_for(session, documents, as_of or self.today())
        return [paper_of(d, TITLES, states[d.id]) for d in documents]

    def document(self, document_id: str, viewer: Principal | None = None, as_of: dt.date | None = None) -> Paper:
        return self.papers([self.visible_document(document_id, viewer)], as_of)[0]

    def search(self, query: RegisterQuery, viewer: Principal | None = None) -> tuple[list[Paper], int]:
        """One page of the register and the number of papers the query finds in all (a department: its own)."""
        if viewer is not None and viewer.is_department:
            query = dataclasses.replace(query, scope_recipient=viewer.department)
        rows, total = self.register.search(query, self.today())
        return self.papers(rows, query.as_of), total

    def void(self, document_id: str, reason: str, actor: Principal | None = None) -> Paper:
        return self.papers([self.register.void(document_id, reason, actor)])[0]

    def batch_documents(self, batch_id: str) -> list[Paper]:
        """The papers a batch issued, in item order."""
        return self.papers(self.register.of_batch(batch_id))

    # -- replies ----------------------------------------------------------
    def record_reply(self, document_id: str, received_on: Any, summary: Any, file: ReplyFile | None = None,
                     actor: Principal | None = None) -> Paper:
        """Record a paper's written reply (书面回复); the paper with its new state."""
        document = record_reply(self.register, self.store, document_id, received_on, summary, self.today(), file, actor)
        return self.papers([document])[0]

    def reply_file(self, document_id: str, viewer: Principal | None = None) -> RenderedFile:
        filename, content = reply_file(self.register, self.store, document_id, viewer)
        return RenderedFile(content, filename, mimetypes.guess_type(filename)[0] or "application/octet-stream",
                            ascii_name=f"reply-{document_id}{Path(filename).suffix.lower()}")

    def document_file(self, document_id: str, fmt: str, viewer: Principal | None = None) -> RenderedFile:
        """The stored .docx byte for byte, or its PDF (made once, then kept)."""
        check_format(fmt)
        document = self.visible_document(document_id, viewer)
        kind = get_kind(document.kind)
        label = document.number or "-".join(p for p in (document.recipient, document.issued_on.isoformat()) if p)
        ascii_parts = (document.year, document.seq) if document.seq else (document.issued_on.isoformat(), document.id[:8])
        if fmt == "docx":
            return RenderedFile(
                self.store.get(document.file_key), paper_filename(kind, label, "docx"), DOCX_MIME, ascii_filename(kind.id, *ascii_parts, ext="docx")
            )
        ascii_pdf = ascii_filename(kind.id, *ascii_parts, ext="pdf")
        if document.pdf_key and self.store.exists(document.pdf_key):
            return RenderedFile(self.store.get(document.pdf_key), paper_filename(kind, label, "pdf"), PDF_MIME, ascii_pdf)
        pdf = self._batch_paper_pdf(document.id) or self.paper_pdf(self.store.get(document.file_key))
        key = self.store.put(pdf, "pdf")
        if not self.register.set_pdf(document.id, key):
            self.store.delete(key)
        return RenderedFile(pdf, paper_filename(kind, label, "pdf"), PDF_MIME, ascii_pdf)

    def _batch_paper_pdf(self, document_id: str) -> bytes | None:
        """A batch's paper cut from the PDF its run was converted to (the pages in its packet); None when it was not."""
        where = self.register.batch_pages(document_id)
        if where is None or not self.store.exists(where[0]):
            return None
        return extract_pages(self.store.get(where[0]), [where[1]])[0]

    def regenerate(self, document_id: str) -> tuple[bytes, bool]:
        """Render a registered paper again from its payload, for an audit.

        Returns the .docx and whether the template is still the one it was issued with.
        """
        document = self.register.get(document_id)
        kind = get_kind(document.kind)
        payload = kind.model.model_validate(document.payload)
        if document.template_version is not None:
            template = self.templates.prepared(kind, document.template_version)
        else:  # issued before template versions were kept
            template = self.renderer.template(kind)
        docx = template.render(
            self.renderer.context(kind, payload, document.number or "", document.issued_on),
            self.renderer.properties(kind, payload, document.number or "", document.issued_on),
        )
        return docx, template.sha256 == document.template_sha256

    # -- templates ----------------------------------------------------------
    def example_context(self, kind: Kind) -> dict[str, Any]:
        """What a template of the kind is filled with in a preview: the kind's example, unnumbered."""
        return self.renderer.context(kind, kind.model.model_validate(kind.example))

    def template_versions(self, kind_id: str) -> list[dict[str, Any]]:
        return self.templates.versions(get_kind(kind_id))

    def upload_template(self, kind_id: str, raw: bytes, filename: str | None, uploaded_by: str | None) -> dict[str, Any]:
        """Check and keep a new template version (not yet active)."""
        kind = get_kind(kind_id)
        return self.templates.upload(kind, raw, filename, uploaded_by, self.example_context(kind))

    def template_file(self, kind_id: str, version: int) -> RenderedFile:
        kind = get_kind(kind_id)
        raw, _ = self.templates.file(kind, version)
        return RenderedFile(raw, f"{kind.title}-模板第{version}版.docx", DOCX_MIME)

    def activate_template(self, kind_id: str, version: int) -> dict[str, Any]:
        return self.templates.activate(get_kind(kind_id), version)

    def preview_template(self, kind_id: str, version: int, fmt: str = "pdf") -> RenderedFile:
        """The kind's example filled into one version (activated or not): nothing stored, no number."""
        check_format(fmt)
        kind = get_kind(kind_id)
        example = kind.model.model_validate(kind.example)
        docx = mark_as_draft(self.templates.prepared(kind, version).render(self.example_context(kind), self.renderer.properties(kind, example, draft=True)))
        name = f"{kind.title}-模板第{version}版预览"
        if fmt == "pdf":
            return RenderedFile(self.paper_pdf(docx), f"{name}.pdf", PDF_MIME)
        return RenderedFile(docx, f"{name}.docx", DOCX_MIME)

    # -- PDF --------------------------------------------------------------
    def to_pdf(self, docx: bytes, *, background: bool = False) -> bytes:
        """The PDF of a .docx, from the shared LibreOffice pool.

        Anything the file would fetch from elsewhere (a linked image, an
        INCLUDEPICTURE field) is removed first, so the converter never fetches.
        The converter retries what is transient; callers do not retry.
        ``background`` (batches) waits for room and is not held to the
        per-request size and page limits.
        """
        from docgen.converter import get_converter

        return get_converter(self.settings).to_pdf(strip_external_links(docx), background=background)

    def paper_pdf(self, docx: bytes, *, background: bool = False) -> bytes:
        """The PDF of a paper, no heading at the foot of a page and its signature block never alone on its last page.

        The stored .docx is not changed; when the first conversion leaves a
        heading at a page's foot, a copy with a page break before it is converted
        (``docgen.services.heading_page``); when the signature stands alone, a copy
        with the body's last lines carried along is converted once more
        (``docgen.services.signature_page``).
        """

        def convert(d: bytes) -> bytes:
            return self.to_pdf(d, background=background)

        docx, pdf = keep_headings_with_text(docx, convert(docx), convert)
        return keep_signature_with_text(docx, pdf, convert)

    def converter_status(self) -> dict[str, Any]:
        """The converter's health: state per instance, counts, restarts; no paths or process ids."""
        try:
            from docgen.converter import get_converter

            return get_converter(self.settings).status()
        except Exception:  # health must answer even when the converter is broken
            log.exception("converter status")
            return {"ok": False, "state": "down", "error": "PDF 转换服务状态不可读"}


def _draft_label(kind: Kind, payload: Payload) -> str:
    recipient = getattr(payload, kind.recipient_field, "") if kind.recipient_field else ""
    return f"{recipient}-草稿" if recipient else "草稿"


def recipient_of(kind: Kind, payload: Payload) -> str | None:
    """Whom a paper of ``kind`` is sent to, as the register records it."""
    return getattr(payload, kind.recipient_field, None) if kind.recipient_field else None


def _search_text(kind: Kind, payload: Payload, number: str | None) -> str:
    words = [kind.title, number or ""]

    def walk(value: Any) -> None:
        if isinstance(value, str):
            words.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(payload.model_dump(mode="json"))
    return " ".join(words)
