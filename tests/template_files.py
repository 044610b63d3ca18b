"""Word templates for the template-management tests, made from a bundled one."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx

from docgen.config import PROJECT_DIR

TEMPLATES = PROJECT_DIR / "templates_docx"


def edited(name: str, *replacements: tuple[str, str]) -> bytes:
    """A bundled template with the text of some runs replaced (as a clerk would edit it in Word)."""
    document = docx.Document(TEMPLATES / name)
    runs = [r for p in document.paragraphs for r in p.runs] + [
        r for t in document.tables for row in t.rows for c in row.cells for p in c.paragraphs for r in p.runs
    ]
    for old, new in replacements:
        hits = [r for r in runs if old in r.text]
        assert hits, f"{old!r} not found in {name}"
        for run in hits:
            run.text = run.text.replace(old, new)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def with_links(source: bytes, url: str) -> bytes:
    """``source`` with a picture linked (not embedded) from ``url`` and an INCLUDEPICTURE field fetching it.

    This is what Word writes for 插入 → 图片 → 链接到文件, and for a field typed by hand.
    """
    drawing = (
        '<w:p><w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing">'
        '<wp:extent cx="914400" cy="914400"/><wp:docPr id="900" name="logo"/>'
        '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:nvPicPr><pic:cNvPr id="900" name="logo.png"/><pic:cNvPicPr/></pic:nvPicPr>'
        '<pic:blipFill><a:blip r:link="rIdCanary"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
        '<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="914400" cy="914400"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic>'
        "</wp:inline></w:drawing></w:r></w:p>"
        '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r><w:instrText xml:space="preserve"> INCLUDEPICTURE "{url}/field.png" \\d </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>图</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                text = data.decode("utf-8")
                text = text.replace("<w:body>", "<w:body>" + drawing, 1)
                data = text.encode("utf-8")
            elif info.filename == "word/_rels/document.xml.rels":
                rel = (
                    '<Relationship Id="rIdCanary" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" '
                    f'Target="{url}/logo.png" TargetMode="External"/>'
                )
                data = data.replace(b"</Relationships>", rel.encode() + b"</Relationships>")
            dst.writestr(info, data)
    return out.getvalue()


def save(content: bytes, path: Path) -> Path:
    path.write_bytes(content)
    return path
