"""GB/T 9704 preflight: check a finished paper (PDF, or .docx through the
converter) as a clerk with a ruler would, and name each violation in Chinese
with its page.

The rules measure what is on the page (pdfplumber for the text and its
boxes, pypdfium2 for the rendered glyphs); fonts are judged by the shape of
their strokes, never by their names. Nothing here knows Flask.
"""

from __future__ import annotations

import io
import re
import statistics
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from docgen.services.draft_mark import is_draft_mark

MM = 72 / 25.4  # points per millimetre

A4 = (210.0, 297.0)
TOP_MARGIN, LEFT_MARGIN, MARGIN_TOLERANCE = 37.0, 28.0, 1.0
BLOCK_WIDTH, BLOCK_HEIGHT = 156.0, 225.0
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28
BODY_PT, TITLE_PT, PAGE_NUMBER_PT = 16.0, 22.0, 14.0
TABLE_CELL_PADDING = 1.9  # mm a table border stands left of the text block (Word default cell margin)

PAGE_NUMBER = re.compile(r"^[—–\-－一]\s*(\d+)\s*[—–\-－一]$")
WRONG_NUMBER = (
    (re.compile(r"[\[［【(（]\s*(?:19|20)\d{2}\s*[\]］】)）]\s*第?\s*\d+\s*号"), "发文字号的年份应括在六角括号〔〕内"),
    (re.compile(r"〔\s*\d{2}\s*〕\s*\d+\s*号"), "发文字号的年份应写全四位"),
    (re.compile(r"〔\s*\d{4}\s*〕\s*第\s*\d+\s*号"), "发文字号的序号前不加“第”"),
    (re.compile(r"〔\s*\d{4}\s*〕\s*0\d*\s*号"), "发文字号的序号不编虚位（1 不写作 01）"),
)
WRONG_DATE = (
    (re.compile(r"(?<!\d)(?:19|20)\d{2}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2}(?!\d)"), "日期应写作“2026年11月23日”"),
    (re.compile(r"(?<!\d)(?:19|20)\d{2}\s*年\s*0\d\s*月"), "日期的月份不编虚位"),
    (re.compile(r"月\s*0\d\s*日"), "日期的日不编虚位"),
)
SIGNATURE_LABEL = re.compile(r"^(报告人|报告日期|填报人|联系人|签发人|审核人)[:：]")
DATE_LINE = re.compile(r"(\d{4}|[〇零一二三四五六七八九]{4})\s*年.*日$|^年\s*月\s*日$")


@dataclass(frozen=True)
class Problem:
    """One violation: which rule, on which page (1-based; None for the whole paper), in Chinese."""

    rule: str
    page: int | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Line:
    text: str
    x0: float  # mm
    x1: float
    top: float
    bottom: float
    size: float  # pt, the line's most common size
    in_table: bool

    @property
    def flat(self) -> str:
        return "".join(self.text.split())


def is_pdf(content: bytes) -> bool:
    return content[:5] == b"%PDF-"


def is_docx(content: bytes) -> bool:
    return content[:2] == b"PK"


def preflight(content: bytes, to_pdf: Callable[[bytes], bytes]) -> list[Problem]:
    """Check a PDF or a .docx (converted with ``to_pdf``, e.g. ``Office.to_pdf``)."""
    if is_pdf(content):
        return preflight_pdf(content)
    if is_docx(content):
        return preflight_docx(content, to_pdf)
    raise ValueError("文件既不是 PDF 也不是 .docx")


def preflight_docx(docx: bytes, to_pdf: Callable[[bytes], bytes]) -> list[Problem]:
    """A .docx: its own properties, then the PDF the converter makes of it."""
    return _docx_properties(docx) + preflight_pdf(to_pdf(docx))


def preflight_pdf(pdf: bytes) -> list[Problem]:
    """Every rule over every page of a PDF."""
    import pdfplumber

    problems: list[Problem] = []
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        pages = [([line for line in _page_lines(page) if not _is_draft_mark(line)], page) for page in doc.pages]
        for number, (lines, page) in enumerate(pages, start=1):
            problems += _page_size(number, page)
            problems += _page_number(number, lines)
            content = [line for line in lines if not PAGE_NUMBER.match(line.flat)]
            problems += _margins(number, content, _table_text_lefts(page), [image["top"] / MM for image in page.images])
            problems += _formats(number, content)
            problems += _alone(number, content, pages)
        problems += _sizes(pages)
        problems += _grid(pages)
    problems += _faces(pdf, [lines for lines, _ in pages])
    return problems


# -- reading the page -----------------------------------------------------
def _page_lines(page: Any) -> list[_Line]:
    tables = [table.bbox for table in page.find_tables()]
    lines = []
    for raw in page.extract_text_lines(return_chars=True):
        chars = [c for c in raw["chars"] if c["text"].strip()]
        if not chars:
            continue
        size = statistics.mode(round(c["size"] * 2) / 2 for c in chars)
        middle_x, middle_y = (raw["x0"] + raw["x1"]) / 2, (raw["top"] + raw["bottom"]) / 2
        in_table = any(x0 <= middle_x <= x1 and top <= middle_y <= bottom for x0, top, x1, bottom in tables)
        lines.append(_Line(raw["text"], raw["x0"] / MM, raw["x1"] / MM, raw["top"] / MM, raw["bottom"] / MM, size, in_table))
        lines[-1].chars = chars  # type: ignore[attr-defined]
    return lines


def _is_draft_mark(line: _Line) -> bool:
    """The 草稿 mark in a draft's header (docgen.services.draft_mark): no part of the paper's layout."""
    return is_draft_mark(line.text, line.bottom)


# -- rules ----------------------------------------------------------------
def _page_size(number: int, page: Any) -> list[Problem]:
    width, height = page.width / MM, page.height / MM
    if abs(width - A4[0]) > 1 or abs(height - A4[1]) > 1:
        return [Problem("A4", number, f"第{number}页纸张为 {width:.0f}×{height:.0f} 毫米，应为 A4（210×297 毫米）")]
    return []


def _table_text_lefts(page: Any) -> list[float]:
    """Where each table's text block starts, in mm: Word sets a table's border one cell
    padding left of the margin by default, a table may as well stand with its border
    on the margin; both put the table inside the text block."""
    lefts = []
    for table in page.find_tables():
        border = table.bbox[0] / MM
        lefts.append(border + TABLE_CELL_PADDING if border < LEFT_MARGIN - MARGIN_TOLERANCE else border)
    return lefts


def _margins(number: int, lines: list[_Line], table_lefts: list[float], image_tops: Iterable[float] = ()) -> list[Problem]:
    if not lines:
        return []
    problems = []
    # a picture (the report's chart) at the head of a page stands on the margin like text
    top = min([line.top for line in lines] + list(image_tops))
    # The first line's glyphs sit a little below the margin: half of the extra leading.
    if not TOP_MARGIN - MARGIN_TOLERANCE <= top <= TOP_MARGIN + MARGIN_TOLERANCE + 4:
        problems.append(Problem("上边距", number, f"第{number}页上边距约 {top:.0f} 毫米，应为 37±1 毫米"))
    left = min([line.x0 for line in lines if not line.in_table] + table_lefts)
    if abs(left - LEFT_MARGIN) > MARGIN_TOLERANCE + 0.5:
        problems.append(Problem("左边距", number, f"第{number}页左边距约 {left:.0f} 毫米，应为 28±1 毫米"))
    right = max(line.x1 for line in lines)
    bottom = max(line.bottom for line in lines)
    if right > LEFT_MARGIN + BLOCK_WIDTH + 2 or bottom > TOP_MARGIN + BLOCK_HEIGHT + 2:
        problems.append(
            Problem(
                "版心",
                number,
                f"第{number}页文字超出版心（156×225 毫米）：右缘 {right:.0f} 毫米、下缘 {bottom:.0f} 毫米",
            )
        )
    return problems


def _page_number(number: int, lines: list[_Line]) -> list[Problem]:
    marks = [line for line in lines if PAGE_NUMBER.match(line.flat)]
    others = [line for line in lines if line not in marks]
    if not others:
        if marks:
            return [Problem("页码", number, f"第{number}页是空白页，不应有页码")]
        return []
    if not marks:
        return [Problem("页码", number, f"第{number}页没有“— {number} —”式页码")]
    mark = marks[-1]
    problems = []
    shown = int(PAGE_NUMBER.match(mark.flat).group(1))  # type: ignore[union-attr]
    if shown != number:
        problems.append(Problem("页码", number, f"第{number}页的页码印作 {shown}"))
    if abs(mark.size - PAGE_NUMBER_PT) > 0.5:
        problems.append(Problem("页码", number, f"第{number}页页码字号为 {mark.size:g} 磅，应为 4号（14 磅）"))
    middle = A4[0] / 2
    if number % 2 and not (mark.x0 > middle and mark.x1 >= LEFT_MARGIN + BLOCK_WIDTH - 8):
        problems.append(Problem("页码", number, f"第{number}页是单页，页码应居右空一字"))
    if not number % 2 and not (mark.x1 < middle and mark.x0 <= LEFT_MARGIN + 8):
        problems.append(Problem("页码", number, f"第{number}页是双页，页码应居左空一字"))
    return problems


def _formats(number: int, lines: list[_Line]) -> list[Problem]:
    problems = []
    for line in lines:
        text = line.flat
        for pattern, message in WRONG_NUMBER:
            found = pattern.search(text)
            if found:
                problems.append(Problem("发文字号", number, f"第{number}页“{found.group(0)}”：{message}"))
        for pattern, message in WRONG_DATE:
            found = pattern.search(text)
            if found:
                problems.append(Problem("日期", number, f"第{number}页“{found.group(0)}”：{message}"))
    return problems


def _is_signature(line: _Line) -> bool:
    return bool(SIGNATURE_LABEL.match(line.flat)) or (line.x0 > A4[0] / 2 - 15 and not line.in_table)


def _alone(number: int, lines: list[_Line], pages: list) -> list[Problem]:
    if not lines:
        return []
    if (
        len(pages) > 1
        and all(_is_signature(line) for line in lines)
        and (any(DATE_LINE.search(line.flat) or SIGNATURE_LABEL.match(line.flat) for line in lines))
    ):
        return [Problem("落款", number, f"第{number}页只有落款（发文机关、日期或报告人），此页无正文")]
    titles = [line for line in lines if line.size >= TITLE_PT - 2]
    rest = [line for line in lines if line.size < TITLE_PT - 2]
    if titles and len(pages) > 1 and len(rest) <= 1:
        return [Problem("标题", number, f"第{number}页只有标题，正文全在下一页")]
    return []


def _body_lines(pages: list) -> list[_Line]:
    return [
        line for lines, _ in pages for line in lines if not line.in_table and not PAGE_NUMBER.match(line.flat) and line.size < TITLE_PT - 2
    ]


def _sizes(pages: list) -> list[Problem]:
    problems = []
    body = _body_lines(pages)
    if body:
        weights: dict[float, int] = {}
        for line in body:
            weights[line.size] = weights.get(line.size, 0) + len(line.flat)
        size = max(weights, key=weights.get)  # type: ignore[arg-type]
        if abs(size - BODY_PT) > 0.5:
            problems.append(Problem("正文字号", None, f"正文字号为 {size:g} 磅，应为 3号（16 磅）"))
    first = pages[0][0] if pages else []
    if first:
        biggest = max(line.size for line in first if not PAGE_NUMBER.match(line.flat))
        if abs(biggest - TITLE_PT) > 0.5 and biggest > BODY_PT:
            problems.append(Problem("标题字号", 1, f"第1页标题字号为 {biggest:g} 磅，应为 2号（22 磅）"))
        if biggest <= BODY_PT + 0.5:
            problems.append(Problem("标题字号", 1, "第1页找不到 2号（22 磅）标题"))
    return problems


def _grid(pages: list) -> list[Problem]:
    """Full body lines hold 28 characters; lines follow each other 225/22 mm apart."""
    problems = []
    pitch_expected = BLOCK_WIDTH / CHARS_PER_LINE
    line_expected = BLOCK_HEIGHT / LINES_PER_PAGE
    bodies = [
        [line for line in lines if not line.in_table and abs(line.size - BODY_PT) <= 0.5 and not PAGE_NUMBER.match(line.flat)]
        for lines, _page in pages
    ]
    # The pitch is read between neighbouring Chinese characters ("〔2026〕" is no gap of the
    # grid), line by line. Justification only ever widens a line that ends short (a digit
    # or a pair that may not be split went to the next line), so the least widened full
    # line shows the grid, and it may stand only a little above 156/28 mm: 16 pt
    # characters (27 a line, 5.64 mm) fail even where a line needed no widening. A page
    # with fewer than three full lines (the last lines of a body carried over with the
    # signature) may have none that is not widened: the paper's other pages speak for it.
    measured = [_line_pitches(body) for body in bodies]
    paper = [pitch for pitches, _ in measured for pitch in pitches]
    for number, (body, (pitches, count)) in enumerate(zip(bodies, measured, strict=True), start=1):
        if count >= 10:
            pitch = min(pitches) if len(pitches) >= 3 else min(paper)
            if not pitch_expected - 0.12 <= pitch <= pitch_expected + 0.05:
                per_line = BLOCK_WIDTH / pitch
                problems.append(Problem("行字数", number, f"第{number}页满行约 {per_line:.1f} 字，应为每行 28 字（字距 {pitch:.2f} 毫米）"))
        gaps = [b.top - a.top for a, b in zip(body, body[1:], strict=False) if 0 < b.top - a.top < line_expected * 1.5]
        if len(gaps) >= 3:
            gap = statistics.median(gaps)
            if abs(gap - line_expected) > 0.4:
                problems.append(
                    Problem("行数", number, f"第{number}页行距约 {gap:.1f} 毫米，每页约 {BLOCK_HEIGHT / gap:.0f} 行，应为 22 行")
                )
    return problems


def _line_pitches(body: list[_Line]) -> tuple[list[float], int]:
    """The median pitch (mm) of each full line of a page's body, and how many gaps were read."""
    full = [line for line in body if line.x1 >= LEFT_MARGIN + BLOCK_WIDTH - 3 and line.x0 <= LEFT_MARGIN + 12]
    pitches, count = [], 0
    for line in full:
        chars = line.chars  # type: ignore[attr-defined]
        advances = [
            (b["x0"] - a["x0"]) / MM
            for a, b in zip(chars, chars[1:], strict=False)
            if _cjk(a["text"]) and _cjk(b["text"]) and 0 < b["x0"] - a["x0"] < 30
        ]
        if len(advances) >= 5:
            pitches.append(statistics.median(advances))
            count += len(advances)
    return pitches, count


def _cjk(text: str) -> bool:
    return "\u4e00" <= text <= "\u9fff"


# -- faces ----------------------------------------------------------------
@dataclass(frozen=True)
class Strokes:
    """Stroke measures of rendered glyphs, relative to the em."""

    vertical: float  # width of vertical strokes
    horizontal: float  # thickness of horizontal strokes

    @property
    def contrast(self) -> float:
        return self.vertical / self.horizontal if self.horizontal else 0.0

    def is_fangsong(self) -> bool:
        """仿宋: thin, nearly even strokes (Song has thick verticals, Hei is heavy).

        FandolFang measures about 0.042 of the em, Noto Sans CJK (黑体) Regular 0.073."""
        return self.contrast < 1.6 and self.vertical < 0.058

    def is_xiaobiaosong(self) -> bool:
        """小标宋: a heavy Song, thick verticals against thin horizontals."""
        return self.contrast >= 1.8 and self.vertical >= 0.09


def measure_strokes(pdf: bytes, page_index: int, chars: Iterable[dict]) -> Strokes | None:
    """Render the page and measure the ink runs inside the given characters' boxes."""
    import numpy as np
    import pypdfium2 as pdfium

    chars = list(chars)
    if not chars:
        return None
    scale = 6
    document = pdfium.PdfDocument(pdf)
    try:
        image = np.asarray(document[page_index].render(scale=scale, grayscale=True).to_pil().convert("L"))
    finally:
        document.close()
    across: list[int] = []
    down: list[int] = []
    for c in chars:
        x0, x1, top, bottom = (int(round(v * scale)) for v in (c["x0"], c["x1"], c["top"], c["bottom"]))
        ink = image[top:bottom, x0:x1] < 128
        across += _runs(ink)
        down += _runs(ink.T)
    if not across or not down:
        return None
    em = statistics.median(c["size"] for c in chars) * scale
    return Strokes(float(np.median(across)) / em, float(np.median(down)) / em)


def _runs(mask: Any) -> list[int]:
    import numpy as np

    runs: list[int] = []
    for row in mask:
        edges = np.diff(np.concatenate(([0], row.astype(np.int8), [0])))
        runs += (np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).tolist()
    return runs


def _faces(pdf: bytes, pages: list[list[_Line]]) -> list[Problem]:
    if not pages or not pages[0]:
        return []
    problems = []
    first = pages[0]
    body_chars = [
        c
        for line in first
        if not line.in_table and abs(line.size - BODY_PT) <= 0.5
        for c in line.chars  # type: ignore[attr-defined]
        if _cjk(c["text"])
    ][:120]
    body = measure_strokes(pdf, 0, body_chars) if len(body_chars) >= 8 else None
    if body and not body.is_fangsong():
        problems.append(
            Problem(
                "正文字体",
                1,
                f"第1页正文字形不是仿宋（笔画粗细比 {body.contrast:.1f}，竖画 {body.vertical:.3f} 字宽），应为仿宋_GB2312",
            )
        )
    title_chars = [
        c
        for line in first
        if line.size >= TITLE_PT - 2
        for c in line.chars
        if _cjk(c["text"])  # type: ignore[attr-defined]
    ]
    title = measure_strokes(pdf, 0, title_chars) if title_chars else None
    if title and not title.is_xiaobiaosong():
        problems.append(
            Problem(
                "标题字体",
                1,
                f"第1页标题字形不是小标宋（笔画粗细比 {title.contrast:.1f}，竖画 {title.vertical:.3f} 字宽），应为方正小标宋简体",
            )
        )
    return problems


# -- .docx properties ------------------------------------------------------
def _docx_properties(docx: bytes) -> list[Problem]:
    from docx import Document

    problems = []
    core = Document(io.BytesIO(docx)).core_properties
    if "docxtpl" in (core.keywords or "").lower():
        problems.append(Problem("文档属性", None, "文档属性的关键词里有“docxtpl”"))
    if core.comments and "template" in core.comments.lower():
        problems.append(Problem("文档属性", None, "文档属性里留有模板说明"))
    return problems


def as_json(problems: list[Problem]) -> list[dict[str, Any]]:
    return [problem.as_dict() for problem in problems]
