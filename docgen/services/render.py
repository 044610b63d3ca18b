"""Filling a Word template: the one function that renders a paper.

A template is prepared once — its XML cleaned the way docxtpl cleans it and
compiled to a Jinja template, its untouched parts kept as bytes — and reused
for every paper until the file on disk changes. Rendering is then one Jinja
pass and one small zip write, several times faster than opening, parsing and
saving the .docx with docxtpl each time. Templates stay plain docxtpl
templates that a clerk can edit in Word.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from docxtpl import DocxTemplate
from markupsafe import Markup, escape

from docgen.kinds import COMMON_VARIABLES, Kind, Payload
from docgen.profile import Profile
from docgen.services.dates import format_official_date

_TEMPLATED_PARTS = ("word/document.xml", "word/header", "word/footer", "docProps/core.xml")
_BREAK = Markup('</w:t><w:br/><w:t xml:space="preserve">')
_TAB = Markup('</w:t><w:tab/><w:t xml:space="preserve">')
_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)


def _patch_xml(xml: str) -> str:
    # docxtpl's cleaning of tags that Word split across runs, and of {%tr %},
    # {%p %} and friends; it does not touch the instance.
    return DocxTemplate.patch_xml(DocxTemplate.__new__(DocxTemplate), xml)


@dataclass
class PreparedTemplate:
    """A .docx template ready to fill many times."""

    path: Path
    mtime_ns: int
    sha256: str
    prefix: bytes  # a zip holding every part that has no template tags
    parts: dict[str, jinja2.Template]  # part name -> compiled template

    @classmethod
    def load(cls, path: Path) -> PreparedTemplate:
        raw = path.read_bytes()
        parts: dict[str, jinja2.Template] = {}
        prefix = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(prefix, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                data = src.read(info)
                if info.filename.startswith(_TEMPLATED_PARTS) and (b"{{" in data or b"{%" in data):
                    parts[info.filename] = _ENV.from_string(_patch_xml(data.decode("utf-8")))
                else:
                    dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
        return cls(path, path.stat().st_mtime_ns, hashlib.sha256(raw).hexdigest(), prefix.getvalue(), parts)

    def variables(self) -> set[str]:
        """Top-level names the template reads (for checking it against the schema)."""
        from jinja2 import meta

        names: set[str] = set()
        for name, template in self.parts.items():
            del template
            source = _patch_xml(self._source(name))
            names |= meta.find_undeclared_variables(_ENV.parse(source))
        return names

    def _source(self, part: str) -> str:
        with zipfile.ZipFile(self.path) as src:
            return src.read(part).decode("utf-8")

    def render(self, context: dict[str, Any]) -> bytes:
        buf = io.BytesIO(self.prefix)
        buf.seek(0, io.SEEK_END)
        with zipfile.ZipFile(buf, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
            for name, template in self.parts.items():
                out.writestr(name, template.render(context))
        return buf.getvalue()


def as_markup(value: Any) -> Any:
    """Escape text for WordprocessingML; newlines become line breaks, tabs tabs."""
    if isinstance(value, str):
        return escape(value).replace("\n", _BREAK).replace("\t", _TAB)
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
        if kind.reply_days_field and data.get(kind.reply_days_field) is None:
            context[kind.reply_days_field] = settings.reply_days or ""
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
        )
        return context

    def render(self, kind: Kind, payload: Payload, number: str = "", issued_on: dt.date | None = None) -> bytes:
        """The filled .docx. An empty ``number`` leaves the number line blank (a draft)."""
        return self.template(kind).render(self.context(kind, payload, number, issued_on))


__all__ = ["COMMON_VARIABLES", "PreparedTemplate", "Renderer", "as_markup"]
