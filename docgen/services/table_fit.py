"""Dates stay whole in a table: a column holding dates is made as wide as its longest date.

A template fixes its column widths for the profile's usual date style; a profile
that dates the old way (二〇二六年十一月二十二日, twelve characters) would wrap
them in the middle. When a paper is made, each column whose cells hold
dates gets the width its longest date needs, taken from the widest other
column (in a 督查工作台帐: 督查要点) as long as that keeps three characters.
Tables with merged cells are left as they are. Nothing here knows Flask.
"""

from __future__ import annotations

import re

from lxml import etree

from docgen.services.signature_block import text_width_pt

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = f"{{{W}}}"
OFFICIAL_DATE = re.compile(r"^(\d{4}年\d{1,2}月\d{1,2}日|[〇○零一二三四五六七八九]{4}年[一二三四五六七八九十]{1,3}月[一二三四五六七八九十]{1,3}日)$")
TABLE_TEXT_PT = 14.0  # 4号, the tables' type unless a run says otherwise
_CELL_MARGINS_TWIPS = 2 * 115 + 60  # cell margins left and right (Word's default is 108 each), and a little air


def fit_date_columns(document_xml: str) -> str:
    """The rendered ``word/document.xml`` with every date column wide enough for its dates."""
    if "<w:tbl>" not in document_xml and "<w:tbl " not in document_xml:
        return document_xml
    if not re.search(r"\d{4}年|[〇○零一二三四五六七八九]{4}年", document_xml):
        return document_xml
    root = etree.fromstring(document_xml.encode("utf-8"))
    changed = False
    for table in root.iter(f"{_W}tbl"):
        changed |= _fit(table)
    if not changed:
        return document_xml
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True).decode("utf-8")


def _fit(table: etree._Element) -> bool:
    grid = table.findall(f"{_W}tblGrid/{_W}gridCol")
    if not grid:
        return False
    widths = [int(col.get(f"{_W}w", "0")) for col in grid]
    rows = [[cell for cell in row.findall(f"{_W}tc")] for row in table.findall(f"{_W}tr")]
    if any(len(cells) != len(widths) or any(c.find(f"{_W}tcPr/{_W}gridSpan") is not None for c in cells) for cells in rows):
        return False
    needed = [0] * len(widths)
    for cells in rows:
        for index, cell in enumerate(cells):
            text = "".join(t.text or "" for t in cell.iter(f"{_W}t")).strip()
            if OFFICIAL_DATE.match(text):
                needed[index] = max(needed[index], round(text_width_pt(text, _size(cell)) * 20) + _CELL_MARGINS_TWIPS)
    changed = False
    for index, need in enumerate(needed):
        deficit = need - widths[index]
        if deficit <= 0:
            continue
        donors = [i for i in range(len(widths)) if i != index and not needed[i]]
        if not donors:
            continue
        donor = max(donors, key=lambda i: widths[i])
        if widths[donor] - deficit < 3 * TABLE_TEXT_PT * 20 + _CELL_MARGINS_TWIPS:
            continue
        widths[index] += deficit
        widths[donor] -= deficit
        changed = True
    if changed:
        for col, width in zip(grid, widths, strict=True):
            col.set(f"{_W}w", str(width))
        for cells in rows:
            for cell, width in zip(cells, widths, strict=True):
                tcw = cell.find(f"{_W}tcPr/{_W}tcW")
                if tcw is not None:
                    tcw.set(f"{_W}w", str(width))
                    tcw.set(f"{_W}type", "dxa")
    return changed


def _size(cell: etree._Element) -> float:
    size = cell.find(f".//{_W}r/{_W}rPr/{_W}sz")
    return int(size.get(f"{_W}val")) / 2 if size is not None else TABLE_TEXT_PT
