"""Drafts look like drafts: every page of a draft carries the 草稿 mark, an issued
paper none; the mark moves no line of the paper."""

from __future__ import annotations

import io
import zipfile

import docx
import pdfplumber
import pytest

from docgen import create_app
from docgen.services.draft_mark import DRAFT_MARK, mark_as_draft
from docgen.services.preflight import preflight_pdf
from tests.conftest import example

pytestmark = pytest.mark.slow
MM = 72 / 25.4


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    return create_app({"DATA_DIR": str(tmp_path_factory.mktemp("mark")), "CONVERTER_INSTANCES": 1}).extensions["docgen"]


def marks_and_first_lines(pdf: bytes) -> list[tuple[bool, float]]:
    """Per page: whether 草稿 stands above the text block, and where the first line of the paper starts (mm)."""
    out = []
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            lines = page.extract_text_lines()
            mark = any("".join(line["text"].split()) == DRAFT_MARK and line["bottom"] / MM < 36 for line in lines)
            rest = [line["top"] / MM for line in lines if "".join(line["text"].split()) != DRAFT_MARK]
            out.append((mark, min(rest)))
    return out


def test_every_page_of_a_draft_is_marked_and_an_issued_paper_is_not(office) -> None:
    payload = {**example("supervision-prompt"), "matter": "院感防控制度落实、手卫生依从性和医疗废物处置" * 22}
    draft = marks_and_first_lines(office.draft("supervision-prompt", payload, "pdf").content)
    assert len(draft) >= 2 and all(mark for mark, _ in draft)
    paper = office.issue("supervision-prompt", payload).document
    issued_pdf = office.document_file(paper.id, "pdf").content
    issued = marks_and_first_lines(issued_pdf)
    assert not any(mark for mark, _ in issued)
    with pdfplumber.open(io.BytesIO(issued_pdf)) as document:
        assert DRAFT_MARK not in "".join(page.extract_text() or "" for page in document.pages)
    # the mark lives in the header's room: the paper's lines start where the issued paper's do
    assert [round(top, 1) for _, top in draft] == [round(top, 1) for _, top in issued]
    assert not preflight_pdf(office.draft("supervision-prompt", example("supervision-prompt"), "pdf").content)


def test_a_template_with_its_own_header_gets_the_mark_as_its_first_line() -> None:
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "机关信头"
    document.add_paragraph("正文")
    out = io.BytesIO()
    document.save(out)
    marked = docx.Document(io.BytesIO(mark_as_draft(out.getvalue())))
    header = marked.sections[0].header
    assert [p.text for p in header.paragraphs] == [DRAFT_MARK, "机关信头"]
    assert marked.sections[0].even_page_header.paragraphs[0].text == DRAFT_MARK
    with zipfile.ZipFile(io.BytesIO(mark_as_draft(out.getvalue()))) as archive:
        assert archive.testzip() is None


def test_a_report_is_marked_until_it_is_issued(office) -> None:
    """The monthly report the leaders see before it is issued says 草稿 on every page; the issued one nowhere."""
    from docgen.services.reports.service import Reports

    today = office.today()
    office.issue("supervision-prompt", example("supervision-prompt"))  # something to report on this month
    reports = Reports(office)
    draft = reports.monthly(today.year, today.month, fmt="pdf")
    assert not draft.issued and all(mark for mark, _ in marks_and_first_lines(draft.file.content))
    issued = reports.monthly(today.year, today.month, fmt="pdf", issue=True)
    assert issued.number and not any(mark for mark, _ in marks_and_first_lines(issued.file.content))
