"""The Word templates in templates_docx/ follow GB/T 9704-2012 and the seed forms.

Opens each template with python-docx only (no docxtpl, nothing from the
package) and checks what a reader of the printed paper would notice. The
templates are built by scripts/build_templates.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Pt

TEMPLATES = Path(__file__).resolve().parent.parent / "templates_docx"

LEDGERS = ("key-work-ledger.docx", "supervision-ledger.docx")
NOTICES = ("supervision-prompt.docx", "accountability-notice.docx")
ALL = LEDGERS + ("supervision-report.docx",) + NOTICES

# Words each template must carry verbatim from the seed forms.
SEED_WORDS = {
    "key-work-ledger.docx": ["重点工作台帐", "年度", "科室：", "重点工作", "具体措施"],
    "supervision-ledger.docx": ["督查工作台帐", "年度", "月份", "督查时间", "责任科室和单位", "督查要点"],
    "supervision-report.docx": [
        "督查报告",
        "科室：",
        "日期：",
        "督查内容：",
        "督查结果",
        "改进措施和下周期重点内容：",
        "报告人：",
        "报告日期：",
    ],
    "supervision-prompt.docx": [
        "督办提示",
        "通过督查发现你单位（科室）",
        "工作存在（",
        "），现要求你单位（科室）接到本通知后",
        "内进行回复。",
    ],
    "accountability-notice.docx": [
        "督查问责通知书",
        "通过督查发现你单位（科室）",
        "工作存在（",
        "下发《督办提示》",
        "现责成你单位（科室）",
        "内向",
        "说明情况。",
    ],
}

# Top-level template variables each file must read.
VARIABLES = {
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

TITLES = {
    "key-work-ledger.docx": "{{ org_name }}重点工作台帐",
    "supervision-ledger.docx": "{{ org_name }}督查工作台帐",
    "supervision-report.docx": "{{ org_name }}督查报告",
    "supervision-prompt.docx": "{{ org_name }}督办提示",
    "accountability-notice.docx": "督查问责通知书",
}

_docs: dict[str, object] = {}


def doc(name: str):
    if name not in _docs:
        _docs[name] = Document(str(TEMPLATES / name))
    return _docs[name]


def all_text(d) -> str:
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            for cell in row.cells:
                parts.append(cell.text)
    return "\n".join(parts)


def style_chain(style):
    while style is not None:
        yield style
        style = style.base_style


def effective_run(run, paragraph, attr: str):
    """A run's font attribute (size / east-Asian name) through run, paragraph style, Normal, docDefaults."""

    def from_rpr(rpr):
        if rpr is None:
            return None
        if attr == "size":
            sz = rpr.find(qn("w:sz"))
            return Pt(int(sz.get(qn("w:val"))) / 2) if sz is not None else None
        fonts = rpr.find(qn("w:rFonts"))
        return fonts.get(qn("w:eastAsia")) if fonts is not None else None

    value = from_rpr(run._r.rPr)
    if value is not None:
        return value
    for style in style_chain(paragraph.style):
        value = from_rpr(style.element.rPr)
        if value is not None:
            return value
    defaults = paragraph.part.document.styles.element.find(qn("w:docDefaults"))
    return from_rpr(defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")))


def effective_pf(paragraph, attr: str):
    value = getattr(paragraph.paragraph_format, attr)
    if value is not None:
        return value
    for style in style_chain(paragraph.style):
        value = getattr(style.paragraph_format, attr)
        if value is not None:
            return value
    return None


@pytest.mark.parametrize("name", ALL)
def test_a4_page_and_margins(name):
    section = doc(name).sections[0]
    assert abs(section.page_width.mm - 210) < 0.5 and abs(section.page_height.mm - 297) < 0.5
    assert abs(section.top_margin.mm - 37) <= 1
    assert abs(section.left_margin.mm - 28) <= 1
    assert abs(section.right_margin.mm - 26) <= 1
    assert abs(section.bottom_margin.mm - 35) <= 1
    # the page number sits below the text block, inside the bottom margin
    assert section.footer_distance < section.bottom_margin


@pytest.mark.parametrize("name", ALL)
def test_normal_style_is_fangsong_3hao_on_a_fixed_line(name):
    normal = doc(name).styles["Normal"]
    fonts = normal.element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert fonts.get(qn("w:ascii")) and not fonts.get(qn("w:asciiTheme"))
    assert normal.font.size == Pt(16)
    pf = normal.paragraph_format
    assert pf.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert abs(pf.line_spacing.pt - 28.95) < 0.1  # 22 lines a page
    lang = normal.element.rPr.find(qn("w:lang"))
    assert lang.get(qn("w:eastAsia")) == "zh-CN"


@pytest.mark.parametrize("name", ALL)
def test_the_document_grid_is_22_lines_of_28_characters(name):
    d = doc(name)
    grid = d.sections[0]._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "linesAndChars"
    assert grid.get(qn("w:linePitch")) == "579"  # 28.95 pt
    pitch = 16 + int(grid.get(qn("w:charSpace"))) / 4096  # Word: the Normal size plus charSpace
    assert 28 * pitch <= 156 / 25.4 * 72 < 29 * pitch
    # the characters: 16 pt less the defaults' condensing, 28 and not 29 in the 156 mm block
    defaults = d.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    advance = 16 + int(defaults.find(qn("w:spacing")).get(qn("w:val"))) / 20
    assert 28 * advance < 156 / 25.4 * 72 - 2 < 29 * advance
    # no punctuation compression: Word lays punctuation out as the PDF does
    assert d.settings.element.find(qn("w:characterSpacingControl")).get(qn("w:val")) == "doNotCompress"


@pytest.mark.parametrize("name", ALL)
def test_title_is_xiaobiaosong_2hao_centred(name):
    d = doc(name)
    title = d.paragraphs[0]
    assert title.text == TITLES[name]
    assert effective_pf(title, "alignment") == WD_ALIGN_PARAGRAPH.CENTER
    for run in title.runs:
        assert effective_run(run, title, "size") == Pt(22)
        assert effective_run(run, title, "eastAsia") == "方正小标宋简体"


@pytest.mark.parametrize("name", ALL)
def test_page_number_footers(name):
    d = doc(name)
    assert d.settings.element.find(qn("w:evenAndOddHeaders")) is not None
    section = d.sections[0]
    for footer, alignment, indent in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right_indent"),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "left_indent"),
    ):
        assert not footer.is_linked_to_previous
        p = footer.paragraphs[0]
        xml = p._p.xml
        assert p.text.startswith("—") and p.text.endswith("—")
        assert re.search(r'<w:instrText[^>]*>\s*PAGE\s*<|w:instr="\s*PAGE', xml)
        assert effective_pf(p, "alignment") == alignment
        assert abs(getattr(p.paragraph_format, indent).pt - 14) < 0.5  # one 4号 character in
        for run in p.runs:
            assert effective_run(run, p, "size") == Pt(14)
            assert effective_run(run, p, "eastAsia") == "宋体"


@pytest.mark.parametrize("name", LEDGERS)
def test_ledger_table_repeats_header_and_loops_one_row(name):
    table = doc(name).tables[0]
    header, loop_open, data, loop_close = table.rows
    assert header._tr.trPr.find(qn("w:tblHeader")) is not None
    assert loop_open.cells[0].text.strip().startswith("{%tr for row in rows")
    assert loop_close.cells[0].text.strip() == "{%tr endfor %}"
    assert all(c.text.startswith("{{ row.") for c in data.cells)
    borders = table.style.element.find(qn("w:tblPr")).find(qn("w:tblBorders"))
    assert borders is not None and borders.find(qn("w:insideH")).get(qn("w:val")) == "single"


@pytest.mark.parametrize("name", ALL)
def test_seed_words_present(name):
    text = all_text(doc(name))
    for words in SEED_WORDS[name]:
        assert words in text, words


def test_accountability_body_word_for_word():
    body = next(p for p in doc("accountability-notice.docx").paragraphs if p.text.startswith("通过督查"))
    assert body.text == (
        "通过督查发现你单位（科室）{{ matter }}工作存在（{{ findings_marked }}），并于{{ prompt_issued_on }}"
        "下发《督办提示》（{{ prompt_number }}），现责成你单位（科室）{{ reply_period }}内向{{ committee }}说明情况。"
    )


def test_prompt_body_word_for_word():
    body = next(p for p in doc("supervision-prompt.docx").paragraphs if p.text.startswith("通过督查"))
    assert body.text == (
        "通过督查发现你单位（科室）{{ matter }}工作存在（{{ findings_marked }}），"
        "现要求你单位（科室）接到本通知后{{ reply_period }}内进行回复。"
    )
    assert abs(effective_pf(body, "first_line_indent").pt - 2 * 15.7) < 0.2  # two characters of 15.7 pt


@pytest.mark.parametrize("name", NOTICES)
def test_signature_block(name):
    paragraphs = doc(name).paragraphs
    texts = [p.text for p in paragraphs]
    i = texts.index("{%p for office in issuing_offices %}")
    assert texts[i - 1] == ""  # one blank line after the body
    assert texts[i + 1 : i + 4] == ["{{ office }}", "{%p endfor %}", "{{ issued_on }}"]
    date = paragraphs[i + 3]
    assert effective_pf(date, "alignment") == WD_ALIGN_PARAGRAPH.RIGHT
    assert abs(effective_pf(date, "right_indent").pt - 64) < 0.5  # four characters in
    office = paragraphs[i + 1]
    assert effective_pf(office, "alignment") == WD_ALIGN_PARAGRAPH.CENTER
    assert effective_pf(office, "left_indent").pt > 150  # pushed over to the date
    salutation = next(p for p in paragraphs if p.text == "{{ recipient }}：")
    assert not effective_pf(salutation, "first_line_indent")


@pytest.mark.parametrize("name", ALL)
def test_tags_whole_in_one_run_and_expected_variables(name):
    d = doc(name)
    body = d.element.body
    tag = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")
    names = set()
    for p in body.iter(qn("w:p")):
        runs = ["".join(t.text or "" for t in r.iter(qn("w:t"))) for r in p.iter(qn("w:r"))]
        joined = "".join(runs)
        in_runs = [m for r in runs for m in tag.findall(r)]
        assert tag.findall(joined) == in_runs, f"a tag is split across runs in {joined!r}"
        for r in runs:  # a tag stands alone in its run
            if tag.search(r):
                assert tag.fullmatch(r.strip()), r
        for m in in_runs:
            found = re.match(r"\{[{%]\s*(?:[pr]\s+|tr\s+)?(?:for\s+\w+\s+in\s+)?([A-Za-z_]\w*)", m)
            if found and found.group(1) not in ("endfor", "row", "office"):
                names.add(found.group(1))
    assert names == VARIABLES[name]


@pytest.mark.parametrize("name", ALL)
def test_no_organisation_hard_coded(name):
    d = doc(name)
    text = all_text(d) + "".join(p.text for f in (d.sections[0].footer, d.sections[0].even_page_footer) for p in f.paragraphs)
    for seed_text in ("东丽", "卫生局", "党办", "行政办公室", "局党委", "2010年", "2010 年"):
        assert seed_text not in text, seed_text
