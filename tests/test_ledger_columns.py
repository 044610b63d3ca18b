"""The 督查工作台帐's columns, measured in the PDF: 督查要点 is the widest; a date in
either style stays on one line of its column (二〇二六年十一月十二日 takes its room from
督查要点 when the paper is made)."""

from __future__ import annotations

import io
from pathlib import Path

import pdfplumber
import pytest

from docgen import create_app
from docgen.kinds import BUNDLED, activate
from tests.conftest import example

pytestmark = pytest.mark.slow
DEFAULT_PROFILE = Path(__file__).resolve().parent.parent / "docgen" / "profiles" / "default.toml"


def ledger(tmp_path: Path, style: str) -> tuple[list[float], list[str]]:
    profile = tmp_path / f"{style}.toml"
    profile.write_text(DEFAULT_PROFILE.read_text(encoding="utf-8").replace('date_style = "arabic"', f'date_style = "{style}"'), encoding="utf-8")
    app = create_app({"DATA_DIR": str(tmp_path / style), "CONVERTER_INSTANCES": 1, "PROFILE": str(profile)})
    try:
        pdf = app.extensions["docgen"].draft("supervision-ledger", example("supervision-ledger"), "pdf").content
    finally:
        activate(BUNDLED)
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        page = document.pages[0]
        table = page.find_tables()[0]
        edges = sorted({round(cell[0], 1) for cell in table.cells}) + [round(table.bbox[2], 1)]
        lines = ["".join(line["text"].split()) for line in page.extract_text_lines()]
    return [b - a for a, b in zip(edges, edges[1:], strict=False)], lines


@pytest.mark.parametrize(("style", "dates"), [("arabic", ["2026年11月5日", "2026年11月12日"]), ("chinese", ["二〇二六年十一月五日", "二〇二六年十一月十二日"])])
def test_dates_stay_whole_and_the_points_get_the_width(tmp_path, style, dates) -> None:
    widths, lines = ledger(tmp_path, style)
    assert len(widths) == 3 and widths[2] == max(widths), widths
    for date in dates:
        assert any(line.startswith(date) for line in lines), (date, lines)
