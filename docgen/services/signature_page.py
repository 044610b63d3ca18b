"""No page that holds only the signature block (GB/T 9704: "此页无正文" is a defect).

A notice whose body ends a line or two above the foot of a page leaves no room
for the blank line, the issuing offices and the date; they are kept together
and go to the next page, alone. Keep-with-next on the body cannot help in
LibreOffice: it moves the whole paragraph (and the salutation tied to it) off
the title's page. So a PDF is checked after conversion — its last page, read
with pdfium in about a millisecond — and only when that page holds nothing but
the signature is the paper converted once more, with a page break put before
its last body lines, so that they carry the signature along (the standard's
own remedy: the last lines of text go with the signature). LibreOffice breaks
no page inside a table cell, so where those lines are in a table (the 督查报告's
报告人 line follows one) the table is cut in two there instead.

The .docx is never changed: the page break goes into the copy that is
converted, so a paper issued keeps its file and regenerates byte for byte.
Nothing here knows Flask or the Office; the conversion is the ``to_pdf``
given.
"""

from __future__ import annotations

import copy
import io
import logging
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from docgen.services.draft_mark import is_draft_mark
from docgen.services.packet import PageText, footer_number, page_count, read_pages
from docgen.services.preflight import DATE_LINE, MM, SIGNATURE_LABEL

log = logging.getLogger(__name__)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_PAGE_NUMBER = re.compile(r"^[—–\-－一]+\d+[—–\-－一]+$")
CARRIED_LINES = 2  # the body lines that go with the signature (widow control's two)


def flat(text: str) -> str:
    """The text without any white space, as lines are compared with the .docx's paragraphs."""
    return "".join(text.split())


def _is_signature_line(text: str, x0: float, page_width: float) -> bool:
    # as the preflight's rule "落款": a labelled line (报告人：…), or one set right of the middle
    return bool(SIGNATURE_LABEL.match(flat(text))) or x0 > page_width / 2 - 15 * MM


def holds_only_signature(page: PageText) -> bool:
    """A page whose only text (page number aside) is a signature block: offices and a date, or 报告人/报告日期."""
    lines = [line for line in page.lines if footer_number([line]) is None]
    return (
        bool(lines)
        and all(_is_signature_line(line.text, line.x0, page.width) for line in lines)
        and any(DATE_LINE.search(flat(line.text)) or SIGNATURE_LABEL.match(flat(line.text)) for line in lines)
    )


def signature_alone(pdf: bytes) -> bool:
    """The paper's last page holds only its signature block (a paper of one page never does)."""
    return signature_alone_on(page_count(pdf), read_pages(pdf, [-1])[0])


def signature_alone_on(pages: int, last_page: PageText) -> bool:
    """``signature_alone`` of a paper of ``pages`` pages whose last page's text is read already."""
    return pages > 1 and holds_only_signature(last_page)


def keep_signature_with_text(docx: bytes, pdf: bytes, to_pdf: Callable[[bytes], bytes]) -> bytes:
    """``pdf`` (the conversion of ``docx``) itself, unless its last page holds only the signature
    block: then the conversion of ``docx`` with its last body lines carried onto that page.

    Should the lines not be found in the .docx (a template that prints them otherwise), or the
    second conversion fare no better, the first PDF stands.
    """
    if not signature_alone(pdf):
        return pdf
    carried = carry_last_lines(docx, pdf)
    if carried is None:
        log.warning("docgen: the signature stands alone on the last page and its body lines were not found to carry along")
        return pdf
    again = to_pdf(carried)
    if signature_alone(again):
        log.warning("docgen: the signature still stands alone on the last page after carrying the body's last lines")
        return pdf
    return again


def convert_keeping_signature(docx: bytes, to_pdf: Callable[[bytes], bytes]) -> bytes:
    """The PDF of a paper whose signature block never stands alone on its last page."""
    return keep_signature_with_text(docx, to_pdf(docx), to_pdf)


# -- the .docx with a page break before its last body lines ------------------------
@dataclass
class _Char:
    """A character of the body's text: where it is in the XML."""

    text_element: etree._Element  # its w:t
    offset: int  # in the w:t's text
    paragraph: etree._Element


def _last_pages_lines(pdf: bytes) -> tuple[list[str], list[str]]:
    """The flattened text lines of the last but one and the last page (pdfplumber reads them in
    reading order), page numbers left out."""
    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        before, last = (
            [flat(line["text"]) for line in page.extract_text_lines() if not is_draft_mark(line["text"], line["bottom"] / MM)]
            for page in doc.pages[-2:]
        )
    return [line for line in before if line and not _PAGE_NUMBER.match(line)], [line for line in last if line and not _PAGE_NUMBER.match(line)]


def carry_last_lines(docx: bytes, pdf: bytes) -> bytes | None:
    """``docx`` with a page break before the body lines that should go with the signature, or None.

    The lines are read from the last but one page of ``pdf``; the break goes where their text
    starts in the .docx, found only when what follows it there is exactly their text and the
    signature page's. Two lines are carried, more when both are first lines of paragraphs (so
    that the page's text still starts on the margin), when the first would be a paragraph's
    last line alone at the top of the page, or when two would leave a paragraph's first line
    alone at its foot.
    """
    before, last = _last_pages_lines(pdf)
    lone = "".join(last)
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    chars = _body_chars(root)
    text = "".join(c.text_element.text[c.offset] for c in chars)
    if not lone or not text.endswith(lone):
        return None
    starts: list[int] = []  # where each of the last lines of the page before starts in ``text``
    suffix = lone
    for line in reversed(before[-(CARRIED_LINES + 4) :]):
        suffix = line + suffix
        if not text.endswith(suffix):
            break
        starts.append(len(text) - len(suffix))
    paragraph_starts = {i for i, c in enumerate(chars) if i == 0 or chars[i - 1].paragraph is not c.paragraph}
    if len(starts) < CARRIED_LINES:
        return None
    carried = CARRIED_LINES

    def widow(count: int) -> bool:  # the first line carried is the only one of its paragraph's lines carried
        return starts[count - 1] not in paragraph_starts and starts[count - 2] in paragraph_starts

    # one of them at least stands on the margin (first lines of paragraphs are indented), no
    # paragraph's last line goes alone to the top of the page …
    while carried < len(starts) and (all(start in paragraph_starts for start in starts[:carried]) or widow(carried)):
        carried += 1
    # … and no paragraph's first line is left alone at the foot of the page
    if carried < len(starts) and starts[carried] in paragraph_starts and starts[carried - 1] not in paragraph_starts:
        carried += 1
    if len(before) - carried < 2:  # the page before would keep too little (its title, say)
        return None
    at = chars[starts[carried - 1]]
    at_paragraph_start = starts[carried - 1] in paragraph_starts
    cell = _cell_of(at.paragraph)
    if cell is not None:
        # LibreOffice breaks no page inside a table cell: the table is cut in two there instead
        if not _break_table_before(cell, at, at_paragraph_start):
            return None
    elif at_paragraph_start:
        break_before_paragraph(at.paragraph)
    else:
        _break_before_character(at)
    return replace_part(docx, "word/document.xml", etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


def _body_chars(root: etree._Element) -> list[_Char]:
    chars = []
    body = root.find(W + "body")
    for paragraph in body.iter(W + "p"):
        for t in paragraph.iter(W + "t"):
            if _owning_paragraph(t) is not paragraph:
                continue  # a paragraph nested in this one (a text box): counted as its own
            for offset, char in enumerate(t.text or ""):
                if not char.isspace():
                    chars.append(_Char(t, offset, paragraph))
    return chars


def _owning_paragraph(element: etree._Element) -> etree._Element | None:
    parent = element.getparent()
    while parent is not None and parent.tag != W + "p":
        parent = parent.getparent()
    return parent


def _cell_of(paragraph: etree._Element) -> etree._Element | None:
    parent = paragraph.getparent()
    while parent is not None:
        if parent.tag == W + "tc":
            return parent
        parent = parent.getparent()
    return None


def _break_table_before(cell: etree._Element, at: _Char, at_paragraph_start: bool) -> bool:
    """Cut the table at the character: its rest (the rest of the cell, the rest of its row, the rows
    after it) becomes a second table that starts on a new page. False for tables it cannot cut
    (nested, merged cells)."""
    row = cell.getparent()
    table = row.getparent() if row is not None else None
    if row is None or row.tag != W + "tr" or table is None or table.tag != W + "tbl" or table.getparent().tag != W + "body":
        return False
    if any(el.tag in (W + "vMerge", W + "tbl") for tc in row.findall(W + "tc") for el in tc.iter()) or at.paragraph.getparent() is not cell:
        return False
    paragraph = at.paragraph
    rest = etree.Element(W + "tbl")
    for tag in ("tblPr", "tblGrid"):
        part = table.find(W + tag)
        if part is not None:
            rest.append(copy.deepcopy(part))
    if at_paragraph_start and paragraph is cell.find(W + "p"):  # the lines start a row: the row goes whole
        if row is table.find(W + "tr"):  # the whole table would go, and perhaps leave the title alone
            return False
        for later in [row, *row.itersiblings(W + "tr")]:
            rest.append(later)
        _separate_on_a_new_page(table, rest)
        return True
    if not at_paragraph_start:
        _break_before_character(at)  # the page break run marks where the paragraph is cut
        paragraph = _split_paragraph_at_break(paragraph)
    continued = etree.SubElement(rest, W + "tr")
    trpr = row.find(W + "trPr")
    if trpr is not None:
        continued.append(copy.deepcopy(trpr))
        for height in continued.iter(W + "trHeight"):  # the continuation is as tall as its text
            height.getparent().remove(height)
    for tc in row.findall(W + "tc"):
        tc2 = etree.SubElement(continued, W + "tc")
        tcpr = tc.find(W + "tcPr")
        if tcpr is not None:
            tc2.append(copy.deepcopy(tcpr))
        if tc is cell:
            moving = [paragraph, *paragraph.itersiblings()]
            for element in moving:
                tc2.append(element)
            if not any(child.tag == W + "p" for child in cell):  # a cell ends with a paragraph
                cell.append(etree.Element(W + "p"))
        else:
            tc2.append(etree.Element(W + "p"))
    for later in list(row.itersiblings(W + "tr")):
        rest.append(later)
    _separate_on_a_new_page(table, rest)
    return True


def _separate_on_a_new_page(table: etree._Element, rest: etree._Element) -> None:
    """Put ``rest`` after ``table``, on a new page."""
    # Tables that touch are one table to LibreOffice, and it breaks no page inside one: a
    # paragraph of a twentieth of a line stands between them and carries the page break.
    separator = _page_break_paragraph()
    table.addnext(separator)
    separator.addnext(rest)


def _page_break_paragraph() -> etree._Element:
    """An empty paragraph a twentieth of a line tall that starts a new page."""
    return etree.fromstring(
        f'<w:p xmlns:w="{W[1:-1]}"><w:pPr><w:pageBreakBefore/><w:snapToGrid w:val="0"/>'
        '<w:spacing w:before="0" w:after="0" w:line="20" w:lineRule="exact"/><w:ind w:left="0" w:right="0" w:firstLine="0" w:firstLineChars="0"/>'
        '<w:rPr><w:sz w:val="2"/><w:szCs w:val="2"/></w:rPr></w:pPr></w:p>'
    )


def _split_paragraph_at_break(paragraph: etree._Element) -> etree._Element:
    """Cut a paragraph at its page-break run: the runs after it go to a new paragraph (no first-line
    indent: it goes on a line of the old one), which is returned; the break run is dropped."""
    page_break = next(br.getparent() for br in paragraph.iter(W + "br") if br.get(W + "type") == "page")
    new = etree.Element(W + "p")
    ppr = paragraph.find(W + "pPr")
    new_ppr = copy.deepcopy(ppr) if ppr is not None else etree.Element(W + "pPr")
    new.append(new_ppr)
    ind = new_ppr.find(W + "ind")
    if ind is None:
        ind = etree.Element(W + "ind")
        _place(new_ppr, ind)
    for attr in ("firstLine", "firstLineChars", "hanging", "hangingChars"):
        ind.attrib.pop(W + attr, None)
    ind.set(W + "firstLine", "0")
    ind.set(W + "firstLineChars", "0")
    for sibling in list(page_break.itersiblings()):
        new.append(sibling)
    paragraph.remove(page_break)
    paragraph.addnext(new)
    return new


# the children of a w:pPr in their schema order (those this module puts in, and what comes before them)
_PPR_ORDER = [W + tag for tag in (
    "pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr", "suppressLineNumbers",
    "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap", "overflowPunct", "topLinePunct",
    "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd", "snapToGrid", "spacing", "ind",
)]


def _place(ppr: etree._Element, element: etree._Element) -> None:
    """Put an element into a w:pPr where the schema wants it."""
    if element.getparent() is ppr:
        ppr.remove(element)
    rank = _PPR_ORDER.index(element.tag)
    index = 0
    for i, child in enumerate(ppr):
        if child.tag in _PPR_ORDER and _PPR_ORDER.index(child.tag) < rank:
            index = i + 1
    ppr.insert(index, element)


def break_before_paragraph(paragraph: etree._Element) -> None:
    ppr = paragraph.find(W + "pPr")
    if ppr is None:
        ppr = etree.Element(W + "pPr")
        paragraph.insert(0, ppr)
    _place(ppr, etree.Element(W + "pageBreakBefore"))
    # LibreOffice keeps a paragraph's space before at the top of a page it breaks to: none, so
    # the text starts on the top margin
    spacing = ppr.find(W + "spacing")
    if spacing is None:
        spacing = etree.Element(W + "spacing")
        _place(ppr, spacing)
    for attr in ("beforeLines", "beforeAutospacing"):
        spacing.attrib.pop(W + attr, None)
    spacing.set(W + "before", "0")


def _break_before_character(at: _Char) -> None:
    """Split the run at the character: the text before it, a page break, the text from it on."""
    t = at.text_element
    run = t.getparent()
    rpr = run.find(W + "rPr")
    head, tail = t.text[: at.offset], t.text[at.offset :]
    t.text = head
    if head != head.strip():
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    page_break = etree.Element(W + "r")
    rest = etree.Element(W + "r")
    for new in (page_break, rest):
        if rpr is not None:
            new.append(copy.deepcopy(rpr))
    etree.SubElement(page_break, W + "br").set(W + "type", "page")
    rest_t = etree.SubElement(rest, W + "t")
    rest_t.text = tail
    rest_t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    for sibling in list(t.itersiblings()):  # what followed in the run stays after the text
        rest.append(sibling)
    run.addnext(page_break)
    page_break.addnext(rest)


def replace_part(docx: bytes, name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, data if info.filename == name else src.read(info))
    return out.getvalue()


__all__ = ["W", "break_before_paragraph", "carry_last_lines", "convert_keeping_signature", "holds_only_signature", "keep_signature_with_text", "replace_part", "signature_alone", "signature_alone_on"]
