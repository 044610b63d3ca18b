"""仿宋 for the body (FandolFang, free) and 小标宋 for the title, judged by the
preflight from the glyphs' strokes; licensed faces in DOCGEN_FONTS_DIR win."""

from __future__ import annotations

import io
from pathlib import Path

import pdfplumber
import pytest
from fontTools.ttLib import TTFont

from docgen import create_app
from docgen.services.preflight import preflight_pdf
from tests.conftest import example

pytestmark = pytest.mark.slow

WENKAI = Path("/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Light.ttf")


def body_fonts(pdf: bytes) -> set[str]:
    """The faces of the 16 pt Chinese characters in the text block (a draft's 草稿 mark stands above it)."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return {
            c["fontname"].split("+")[-1]
            for c in doc.pages[0].chars
            if round(c["size"]) == 16 and "\u4e00" <= c["text"] <= "\u9fff" and c["top"] > 36 * 72 / 25.4
        }


def test_the_body_is_fangsong_and_the_title_xiaobiaosong(tmp_path):
    office = create_app({"DATA_DIR": str(tmp_path), "CONVERTER_INSTANCES": 1}).extensions["docgen"]
    pdf = office.draft("supervision-prompt", example("supervision-prompt"), "pdf").content
    assert body_fonts(pdf) == {"FandolFang-Regular"}
    assert not {p.rule for p in preflight_pdf(pdf)} & {"正文字体", "标题字体"}


def test_a_licensed_face_in_the_fonts_dir_wins(tmp_path):
    """A face named 仿宋_GB2312 dropped into DOCGEN_FONTS_DIR is the one the PDF embeds
    (a Kai face renamed here, so the preflight also sees it is no 仿宋 by its strokes)."""
    fonts = tmp_path / "licensed"
    fonts.mkdir()
    font = TTFont(WENKAI)
    table = font["name"]
    table.names = [record for record in table.names if record.platformID == 3 and record.nameID not in (16, 17)]
    for name_id, value in ((1, "仿宋_GB2312"), (4, "仿宋_GB2312"), (6, "LicensedFangSong")):
        table.setName(value, name_id, 3, 1, 0x804)
        table.setName(value, name_id, 3, 1, 0x409)
    font.save(fonts / "licensed.ttf")
    office = create_app({"DATA_DIR": str(tmp_path / "data"), "CONVERTER_INSTANCES": 1, "FONTS_DIR": str(fonts)}).extensions["docgen"]
    pdf = office.draft("supervision-prompt", example("supervision-prompt"), "pdf").content
    assert body_fonts(pdf) == {"LicensedFangSong"}


def test_an_unnumbered_paper_file_name_separates_the_date(tmp_path):
    """重点工作台帐-医政科-2026-11-23.docx, not 医政科2026-11-23."""
    office = create_app({"DATA_DIR": str(tmp_path)}).extensions["docgen"]
    paper = office.issue("key-work-ledger", example("key-work-ledger")).document
    name = office.document_file(paper.id, "docx").filename
    assert name == f"重点工作台帐-{paper.recipient}-{paper.issued_on.isoformat()}.docx"
