"""The 草稿 mark: every page of a draft says it is one; an issued paper never does.

The mark is a header line (黑体, red, boxed, at the right), so Word, WPS and
LibreOffice all print it on every page, odd and even, the first page
included, and it stays in the header's room above the text block (it moves
no line of the paper). A template without headers gets one; a template with
its own headers gets the mark as their first line. Marking is a rewrite of a
few small parts of the .docx: no second conversion, nothing slower for the
clerk's preview.
"""

from __future__ import annotations

import io
import re
import zipfile

from lxml import etree

DRAFT_MARK = "草稿"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
HEADER_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/header"
HEADER_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"
MARK_PART = "word/docgenDraftMark.xml"
MARK_ID = "rIdDocgenDraftMark"

_MARK_PARAGRAPH = (
    f'<w:p xmlns:w="{W}"><w:pPr><w:snapToGrid w:val="0"/>'
    '<w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/><w:ind w:left="0" w:right="0" w:firstLine="0"/>'
    '<w:jc w:val="right"/></w:pPr>'
    '<w:r><w:rPr><w:rFonts w:ascii="黑体" w:hAnsi="黑体" w:eastAsia="黑体" w:cs="黑体" w:hint="eastAsia"/>'
    '<w:color w:val="C00000"/><w:spacing w:val="60"/><w:sz w:val="32"/><w:szCs w:val="32"/>'
    '<w:bdr w:val="single" w:sz="12" w:space="2" w:color="C00000"/></w:rPr>'
    f"<w:t>{DRAFT_MARK}</w:t></w:r></w:p>"
)


MARK_ABOVE_MM = 36.0  # the mark stands in the header, above the text block (37 mm down)


def is_draft_mark(text: str, bottom_mm: float) -> bool:
    """A line of a converted page that is the 草稿 mark (no part of the paper's text or layout)."""
    return "".join(text.split()) == DRAFT_MARK and bottom_mm < MARK_ABOVE_MM


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


_SECTION = re.compile(rb"<w:sectPr\b[^>]*?(?<!/)>(.*?)</w:sectPr>", re.S)


def _reference(kind: str) -> bytes:
    return f'<w:headerReference w:type="{kind}" r:id="{MARK_ID}"/>'.encode()


def _mark_sections_quickly(xml: bytes) -> bytes | None:
    """The sections given the mark's headers by text alone, when none has a header of its own
    (the bundled templates: no second parse of the document on the clerk's hot path); None otherwise."""
    if b"<w:headerReference" in xml or b"sectPrChange" in xml or b'xmlns:r="' + R.encode() + b'"' not in xml or b"<w:sectPr/>" in xml:
        return None

    def marked(match: re.Match[bytes]) -> bytes:
        kinds = ["default", "even"] + (["first"] if b"<w:titlePg" in match.group(1) else [])
        opening = match.group(0)[: match.start(1) - match.start(0)]
        return opening + b"".join(_reference(kind) for kind in kinds) + match.group(0)[len(opening):]

    return _SECTION.sub(marked, xml)


def mark_as_draft(docx: bytes) -> bytes:
    """The .docx with the 草稿 mark in the header of every page."""
    with zipfile.ZipFile(io.BytesIO(docx)) as src:
        parts = {info.filename: src.read(info) for info in src.infolist()}
        infos = src.infolist()
    quick = _mark_sections_quickly(parts["word/document.xml"])
    if quick is not None:
        parts["word/document.xml"] = quick
        _add_mark_part(parts)
        return _zip(parts, infos)
    document = etree.fromstring(parts["word/document.xml"])
    rels_name = "word/_rels/document.xml.rels"
    rels = etree.fromstring(parts[rels_name])
    targets = {rel.get("Id"): rel.get("Target") for rel in rels}
    marked_own: set[str] = set()
    needs_part = False
    for sect in document.iter(_w("sectPr")):
        types = {"default", "even"} | ({"first"} if sect.find(_w("titlePg")) is not None else set())
        for ref in sect.findall(_w("headerReference")):
            kind = ref.get(_w("type"), "default")
            target = targets.get(ref.get(f"{{{R}}}id"), "")
            name = "word/" + target.lstrip("/").removeprefix("word/")
            if name in parts and name not in marked_own and target != MARK_PART.removeprefix("word/"):
                header = etree.fromstring(parts[name])
                header.insert(0, etree.fromstring(_MARK_PARAGRAPH))
                parts[name] = etree.tostring(header, xml_declaration=True, encoding="UTF-8", standalone=True)
                marked_own.add(name)
            types.discard(kind)
        for kind in sorted(types):
            ref = etree.Element(_w("headerReference"))
            ref.set(_w("type"), kind)
            ref.set(f"{{{R}}}id", MARK_ID)
            sect.insert(0, ref)
            needs_part = True
    if needs_part:
        _add_mark_part(parts)
    parts["word/document.xml"] = etree.tostring(document, xml_declaration=True, encoding="UTF-8", standalone=True)
    return _zip(parts, infos)


def _add_mark_part(parts: dict[str, bytes]) -> None:
    """The mark's header part, its relationship from the document and its content type."""
    rels_name = "word/_rels/document.xml.rels"
    parts[MARK_PART] = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:hdr xmlns:w="{W}">{_MARK_PARAGRAPH}</w:hdr>'.encode()
    rels = etree.fromstring(parts[rels_name])
    rel = etree.SubElement(rels, f"{{{RELS}}}Relationship")
    rel.set("Id", MARK_ID)
    rel.set("Type", HEADER_TYPE)
    rel.set("Target", MARK_PART.removeprefix("word/"))
    parts[rels_name] = etree.tostring(rels, xml_declaration=True, encoding="UTF-8", standalone=True)
    types_xml = etree.fromstring(parts["[Content_Types].xml"])
    override = etree.SubElement(types_xml, f"{{{CT}}}Override")
    override.set("PartName", "/" + MARK_PART)
    override.set("ContentType", HEADER_CONTENT_TYPE)
    parts["[Content_Types].xml"] = etree.tostring(types_xml, xml_declaration=True, encoding="UTF-8", standalone=True)


def _zip(parts: dict[str, bytes], infos: list[zipfile.ZipInfo]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for info in infos:
            dst.writestr(info, parts.pop(info.filename))
        for name, data in parts.items():
            entry = zipfile.ZipInfo(name, date_time=infos[0].date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, data)
    return out.getvalue()
