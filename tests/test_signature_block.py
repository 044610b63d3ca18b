"""The issuing offices stand centred over the date, the date four characters in
from the right margin, measured in the PDF: for short and long office names, for
the Arabic and the Chinese date style, for a notice and for a report."""

from __future__ import annotations

import io
from pathlib import Path

import pdfplumber
import pytest

from docgen import create_app
from docgen.kinds import BUNDLED, activate
from docgen.services.signature_block import lay_out_signature
from tests.conftest import example

MM = 72 / 25.4
RIGHT_MARGIN = 210 - 26  # mm from the left edge of the page
DATE_RIGHT = RIGHT_MARGIN - 4 * 16 / MM  # 成文日期右空四字
SHORT, LONG, LONGEST = "东丽区卫生局党办", "东丽区卫生局党委办公室（局行政办公室）", "东丽区卫生局党委办公室暨全面从严治党工作领导小组办公室"
DEFAULT_PROFILE = Path(__file__).resolve().parent.parent / "docgen" / "profiles" / "default.toml"


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    folder = tmp_path_factory.mktemp("signature")
    text = DEFAULT_PROFILE.read_text(encoding="utf-8")
    text = text.replace('issuing_offices = ["东丽区卫生局党办", "东丽区卫生局行政办公室"]', f'issuing_offices = ["{SHORT}", "{LONG}", "{LONGEST}"]')
    # the accountability notice dates the old way: 二〇二六年十一月二十二日
    text = text.replace('prefix = "东卫督问"\ndate_style = "arabic"', 'prefix = "东卫督问"\ndate_style = "chinese"')
    assert text.count(LONGEST) == 1 and 'date_style = "chinese"' in text
    profile = folder / "profile.toml"
    profile.write_text(text, encoding="utf-8")
    app = create_app({"DATA_DIR": str(folder / "data"), "CONVERTER_INSTANCES": 1, "PROFILE": str(profile)})
    yield app.extensions["docgen"]
    activate(BUNDLED)


def signature_lines(pdf: bytes) -> dict[str, tuple[float, float]]:
    """The x extent (mm) of each line of the last page, by its text without spaces."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return {"".join(line["text"].split()): (line["x0"] / MM, line["x1"] / MM) for line in doc.pages[-1].extract_text_lines()}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "date", "centred", "flush"),
    [
        ("supervision-prompt", "2026年11月22日", [SHORT], [LONG, LONGEST]),
        ("accountability-notice", "二〇二六年十一月二十二日", [SHORT, LONG], [LONGEST]),
    ],
)
def test_offices_centred_over_the_date_four_characters_in(office, kind, date, centred, flush) -> None:
    payload = {**example(kind), "issued_on": "2026-11-22", "date_reason": "补录"}
    if kind == "accountability-notice":
        payload = {**payload, "force_reason": "测试"}
        prompt = office.issue("supervision-prompt", {**example("supervision-prompt"), "issued_on": "2026-11-02", "date_reason": "补录"})
        payload["prompt_number"] = prompt.document.number
    paper = office.issue(kind, payload).document
    lines = signature_lines(office.document_file(paper.id, "pdf").content)
    date_x0, date_x1 = lines[date]
    assert abs(date_x1 - DATE_RIGHT) < 1.0, (date_x1, DATE_RIGHT)
    middle = (date_x0 + date_x1) / 2
    for name in centred:  # each on one line, its middle over the date's
        x0, x1 = lines[name]
        assert abs((x0 + x1) / 2 - middle) < 1.0, (name, (x0 + x1) / 2, middle)
    for name in flush:  # too long to centre over the date inside the text block: one line, flush right
        x0, x1 = lines[name]
        assert RIGHT_MARGIN - 1.5 < x1 < RIGHT_MARGIN + 0.5, (name, x1)


@pytest.mark.slow
def test_a_reports_offices_are_centred_over_its_date_too(office) -> None:
    from docgen.services.official_docx import OfficialDocx

    writer = OfficialDocx("督查工作情况报告", "东丽区卫生局", None)
    writer.title("督查工作情况报告")
    writer.text("本月督查工作总体平稳。")
    writer.signature([SHORT, LONG], "二〇二六年十一月二十六日")
    lines = signature_lines(office.to_pdf(writer.to_bytes()))
    date_x0, date_x1 = lines["二〇二六年十一月二十六日"]
    assert abs(date_x1 - DATE_RIGHT) < 1.0
    for name in (SHORT, LONG):
        x0, x1 = lines[name]
        assert abs((x0 + x1) / 2 - (date_x0 + date_x1) / 2) < 1.0, name


def _paragraph(style: str | None, text: str, properties: str = "") -> str:
    style_element = f'<w:pStyle w:val="{style}"/>' if style else ""
    return f"<w:p><w:pPr>{style_element}{properties}</w:pPr><w:r><w:t>{text}</w:t></w:r></w:p>"


def test_the_signature_block_is_laid_out_as_issued_papers_have_it() -> None:
    """The exact XML papers were issued with: a paper made again must come out byte for byte."""
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    body = (
        _paragraph("GWSignOffice", "不在署名中") + _paragraph(None, "正文")  # body text ends the block before it
        + _paragraph("GWSignOffice", SHORT, '<w:ind w:left="5"/><w:jc w:val="left"/><w:rPr/>')
        + _paragraph("GWSignOffice", LONGEST) + _paragraph("GWSignDate", "2026年11月22日")
    )
    laid_out = lay_out_signature(f'<w:document {w}><w:body>{body}</w:body></w:document>')
    ind = ' w:leftChars="0" w:right="0" w:rightChars="0" w:firstLine="0" w:firstLineChars="0"/>'
    assert laid_out == (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
        f"<w:document {w}><w:body>"
        '<w:p><w:pPr><w:pStyle w:val="GWSignOffice"/></w:pPr><w:r><w:t>不在署名中</w:t></w:r></w:p>'
        "<w:p><w:pPr/><w:r><w:t>正文</w:t></w:r></w:p>"
        f'<w:p><w:pPr><w:pStyle w:val="GWSignOffice"/><w:ind w:left="3750"{ind}<w:jc w:val="center"/><w:rPr/></w:pPr>'
        f"<w:r><w:t>{SHORT}</w:t></w:r></w:p>"
        f'<w:p><w:pPr><w:pStyle w:val="GWSignOffice"/><w:ind w:left="0"{ind}<w:jc w:val="right"/></w:pPr>'
        f"<w:r><w:t>{LONGEST}</w:t></w:r></w:p>"
        '<w:p><w:pPr><w:pStyle w:val="GWSignDate"/></w:pPr><w:r><w:t>2026年11月22日</w:t></w:r></w:p>'
        "</w:body></w:document>"
    )
    assert lay_out_signature(laid_out) == laid_out  # laid out again (the next paper of a batch): the same
