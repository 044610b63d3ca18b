"""A kind's Word templates as versions: upload, check, preview, activate, keep.

The bundled .docx of a kind (in the templates folder, or beside a profile's
own definition) is used until an uploaded version is activated. Every template
a paper was issued with is a version here — uploaded ones when uploaded, the
bundled file the first time a paper is issued with it — and its bytes stay in
the file store, so the paper can be made again with it, byte for byte.

An upload is refused (nothing stored) when it is too large (413), not a .docx
(415), or when it is unsafe or does not fit its kind (422, every problem
listed): a tag the sandbox forbids (``x.__class__``, ``{% include %}``,
``{% import %}``, ``{% extends %}``), anything that would be fetched from
elsewhere (linked images, INCLUDEPICTURE), a placeholder that is no field of
the kind, a field the template never prints, or a template that cannot be
filled with the kind's example.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import threading
import uuid
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from docgen.errors import (
    Conflict,
    ErrorDetail,
    NotFound,
    PayloadTooLarge,
    TemplateRejected,
    UnsupportedMediaType,
)
from docgen.kinds import COMMON_VARIABLES, Kind
from docgen.services.db import TemplateVersion
from docgen.services.external_links import find_external_links
from docgen.services.register import Register, transaction_cache
from docgen.services.render import PreparedTemplate, Renderer, parse_template, template_sources, unsafe_constructs
from docgen.services.storage import Store, sha256

# an inflated .docx larger than this many times the upload limit is refused unread
_INFLATION_FACTOR = 20
_CACHED_TEMPLATES = 32


@dataclass
class TemplateCheck:
    """What an accepted upload holds."""

    placeholders: list[str]
    problems: list[ErrorDetail] = field(default_factory=list)


def describe_version(row: TemplateVersion, active: bool) -> dict[str, Any]:
    """A version as the API shows it."""
    return {
        "version": row.version,
        "sha256": row.sha256,
        "uploaded_at": row.uploaded_at.replace(tzinfo=dt.UTC).isoformat().replace("+00:00", "Z"),
        "uploaded_by": row.uploaded_by,
        "active": active,
        "source": row.source,
        "filename": row.filename,
        "size": row.size,
        "placeholders": list(row.placeholders or []),
    }


def printed_fields(kind: Kind) -> set[str]:
    """The payload fields a template of this kind must print."""
    fields = set(kind.model.model_fields) - set(kind.unprinted_fields)
    # the signing day prints as the common ``issued_on``
    return fields - {kind.signing_date_field, "issued_on"}


def fields_printed(kind: Kind, used: set[str]) -> set[str]:
    """The payload fields a template that reads ``used`` prints: ``reply_period`` (the period
    as worded, "5个工作日") prints the kind's reply days."""
    printed = set(used)
    if "reply_period" in used and kind.reply_days_field:
        printed.add(kind.reply_days_field)
    return printed


def allowed_names(kind: Kind) -> set[str]:
    return set(kind.model.model_fields) | set(COMMON_VARIABLES) | set(kind.extra_variables)


class TemplateLibrary:
    """The template versions of every kind, in the register's database and the file store."""

    def __init__(self, register: Register, store: Store, renderer: Renderer, max_bytes: int, signal: Path) -> None:
        """``signal``: a file replaced on every activation, so that every process (and machine
        sharing the data folder) rereads which versions are active, without asking the
        database on every draft."""
        self.register = register
        self.store = store
        self.renderer = renderer
        self.max_bytes = max_bytes
        self.signal = signal
        self._prepared: OrderedDict[str, PreparedTemplate] = OrderedDict()
        self._lock = threading.Lock()
        self._active: dict[str, tuple[str, str, int]] = {}  # kind -> (sha256, file key, version)
        self._active_seen: tuple[int, int, int] | None = None

    # -- checking an upload -----------------------------------------------------
    def check(self, kind: Kind, raw: bytes, context: dict[str, Any]) -> TemplateCheck:
        """Raise what is wrong with ``raw`` as a template of ``kind``; the placeholders it uses otherwise.

        ``context`` is what the kind's example fills a template with.
        """
        if len(raw) > self.max_bytes:
            raise PayloadTooLarge(
                f"模板文件过大：{len(raw)} 字节，上限为 {self.max_bytes} 字节",
                [ErrorDetail("file", f"不能超过 {self.max_bytes} 字节")],
            )
        if not zipfile.is_zipfile(io.BytesIO(raw)):
            raise UnsupportedMediaType("上传的文件不是 .docx（Word 文档）", [ErrorDetail("file", "应为 Word 2007 及以后的 .docx 文件")])
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                names = set(archive.namelist())
                inflated = sum(info.file_size for info in archive.infolist())
                if inflated > self.max_bytes * _INFLATION_FACTOR:
                    raise PayloadTooLarge(
                        f"模板文件解压后过大：{inflated} 字节",
                        [ErrorDetail("file", f"解压后不能超过 {self.max_bytes * _INFLATION_FACTOR} 字节")],
                    )
                if "word/document.xml" not in names or "[Content_Types].xml" not in names:
                    raise TemplateRejected("上传的文件不是 Word 文档", [ErrorDetail("file", "压缩包中没有 word/document.xml，不是 .docx 文件")])
                bad = archive.testzip()
                if bad:
                    raise TemplateRejected("上传的文件已损坏", [ErrorDetail("file", f"{bad} 无法解压")])
        except zipfile.BadZipFile as exc:
            raise TemplateRejected("上传的文件已损坏", [ErrorDetail("file", f"无法解压：{exc}")]) from None

        problems: list[ErrorDetail] = []
        for link in find_external_links(raw):
            problems.append(ErrorDetail("file", f"含有会从外部取内容的部分（{link.describe()}），请改为嵌入的图片或删除"))
        try:
            sources = template_sources(raw)
        except UnicodeDecodeError as exc:
            raise TemplateRejected("模板无法读取", [ErrorDetail("file", f"XML 不是 UTF-8 编码：{exc}")]) from None
        used: set[str] = set()
        for part, source in sources.items():
            try:
                tree = parse_template(source)
            except jinja2.TemplateSyntaxError as exc:
                problems.append(ErrorDetail("file", f"{part} 第 {exc.lineno} 行模板语法有误：{exc.message}"))
                continue
            for construct in unsafe_constructs(tree):
                problems.append(ErrorDetail("file", f"不允许的写法 {construct}（{part}）：模板只能填写本公文的字段"))
            used |= meta.find_undeclared_variables(tree)
        allowed = allowed_names(kind)
        for name in sorted(used - allowed):
            problems.append(ErrorDetail("file", f"占位符 {{{{ {name} }}}} 不是“{kind.title}”的字段"))
        fields = kind.model.model_fields
        for name in sorted(printed_fields(kind) - fields_printed(kind, used)):
            problems.append(ErrorDetail("file", f"字段 {{{{ {name} }}}}（{fields[name].title}）在模板中没有出现"))
        if not problems:
            try:
                PreparedTemplate.from_bytes(raw).render(context)
            except jinja2.TemplateError as exc:
                problems.append(ErrorDetail("file", f"用示例内容填充模板时出错：{exc}"))
        if problems:
            raise TemplateRejected(f"这个模板不能用于“{kind.title}”，请按下列各项修改后重新上传", problems)
        return TemplateCheck(sorted(used & allowed))

    # -- versions ---------------------------------------------------------------
    def _rows(self, session: Session, kind_id: str) -> list[TemplateVersion]:
        return list(session.scalars(select(TemplateVersion).where(TemplateVersion.kind == kind_id).order_by(TemplateVersion.version)))

    def versions(self, kind: Kind) -> list[dict[str, Any]]:
        """Every version of the kind's template, oldest first; the bundled file is one as soon as it is used."""
        bundled = self.renderer.template(kind)
        with self.register.writing() as session, session.begin():
            self._register(session, kind, bundled, "bundled", None, None)
            rows = self._rows(session, kind.id)
        return [describe_version(r, self._is_active(r, rows, bundled)) for r in rows]

    @staticmethod
    def _is_active(row: TemplateVersion, rows: list[TemplateVersion], bundled: PreparedTemplate) -> bool:
        if any(r.active for r in rows):
            return row.active
        return row.source == "bundled" and row.sha256 == bundled.sha256

    def _register(
        self, session: Session, kind: Kind, template: PreparedTemplate, source: str, uploaded_by: str | None, filename: str | None,
        raw: bytes | None = None, placeholders: list[str] | None = None,
    ) -> TemplateVersion:
        """The version holding these bytes, added if new (inside the caller's transaction)."""
        row = session.scalar(select(TemplateVersion).where(TemplateVersion.kind == kind.id, TemplateVersion.sha256 == template.sha256))
        if row is not None:
            return row
        if raw is None:
            raw = template.path.read_bytes() if template.path else b""
            if sha256(raw) != template.sha256:  # the file changed on disk meanwhile
                raise Conflict("模板文件刚被修改，请重试", [ErrorDetail("template", f"{template.path} 在使用中被修改")])
        key = self.store.put(raw, "docx")
        try:
            last = session.scalar(select(func.max(TemplateVersion.version)).where(TemplateVersion.kind == kind.id)) or 0
            row = TemplateVersion(
                kind=kind.id,
                version=last + 1,
                sha256=template.sha256,
                file_key=key,
                size=len(raw),
                source=source,
                filename=filename,
                placeholders=placeholders if placeholders is not None else sorted(template.variables() & allowed_names(kind)),
                uploaded_by=uploaded_by,
                active=False,
            )
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            # another process registered the same bytes first
            self.store.delete(key)
            row = session.scalar(select(TemplateVersion).where(TemplateVersion.kind == kind.id, TemplateVersion.sha256 == template.sha256))
            if row is None:
                raise
        except BaseException:
            self.store.delete(key)
            raise
        return row

    def upload(self, kind: Kind, raw: bytes, filename: str | None, uploaded_by: str | None, context: dict[str, Any]) -> dict[str, Any]:
        """Check and keep an uploaded template as a new, inactive version."""
        checked = self.check(kind, raw, context)
        template = PreparedTemplate.from_bytes(raw)
        bundled = self.renderer.template(kind)
        with self.register.writing() as session, session.begin():
            # the template in use so far is a version too, before the upload: going back is activating it
            self._register(session, kind, bundled, "bundled", None, None)
            existing = session.scalar(select(TemplateVersion).where(TemplateVersion.kind == kind.id, TemplateVersion.sha256 == template.sha256))
            if existing is not None:
                raise Conflict(f"这个模板与第 {existing.version} 版完全相同", [ErrorDetail("file", f"已是第 {existing.version} 版")])
            row = self._register(session, kind, template, "upload", uploaded_by, filename, raw, checked.placeholders)
            rows = self._rows(session, kind.id)
        return describe_version(row, self._is_active(row, rows, bundled))

    def _row(self, session: Session, kind: Kind, version: int) -> TemplateVersion:
        row = session.scalar(select(TemplateVersion).where(TemplateVersion.kind == kind.id, TemplateVersion.version == version))
        if row is None:
            raise NotFound(f"“{kind.title}”没有第 {version} 版模板")
        return row

    def file(self, kind: Kind, version: int) -> tuple[bytes, dict[str, Any]]:
        """The bytes of one version, as uploaded."""
        with self.register.reading() as session:
            row = self._row(session, kind, version)
            rows = self._rows(session, kind.id)
        return self.store.get(row.file_key), describe_version(row, self._is_active(row, rows, self.renderer.template(kind)))

    def activate(self, kind: Kind, version: int) -> dict[str, Any]:
        """Make one version the template new papers of the kind are made with."""
        with self.register.writing() as session, session.begin():
            row = self._row(session, kind, version)
            session.execute(update(TemplateVersion).where(TemplateVersion.kind == kind.id).values(active=False))
            row.active = True
            session.flush()
        self._announce_activation()
        return describe_version(row, True)

    def _announce_activation(self) -> None:
        self.signal.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.signal.with_name(f".{self.signal.name}.{uuid.uuid4().hex}")
        tmp.write_text(uuid.uuid4().hex)
        os.replace(tmp, self.signal)  # a new inode: every reader sees the change

    def _active_versions(self) -> dict[str, tuple[str, str, int]]:
        try:
            st = os.stat(self.signal)
            seen = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            seen = (0, 0, 0)
        if seen != self._active_seen:
            with self.register.reading() as session:
                rows = session.scalars(select(TemplateVersion).where(TemplateVersion.active.is_(True)))
                active = {r.kind: (r.sha256, r.file_key, r.version) for r in rows}
            with self._lock:
                self._active, self._active_seen = active, seen
        return self._active

    # -- rendering ----------------------------------------------------------------
    def prepared(self, kind: Kind, version: int) -> PreparedTemplate:
        """One version, ready to fill."""
        with self.register.reading() as session:
            row = self._row(session, kind, version)
            sha, key = row.sha256, row.file_key
        return self._prepared_bytes(sha, key)

    def _prepared_bytes(self, sha: str, key: str) -> PreparedTemplate:
        with self._lock:
            cached = self._prepared.get(sha)
            if cached is not None:
                self._prepared.move_to_end(sha)
                return cached
        template = PreparedTemplate.from_bytes(self.store.get(key))
        with self._lock:
            self._prepared[sha] = template
            while len(self._prepared) > _CACHED_TEMPLATES:
                self._prepared.popitem(last=False)
        return template

    def current(self, kind: Kind) -> tuple[PreparedTemplate, int | None]:
        """The template new papers of the kind are made with, and its version if an activated one."""
        found = self._active_versions().get(kind.id)
        if found is None:
            return self.renderer.template(kind), None
        return self._prepared_bytes(found[0], found[1]), found[2]

    def version_for_issue(self, session: Session, kind: Kind, template: PreparedTemplate, version: int | None) -> int:
        """The version number an issued paper records (the bundled file becomes a version on first use)."""
        if version is not None:
            return version
        cache = transaction_cache(session)
        key = ("bundled version", kind.id, template.sha256)
        if key not in cache:
            cache[key] = self._register(session, kind, template, "bundled", None, None).version
        return cache[key]
