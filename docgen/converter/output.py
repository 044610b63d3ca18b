"""The check every PDF passes before it leaves the converter."""

from __future__ import annotations

import io

MIN_PDF_BYTES = 1024


def check_pdf(data: bytes) -> int:
    """Return the page count of ``data`` or raise ``ValueError`` saying what is wrong."""
    if not data.startswith(b"%PDF-"):
        raise ValueError("输出不是 PDF（缺少 %PDF- 文件头）")
    if b"%%EOF" not in data[-2048:]:
        raise ValueError("PDF 不完整（结尾缺少 %%EOF）")
    if len(data) <= MIN_PDF_BYTES:
        raise ValueError(f"PDF 过小（{len(data)} 字节），不可信")
    try:
        from pypdf import PdfReader

        pages = len(PdfReader(io.BytesIO(data)).pages)
    except Exception as exc:  # pypdf raises many kinds
        raise ValueError(f"PDF 无法解析：{exc}") from exc
    if pages < 1:
        raise ValueError("PDF 没有页面")
    return pages
