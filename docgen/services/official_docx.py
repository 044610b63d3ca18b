"""Papers written in code rather than filled from a template: the reports to the leaders.

``OfficialDocx`` lays a document out as GB/T 9704-2012 and the Word templates
of ``scripts/build_templates.py`` do: A4, margins 37/26/35/28 mm, 仿宋 3号 body
on an exact 28.95 pt line (22 lines a page), 小标宋 2号 title, 黑体 "一、" and
楷体 "（一）" headings, ``— n —`` page numbers in 宋体 4号 (odd pages right,
even pages left). Everything is carried by named paragraph styles, so the
report stays editable in Word or WPS.

Tables keep numbers, dates and states whole: a column marked ``whole`` is made
as wide as its longest value (and its cells carry ``w:noWrap``); the other
columns share what is left, and the table's type shrinks a step when even
that does not fit.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph
from lxml import etree

from docgen.services.document_properties import APP_PART, CORE_PART, DocumentProperties
from docgen.services.page_grid import (
    TWO_CHARACTERS_TWIPS,
    condense_characters,
    no_auto_space,
    no_hanging_punctuation,
    no_stretch_before_breaks,
    off_grid,
    set_document_grid,
)
from docgen.services.signature_block import office_lines

FANGSONG = "仿宋_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
HEITI = "黑体"
KAITI = "楷体_GB2312"
SONGTI = "宋体"

TEXT_WIDTH_MM = 210 - 28 - 26  # 版心宽 156 mm
LINE = Pt(28.95)  # 22 lines in the 225 mm text block
BODY_PT = 16.0  # 3号
TITLE_PT = 22.0  # 2号
SMALL_PT = 14.0  # 4号
# cell margins left and right, in pt (85 twips each, as the templates)
_CELL_MARGIN_PT = 2 * 85 / 20
# whole columns get this much room over the estimated widths
_SLACK = 1.05
_TABLE_SIZES = (SMALL_PT, 12.0, 10.5, 9.0)
INDENT = Pt(TWO_CHARACTERS_TWIPS / 20)  # two characters: two cells of the grid
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


@dataclass(frozen=True)
class Column:
    """One column of a table: its header, and whether its values must never wrap."""

    header: str
    whole: bool = False
    weight: float = 1.0  # share of the free width, for columns that may wrap
    align: str = "left"  # left, center, right


def text_width_em(text: str) -> float:
    """Width of a line of text in ems, as LibreOffice sets it: CJK and full-width
    forms 1, digits and Latin about 0.55, and a quarter em where Chinese meets
    a digit or a Latin letter (the renderer's automatic spacing)."""
    width = 0.0
    previous: bool | None = None
    for char in text:
        code = ord(char)
        wide = code >= 0x2E80 or 0x2014 <= code <= 0x2015
        width += 1.0 if wide else 0.55
        if previous is not None and previous != wide and not char.isspace():
            width += 0.25
        previous = wide
    return width


def column_widths(columns: Sequence[Column], rows: Sequence[Sequence[str]], size_pt: float, total_mm: float = TEXT_WIDTH_MM) -> list[float] | None:
    """Widths in mm that keep every ``whole`` value on one line, or None when they cannot."""
    total_pt = total_mm / 25.4 * 72
    needed: list[float | None] = []
    for i, column in enumerate(columns):
        if not column.whole:
            needed.append(None)
            continue
        longest = max([text_width_em(str(row[i])) for row in rows] + [min(text_width_em(column.header), 4.0)])
        needed.append(longest * size_pt * _SLACK + _CELL_MARGIN_PT + 2)
    fixed = sum(w for w in needed if w is not None)
    free = total_pt - fixed
    flexible = [c for c, w in zip(columns, needed, strict=True) if w is None]
    minimum = 3 * size_pt + _CELL_MARGIN_PT  # three characters at least
    if free < minimum * len(flexible) or (not flexible and free < 0):
        return None
    weights = sum(c.weight for c in flexible) or 1.0
    widths_pt = []
    for column, width in zip(columns, needed, strict=True):
        if width is None:
            width = free * column.weight / weights
        elif not flexible:
            width += free / len(columns)  # spread what is left
        widths_pt.append(width)
    return [w / 72 * 25.4 for w in widths_pt]


def _set_fonts(rpr, name: str) -> None:
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), name)
    rfonts.set(qn("w:hint"), "eastAsia")


def _style_font(style, name: str, size_pt: float, bold: bool = False) -> None:
    style.font.size = Pt(size_pt)
    style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    _set_fonts(style.element.get_or_add_rPr(), name)


def _exact(pf, line: Pt = LINE) -> None:
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = line
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)


class OfficialDocx:
    """A report being written, paragraph by paragraph, in the GB/T 9704 layout."""

    def __init__(self, title: str, organisation: str = "", issued_on: dt.date | None = None, number: str = "") -> None:
        """``organisation``, ``issued_on`` and ``number`` go into the file's properties (none for a draft's date)."""
        self.doc: DocumentObject = Document()
        self._style_ids: dict[str, str] = {}
        self._drop_leftovers()
        self._setup_page()
        self._setup_styles()
        self._setup_footers()
        self.properties = DocumentProperties(title, organisation, number, issued_on, draft=not number and issued_on is None)
        body = self.doc.element.body
        for paragraph in list(body.iterchildren(qn("w:p"))):
            body.remove(paragraph)

    # -- set-up ----------------------------------------------------------------------
    def _drop_leftovers(self) -> None:
        drop_leftovers(self.doc)

    def _setup_page(self) -> None:
        section = self.doc.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
        section.header_distance, section.footer_distance = Mm(15), Mm(25)
        grid = section._sectPr.find(qn("w:docGrid"))
        if grid is None:
            grid = OxmlElement("w:docGrid")
            section._sectPr.append(grid)
        set_document_grid(grid)
        self.doc.settings.odd_and_even_pages_header_footer = True
        no_stretch_before_breaks(self.doc.settings.element)

    def _setup_styles(self) -> None:
        styles = self.doc.styles
        defaults = styles.element.find(qn("w:docDefaults"))
        rpr_default = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
        _set_fonts(rpr_default, FANGSONG)
        condense_characters(rpr_default)
        normal = styles["Normal"]
        _style_font(normal, FANGSONG, BODY_PT)
        _exact(normal.paragraph_format)
        normal.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        normal.paragraph_format.widow_control = True
        no_auto_space(normal.element.get_or_add_pPr())
        off_grid(normal.element.get_or_add_pPr())
        no_hanging_punctuation(normal.element.get_or_add_pPr())

        def paragraph_style(style_id: str, name: str, font: str, size: float, *, bold: bool = False):
            style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            style.style_id = style_id
            style.base_style = normal
            style.quick_style = True
            _style_font(style, font, size, bold)
            return style

        title = paragraph_style("GWTitle", "公文标题", XIAOBIAOSONG, TITLE_PT)
        _exact(title.paragraph_format, Pt(36))
        title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        title.paragraph_format.keep_with_next = True
        number = paragraph_style("GWNumber", "发文字号", FANGSONG, BODY_PT)
        number.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        number.paragraph_format.keep_with_next = True
        salutation = paragraph_style("GWSalutation", "主送机关", FANGSONG, BODY_PT)
        salutation.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
        salutation.paragraph_format.keep_with_next = True
        body = paragraph_style("GWBody", "公文正文", FANGSONG, BODY_PT)
        body.paragraph_format.first_line_indent = INDENT
        heading1 = paragraph_style("GWHeading1", "一级标题", HEITI, BODY_PT)
        heading1.paragraph_format.first_line_indent = INDENT
        heading1.paragraph_format.keep_with_next = True
        heading1.element.get_or_add_pPr().append(_outline_level(0))
        heading2 = paragraph_style("GWHeading2", "二级标题", KAITI, BODY_PT)
        heading2.paragraph_format.first_line_indent = INDENT
        heading2.paragraph_format.keep_with_next = True
        heading2.element.get_or_add_pPr().append(_outline_level(1))
        office = paragraph_style("GWSignOffice", "发文机关署名", FANGSONG, BODY_PT)
        office.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        office.paragraph_format.right_indent = Pt(4 * BODY_PT)
        office.paragraph_format.keep_with_next = True
        date = paragraph_style("GWSignDate", "成文日期", FANGSONG, BODY_PT)
        date.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        date.paragraph_format.right_indent = Pt(4 * BODY_PT)
        figure = paragraph_style("GWFigure", "插图", FANGSONG, BODY_PT)
        figure.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        figure.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        figure.paragraph_format.keep_with_next = True
        caption = paragraph_style("GWCaption", "图表标题", HEITI, SMALL_PT)
        caption.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        caption.paragraph_format.keep_with_next = True
        cell = paragraph_style("GWTableText", "表格文字", FANGSONG, SMALL_PT)
        _exact(cell.paragraph_format, Pt(20))
        cell.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
        cell.paragraph_format.widow_control = False
        head = paragraph_style("GWTableHead", "表格标题行", HEITI, SMALL_PT)
        _exact(head.paragraph_format, Pt(20))
        head.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        footer = styles["Footer"]
        _style_font(footer, SONGTI, SMALL_PT)
        footer.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE

    def _setup_footers(self) -> None:
        section = self.doc.sections[0]
        for footer, odd in ((section.footer, True), (section.even_page_footer, False)):
            footer.is_linked_to_previous = False
            paragraph = footer.paragraphs[0]
            paragraph.style = self.doc.styles["Footer"]
            _page_number(paragraph, odd)

    # -- writing ---------------------------------------------------------------------
    def _paragraph(self, style: str, text: str = "") -> Paragraph:
        # the style id is looked up once: python-docx searches the style list
        # (and the default style) on every ``paragraph.style =``
        style_id = self._style_ids.get(style)
        if style_id is None:
            style_id = self._style_ids[style] = self.doc.styles[style].style_id
        p = self.doc.element.body.add_p()
        p.get_or_add_pPr().style = style_id
        paragraph = Paragraph(p, self.doc._body)
        if text:
            paragraph.add_run(text)
        return paragraph

    def title(self, text: str) -> Paragraph:
        return self._paragraph("公文标题", text)

    def number(self, text: str) -> Paragraph:
        """The 发文字号 line under the title (blank in a draft)."""
        return self._paragraph("发文字号", text)

    def blank(self) -> Paragraph:
        return self._paragraph("Normal")

    def salutation(self, text: str) -> Paragraph:
        return self._paragraph("主送机关", text)

    def heading(self, text: str) -> Paragraph:
        """A 黑体 "一、" heading."""
        return self._paragraph("一级标题", text)

    def subheading(self, text: str) -> Paragraph:
        """A 楷体 "（一）" heading."""
        return self._paragraph("二级标题", text)

    def text(self, text: str) -> list[Paragraph]:
        """Body text, one paragraph per line of ``text``, each indented two characters."""
        return [self._paragraph("公文正文", line.strip()) for line in text.splitlines() if line.strip()]

    def caption(self, text: str) -> Paragraph:
        return self._paragraph("图表标题", text)

    def picture(self, png: bytes, width_mm: float) -> Paragraph:
        paragraph = self._paragraph("插图")
        paragraph.add_run().add_picture(io.BytesIO(png), width=Mm(width_mm))
        return paragraph

    def page_break(self) -> None:
        self._paragraph("Normal").add_run().add_break(WD_BREAK.PAGE)

    def signature(self, offices: Sequence[str], date: str) -> None:
        """One blank line, the issuing offices centred over the date, the date four characters in from the right."""
        self.blank().paragraph_format.keep_with_next = True
        for office, line in zip(offices, office_lines(list(offices), date), strict=True):
            paragraph = self._paragraph("发文机关署名", office)
            paragraph.paragraph_format.left_indent = Pt(line.left_pt)
            paragraph.paragraph_format.right_indent = Pt(0)
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if line.centred else WD_ALIGN_PARAGRAPH.RIGHT
        self._paragraph("成文日期", date)

    def table(self, columns: Sequence[Column], rows: Sequence[Sequence[str]], total_row: bool = False) -> None:
        """A bordered table with a repeated header row; ``whole`` columns never wrap."""
        rows = [[str(v) for v in row] for row in rows]
        for size in _TABLE_SIZES:
            widths = column_widths(columns, rows, size)
            if widths is not None:
                break
        else:
            size = _TABLE_SIZES[-1]
            widths = [TEXT_WIDTH_MM / len(columns)] * len(columns)
        table = self.doc.add_table(rows=0, cols=len(columns))
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        tbl_pr = table._tbl.tblPr
        table_borders(tbl_pr)
        layout = OxmlElement("w:tblLayout")
        layout.set(qn("w:type"), "fixed")
        tbl_pr.append(layout)
        tbl_w = tbl_pr.find(qn("w:tblW"))
        tbl_w.set(qn("w:type"), "dxa")
        twips = [int(w / 25.4 * 1440) for w in widths]
        tbl_w.set(qn("w:w"), str(sum(twips)))
        for col, width in zip(table._tbl.tblGrid.iterchildren(qn("w:gridCol")), twips, strict=True):
            col.set(qn("w:w"), str(width))
        # the rows are written as XML in one go: python-docx's cell and style
        # accessors search the whole table and the style list on every call,
        # which makes a 600-row table take minutes
        head_style = self.doc.styles["表格标题行"].style_id
        text_style = self.doc.styles["表格文字"].style_id
        size_xml = "" if size == SMALL_PT else f'<w:sz w:val="{int(size * 2)}"/><w:szCs w:val="{int(size * 2)}"/>'
        bold_fonts = f'<w:rFonts w:ascii="{HEITI}" w:hAnsi="{HEITI}" w:eastAsia="{HEITI}" w:cs="{HEITI}" w:hint="eastAsia"/>'
        out = []
        for r, values in enumerate([[c.header for c in columns], *rows]):
            cells = []
            for c, (value, column) in enumerate(zip(values, columns, strict=True)):
                style = head_style if r == 0 else text_style
                jc = "" if r == 0 or column.align == "left" else f'<w:jc w:val="{column.align}"/>'
                fonts = bold_fonts if total_row and r == len(rows) else ""
                rpr = f"<w:rPr>{fonts}{size_xml}</w:rPr>" if fonts or size_xml else ""
                cells.append(
                    f'<w:tc><w:tcPr><w:tcW w:w="{twips[c]}" w:type="dxa"/>{"<w:noWrap/>" if column.whole else ""}'
                    f'<w:vAlign w:val="center"/></w:tcPr><w:p><w:pPr><w:pStyle w:val="{style}"/>{jc}</w:pPr>'
                    f'<w:r>{rpr}<w:t xml:space="preserve">{escape(value)}</w:t></w:r></w:p></w:tc>'
                )
            header = "<w:tblHeader/>" if r == 0 else ""
            out.append(f"<w:tr><w:trPr><w:cantSplit/>{header}</w:trPr>{''.join(cells)}</w:tr>")
        parsed = etree.fromstring(f'<w:tbl xmlns:w="{_W}">{"".join(out)}</w:tbl>'.encode())
        for tr in list(parsed):
            table._tbl.append(tr)
        # a little air after a table before the next paragraph
        self._paragraph("Normal").paragraph_format.line_spacing = Pt(14)

    def to_bytes(self) -> bytes:
        drop_unused_styles(self.doc)
        out = io.BytesIO()
        self.doc.save(out)
        return replace_properties(out.getvalue(), self.properties)


def replace_properties(docx: bytes, properties: DocumentProperties) -> bytes:
    """The .docx with its core and application properties written from ``properties``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename == CORE_PART:
                dst.writestr(info, properties.core_xml())
            elif info.filename == APP_PART:
                dst.writestr(info, properties.app_xml())
            else:
                dst.writestr(info, src.read(info))
    return out.getvalue()


def drop_leftovers(doc: DocumentObject) -> None:
    """Drop what python-docx's default template brings and no paper uses: its thumbnail,
    the Word 2010 stylesWithEffects copy of its styles, its list numbering."""
    rels = doc.part.package.rels
    for rid, rel in list(rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            rels.pop(rid)
    rels = doc.part.rels
    for rid, rel in list(rels.items()):
        if rel.reltype.endswith("/stylesWithEffects") or rel.reltype == RT.NUMBERING:
            rels.pop(rid)


@functools.cache
def _default_template_styles() -> frozenset[str]:
    """The style ids python-docx's default template defines (164 of them)."""
    return frozenset(s.get(qn("w:styleId")) for s in Document().styles.element.iterchildren(qn("w:style")))


def drop_unused_styles(doc: DocumentObject) -> int:
    """Remove the styles of python-docx's default template that nothing uses; how many went.

    Kept: the styles docgen defines (公文标题, 公文正文 …, for a clerk who edits the
    paper in Word), the defaults, every style a paragraph, run or table of the body,
    a header or a footer names, and the styles those are based on or linked to.
    """
    styles = doc.styles.element
    by_id = {s.get(qn("w:styleId")): s for s in styles.iterchildren(qn("w:style"))}
    used = {sid for sid, s in by_id.items() if sid not in _default_template_styles() or s.get(qn("w:default")) == "1"}
    roots = [doc.element] + [
        part.element for part in doc.part.package.iter_parts() if str(part.partname).startswith(("/word/header", "/word/footer"))
    ]
    for root in roots:
        for tag in ("w:pStyle", "w:rStyle", "w:tblStyle"):
            used |= {el.get(qn("w:val")) for el in root.iter(qn(tag))}
    todo = list(used)
    while todo:
        style = by_id.get(todo.pop())
        if style is None:
            continue
        for tag in ("w:basedOn", "w:link", "w:next"):
            el = style.find(qn(tag))
            if el is not None and el.get(qn("w:val")) not in used:
                used.add(el.get(qn("w:val")))
                todo.append(el.get(qn("w:val")))
    dropped = 0
    for sid, style in by_id.items():
        if sid not in used:
            styles.remove(style)
            dropped += 1
    return dropped


def _outline_level(level: int):
    el = OxmlElement("w:outlineLvl")
    el.set(qn("w:val"), str(level))
    return el


def table_borders(tbl_pr) -> None:
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        b = OxmlElement("w:" + side)
        b.set(qn("w:val"), "single")
        b.set(qn("w:sz"), "4")
        b.set(qn("w:space"), "0")
        b.set(qn("w:color"), "000000")
        borders.append(b)
    tbl_pr.append(borders)
    mar = OxmlElement("w:tblCellMar")
    for side, w in (("top", 0), ("left", 85), ("bottom", 0), ("right", 85)):
        m = OxmlElement("w:" + side)
        m.set(qn("w:w"), str(w))
        m.set(qn("w:type"), "dxa")
        mar.append(m)
    tbl_pr.append(mar)


def _page_number(paragraph: Paragraph, odd: bool) -> None:
    """'— n —': odd pages right with one character in, even pages left."""
    pf = paragraph.paragraph_format
    if odd:
        pf.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        pf.right_indent = Pt(SMALL_PT)
    else:
        pf.alignment = WD_ALIGN_PARAGRAPH.LEFT
        pf.left_indent = Pt(SMALL_PT)
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
