"""Justified lines are not stretched next to a manual line break or an address that cannot
break, measured in the PDF: every line keeps the grid's character pitch."""

from __future__ import annotations

import io
import statistics

import pdfplumber
import pytest

from docgen import create_app
from docgen.services.render import breakable
from tests.conftest import example

pytestmark = pytest.mark.slow
MM = 72 / 25.4
PITCH = 156 / 28  # mm


def test_lines_before_a_break_or_an_address_keep_the_grid_pitch(tmp_path) -> None:
    office = create_app({"DATA_DIR": str(tmp_path), "CONVERTER_INSTANCES": 1}).extensions["docgen"]
    matter = "院感防控（见通知\nhttp://www.example.gov.cn/zwgk/2026/tongzhi_1234567890.html）及手卫生依从性核查工作，并整改\n其他问题"
    pdf = office.draft("supervision-prompt", {**example("supervision-prompt"), "matter": matter}, "pdf").content
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        lines = document.pages[0].extract_text_lines(return_chars=True)
    body = [line for line in lines if line["x0"] / MM < 45 and abs(line["chars"][0]["size"] - 16) < 0.5]
    assert any("http://www.example.gov.cn" in line["text"] for line in body)
    for line in body:
        chinese = [c for c in line["chars"] if "\u4e00" <= c["text"] <= "\u9fff"]
        advances = [(b["x0"] - a["x0"]) / MM for a, b in zip(chinese, chinese[1:], strict=False) if 0 < b["x0"] - a["x0"] < 40]
        if len(advances) >= 3:
            assert statistics.median(advances) < PITCH + 0.15, line["text"]


def test_a_long_address_may_break_and_short_text_is_untouched() -> None:
    assert breakable("见http://www.example.gov.cn/a.html通知").replace("\u200b", "") == "见http://www.example.gov.cn/a.html通知"
    assert "\u200b" in breakable("http://www.example.gov.cn/a.html")
    assert breakable("东卫督办〔2026〕7号，2026-11-22") == "东卫督办〔2026〕7号，2026-11-22"
