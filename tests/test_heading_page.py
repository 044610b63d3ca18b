"""No "一、" heading stands at the foot of a page with its text on the next (real LibreOffice).
LibreOffice does not always honour a heading's keep-with-next (a quarterly bulletin of four or six
units ended its page 1 on "五、下一步工作要求" or "四、通报批评"), so a paper is converted once
more with a page break before such a heading; the .docx itself is not changed."""

from __future__ import annotations

import datetime as dt

import pytest

from docgen.services.heading_page import stranded_headings
from docgen.services.packet import footer_number, read_pages
from docgen.services.reports.compose import compose_quarterly
from docgen.services.reports.model import Heading, QuarterlyBulletin, UnitLine

pytestmark = pytest.mark.slow

HEADING = Heading("东丽区卫生局", ("东丽区卫生局党办", "东丽区卫生局行政办公室"), dt.date(2026, 12, 8))


def bulletin(units: int) -> bytes:
    lines = tuple(UnitLine(f"区第{i + 1}医院", in_progress=1, papers_received=1, replies_pending=1) for i in range(units))
    return compose_quarterly(QuarterlyBulletin(heading=HEADING, year=2026, quarter=4, as_of=dt.date(2026, 12, 8), units=lines))


def first_lines(pdf: bytes) -> list[str]:
    return ["".join(next(line.text for line in page.lines if footer_number([line]) is None).split()) for page in read_pages(pdf)]


def test_a_heading_at_the_foot_of_a_page_goes_over_with_its_text(office):
    stranded = []
    for units in range(3, 8):
        docx = bulletin(units)
        plain = stranded_headings(office.to_pdf(docx))
        pdf = office.paper_pdf(docx)
        assert stranded_headings(pdf) == [], units
        if plain:  # the heading now opens the next page, over its text
            stranded.append(units)
            assert plain[0] in first_lines(pdf)[1:], (units, plain, first_lines(pdf))
    assert stranded, "no bulletin put a heading at the foot of page 1: the test proves nothing"
