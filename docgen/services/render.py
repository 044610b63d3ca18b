"""Filling a Word template: the one function that renders a paper.

A template is prepared once — its XML cleaned the way docxtpl cleans it and
compiled to a Jinja template, its untouched parts kept as bytes — and reused
for every paper until the file on disk changes. Rendering is then one Jinja
pass and one small zip write, several times faster than opening, parsing and
saving the .docx with docxtpl each time. Templates stay plain docxtpl
templates that a clerk can edit in Word.

Templates render in Jinja's sandbox. A template is cleaned of everything a
reader would fetch from elsewhere (linked images, INCLUDEPICTURE fields) when
it is prepared, so no paper made from it links anything. The zip entries keep
the template's own timestamps, so the same template and payload give the same
bytes — an issued paper can be made again byte for byte.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import re
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from docxtpl import DocxTemplate
from jinja2 import meta, nodes
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from docgen.kinds import COMMON_VARIABLES, Kind, Payload
from docgen.profile import Profile
from docgen.services.dates import format_official_date
from docgen.services.document_properties import APP_PART, CORE_PART, DocumentProperties
from docgen.services.external_links import strip_external_links
from docgen.services.signature_block import lay_out_signature
from docgen.services.table_fit import fit_date_columns

_TEMPLATED_PARTS = ("word/document.xml", "word/header", "word/footer", "docProps/core.xml")
_BREAK = Markup('</w:t><w:br/><w:t xml:space="preserve">')
_TAB = Markup('</w:t><w:tab/><w:t xml:space="preserve">')
_ENV = SandboxedEnvironment(autoescape=True, undefined=jinja2.StrictUndefined)
_LOADING_TAGS = {nodes.Include: "{% include %}", nodes.Import: "{% import %}", nodes.FromImport: "{% from … import %}", nodes.Extends: "{% extends %}"}


def _patch_xml(xml: str) -> str:
    # docxtpl's cleaning of tags that Word split across runs, and of {%tr %},
    # {%p %} and friends; it does not touch the instance.
    return DocxTemplate.patch_xml(DocxTemplate.__new__(DocxTemplate), xml)


def template_sources(raw: bytes) -> dict[str, str]:
    """The Jinja source of each part of a .docx that holds template tags, cleaned as docxtpl cleans it."""
    sources: dict[str, str] = {}
    with zipfile.ZipFile(io.BytesIO(raw)) as src:
        for info in src.infolist():
            if info.filename.startswith(_TEMPLATED_PARTS):
                data = src.read(info)
                if b"{{" in data or b"{%" in data:
                    sources[info.filename] = _patch_xml(data.decode("utf-8"))
    return sources


def parse_template(source: str) -> nodes.Template:
    """The Jinja syntax tree of a part (``jinja2.TemplateSyntaxError`` when it is not a template)."""
    return _ENV.parse(source)


def unsafe_constructs(tree: nodes.Template) -> list[str]:
    """What a template must not do, each named as written: ``{% include %}``, ``x.__class__``…

    The sandbox refuses these at render time too; naming them lets an upload be
    refused before it is ever used.
    """
    found: list[str] = []
    for node_type, name in _LOADING_TAGS.items():
        if any(True for _ in tree.find_all(node_type)):
            found.append(name)
    for node in tree.find_all(nodes.Getattr):
        if node.attr.startswith("_"):
            found.append(f"{_expression(node.node)}.{node.attr}")
    for node in tree.find_all(nodes.Getitem):
        if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str) and node.arg.value.startswith("_"):
            found.append(f"{_expression(node.node)}[{node.arg.value!r}]")
    for node in tree.find_all(nodes.Filter):
        if node.name == "attr":
            found.append("|attr(…)")
    for node in tree.find_all(nodes.Name):
        if node.name.startswith("_"):
            found.append(node.name)
    return list(dict.fromkeys(found))


def _expression(node: nodes.Node) -> str:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_expression(node.node)}.{node.attr}"
    return "…"


@dataclass
class PreparedTemplate:
    """A .docx template ready to fill many times."""

    sha256: str  # of the file as given
    prefix: bytes  # a zip holding every part that has no template tags
    parts: dict[str, tuple[zipfile.ZipInfo, jinja2.Template]]  # part name -> its entry and compiled template
    sources: dict[str, str]  # part name -> Jinja source
    path: Path | None = None
    mtime_ns: int = 0
    # the property parts as the template has them: a paper writes its own (``DocumentProperties``)
    properties: dict[str, tuple[zipfile.ZipInfo, bytes]] = dataclasses.field(default_factory=dict)
    # the prefix's entries and where its directory starts, read once: a paper is the prefix's files, its own, then
    # the directory of all, and reading the prefix's directory again for every paper cost a tenth of rendering it
    _entries: tuple[zipfile.ZipInfo, ...] = dataclasses.field(default=(), init=False, repr=False, compare=False)
    _files: bytes = dataclasses.field(default=b"", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        with zipfile.ZipFile(io.BytesIO(self.prefix)) as prefix:
            self._entries = tuple(prefix.infolist())
            self._files = self.prefix[: prefix.start_dir]

    @classmethod
    def load(cls, path: Path) -> PreparedTemplate:
        return cls.from_bytes(path.read_bytes(), path=path, mtime_ns=path.stat().st_mtime_ns)

    @classmethod
    def from_bytes(cls, raw: bytes, path: Path | None = None, mtime_ns: int = 0) -> PreparedTemplate:
        digest = hashlib.sha256(raw).hexdigest()
        clean = strip_external_links(raw)
        sources = template_sources(clean)
        parts: dict[str, tuple[zipfile.ZipInfo, jinja2.Template]] = {}
        properties: dict[str, tuple[zipfile.ZipInfo, bytes]] = {}
        prefix = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(clean)) as src, zipfile.ZipFile(prefix, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                if info.filename in (CORE_PART, APP_PART):
                    entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                    entry.compress_type = zipfile.ZIP_DEFLATED
                    entry.external_attr = info.external_attr
                    properties[info.filename] = (entry, src.read(info))
                if info.filename in sources:
                    entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                    entry.compress_type = zipfile.ZIP_DEFLATED
                    entry.external_attr = info.external_attr
                    parts[info.filename] = (entry, _ENV.from_string(sources[info.filename]))
                elif info.filename not in properties:
                    dst.writestr(info, src.read(info), compress_type=zipfile.ZIP_DEFLATED)
        return cls(digest, prefix.getvalue(), parts, sources, path, mtime_ns, properties)

    def variables(self) -> set[str]:
        """Top-level names the template reads (for checking it against the schema)."""
        names: set[str] = set()
        for source in self.sources.values():
            names |= meta.find_undeclared_variables(_ENV.parse(source))
        return names

    def render(self, context: dict[str, Any], properties: DocumentProperties | None = None) -> bytes:
        """The filled .docx; ``properties`` replace the template's own (title, organisation, date)."""
        buf = io.BytesIO(self._files)
        buf.seek(0, io.SEEK_END)
        # the same bytes as appending to the prefix (mode "a"), which reads its directory first; the entries are
        # shared by every paper and only read when the directory is written
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
            out.filelist.extend(self._entries)
            out.NameToInfo.update((entry.filename, entry) for entry in self._entries)
            for name, (entry, raw) in self.properties.items():
                if properties is not None:
                    out.writestr(entry, properties.core_xml() if name == CORE_PART else properties.app_xml())
                elif name not in self.parts:
                    out.writestr(entry, raw)
            for name, (entry, template) in self.parts.items():
                if properties is not None and name in self.properties:
                    continue
                xml = template.render(context)
                if name == "word/document.xml":
                    xml = fit_date_columns(lay_out_signature(xml))
                out.writestr(entry, xml, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
        return buf.getvalue()


def format_reply_period(days: int | None, day_type: str) -> str:
    """The reply period as a paper words it, in the days the register counts its deadline by:
    ``5个工作日`` (working days skip holidays and count 调休), ``3日`` (calendar days);
    a blank to fill in by hand when there is no period."""
    if not days:
        return "\u3000\u3000日"
    return f"{days}个工作日" if day_type == "working" else f"{days}日"


# a run of Latin text with no space in it long enough to leave a short justified line before it
_UNBREAKABLE = re.compile(r"[!-~]{16,}")
_BREAK_AFTER = re.compile(r"([/.?&=_\-#]+)")
_ZERO_WIDTH_SPACE = "\u200b"


def breakable(text: str) -> str:
    """``text`` with a zero-width space after the slashes, dots … of a long unbroken run
    (an address, a file name): the renderer may break it there, so the line before it is not
    left short and stretched across the width by justification."""
    def opened(match: re.Match[str]) -> str:
        run = _BREAK_AFTER.sub(lambda m: m.group(1) + _ZERO_WIDTH_SPACE, match.group(0)).rstrip(_ZERO_WIDTH_SPACE)
        # a run with no such place still breaks every 12 characters
        return re.sub(r"([^\u200b]{12})(?=[^\u200b])", "\\1" + _ZERO_WIDTH_SPACE, run)

    return _UNBREAKABLE.sub(opened, text)


def as_markup(value: Any) -> Any:
    """Escape text for WordprocessingML; newlines become line breaks, tabs tabs; long
    unbroken Latin runs (addresses) may break (``breakable``)."""
    if isinstance(value, str):
        return escape(breakable(value)).replace("\n", _BREAK).replace("\t", _TAB)
    return value


class Renderer:
    """Fills the templates of one templates folder for one organisation."""

    def __init__(self, templates_dir: str | Path, profile: Profile) -> None:
        self.templates_dir = Path(templates_dir)
        self.profile = profile
        self._cache: dict[str, PreparedTemplate] = {}
        self._lock = threading.Lock()

    def template(self, kind: Kind) -> PreparedTemplate:
        """The prepared template of a kind, reloaded when the file changed on disk."""
        path = kind.template_path(self.templates_dir)
        mtime = path.stat().st_mtime_ns
        cached = self._cache.get(kind.id)
        if cached is None or cached.mtime_ns != mtime:
            with self._lock:
                cached = self._cache.get(kind.id)
                if cached is None or cached.mtime_ns != mtime:
                    cached = PreparedTemplate.load(path)
                    self._cache[kind.id] = cached
        return cached

    def context(self, kind: Kind, payload: Payload, number: str = "", issued_on: dt.date | None = None) -> dict[str, Any]:
        """The names a template sees: the payload's fields formatted, and the common ones."""
        settings = self.profile.for_kind(kind.id)
        style = settings.date_style

        def formatted(value: Any) -> Any:
            if isinstance(value, dt.date):
                return format_official_date(value, style)
            if isinstance(value, dict):
                return {k: formatted(v) for k, v in value.items()}
            if isinstance(value, list):
                return [formatted(v) for v in value]
            if value is None:
                return ""
            return as_markup(value)

        data = payload.model_dump()
        context = {k: formatted(v) for k, v in data.items()}
        for field in kind.model.model_fields:
            if kind.model.model_fields[field].annotation in (dt.date, dt.date | None) and data.get(field) is None:
                context[field] = format_official_date(None)
        reply_period = ""
        if kind.reply_days_field:
            days = data.get(kind.reply_days_field) or settings.reply_days
            context[kind.reply_days_field] = days or ""
            day_type = "calendar" if data.get("count_calendar_days") else settings.reply_day_type
            reply_period = format_reply_period(days, day_type)
        if kind.extra_context:
            context.update({k: as_markup(v) for k, v in kind.extra_context(payload).items()})
        signing_day = issued_on or (data.get(kind.signing_date_field) if kind.signing_date_field else None)
        context.update(
            org_name=as_markup(self.profile.name),
            committee=as_markup(self.profile.committee),
            issuing_offices=[as_markup(o) for o in self.profile.issuing_offices],
            number=as_markup(number),
            issued_on=format_official_date(signing_day, style),
            kind_title=kind.title,
            reply_period=reply_period,
        )
        return context

    def properties(self, kind: Kind, payload: Payload, number: str = "", issued_on: dt.date | None = None,
                   draft: bool = False) -> DocumentProperties:
        """What the paper's properties say: its title, the organisation, its number and date."""
        signing_day = issued_on or (getattr(payload, kind.signing_date_field, None) if kind.signing_date_field else None)
        return DocumentProperties(kind.title, self.profile.name, number, signing_day, draft)

    def render(self, kind: Kind, payload: Payload, number: str = "", issued_on: dt.date | None = None) -> bytes:
        """The filled .docx. An empty ``number`` leaves the number line blank (a draft)."""
        return self.template(kind).render(self.context(kind, payload, number, issued_on), self.properties(kind, payload, number, issued_on))


__all__ = [
    "COMMON_VARIABLES",
    "PreparedTemplate",
    "Renderer",
    "as_markup",
    "format_reply_period",
    "parse_template",
    "template_sources",
    "unsafe_constructs",
]
