#!/usr/bin/env python3
"""Build the docxtpl Word templates: the five in templates_docx/, the forestry profile's five in its kinds folder.

    .venv/bin/python scripts/build_templates.py            # build
    .venv/bin/python scripts/build_templates.py --check    # build, then render samples with docxtpl
    .venv/bin/python scripts/build_templates.py --check --pdf /tmp/x   # ... and convert them with soffice

The layout follows GB/T 9704-2012 (see shared/GBT9704.md): A4, margins
37/26/35/28 mm (top/right/bottom/left), 仿宋_GB2312 3号 body on an exact
28.95 pt line (22 lines a page), 方正小标宋简体 2号 title, "— 1 —" page numbers
in 宋体 4号, odd pages right and even pages left, one character in.

Everything is carried by named paragraph styles (公文标题, 发文字号, 主送机关,
公文正文, 发文机关署名, 成文日期, 表格文字, 表格标题行, ...), so a clerk can retune
a template in Word/WPS/LibreOffice by editing the style, not each paragraph.

Template variables are docxtpl/Jinja2 tags; each one sits alone in its own run
(w:r) so docxtpl never has to stitch a tag together and a value carrying
Word line-break XML lands in a run of its own. No organisation-specific text
is written here: names come from {{ org_name }}, {{ committee }} and
{{ issuing_offices }}.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree

from docgen.services.official_docx import drop_leftovers, drop_unused_styles, table_borders
from docgen.services.page_grid import (
    TWO_CHARACTERS_TWIPS,
    condense_characters,
    no_hanging_punctuation,
    no_stretch_before_breaks,
    off_grid,
    set_document_grid,
)

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "templates_docx"

# ---------------------------------------------------------------- GB/T 9704 numbers
PAGE_W, PAGE_H = Mm(210), Mm(297)
MARGIN_TOP, MARGIN_BOTTOM = Mm(37), Mm(35)
MARGIN_LEFT, MARGIN_RIGHT = Mm(28), Mm(26)
TEXT_WIDTH_MM = 210 - 28 - 26  # 156 mm 版心宽
TEXT_WIDTH = Mm(TEXT_WIDTH_MM)
# The page number's 一字线 sits about 7 mm below the text block: with a 4号
# line of ~5.6 mm centred on the dash, the footer's bottom edge is ~25 mm up.
FOOTER_DISTANCE = Mm(25)
HEADER_DISTANCE = Mm(15)

LINE = Pt(28.95)  # 22 lines in the 225 mm text block
BODY_SIZE = Pt(16)  # 3号
TITLE_SIZE = Pt(22)  # 2号
SMALL_SIZE = Pt(14)  # 4号: page numbers, ledger tables
TABLE_LINE = Pt(22)  # exact line for 4号 table text

FANGSONG = "仿宋_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
HEITI = "黑体"
SONGTI = "宋体"

CHAR = BODY_SIZE.pt  # one character of body text, in pt
DATE_RIGHT_INDENT = Pt(4 * CHAR)  # 成文日期右空四字 = 64 pt
# The date "2026年11月22日" is ~6 half-width digits + 3 CJK ≈ 100 pt at 3号; the
# issuing offices are centred on it: a centred paragraph whose left indent
# puts its middle over the middle of the date.
_DATE_WIDTH_PT = 100.0
_DATE_CENTRE_FROM_RIGHT = DATE_RIGHT_INDENT.pt + _DATE_WIDTH_PT / 2
OFFICE_LEFT_INDENT = Pt(round(TEXT_WIDTH.pt - 2 * _DATE_CENTRE_FROM_RIGHT, 1))

TEMPLATE_FILES = (
    "key-work-ledger.docx",
    "supervision-ledger.docx",
    "supervision-report.docx",
    "supervision-prompt.docx",
    "accountability-notice.docx",
)

# ---------------------------------------------------------------- low-level helpers


def _set_fonts(rpr, name: str, east_asia: str | None = None) -> None:
    """Explicit fonts for every script on an rPr (style or run); theme fonts removed."""
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    rfonts.set(qn("w:ascii"), name)
    rfonts.set(qn("w:hAnsi"), name)
    rfonts.set(qn("w:eastAsia"), east_asia or name)
    rfonts.set(qn("w:cs"), name)
    # ambiguous characters (— “ ” ☐ ☑ …) take the East Asian font, full width
    rfonts.set(qn("w:hint"), "eastAsia")


def _set_size(rpr, size: Pt) -> None:
    half_points = str(int(round(size.pt * 2)))
    for tag in ("w:sz", "w:szCs"):
        el = rpr.find(qn(tag))
        if el is None:
            el = OxmlElement(tag)
            rpr.append(el)
        el.set(qn("w:val"), half_points)


def _set_lang(rpr) -> None:
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    lang.set(qn("w:bidi"), "ar-SA")


def _sort_rpr(rpr) -> None:
    """Put rPr children back into schema order (Word is strict about it)."""
    order = [
        "rStyle",
        "rFonts",
        "b",
        "bCs",
        "i",
        "iCs",
        "caps",
        "smallCaps",
        "strike",
        "dstrike",
        "outline",
        "shadow",
        "emboss",
        "imprint",
        "noProof",
        "snapToGrid",
        "vanish",
        "webHidden",
        "color",
        "spacing",
        "w",
        "kern",
        "position",
        "sz",
        "szCs",
        "highlight",
        "u",
        "effect",
        "bdr",
        "shd",
        "fitText",
        "vertAlign",
        "rtl",
        "cs",
        "em",
        "lang",
        "eastAsianLayout",
        "specVanish",
        "oMath",
    ]
    rank = {qn("w:" + t): i for i, t in enumerate(order)}
    children = sorted(rpr, key=lambda el: rank.get(el.tag, len(order)))
    for el in children:
        rpr.append(el)


def _ind_chars(paragraph_format_element, **chars: int) -> None:
    """Add Word's character-unit indents (firstLineChars=200 = two characters)."""
    ind = paragraph_format_element.get_or_add_pPr().get_or_add_ind()
    for key, value in chars.items():
        ind.set(qn("w:" + key), str(value))


def _tag_run(paragraph: Paragraph, text: str):
    """A run holding exactly one template tag or variable; spaces preserved."""
    run = paragraph.add_run(text)
    run._r.find(qn("w:t")).set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return run


def _add(paragraph: Paragraph, *pieces: str) -> Paragraph:
    """Add text pieces as runs: '{{ x }}' / '{% ... %}' pieces each get their own run."""
    for piece in pieces:
        if "{{" in piece or "{%" in piece:
            _tag_run(paragraph, piece)
        else:
            paragraph.add_run(piece)
    return paragraph


# ---------------------------------------------------------------- document skeleton


def _new_document(title: str) -> DocumentObject:
    doc = Document()
    drop_leftovers(doc)
    _setup_page(doc)
    _setup_settings(doc)
    _setup_font_table(doc)
    _setup_styles(doc)
    _setup_footers(doc)
    # a paper's properties are written when it is made (docgen/services/document_properties.py):
    # its title, organisation and date; the template's own say what it is and when it was built
    props = doc.core_properties
    props.title = title
    props.subject = title
    props.author = props.last_modified_by = ""
    props.comments = ""
    props.language = "zh-CN"
    props.keywords = "GB/T 9704-2012"
    props.revision = 1
    props.created = props.modified = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    return doc


def _setup_page(doc: DocumentObject) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE_W, PAGE_H
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.header_distance, section.footer_distance = HEADER_DISTANCE, FOOTER_DISTANCE
    section.gutter = 0
    sect_pr = section._sectPr
    # the 22 × 28 document grid (docgen/services/page_grid.py)
    grid = sect_pr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect_pr.append(grid)
    set_document_grid(grid)
    for attr in ("w:rsidR", "w:rsidRPr", "w:rsidSect"):
        sect_pr.attrib.pop(qn(attr), None)


def _setup_settings(doc: DocumentObject) -> None:
    settings = doc.settings
    settings.odd_and_even_pages_header_footer = True  # w:evenAndOddHeaders
    el = settings.element
    lang = el.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")
    no_stretch_before_breaks(el)
    # punctuation keeps its full cell, in Word as in LibreOffice's PDF
    csc = el.find(qn("w:characterSpacingControl"))
    if csc is not None:
        csc.set(qn("w:val"), "doNotCompress")
    tab = el.find(qn("w:defaultTabStop"))
    if tab is not None:
        tab.set(qn("w:val"), str(int(CHAR * 20 * 2)))  # two characters
    rsids = el.find(qn("w:rsids"))
    if rsids is not None:
        el.remove(rsids)


_FONT_TABLE_ADDITIONS = """
<w:fonts xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
  <w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/><w:charset w:val="86"/><w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font>
  <w:font w:name="方正小标宋简体"><w:altName w:val="宋体"/><w:charset w:val="86"/><w:family w:val="script"/><w:pitch w:val="variable"/></w:font>
  <w:font w:name="黑体"><w:altName w:val="SimHei"/><w:charset w:val="86"/><w:family w:val="modern"/><w:pitch w:val="fixed"/></w:font>
  <w:font w:name="宋体"><w:altName w:val="SimSun"/><w:charset w:val="86"/><w:family w:val="auto"/><w:pitch w:val="variable"/></w:font>
</w:fonts>
"""


def _setup_font_table(doc: DocumentObject) -> None:
    """Declare the Chinese fonts (GB2312 charset, fallback names) in fontTable.xml."""
    part = next(p for p in doc.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml")
    root = etree.fromstring(part.blob)
    # drop the Japanese faces python-docx's default template carries
    for font in list(root):
        if font.get(qn("w:name")) in ("ＭＳ 明朝", "ＭＳ ゴシック"):
            root.remove(font)
    for font in etree.fromstring(_FONT_TABLE_ADDITIONS.encode()):
        root.append(font)
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _rpr_of(style_element):
    return style_element.get_or_add_rPr()


def _style_fonts(style, name: str, size: Pt, *, bold: bool | None = None) -> None:
    rpr = _rpr_of(style.element)
    _set_fonts(rpr, name)
    _set_size(rpr, size)
    _set_lang(rpr)
    style.font.color.rgb = RGBColor(0, 0, 0)
    if bold is not None:
        style.font.bold = bold
    _sort_rpr(rpr)


def _paragraph_style(doc: DocumentObject, style_id: str, name: str, base: str = "Normal", next_: str | None = None):
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.style_id = style_id
    style.base_style = doc.styles[base]
    style.quick_style = True
    style.priority = 1
    if next_:
        style.next_paragraph_style = doc.styles[next_]
    return style


def _exact(pf, line: Pt = LINE) -> None:
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = line
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)


def _setup_styles(doc: DocumentObject) -> None:
    styles = doc.styles

    # document defaults: what every style inherits
    defaults = styles.element.find(qn("w:docDefaults"))
    rpr_default = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(rpr_default, FANGSONG)
    _set_size(rpr_default, BODY_SIZE)
    _set_lang(rpr_default)
    condense_characters(rpr_default)
    _sort_rpr(rpr_default)
    ppr_default = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
    spacing = ppr_default.find(qn("w:spacing"))
    spacing.attrib.clear()
    spacing.set(qn("w:before"), "0")
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), str(int(round(LINE.pt * 20))))
    spacing.set(qn("w:lineRule"), "exact")

    # Normal: 仿宋_GB2312 3号, exact 28.95 pt, justified, black
    normal = styles["Normal"]
    _style_fonts(normal, FANGSONG, BODY_SIZE)
    pf = normal.paragraph_format
    _exact(pf)
    pf.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    pf.widow_control = False
    off_grid(normal.element.get_or_add_pPr())
    no_hanging_punctuation(normal.element.get_or_add_pPr())
    # no extra gap between CJK and Latin/digits: "2026年11月22日" stays tight, as printed papers have it
    npr = normal.element.get_or_add_pPr()
    for tag in ("w:autoSpaceDE", "w:autoSpaceDN"):
        el = OxmlElement(tag)
        el.set(qn("w:val"), "0")
        npr.insert_element_before(
            el,
            "w:bidi",
            "w:adjustRightInd",
            "w:snapToGrid",
            "w:spacing",
            "w:ind",
            "w:contextualSpacing",
            "w:mirrorIndents",
            "w:suppressOverlap",
            "w:jc",
            "w:textDirection",
            "w:textAlignment",
            "w:textboxTightWrap",
            "w:outlineLvl",
            "w:divId",
            "w:cnfStyle",
            "w:rPr",
            "w:sectPr",
            "w:pPrChange",
        )

    # the page-number footer: 宋体 4号, single line, no inherited tab stops
    footer = styles["Footer"]
    ppr = footer.element.get_or_add_pPr()
    tabs = ppr.find(qn("w:tabs"))
    if tabs is not None:
        ppr.remove(tabs)
    fpf = footer.paragraph_format
    fpf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    fpf.space_before = fpf.space_after = Pt(0)
    _style_fonts(footer, SONGTI, SMALL_SIZE)
    # FooterChar mirrors Footer for character-level use
    footer_char = styles["Footer Char"]
    _style_fonts(footer_char, SONGTI, SMALL_SIZE)

    # 公文标题: 方正小标宋简体 2号, centred
    title = _paragraph_style(doc, "GWTitle", "公文标题", next_="Normal")
    _style_fonts(title, XIAOBIAOSONG, TITLE_SIZE)
    tpf = title.paragraph_format
    _exact(tpf, Pt(36))
    tpf.alignment = WD_ALIGN_PARAGRAPH.CENTER
    tpf.keep_with_next = True
    title.element.get_or_add_pPr().append(_outline_level(0))

    # 发文字号: centred under the title
    number = _paragraph_style(doc, "GWNumber", "发文字号", next_="Normal")
    number.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    number.paragraph_format.keep_with_next = True

    # 主送机关: flush left, no indent
    salutation = _paragraph_style(doc, "GWSalutation", "主送机关", next_="Normal")
    salutation.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
    salutation.paragraph_format.keep_with_next = True

    # 公文正文: justified, two-character first-line indent
    body = _paragraph_style(doc, "GWBody", "公文正文")
    body.paragraph_format.first_line_indent = Pt(TWO_CHARACTERS_TWIPS / 20)
    body.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    # a long body runs on to the next page (no keep-with-next: LibreOffice
    # would move the whole paragraph off the title's page), and never leaves
    # one line alone at the top or foot of a page
    body.paragraph_format.widow_control = True
    _ind_chars(body.element, firstLineChars=200)
    salutation.next_paragraph_style = body

    # 成文日期: right-aligned, four characters in from the right margin
    date = _paragraph_style(doc, "GWSignDate", "成文日期")
    date.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    date.paragraph_format.right_indent = DATE_RIGHT_INDENT
    _ind_chars(date.element, rightChars=400)

    # 发文机关署名: centred over the date
    office = _paragraph_style(doc, "GWSignOffice", "发文机关署名", next_="成文日期")
    office.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    office.paragraph_format.left_indent = OFFICE_LEFT_INDENT
    office.paragraph_format.right_indent = Pt(0)
    office.paragraph_format.keep_with_next = True

    # 表头信息: the 年度 / 科室 / 日期 lines: left text, right text after a right tab
    info = _paragraph_style(doc, "GWInfoLine", "表头信息")
    info.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
    info.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
    info.paragraph_format.keep_with_next = True

    # 栏目名称: the label in a report block
    label = _paragraph_style(doc, "GWFieldLabel", "栏目名称", next_="公文正文")
    label.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
    label.paragraph_format.keep_with_next = True
    # 栏目名称（表内）: the same label inside a table cell, WITHOUT keep-with-next; there it
    # would tie the whole table to what follows it, and the table would leave the title alone
    cell_label = _paragraph_style(doc, "GWCellLabel", "栏目名称（表内）", base="GWFieldLabel", next_="公文正文")
    cell_label.paragraph_format.keep_with_next = False

    # 表格标题行 / 表格文字: 4号 in ledger tables
    head = _paragraph_style(doc, "GWTableHead", "表格标题行")
    _style_fonts(head, HEITI, SMALL_SIZE)
    _exact(head.paragraph_format, TABLE_LINE)
    head.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    cell = _paragraph_style(doc, "GWTableText", "表格文字")
    _style_fonts(cell, FANGSONG, SMALL_SIZE)
    _exact(cell.paragraph_format, TABLE_LINE)
    cell.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    centred = _paragraph_style(doc, "GWTableTextCentred", "表格文字居中", base="表格文字")
    centred.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER

    # 公文表格: a table style with 0.5 pt black borders all round
    table = styles.add_style("公文表格", WD_STYLE_TYPE.TABLE)
    table.style_id = "GWTable"
    table.base_style = styles["Normal Table"]
    table.priority = 1
    tbl_pr = table.element.find(qn("w:tblPr"))
    if tbl_pr is None:
        tbl_pr = OxmlElement("w:tblPr")
        table.element.append(tbl_pr)
    table_borders(tbl_pr)


def _outline_level(level: int):
    el = OxmlElement("w:outlineLvl")
    el.set(qn("w:val"), str(level))
    return el


def _page_number_paragraph(paragraph: Paragraph, odd: bool) -> None:
    """'— n —': odd pages right with one character in, even pages left."""
    pf = paragraph.paragraph_format
    ind_chars = {"rightChars": 100} if odd else {"leftChars": 100}
    if odd:
        pf.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        pf.right_indent = SMALL_SIZE
    else:
        pf.alignment = WD_ALIGN_PARAGRAPH.LEFT
        pf.left_indent = SMALL_SIZE
    ind = paragraph._p.get_or_add_pPr().get_or_add_ind()
    for key, value in ind_chars.items():
        ind.set(qn("w:" + key), str(value))
    paragraph.add_run("— ")
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        run = paragraph.add_run()
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            run.text = text
    paragraph.add_run(" —")


def _setup_footers(doc: DocumentObject) -> None:
    section = doc.sections[0]
    section.different_first_page_header_footer = False
    odd = section.footer
    odd.is_linked_to_previous = False
    p = odd.paragraphs[0]
    p.style = doc.styles["Footer"]
    _page_number_paragraph(p, odd=True)
    even = section.even_page_footer
    even.is_linked_to_previous = False
    p = even.paragraphs[0]
    p.style = doc.styles["Footer"]
    _page_number_paragraph(p, odd=False)


# ---------------------------------------------------------------- building blocks


def _para(doc: DocumentObject, style: str, *pieces: str) -> Paragraph:
    paragraph = doc.add_paragraph(style=doc.styles[style])
    return _add(paragraph, *pieces)


def _cell_para(cell, style, *pieces: str, first: bool = True) -> Paragraph:
    paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
    paragraph.style = style
    return _add(paragraph, *pieces)


def _table(doc: DocumentObject, widths_mm: list[float], rows: int) -> Table:
    table = doc.add_table(rows=rows, cols=len(widths_mm))
    table.style = doc.styles["公文表格"]
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    tbl_w = tbl_pr.find(qn("w:tblW"))
    tbl_w.set(qn("w:type"), "dxa")
    tbl_w.set(qn("w:w"), str(int(round(sum(widths_mm) / 25.4 * 1440))))
    look = tbl_pr.find(qn("w:tblLook"))
    if look is not None:
        tbl_pr.remove(look)
    for col, width in zip(table.columns, widths_mm, strict=True):
        col.width = Mm(width)
        for cell in col.cells:
            cell.width = Mm(width)
    return table


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    for tag in ("w:cantSplit", "w:tblHeader"):
        el = OxmlElement(tag)
        tr_pr.append(el)


def _ledger_table(doc: DocumentObject, columns: list[tuple[str, float, str, str]]) -> Table:
    """header | {%tr for %} | data row | {%tr endfor %}.

    columns: (header text, width mm, cell variable, cell paragraph style).
    """
    table = _table(doc, [w for _, w, _, _ in columns], rows=4)
    header, loop_open, data, loop_close = table.rows
    _repeat_header(header)
    header.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    header.height = Pt(30)
    head_style = doc.styles["表格标题行"]
    for cell, (text, _, _, _) in zip(header.cells, columns, strict=True):
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        _cell_para(cell, head_style, text)
    text_style = doc.styles["表格文字"]
    _cell_para(loop_open.cells[0], text_style, "{%tr for row in rows %}")
    _cell_para(loop_close.cells[0], text_style, "{%tr endfor %}")
    data.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    data.height = Pt(30)
    # a row is not torn across a page break (Word still breaks one taller than a page)
    data._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    for cell, (_, _, var, style) in zip(data.cells, columns, strict=True):
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        _cell_para(cell, doc.styles[style], "{{ " + var + " }}")
    return table


def _signature(doc: DocumentObject) -> None:
    """One blank line, the offices centred over the date, the date four characters in."""
    _para(doc, "Normal").paragraph_format.keep_with_next = True
    _para(doc, "发文机关署名", "{%p for office in issuing_offices %}")
    _para(doc, "发文机关署名", "{{ office }}")
    _para(doc, "发文机关署名", "{%p endfor %}")
    _para(doc, "成文日期", "{{ issued_on }}")


# ---------------------------------------------------------------- the five templates


def build_key_work_ledger() -> DocumentObject:
    doc = _new_document("重点工作台帐")
    _para(doc, "公文标题", "{{ org_name }}", "重点工作台帐")
    _para(doc, "表头信息", "{{ year }}", "年度", "\t", "科室：", "{{ department }}")
    _ledger_table(
        doc,
        [
            ("重点工作", 52.0, "row.work", "表格文字"),
            ("具体措施", TEXT_WIDTH_MM - 52.0, "row.measures", "表格文字"),
        ],
    )
    return doc


def build_supervision_ledger() -> DocumentObject:
    doc = _new_document("督查工作台帐")
    _para(doc, "公文标题", "{{ org_name }}", "督查工作台帐")
    line = _para(doc, "表头信息", "{{ year }}", "年度　", "{{ month }}", "月份")
    line.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _ledger_table(
        doc,
        [
            # wide enough for "2026年11月22日" on one line even where the renderer
            # adds CJK/digit spacing (LibreOffice ignores autoSpaceDE="0")
            ("督查时间", 44.0, "row.date", "表格文字居中"),
            ("责任科室和单位", 38.0, "row.department", "表格文字"),
            # the points are what a ledger is read for: they get the width
            # (a longer date style takes its room from here when the paper is made)
            ("督查要点", TEXT_WIDTH_MM - 82.0, "row.points", "表格文字"),
        ],
    )
    return doc


def build_supervision_report() -> DocumentObject:
    doc = _new_document("督查报告")
    _para(doc, "公文标题", "{{ org_name }}", "督查报告")
    _para(doc, "发文字号", "{{ number }}")
    _para(doc, "表头信息", "科室：", "{{ department }}", "\t", "日期：", "{{ date }}")
    table = _table(doc, [TEXT_WIDTH_MM], rows=3)
    label_style = doc.styles["栏目名称（表内）"]
    body_style = doc.styles["公文正文"]
    # the seed writes "督查结果" without a colon; kept word for word
    blocks = (("督查内容：", "content"), ("督查结果", "result"), ("改进措施和下周期重点内容：", "improvements"))
    for row, (label, var) in zip(table.rows, blocks, strict=True):
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        row.height = Pt(5 * LINE.pt)  # room to write by hand when printed blank
        cell = row.cells[0]
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
        _cell_para(cell, label_style, label)
        _cell_para(cell, body_style, "{{ " + var + " }}", first=False)
    after = _para(doc, "表头信息", "报告人：", "{{ reporter }}", "\t", "报告日期：", "{{ report_date }}")
    after.paragraph_format.space_before = Pt(LINE.pt / 2)
    return doc


def _notice_head(doc: DocumentObject, *title: str) -> None:
    _para(doc, "公文标题", *title)
    _para(doc, "发文字号", "{{ number }}")
    _para(doc, "Normal")
    _para(doc, "主送机关", "{{ recipient }}", "：")


def build_supervision_prompt() -> DocumentObject:
    doc = _new_document("督办提示")
    _notice_head(doc, "{{ org_name }}", "督办提示")
    _para(
        doc,
        "公文正文",
        "通过督查发现你单位（科室）",
        "{{ matter }}",
        "工作存在（",
        "{{ findings_marked }}",
        "），现要求你单位（科室）接到本通知后",
        "{{ reply_period }}",
        "内进行回复。",
    )
    _signature(doc)
    return doc


def build_accountability_notice() -> DocumentObject:
    doc = _new_document("督查问责通知书")
    # the seed's title carries no organisation name
    _notice_head(doc, "督查问责通知书")
    _para(
        doc,
        "公文正文",
        "通过督查发现你单位（科室）",
        "{{ matter }}",
        "工作存在（",
        "{{ findings_marked }}",
        "），并于",
        "{{ prompt_issued_on }}",
        "下发《督办提示》（",
        "{{ prompt_number }}",
        "），现责成你单位（科室）",
        "{{ reply_period }}",
        "内向",
        "{{ committee }}",
        "说明情况。",
    )
    _signature(doc)
    return doc


# ---------------------------------------------------------------- the forestry profile's papers (seed 002)
# The three-round escalation (三次督查制度), the 督查通知单 and the 落实情况反馈表,
# worded as seed 002 words them. They live beside their definitions in
# docgen/profiles/forestry/kinds/.


def build_rectification_notice() -> DocumentObject:
    doc = _new_document("整改通知书")
    _notice_head(doc, "{{ org_name }}", "整改通知书")
    _para(
        doc,
        "公文正文",
        "按照三次督查制度，党政办督查室对你单位贯彻落实",
        "{{ matter }}",
        "的情况、工作措施和进度进行了第一次督查。督查发现，你单位存在（",
        "{{ findings_marked }}",
        "）的问题：",
        "{{ situation }}",
    )
    _para(doc, "公文正文", "现对你单位予以通报批评，并下发《整改通知书》，请认真整改：", "{{ requirements }}")
    _para(doc, "公文正文", "请于接到本通知书后", "{{ reply_period }}", "内将整改情况书面报送党政办督查室。")
    _signature(doc)
    return doc


def build_yellow_card_warning() -> DocumentObject:
    doc = _new_document("黄牌警告")
    _notice_head(doc, "{{ org_name }}", "黄牌警告")
    _para(
        doc,
        "公文正文",
        "你单位",
        "{{ matter }}",
        "工作经第一次督查，已于",
        "{{ notice_issued_on }}",
        "下发《整改通知书》（",
        "{{ notice_number }}",
        "）予以通报批评。党政办督查室对你单位整改情况和工作效果进行了第二次督查，你单位仍未按要求完成任务：",
        "{{ situation }}",
    )
    _para(
        doc,
        "公文正文",
        "根据三次督查制度，现对你单位予以黄牌警告。请于接到本通知后",
        "{{ reply_period }}",
        "内完成整改，并将整改情况书面报送党政办督查室。第三次督查仍不能按时保质保量完成任务的，将提请",
        "{{ committee }}",
        "追究领导班子及有关班子成员的责任。",
    )
    _signature(doc)
    return doc


def build_accountability_referral() -> DocumentObject:
    doc = _new_document("提请追究责任")
    _para(doc, "公文标题", "关于提请追究", "{{ unit }}", "领导班子及有关班子成员责任的请示")
    _para(doc, "发文字号", "{{ number }}")
    _para(doc, "Normal")
    _para(doc, "主送机关", "{{ committee }}", "：")
    _para(
        doc,
        "公文正文",
        "按照三次督查制度，党政办督查室对",
        "{{ unit }}",
        "贯彻落实",
        "{{ matter }}",
        "的情况进行了第三次督查。该单位经《整改通知书》通报批评，又于",
        "{{ warning_issued_on }}",
        "被给予黄牌警告（",
        "{{ warning_number }}",
        "）后，仍未按时保质保量地完成",
        "{{ committee }}",
        "部署的工作任务，存在（",
        "{{ conduct_marked }}",
        "）的问题：",
        "{{ situation }}",
    )
    _para(
        doc,
        "公文正文",
        "根据三次督查制度，提请",
        "{{ committee }}",
        "追究该单位领导班子及有关班子成员的责任。责任人员：",
        "{{ persons }}",
    )
    _para(doc, "公文正文", "妥否，请批示。")
    _signature(doc)
    return doc


def _form_table(doc: DocumentObject, rows: list[tuple[str, tuple[str, ...], int]]) -> Table:
    """A two-column form: label | value; rows given as (label, value pieces, height in lines)."""
    label_width = 36.0
    table = _table(doc, [label_width, TEXT_WIDTH_MM - label_width], rows=len(rows))
    head_style = doc.styles["表格标题行"]
    text_style = doc.styles["表格文字"]
    for row, (label, pieces, lines) in zip(table.rows, rows, strict=True):
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        row.height = Pt(lines * TABLE_LINE.pt + 8)
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        name, value = row.cells
        name.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        value.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER if lines == 1 else WD_CELL_VERTICAL_ALIGNMENT.TOP
        _cell_para(name, head_style, label)
        _cell_para(value, text_style, *pieces)
    return table


def build_supervision_notice() -> DocumentObject:
    doc = _new_document("督查通知单")
    _para(doc, "公文标题", "{{ org_name }}", "{{ category }}", "督查通知单")
    _para(doc, "发文字号", "{{ number }}")
    _form_table(
        doc,
        [
            ("承办单位", ("{{ recipient }}",), 1),
            ("事项来源", ("{{ source }}",), 1),
            ("督办事项", ("{{ matter }}",), 4),
            ("批示意见或办理要求", ("{{ requirements }}",), 5),
            ("办理时限", ("接到本通知单后", "{{ reply_period }}", "内上报办理结果"), 1),
        ],
    )
    after = _para(doc, "公文正文", "请承办单位明确责任，限期办理，并按时填写《落实情况反馈表》报党政办督查室。")
    after.paragraph_format.space_before = Pt(LINE.pt / 2)
    _signature(doc)
    return doc


def build_implementation_feedback() -> DocumentObject:
    doc = _new_document("落实情况反馈表")
    _para(doc, "公文标题", "落实情况反馈表")
    _para(doc, "表头信息", "填报单位：", "{{ unit }}", "\t", "填报日期：", "{{ filled_on }}")
    _form_table(
        doc,
        [
            ("督办事项", ("{{ matter }}",), 2),
            ("督查通知单文号", ("{{ notice_number }}",), 1),
            ("落实情况", ("{{ progress }}",), 6),
            ("存在问题", ("{{ problems }}",), 4),
            ("下一步措施", ("{{ next_steps }}",), 4),
            # signed by hand on paper
            ("主要领导签字", ("",), 3),
        ],
    )
    return doc


FORESTRY_DIR = ROOT / "docgen" / "profiles" / "forestry" / "kinds"
FORESTRY_BUILDERS: dict[str, Callable[[], DocumentObject]] = {
    "rectification-notice.docx": build_rectification_notice,
    "yellow-card-warning.docx": build_yellow_card_warning,
    "accountability-referral.docx": build_accountability_referral,
    "supervision-notice.docx": build_supervision_notice,
    "implementation-feedback.docx": build_implementation_feedback,
}


BUILDERS: dict[str, Callable[[], DocumentObject]] = {
    "key-work-ledger.docx": build_key_work_ledger,
    "supervision-ledger.docx": build_supervision_ledger,
    "supervision-report.docx": build_supervision_report,
    "supervision-prompt.docx": build_supervision_prompt,
    "accountability-notice.docx": build_accountability_notice,
}

# What each template must read (docxtpl's get_undeclared_template_variables).
EXPECTED_VARIABLES: dict[str, set[str]] = {
    "key-work-ledger.docx": {"org_name", "year", "department", "rows"},
    "supervision-ledger.docx": {"org_name", "year", "month", "rows"},
    "supervision-report.docx": {
        "org_name",
        "number",
        "department",
        "date",
        "content",
        "result",
        "improvements",
        "reporter",
        "report_date",
    },
    "supervision-prompt.docx": {
        "org_name",
        "number",
        "recipient",
        "matter",
        "findings_marked",
        "reply_period",
        "issuing_offices",
        "issued_on",
    },
    "accountability-notice.docx": {
        "number",
        "recipient",
        "matter",
        "findings_marked",
        "prompt_issued_on",
        "prompt_number",
        "reply_period",
        "committee",
        "issuing_offices",
        "issued_on",
    },
}


def build(out_dir: Path = OUT_DIR, forestry_dir: Path = FORESTRY_DIR) -> list[Path]:
    written = []
    for folder, builders in ((out_dir, BUILDERS), (forestry_dir, FORESTRY_BUILDERS)):
        folder.mkdir(parents=True, exist_ok=True)
        for name, builder in builders.items():
            doc = builder()
            drop_unused_styles(doc)
            path = folder / name
            doc.save(str(path))
            written.append(path)
    return written


# ---------------------------------------------------------------- --check: render samples


def _sample_context(name: str, rows: int = 3) -> dict:
    common = {
        "org_name": "示例区卫生局",
        "committee": "局党委",
        "issuing_offices": ["示例区卫生局党办", "示例区卫生局行政办公室"],
        "number": "示卫督办〔2026〕7号",
        "issued_on": "2026年11月22日",
        "kind_title": "",
    }
    if name == "key-work-ledger.docx":
        return common | {
            "year": "2026",
            "department": "医政科",
            "rows": [{"work": f"重点工作第{i}项", "measures": f"第{i}项措施：3月摸底，6月培训，10月验收"} for i in range(1, rows + 1)],
        }
    if name == "supervision-ledger.docx":
        return common | {
            "year": "2026",
            "month": "11",
            "rows": [{"date": f"2026年11月{i}日", "department": f"责任单位{i}", "points": f"督查要点第{i}条"} for i in range(1, rows + 1)],
        }
    if name == "supervision-report.docx":
        return common | {
            "number": "示卫督报〔2026〕3号",
            "department": "医政科",
            "date": "2026年11月20日",
            "content": "辖区二级医院院感防控制度落实情况。",
            "result": "三家医院制度健全；区人民医院手卫生依从性偏低。",
            "improvements": "督促区人民医院12月底前完成手卫生专项培训。",
            "reporter": "张明",
            "report_date": "2026年11月22日",
        }
    ctx = common | {
        "recipient": "区人民医院",
        "matter": "院感防控",
        "findings_marked": "☐工作未落实、☐落实不彻底、☑落实进展缓慢、☐没有完成阶段性目标、☑可能完不成任务",
        "reply_period": "5个工作日",
    }
    if name == "accountability-notice.docx":
        ctx |= {
            "number": "示卫督问〔2026〕2号",
            "prompt_issued_on": "2026年11月2日",
            "prompt_number": "示卫督办〔2026〕7号",
            "reply_period": "3日",
        }
    return ctx


def check(out_dir: Path = OUT_DIR, pdf_dir: Path | None = None) -> bool:
    import subprocess
    import tempfile

    from docxtpl import DocxTemplate

    ok = True
    render_dir = Path(tempfile.mkdtemp(prefix="docgen-templates-"))
    for name in BUILDERS:
        path = out_dir / name
        found = DocxTemplate(str(path)).get_undeclared_template_variables()
        if found - {"row", "office"} != EXPECTED_VARIABLES[name]:
            ok = False
            print(f"FAIL {name}: variables {sorted(found)} != {sorted(EXPECTED_VARIABLES[name])}")
        row_counts = (3, 60) if "ledger" in name else (0,)
        for n in row_counts:
            ctx = _sample_context(name, rows=n)
            tpl = DocxTemplate(str(path))
            tpl.render(ctx, autoescape=True)
            target = render_dir / (name.replace(".docx", f"-{n}.docx") if n else name)
            tpl.save(str(target))
            rendered = Document(str(target))
            text = "\n".join(p.text for p in rendered.paragraphs)
            cells = "\n".join(c.text for t in rendered.tables for r in t.rows for c in r.cells)
            everything = text + "\n" + cells
            problems = []
            if "{{" in everything or "{%" in everything:
                problems.append("unrendered tag")
            if "ledger" in name:
                if len(rendered.tables[0].rows) != 1 + n:
                    problems.append(f"{len(rendered.tables[0].rows)} rows, want {1 + n}")
                for row in ctx["rows"]:
                    for value in row.values():
                        if value not in cells:
                            problems.append(f"missing {value!r}")
            else:
                for key, value in ctx.items():
                    if key in ("kind_title", "issuing_offices") or key not in EXPECTED_VARIABLES[name]:
                        continue
                    if value not in everything:
                        problems.append(f"missing {key}={value!r}")
                if "issuing_offices" in EXPECTED_VARIABLES[name]:
                    for office in ctx["issuing_offices"]:
                        if office not in text:
                            problems.append(f"missing office {office!r}")
            status = "ok  " if not problems else "FAIL"
            ok = ok and not problems
            print(f"{status} {target.name}: {'; '.join(problems) or 'rendered'}")
            if pdf_dir is not None:
                pdf_dir.mkdir(parents=True, exist_ok=True)
                subprocess.run(
                    ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(pdf_dir), str(target)],
                    check=True,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
    print(f"rendered samples in {render_dir}" + (f", PDFs in {pdf_dir}" if pdf_dir else ""))
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder (default: templates_docx/)")
    parser.add_argument("--forestry-out", type=Path, default=FORESTRY_DIR, help="output folder of the forestry profile's templates")
    parser.add_argument("--check", action="store_true", help="render sample contexts with docxtpl and verify them")
    parser.add_argument("--pdf", type=Path, metavar="DIR", help="with --check: convert the samples to PDF into DIR")
    args = parser.parse_args(argv)
    for path in build(args.out, args.forestry_out):
        print(f"wrote {path}")
    if args.check:
        return 0 if check(args.out, args.pdf) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
