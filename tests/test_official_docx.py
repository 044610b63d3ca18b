"""The report writer: GB/T 9704 page, whole columns that never wrap, the chart in the papers' faces."""

from __future__ import annotations

import io
import os
import subprocess

import docx
from PIL import Image

from docgen.services.official_docx import TEXT_WIDTH_MM, Column, OfficialDocx, column_widths, text_width_em
from docgen.services.report_chart import FONTS_CONF, ChartRow, face, matters_chart


def test_a_whole_column_is_as_wide_as_its_longest_value() -> None:
    columns = [Column("序号", True), Column("文号", True), Column("收文单位"), Column("状态", True)]
    rows = [["1", "东卫督办〔2026〕1号", "区人民医院", "已回复"], ["12", "东卫督办〔2026〕123号", "卫生监督所", "已升级督办"]]
    widths = column_widths(columns, rows, 14.0)
    assert widths is not None and abs(sum(widths) - TEXT_WIDTH_MM) < 0.5
    number_pt = widths[1] / 25.4 * 72
    assert number_pt >= text_width_em("东卫督办〔2026〕123号") * 14  # room for the longest number on one line
    # too many whole columns for the page: no widths at this size, the table shrinks its type
    assert column_widths([Column("x", True)] * 12, [["东卫督办〔2026〕123号"] * 12], 14.0) is None


def test_the_table_cells_carry_no_wrap_and_the_values() -> None:
    writer = OfficialDocx("测试")
    writer.table([Column("文号", True), Column("收文单位")], [["东卫督办〔2026〕7号", "区人民医院 & <分院>"]])
    document = docx.Document(io.BytesIO(writer.to_bytes()))
    table = document.tables[0]
    assert [c.text for c in table.rows[1].cells] == ["东卫督办〔2026〕7号", "区人民医院 & <分院>"]
    tc_pr = table.rows[1].cells[0]._tc.tcPr
    assert tc_pr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}noWrap") is not None


def test_the_chart_is_drawn_in_the_face_fontconfig_gives_the_papers() -> None:
    env = dict(os.environ, FONTCONFIG_FILE=str(FONTS_CONF))
    expected = subprocess.run(["fc-match", "-f", "%{family[0]}", "仿宋_GB2312"], env=env, capture_output=True, text=True).stdout
    assert face("仿宋_GB2312").get_family() == [expected]
    png = matters_chart([ChartRow("医政科", 1, 2, 0, 1), ChartRow("疾控科", 0, 1, 1, 0)], "督查事项（按科室和灯色）")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width > 1000
