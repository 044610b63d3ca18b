"""The signing packet: many papers in one PDF that a leader signs.

``build_packet`` puts a cover (签批单: the list of papers) first, then every
paper, each starting on an odd page side for duplex printing (a blank page
after a paper with an odd page count), one bookmark per paper (its number and
recipient), and an empty signature field over each paper's signature block
(the issuing offices and the date, where the seal goes).

It also reads what LibreOffice printed — the page number in a page's footer
(``— 1 —``) and where the signature block sits — with pdfium, which reads a
page's text in about a millisecond. Pages are put together with pdfium too
(copying pages with pypdf takes ten times longer); the bookmarks and the
signature fields are then added with pikepdf (qpdf).

Knows nothing of the Office: the cover is converted by the ``to_pdf`` it is
given.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from docgen.services.dates import format_official_date

Box = tuple[float, float, float, float]

# pdfium is not thread-safe; batch conversions read pages from several threads.
_PDFIUM = threading.Lock()
_PAGE_NUMBER = re.compile(r"^[—–\-－]+(\d{1,4})[—–\-－]+$")
_FOOTER_TOP = 200.0  # points from the bottom: a page number printed lower is in the footer
_DATE_LINE = re.compile(r"年.{0,4}月.{0,4}日$")
# GB/T 9704 margins, in points: right 26 mm, bottom 35 mm
_RIGHT_MARGIN, _BOTTOM_MARGIN = 74.0, 99.0
SEAL_SIZE = 120.0  # a 4.2 cm seal
_CENTRED_COLUMNS = {"序号", "页数", "状态", "逾期天数"}
# columns whose values never wrap, as wide as their longest value: numbers such as XX督办〔2026〕10号
# always; dates and states too where the page leaves the other columns room enough
NUMBER_COLUMNS = frozenset({"序号", "文号", "页数", "逾期天数"})
WHOLE_COLUMNS = NUMBER_COLUMNS | {"成文日期", "回复期限", "状态"}
_SIGN_OFF_LABEL = "签批人："
# what Word's "Table Grid" style gives a table: single borders everywhere, 0.19 cm cell margins left and right
_GRID_BORDERS = (
    '<w:tblBorders xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    + "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="auto"/>' for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    + "</w:tblBorders>"
)
_GRID_MARGINS = (
    '<w:tblCellMar xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    '<w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/>'
    "</w:tblCellMar>"
)
_CELL_SPACING = '<w:spacing w:after="0" w:line="240" w:lineRule="auto"/>'  # and single-spaced cells with no space after


@dataclass
class PageSource:
    """Where a paper's pages also are: pages of a larger PDF (the joined conversion it was cut from)."""

    pdf: bytes
    pages: list[int]


@dataclass
class PacketEntry:
    """One paper of a packet.

    ``signature_box`` (last page, PDF points) when already known. ``source``:
    papers cut from the same PDF are copied from it together, so they share
    its fonts instead of each carrying a copy (a packet several times smaller);
    ``pdf`` may then be ``None`` (the paper's pages are read from the source).
    """

    pdf: bytes | None
    label: str  # the number (prefix〔2026〕7号) or, for a draft, a label
    recipient: str | None = None
    title: str = ""  # what the paper is: 督办提示（院感防控）
    signature_box: Box | None = None
    source: PageSource | None = None


@dataclass
class CoverTable:
    """A table on the cover: a heading, column names and the rows' cells."""

    heading: str
    columns: list[str]
    rows: list[list[str]]
    widths_cm: list[float] | None = None
    font_pt: float = 11


@dataclass
class Cover:
    """The first page(s) of a packet."""

    title: str = "签批单"
    subtitle: str = ""
    tables: list[CoverTable] = field(default_factory=list)
    # 领导签批 lines, with a signature field named 签批 over them
    sign_off: bool = True


@dataclass
class Placed:
    """Where a paper ended up in the packet (0-based pages) and its signature field."""

    first_page: int
    pages: int
    field_name: str
    field_page: int
    field_box: Box


# -- reading what LibreOffice printed ------------------------------------------
@dataclass
class Line:
    """A line of text on a page, in PDF points (origin bottom left)."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    spans: list[tuple[float, float]] = field(default_factory=list)  # the x extents of its pieces, left to right

    def right_part(self) -> tuple[float, float]:
        """The x extent of the line's last run of text (``报告日期：2026年11月22日`` of a line that starts ``报告人：``)."""
        x0, x1 = self.spans[-1] if self.spans else (self.x0, self.x1)
        gap = 2 * (self.y1 - self.y0)  # about two characters
        for left, right in reversed(self.spans[:-1]):
            if x0 - right > gap:
                break
            x0 = min(x0, left)
        return x0, x1


@dataclass
class PageText:
    """A page's size and its text lines, top to bottom."""

    width: float
    height: float
    lines: list[Line]

    @property
    def number(self) -> int | None:
        """The page number printed as ``— 3 —`` in the footer, if any."""
        return footer_number(self.lines)


def read_pages(pdf: bytes, pages: Sequence[int] | None = None) -> list[PageText]:
    """The text of every page (or of the pages listed; -1 is the last)."""
    import pypdfium2 as pdfium

    with _PDFIUM:
        doc = pdfium.PdfDocument(pdf)
        try:
            return [_page_text(doc, index) for index in (range(len(doc)) if pages is None else [p % len(doc) for p in pages])]
        finally:
            doc.close()


def _page_text(doc, index: int) -> PageText:
    page = doc[index]
    text = page.get_textpage()
    try:
        return _text_of(page, text)
    finally:
        _close(page, text)


def _text_of(page, text) -> PageText:
    """The lines of an open page, from its open text page."""
    width, height = page.get_size()
    pieces = []
    for i in range(text.count_rects()):
        left, bottom, right, top = text.get_rect(i)
        pieces.append((left, bottom, right, top, text.get_text_bounded(left, bottom, right, top)))
    return PageText(width, height, _group_lines(pieces))


def _footer_number_of(page, text) -> int | None:
    """``footer_number`` of an open page from the text of its footer area alone (a third of the time of reading the page)."""
    width, _ = page.get_size()
    footer = text.get_text_bounded(0, 0, width, _FOOTER_TOP)
    numbers = [m.group(1) for m in map(_PAGE_NUMBER.match, (re.sub(r"\s+", "", ln) for ln in footer.splitlines())) if m]
    return int(numbers[-1]) if numbers else None


def _close(page, text) -> None:
    text.close()
    page.close()


def _group_lines(pieces: list[tuple[float, float, float, float, str]]) -> list[Line]:
    lines: list[list[tuple[float, float, float, float, str]]] = []
    extents: list[list[float]] = []  # each line's lowest bottom and highest top so far
    for piece in sorted(pieces, key=lambda p: -p[3]):
        _, bottom, _, top, _ = piece
        for line, extent in zip(lines, extents, strict=True):
            lb, lt = extent
            overlap = min(top, lt) - max(bottom, lb)
            if overlap > 0.5 * min(top - bottom, lt - lb):
                line.append(piece)
                extent[0], extent[1] = min(lb, bottom), max(lt, top)
                break
        else:
            lines.append([piece])
            extents.append([bottom, top])
    out = []
    for line in lines:
        line.sort(key=lambda p: p[0])
        text = "".join(p[4] for p in line).strip()
        if text:
            out.append(Line(
                text, min(p[0] for p in line), min(p[1] for p in line), max(p[2] for p in line), max(p[3] for p in line),
                [(p[0], p[2]) for p in line],
            ))
    out.sort(key=lambda ln: -ln.y1)
    return out


def footer_number(lines: Sequence[Line]) -> int | None:
    """The page number printed as ``— 3 —`` in the lower part of a page, if any."""
    for line in reversed(lines):
        if line.y1 > _FOOTER_TOP:  # above the footer area
            break
        match = _PAGE_NUMBER.match(re.sub(r"\s+", "", line.text))
        if match:
            return int(match.group(1))
    return None


def page_count(pdf: bytes) -> int:
    import pypdfium2 as pdfium

    with _PDFIUM:
        doc = pdfium.PdfDocument(pdf)
        try:
            return len(doc)
        finally:
            doc.close()


@dataclass
class CutPaper:
    """One paper of a conversion: its page count, its signature box, the text of its last page, and
    where it was cut from.

    Its own PDF is copied out of the joined one only when ``pdf`` is asked for: a batch keeps the
    joined PDF and each paper's pages in it, and a paper's own PDF is cut when it is downloaded.
    """

    pages: int
    signature_box: Box
    last_page: PageText
    source: PageSource | None = None
    own_pdf: bytes | None = None

    @property
    def pdf(self) -> bytes:
        if self.own_pdf is None:
            assert self.source is not None, "a CutPaper has its own PDF or a source"
            self.own_pdf = extract_pages(self.source.pdf, [self.source.pages])[0]
        return self.own_pdf


def split_by_page_numbers(pdf: bytes, count: int) -> list[CutPaper] | None:
    """The ``count`` papers in a row of a PDF, each with its pages in it (nothing is copied).

    A paper starts where the footer says ``— 1 —``. ``None`` when that does
    not give exactly ``count`` papers whose pages are numbered 1, 2, 3 …
    (the caller then converts the papers one by one). A page with no text
    at all at the end of a paper (one LibreOffice put in) is left out.
    """
    import pypdfium2 as pdfium

    # every page is opened once: its footer read, and its whole text too where a paper ends
    with _PDFIUM:
        doc = pdfium.PdfDocument(pdf)
        try:
            count_pages = len(doc)
            ends: dict[int, PageText] = {}  # the text of each page that ends a paper
            starts: list[int] = []
            last_number = 0
            previous = None  # the page before, kept open until it is known whether it ends a paper
            try:
                for index in range(count_pages):
                    page = doc[index]
                    text = page.get_textpage()
                    number = _footer_number_of(page, text)
                    if previous is not None:
                        if number == 1:
                            ends[index - 1] = _text_of(*previous)
                        _close(*previous)
                    previous = (page, text)
                    if number == 1:
                        starts.append(index)
                    elif number is not None and (not starts or number != last_number + 1):
                        return None
                    if number is not None:
                        last_number = number
                if previous is not None:
                    ends[count_pages - 1] = _text_of(*previous)
            finally:
                if previous is not None:
                    _close(*previous)
            if len(starts) != count or starts[0] != 0:
                return None
            ranges, last_pages = [], []
            for i, start in enumerate(starts):
                end = starts[i + 1] if i + 1 < len(starts) else count_pages
                last = ends[end - 1]
                while end - 1 > start and not last.lines:
                    end -= 1
                    last = _page_text(doc, end - 1)
                ranges.append(list(range(start, end)))
                last_pages.append(last)
        finally:
            doc.close()
    return [CutPaper(len(r), signature_box(last), last, PageSource(pdf, r)) for r, last in zip(ranges, last_pages, strict=True)]


def extract_pages(pdf: bytes, ranges: list[list[int]]) -> list[bytes]:
    """One new PDF per list of page indexes."""
    import pypdfium2 as pdfium

    out = []
    with _PDFIUM:
        src = pdfium.PdfDocument(pdf)
        try:
            for pages in ranges:
                part = pdfium.PdfDocument.new()
                try:
                    part.import_pages(src, pages)
                    out.append(_save(part))
                finally:
                    part.close()
        finally:
            src.close()
    return out


def _save(doc) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def signature_box(page: PageText) -> Box:
    """Where the seal goes on a paper's last page: over the issuing offices and the date.

    GB/T 9704: the date sits at the right with the offices centred above it;
    the seal covers both. Found as the last line of text when it ends with a
    date in the right half of the page, with the right-hand lines just above
    it. When there is no such line (a ledger), a box at the bottom right of
    the text block.
    """
    width, height = page.width, page.height
    body = [ln for ln in page.lines if footer_number([ln]) is None]
    if body:
        last = body[-1]
        date_x0, date_x1 = last.right_part()
        if _DATE_LINE.search(last.text.replace(" ", "")) and (date_x0 + date_x1) / 2 > width * 0.5:
            block, extents = [last], [(date_x0, date_x1)]
            for line in reversed(body[:-1]):
                gap = line.y0 - block[-1].y1
                left, right = line.right_part()
                if left < width * 0.35 or gap > 2.5 * (last.y1 - last.y0) or len(block) >= 4:
                    break
                block.append(line)
                extents.append((left, right))
            x0, x1 = min(e[0] for e in extents), max(e[1] for e in extents)
            cx = (x0 + x1) / 2
            half = max(SEAL_SIZE, x1 - x0 + 20) / 2
            bottom = last.y0 - 12
            top = max(max(ln.y1 for ln in block) + 12, bottom + SEAL_SIZE)
            return _clamp((cx - half, bottom, cx + half, top), width, height)
    x1 = width - _RIGHT_MARGIN
    y0 = _BOTTOM_MARGIN + 12
    return _clamp((x1 - SEAL_SIZE - 30, y0, x1, y0 + SEAL_SIZE), width, height)


def _clamp(box: Box, width: float, height: float) -> Box:
    x0, y0, x1, y1 = box
    if x1 > width - 10:
        x0, x1 = x0 - (x1 - width + 10), width - 10
    if y1 > height - 10:
        y0, y1 = y0 - (y1 - height + 10), height - 10
    return (round(max(10.0, x0), 1), round(max(10.0, y0), 1), round(x1, 1), round(y1, 1))


# -- the cover -------------------------------------------------------------------
def file_list_cover(entries: Sequence[PacketEntry], title: str = "签批单", subtitle: str = "") -> Cover:
    """The default cover: 序号, 文号, 标题, 收文单位 for every paper.

    Nothing on it waits for the papers' PDFs (their page counts are in the bookmarks' pages and the
    batch's document list), so a batch converts it while its papers are still being made.
    """
    rows = [[str(i), e.label, e.title, e.recipient or ""] for i, e in enumerate(entries, start=1)]
    table = CoverTable(f"文件清单（共 {len(entries)} 份）", ["序号", "文号", "标题", "收文单位"], rows, [1.3, 4.6, 5.1, 4.7])
    return Cover(title=title, subtitle=subtitle, tables=[table])


def cover_docx(cover: Cover) -> bytes:
    """The cover as a .docx (A4, GB/T 9704 margins, the official Chinese fonts by name)."""
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn
    from docx.shared import Cm, Mm, Pt
    from markupsafe import escape

    doc = Document(io.BytesIO(_lean_blank_docx()))
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)

    def font(run, name: str, size: float) -> None:
        run.font.name = name
        run.font.size = Pt(size)
        run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)

    def paragraph(text: str, name: str, size: float, align=None, space_after: float = 6):
        p = doc.add_paragraph()
        p.paragraph_format.space_after = Pt(space_after)
        if align is not None:
            p.alignment = align
        font(p.add_run(text), name, size)
        return p

    def cell_xml(text: str, width_cm: float | None, centred: bool, size: float, font_name: str = "仿宋_GB2312",
                 whole: bool = False) -> str:
        # written as XML: python-docx takes ~2 ms a cell, a 500-row list would take a second
        width = f'<w:tcW w:w="{round(width_cm * 567)}" w:type="dxa"/>' if width_cm else ""
        width += "<w:noWrap/>" if whole else ""
        jc = '<w:jc w:val="center"/>' if centred else ""
        fonts = f'<w:rFonts w:ascii="{font_name}" w:hAnsi="{font_name}" w:eastAsia="{font_name}"/><w:sz w:val="{round(size * 2)}"/>'
        return (f'<w:tc><w:tcPr>{width}</w:tcPr><w:p><w:pPr>{_CELL_SPACING}{jc}</w:pPr><w:r><w:rPr>{fonts}</w:rPr>'
                f'<w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p></w:tc>')

    paragraph(cover.title, "方正小标宋简体", 22, WD_ALIGN_PARAGRAPH.CENTER, 12)
    if cover.subtitle:
        paragraph(cover.subtitle, "楷体_GB2312", 14, WD_ALIGN_PARAGRAPH.CENTER, 12)
    for spec in cover.tables:
        paragraph(spec.heading, "黑体", 14, space_after=6)
        if not spec.rows:
            paragraph("（无）", "仿宋_GB2312", 14, space_after=12)
            continue
        table = doc.add_table(rows=0, cols=len(spec.columns))
        # the grid's borders and cell margins set on the table itself, not through the "Table Grid"
        # style: LibreOffice applies a table style to every cell as it reads it (a 1000-row list: ~25% of its time)
        look = table._tbl.tblPr.find(qn("w:tblLook"))
        look.addprevious(parse_xml(_GRID_BORDERS))
        look.addprevious(parse_xml(_GRID_MARGINS))
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        widths = _cover_widths(spec) or spec.widths_cm or [None] * len(spec.columns)
        if spec.widths_cm:
            table.autofit = False
            for column, width in zip(table.columns, widths, strict=True):
                column.width = Cm(width)  # the grid, which LibreOffice follows
        header = "".join(cell_xml(name, w, True, spec.font_pt, "黑体") for name, w in zip(spec.columns, widths, strict=True))
        # the header row is repeated on every page
        table._tbl.append(parse_xml(f"<w:tr {nsdecls('w')}><w:trPr><w:tblHeader/></w:trPr>{header}</w:tr>"))
        for values in spec.rows:
            cells = "".join(
                cell_xml(str(v), w, c in _CENTRED_COLUMNS, spec.font_pt, whole=c in NUMBER_COLUMNS)
                for v, w, c in zip(values, widths, spec.columns, strict=True)
            )
            table._tbl.append(parse_xml(f"<w:tr {nsdecls('w')}>{cells}</w:tr>"))
        doc.add_paragraph()
    if cover.sign_off:
        paragraph("领导签批意见：", "黑体", 14, space_after=60)
        paragraph(f"{_SIGN_OFF_LABEL}　　　　　　　　　日期：{format_official_date(None)}", "仿宋_GB2312", 14, WD_ALIGN_PARAGRAPH.RIGHT)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


@functools.cache
def _lean_blank_docx() -> bytes:
    """python-docx's blank document with only the styles a cover uses (the defaults).

    The blank document brings 164 styles, 137 latent ones and a second copy of them all
    (``stylesWithEffects.xml``, 0.8 MB of XML): LibreOffice spent a fifth of a 100-row cover's
    time reading them, and python-docx a good part of its own.
    """
    from docx import Document
    from docx.oxml.ns import qn

    doc = Document()
    styles = doc.styles.element
    for child in list(styles):
        if child.tag == qn("w:latentStyles") or (child.tag == qn("w:style") and child.get(qn("w:default")) != "1"):
            styles.remove(child)
    for rid, rel in list(doc.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            doc.part.drop_rel(rid)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# -- the packet ------------------------------------------------------------------
def build_packet(
    entries: Sequence[PacketEntry],
    duplex: bool = True,
    *,
    to_pdf: Callable[[bytes], bytes],
    cover: Cover | None = None,
    cover_pdf: bytes | None = None,
    title: str = "签批包",
    subtitle: str = "",
) -> tuple[bytes, list[Placed]]:
    """One PDF: the cover, then every paper, with bookmarks and empty signature
    fields; and where each paper and its signature field landed.

    ``to_pdf`` converts the cover's .docx (the Office's converter).
    ``cover`` defaults to the list of papers (``file_list_cover``, under ``subtitle``);
    ``cover_pdf`` is that cover converted already.
    With ``duplex`` every paper starts on an odd page side. Signature fields
    are named ``签章_1``, ``签章_2`` … in the order of ``entries``; the
    cover's is ``签批``.
    """
    import pypdfium2 as pdfium

    counts = [len(e.source.pages) if e.source else page_count(e.pdf) for e in entries]
    cover = cover or file_list_cover(entries, subtitle=subtitle)
    with ThreadPoolExecutor(1, thread_name_prefix="docgen-cover") as background:
        # LibreOffice makes the cover while the papers are put together here
        cover_future = background.submit(lambda: cover_pdf or to_pdf(cover_docx(cover)))
        boxes = [e.signature_box or _last_page_box(e) for e in entries]
        packet = pdfium.PdfDocument.new()
        try:
            with _PDFIUM:
                starts = _import_papers(packet, entries, counts, duplex)
            cover_pdf = cover_future.result()
            with _PDFIUM:
                cover_doc = pdfium.PdfDocument(cover_pdf)
                try:
                    cover_pages = len(cover_doc)
                    packet.import_pages(cover_doc, index=0)
                finally:
                    cover_doc.close()
                offset = cover_pages
                if duplex and cover_pages % 2:
                    width, height = packet.get_page_size(cover_pages - 1)
                    packet.new_page(width, height, index=cover_pages).close()
                    offset += 1
                joined = _save(packet)
        finally:
            with _PDFIUM:
                packet.close()
    placed = [
        Placed(offset + start, n, f"签章_{i}", offset + start + n - 1, box)
        for i, (start, n, box) in enumerate(zip(starts, counts, boxes, strict=True), start=1)
    ]
    marks = [(cover.title, 0)] + [(" ".join(p for p in (e.label, e.recipient) if p), p.first_page) for e, p in zip(entries, placed, strict=True)]
    fields = [(p.field_name, p.field_page, p.field_box) for p in placed]
    if cover.sign_off:
        fields.insert(0, ("签批", cover_pages - 1, _sign_off_box(read_pages(cover_pdf, [-1])[0])))
    return _finish(joined, marks, fields, title), placed


def _last_page_box(entry: PacketEntry) -> Box:
    if entry.source:
        return signature_box(read_pages(entry.source.pdf, [entry.source.pages[-1]])[0])
    return signature_box(read_pages(entry.pdf, [-1])[0])


def _import_papers(packet, entries: Sequence[PacketEntry], counts: Sequence[int], duplex: bool) -> list[int]:
    """Copy every paper's pages into ``packet`` with the duplex blank pages; the first page of each."""
    import pypdfium2 as pdfium

    starts: list[int] = []
    index = 0
    while index < len(entries):
        # a run of papers cut from the same PDF is copied in one go
        end = index + 1
        source = entries[index].source
        while source and end < len(entries) and entries[end].source and entries[end].source.pdf is source.pdf:
            end += 1
        document = pdfium.PdfDocument(source.pdf if source else entries[index].pdf)
        try:
            at = len(packet)
            packet.import_pages(document, [p for e in entries[index:end] for p in e.source.pages] if source else None)
        finally:
            document.close()
        for count in counts[index:end]:
            starts.append(at)
            at += count
            if duplex and at % 2:  # the next paper starts on an odd page side
                width, height = packet.get_page_size(at - 1)
                packet.new_page(width, height, index=at).close()
                at += 1
        index = end
    return starts


def _sign_off_box(page: PageText) -> Box:
    """Over the blank after the cover's 签批人： (never over the label itself), where the leader signs."""
    for line in page.lines:
        if line.text.startswith("签批人"):
            size = line.y1 - line.y0  # about one character of the line
            label_end = line.spans[0][1] if line.spans and line.spans[0][1] - line.x0 < 6 * size else line.x0 + 4 * size
            date_start = next((left for left, _ in line.spans if left > label_end + size), label_end + 9 * size)
            return _clamp((label_end + 2, line.y0 - 6, max(label_end + 3 * size, date_start - 2), line.y1 + 40), page.width, page.height)
    return signature_box(PageText(page.width, page.height, []))


def _cover_widths(spec: CoverTable) -> list[float] | None:
    """Widths in cm that keep every value of a whole column (WHOLE_COLUMNS) on one line; the
    other columns share the rest in the proportions of ``widths_cm``. None: keep ``widths_cm``."""
    from docgen.services.official_docx import TEXT_WIDTH_MM, Column, column_widths

    if not spec.widths_cm or not spec.rows or not any(c in WHOLE_COLUMNS for c in spec.columns):
        return None
    total = min(sum(spec.widths_cm) * 10, TEXT_WIDTH_MM)
    rows = [[str(v) for v in row] for row in spec.rows]
    for whole in (WHOLE_COLUMNS, NUMBER_COLUMNS | {"成文日期", "回复期限"}, NUMBER_COLUMNS):
        columns = [Column(c, c in whole, weight) for c, weight in zip(spec.columns, spec.widths_cm, strict=True)]
        widths = column_widths(columns, rows, spec.font_pt, total)
        if widths:
            return [w / 10 for w in widths]
    return None


# the flags of an empty signature field's widget: printed (4) and locked (128), as pyHanko sets them
_SIGNATURE_WIDGET_FLAGS = 132


def _finish(pdf: bytes, marks: Sequence[tuple[str, int]], fields: Sequence[tuple[str, int, Box]], title: str) -> bytes:
    """Bookmarks (title, 0-based page), empty signature fields (name, page, box) and the title.

    Through pikepdf (qpdf): a 1000-paper packet takes it a tenth of the time of a pure-Python writer.
    Each field is its own widget (/FT /Sig, /Subtype /Widget) with an empty appearance, in the
    document's form (made here, or the one a paper brought along).
    """
    import pikepdf
    from pikepdf import Array, Dictionary, Name, String

    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        with doc.open_outline() as outline:
            outline.root.extend(pikepdf.OutlineItem(text, page, "Fit") for text, page in marks)
        doc.Root.PageMode = Name.UseOutlines
        form = doc.Root.get("/AcroForm")
        if form is None:
            form = doc.Root.AcroForm = doc.make_indirect(Dictionary(Fields=Array()))
        elif "/Fields" not in form:
            form.Fields = Array()
        form.SigFlags = 1  # signatures exist (empty ones, to be signed)
        for field_name, page_index, box in fields:
            page = doc.pages[page_index].obj
            width, height = abs(box[2] - box[0]), abs(box[3] - box[1])
            widget = Dictionary(
                FT=Name.Sig, T=String(field_name), Type=Name.Annot, Subtype=Name.Widget,
                F=_SIGNATURE_WIDGET_FLAGS, Rect=Array([round(float(v), 4) for v in box]), P=page,
            )
            if width and height:
                appearance = doc.make_stream(b"", Type=Name.XObject, Subtype=Name.Form, BBox=Array([0, 0, width, height]))
                widget.AP = Dictionary(N=appearance)
            ref = doc.make_indirect(widget)
            form.Fields.append(ref)
            if "/Annots" not in page:
                page.Annots = Array()
            page.Annots.append(ref)
        doc.docinfo = doc.make_indirect(Dictionary(
            Title=String(title), Creator=String("docgen"),
            CreationDate=String(dt.datetime.now(dt.UTC).strftime("D:%Y%m%d%H%M%SZ")),
        ))
        doc.save(out)
    return out.getvalue()

