"""What in a .docx would make Word or LibreOffice fetch something from elsewhere.

A template or a paper may link an image by address instead of embedding it,
carry an INCLUDEPICTURE / INCLUDETEXT field, attach a remote template, or
embed an SVG that points outside. Opening such a file fetches those addresses
— from the converter's machine, on every conversion. ``find_external_links``
names each one (uploads are refused with that list); ``strip_external_links``
removes them (templates on disk and every file sent to the converter), keeping
plain hyperlinks, which nothing fetches.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from lxml import etree

_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
_HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
# field instructions that make the reader load something
_FETCHING_FIELDS = ("INCLUDEPICTURE", "INCLUDETEXT", "LINK", "IMPORT", "DDE", "DDEAUTO")
_FIELD_WORD = re.compile(r"^\s*([A-Za-z]+)")
_SVG_LINK = re.compile(rb"""(?:xlink:)?href\s*=\s*["'](?!#|data:)[^"']*["']""", re.IGNORECASE)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


@dataclass(frozen=True)
class ExternalLink:
    """One thing that would be fetched: the part it sits in and what it is."""

    part: str
    what: str

    def describe(self) -> str:
        return f"{self.part}：{self.what}"


def _relationship_kind(rel_type: str) -> str:
    tail = rel_type.rsplit("/", 1)[-1]
    return {
        "image": "外部链接的图片",
        "attachedTemplate": "外部模板",
        "oleObject": "外部链接的对象",
        "subDocument": "外部子文档",
        "aFChunk": "外部嵌入内容",
        "frame": "外部框架",
    }.get(tail, f"外部链接（{tail}）")


def _field_groups(root: etree._Element) -> list[list[etree._Element]]:
    """The w:instrText elements of each complex field, in document order."""
    groups: list[list[etree._Element]] = []
    current: list[etree._Element] | None = None
    for el in root.iter(f"{{{_W_NS}}}fldChar", f"{{{_W_NS}}}instrText"):
        if el.tag == f"{{{_W_NS}}}fldChar":
            kind = el.get(f"{{{_W_NS}}}fldCharType")
            if kind == "begin":
                current = []
                groups.append(current)
            elif kind in ("separate", "end"):
                current = None
        elif current is not None:
            current.append(el)
    return groups


def _fetching_field(instruction: str) -> str | None:
    match = _FIELD_WORD.match(instruction or "")
    word = match.group(1).upper() if match else ""
    return word if word in _FETCHING_FIELDS else None


def _scan(docx: bytes, clean: bool) -> tuple[list[ExternalLink], bytes]:
    found: list[ExternalLink] = []
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        dropped: dict[str, set[str]] = {}  # part -> relationship ids removed from it
        parts: dict[str, bytes] = {}
        infos = src.infolist()
        for info in infos:
            parts[info.filename] = src.read(info)
        for name, data in list(parts.items()):
            if name.endswith(".rels"):
                root = etree.fromstring(data, _PARSER)
                changed = False
                for rel in list(root.iter(f"{{{_REL_NS}}}Relationship")):
                    if rel.get("TargetMode") != "External" or rel.get("Type") == _HYPERLINK:
                        continue
                    found.append(ExternalLink(name, f"{_relationship_kind(rel.get('Type', ''))} {rel.get('Target', '')}"))
                    owner = name.replace("_rels/", "").removesuffix(".rels")
                    dropped.setdefault(owner, set()).add(rel.get("Id", ""))
                    root.remove(rel)
                    changed = True
                if changed:
                    parts[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            elif name.lower().endswith(".svg") and _SVG_LINK.search(data):
                found.append(ExternalLink(name, "SVG 图片引用了外部资源"))
                parts[name] = _SVG_LINK.sub(b'href=""', data)
        for name, data in list(parts.items()):
            if not name.endswith(".xml") or not (name.startswith("word/") or name.startswith("customXml/")):
                continue
            if b"instr" not in data and not dropped.get(name):
                continue
            try:
                root = etree.fromstring(data, _PARSER)
            except etree.XMLSyntaxError:
                continue  # not ours to judge here; the reader reports it
            changed = False
            for group in _field_groups(root):
                word = _fetching_field("".join(el.text or "" for el in group))
                if word:
                    found.append(ExternalLink(name, f"会联网取内容的域 {word}"))
                    for el in group:
                        el.text = ""
                    changed = True
            for simple in list(root.iter(f"{{{_W_NS}}}fldSimple")):
                word = _fetching_field(simple.get(f"{{{_W_NS}}}instr", ""))
                if word:
                    found.append(ExternalLink(name, f"会联网取内容的域 {word}"))
                    parent = simple.getparent()
                    index = parent.index(simple)
                    for child in list(simple):  # keep the field's last result as plain runs
                        parent.insert(index, child)
                        index += 1
                    parent.remove(simple)
                    changed = True
            ids = dropped.get(name, set())
            if ids:
                for el in list(root.iter()):
                    for attr, value in list(el.attrib.items()):
                        if attr.startswith(f"{{{_R_NS}}}") and value in ids:
                            if el.tag == f"{{{_A_NS}}}blip":
                                del el.attrib[attr]  # an empty picture frame stays
                            elif el.getparent() is not None:
                                el.getparent().remove(el)
                            changed = True
                            break
            if changed:
                parts[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        if not clean:
            return found, docx
        if not found:
            return found, docx
        for info in infos:
            dst.writestr(info, parts[info.filename])
    return found, out.getvalue()


def find_external_links(docx: bytes) -> list[ExternalLink]:
    """Everything in ``docx`` that a reader would fetch from elsewhere (hyperlinks excepted)."""
    return _scan(docx, clean=False)[0]


def strip_external_links(docx: bytes) -> bytes:
    """``docx`` without anything a reader would fetch; the same bytes when there is nothing."""
    return _scan(docx, clean=True)[1]
