"""No heading left alone at the foot of a page.

A "一、" or "（一）" heading is kept with the text it heads (keep-with-next in
its style), but LibreOffice does not always honour that: a quarterly bulletin
whose page 1 ended on "五、下一步工作要求" had its text, the last paragraph,
on page 2. So a converted paper is read (pdfium, a few milliseconds) and,
where a page other than the last ends on a heading of one line, the paper is
converted once more from a copy of its .docx with a page break before that
heading. The .docx itself is never changed.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Callable

from lxml import etree

from docgen.services.draft_mark import is_draft_mark
from docgen.services.packet import footer_number, page_count, read_pages
from docgen.services.preflight import MM
from docgen.services.signature_page import W, break_before_paragraph, flat, replace_part

log = logging.getLogger(__name__)

# a heading of the official paper's numbering: 一、… or （一）…, short enough to be one line
HEADING = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）)\S{1,26}$")


def stranded_headings(pdf: bytes) -> list[str]:
    """The headings (flattened text) that end a page other than the last, in page order."""
    if page_count(pdf) < 2:
        return []
    found = []
    for page in read_pages(pdf)[:-1]:
        lines = [
            line for line in page.lines
            if footer_number([line]) is None and not is_draft_mark(line.text, (page.height - line.y0) / MM) and flat(line.text)
        ]
        if lines and HEADING.match(flat(lines[-1].text)):
            found.append(flat(lines[-1].text))
    return found


def break_before_headings(docx: bytes, headings: list[str]) -> bytes | None:
    """``docx`` with a page break before each paragraph whose whole text is one of ``headings``
    that has no page break before it yet (its first match after the one before), or None when
    one is not found."""
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    paragraphs = [p for p in root.find(W + "body").iter(W + "p")]
    at = 0
    for heading in headings:
        for index in range(at, len(paragraphs)):
            ppr = paragraphs[index].find(W + "pPr")
            already = ppr is not None and ppr.find(W + "pageBreakBefore") is not None
            if not already and flat("".join(t.text or "" for t in paragraphs[index].iter(W + "t"))) == heading:
                break_before_paragraph(paragraphs[index])
                at = index + 1
                break
        else:
            return None
    return replace_part(docx, "word/document.xml", etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


def keep_headings_with_text(docx: bytes, pdf: bytes, to_pdf: Callable[[bytes], bytes]) -> tuple[bytes, bytes]:
    """The .docx converted and its PDF: ``docx`` and ``pdf`` themselves, unless a page ends on a
    heading; then a copy with a page break before each such heading, and its conversion."""
    for _ in range(3):  # a break can push a later heading to the foot of its page: a few rounds
        headings = stranded_headings(pdf)
        if not headings:
            return docx, pdf
        broken = break_before_headings(docx, headings)
        if broken is None:
            log.warning("docgen: a heading ends a page and its paragraph was not found in the .docx")
            return docx, pdf
        docx, pdf = broken, to_pdf(broken)
    if stranded_headings(pdf):
        log.warning("docgen: a heading still ends a page after page breaks were put before headings")
    return docx, pdf


__all__ = ["break_before_headings", "keep_headings_with_text", "stranded_headings"]
