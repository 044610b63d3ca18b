"""The signature block (发文机关署名 and 成文日期) laid out for the names and the date it holds.

GB/T 9704 (with a seal): the date sits four characters in from the right
margin and the issuing offices are centred over it. Where the date's middle
lies depends on its width ("2026年1月5日" is narrower than "2026年11月22日",
"二〇二六年十一月二十二日" much wider), so a fixed indent in the template
cannot centre the offices. Each office paragraph gets, once its text is known,
a left indent that puts the middle of its line over the middle of the date and
leaves it the room to the right margin, so a name up to twice that room never
wraps; a name longer than that stands flush right (as near the date's middle as
the text block allows) rather than breaking in the middle of a word.

Widths are measured as LibreOffice sets the body face (仿宋 3号 in the 22 × 28
grid, every character 0.3 pt condensed, a gap where Chinese meets a digit).
Nothing here knows Flask.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from lxml import etree

from docgen.services.page_grid import BLOCK_WIDTH_PT, BODY_PT, CONDENSE_TWIPS

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = f"{{{W}}}"
OFFICE_STYLE = "GWSignOffice"  # 发文机关署名
DATE_STYLE = "GWSignDate"  # 成文日期
DATE_RIGHT_PT = 4 * BODY_PT  # 成文日期右空四字

_P, _PPR, _PSTYLE, _T, _VAL = f"{_W}p", f"{_W}pPr", f"{_W}pStyle", f"{_W}t", f"{_W}val"
_CONDENSE_PT = CONDENSE_TWIPS / 20
_MIXED_GAP_EM = 3.6 / 16  # the renderer's automatic space where Chinese meets a digit


def text_width_pt(text: str, size_pt: float = BODY_PT) -> float:
    """Width of a line of text (3号 body unless told), in pt, as the PDF shows it: a Chinese
    character or full-width form one em, a digit or Latin letter half, each 0.3 pt condensed."""
    wide_pt, narrow_pt = size_pt + _CONDENSE_PT, size_pt / 2 + _CONDENSE_PT
    width = 0.0
    previous: bool | None = None
    for char in text:
        if char in " \t":  # an ideographic space (the blank date 　　年　月　日) is a full cell
            previous = None
            width += narrow_pt
            continue
        wide = ord(char) >= 0x2E80 or 0x2014 <= ord(char) <= 0x2015
        width += wide_pt if wide else narrow_pt
        if previous is not None and previous != wide:
            width += _MIXED_GAP_EM * size_pt
        previous = wide
    return width


@dataclass(frozen=True)
class OfficeLine:
    """How one office name is set: centred between a left indent and the right margin, or flush right."""

    left_pt: float
    centred: bool


def office_lines(offices: list[str], date: str, block_width_pt: float = BLOCK_WIDTH_PT) -> list[OfficeLine]:
    """Each office's line, centred over ``date`` (set four characters in from the right)."""
    from_right = DATE_RIGHT_PT + text_width_pt(date) / 2  # the date's middle, from the right margin
    room = 2 * from_right  # a centred line over it may be this wide and still end at the margin
    lines = []
    for office in offices:
        if text_width_pt(office) <= room:
            lines.append(OfficeLine(max(0.0, block_width_pt - room), True))
        else:
            lines.append(OfficeLine(0.0, False))
    return lines


def lay_out_signature(document_xml: str) -> str:
    """The rendered ``word/document.xml`` with its office paragraphs centred over its date.

    Paragraphs are told by their styles (发文机关署名 over 成文日期); a paper without
    them comes back unchanged.
    """
    if OFFICE_STYLE not in document_xml or DATE_STYLE not in document_xml:
        return document_xml
    root = etree.fromstring(document_xml.encode("utf-8"))
    offices: list[etree._Element] = []
    blocks: list[tuple[list[etree._Element], etree._Element]] = []
    for paragraph in root.iter(_P):
        name = _style(paragraph)
        if name == OFFICE_STYLE:
            if _text(paragraph):
                offices.append(paragraph)
        elif name == DATE_STYLE:
            blocks.append((offices, paragraph))
            offices = []
        elif offices and _text(paragraph):  # only a block being gathered needs the text of the others
            offices = []
    if not blocks:
        return document_xml
    for office_paragraphs, date in blocks:
        names = tuple(_text(p) for p in office_paragraphs)
        for paragraph, line in zip(office_paragraphs, _office_lines(names, _text(date)), strict=True):
            _set_line(paragraph, line)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True).decode("utf-8")


@functools.lru_cache(maxsize=64)
def _office_lines(names: tuple[str, ...], date: str) -> tuple[OfficeLine, ...]:
    # every paper of a batch has the same offices and date
    return tuple(office_lines(list(names), date))


def _style(paragraph: etree._Element) -> str | None:
    """The paragraph's style (``w:pPr/w:pStyle/@w:val``), found without a path search."""
    for ppr in paragraph.iterchildren(_PPR):
        for style in ppr.iterchildren(_PSTYLE):
            return style.get(_VAL)
    return None


def _text(paragraph: etree._Element) -> str:
    return "".join(t.text or "" for t in paragraph.iter(_T)).strip()


_PPR_AFTER_IND = ("contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection", "textAlignment",
                  "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange")
_PPR_AFTER_JC = _PPR_AFTER_IND[_PPR_AFTER_IND.index("jc") + 1 :]
_FOLLOWING_IND = frozenset(f"{_W}{tag}" for tag in _PPR_AFTER_IND)
_FOLLOWING_JC = frozenset(f"{_W}{tag}" for tag in _PPR_AFTER_JC)


def _set_line(paragraph: etree._Element, line: OfficeLine) -> None:
    ppr = paragraph.find(_PPR)
    for tag in ("ind", "jc"):
        old = ppr.find(f"{_W}{tag}")
        if old is not None:
            ppr.remove(old)
    ind = etree.Element(f"{_W}ind")
    ind.set(f"{_W}left", str(round(line.left_pt * 20)))
    ind.set(f"{_W}leftChars", "0")
    ind.set(f"{_W}right", "0")
    ind.set(f"{_W}rightChars", "0")
    ind.set(f"{_W}firstLine", "0")
    ind.set(f"{_W}firstLineChars", "0")
    jc = etree.Element(f"{_W}jc")
    jc.set(f"{_W}val", "center" if line.centred else "right")
    _insert(ppr, ind, _FOLLOWING_IND)
    _insert(ppr, jc, _FOLLOWING_JC)


def _insert(ppr: etree._Element, element: etree._Element, following: frozenset[str]) -> None:
    """Put ``element`` before the first child that must follow it (schema order)."""
    for index, child in enumerate(ppr):
        if child.tag in following:
            ppr.insert(index, element)
            return
    ppr.append(element)
