"""Reading a .docx back the way a person reads it: paragraphs and table cells."""

from __future__ import annotations

import io

import docx


def paragraphs(content: bytes) -> list[str]:
    document = docx.Document(io.BytesIO(content))
    out = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                out.extend(p.text for p in cell.paragraphs)
    return out


def text(content: bytes) -> str:
    return "\n".join(paragraphs(content))


def table_rows(content: bytes, index: int = 0) -> list[list[str]]:
    document = docx.Document(io.BytesIO(content))
    return [[cell.text for cell in row.cells] for row in document.tables[index].rows]
