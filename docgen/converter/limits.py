"""How much one conversion request may ask for, and which documents count as large.

The size that matters for LibreOffice is the text it lays out, not the zipped
file and not the styles every template carries: a .docx is measured by the
uncompressed size of its body, headers, footers and notes (read from the
zip's directory, nothing is inflated). A file that is not a zip is measured
by its own length.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from docgen.errors import ErrorDetail, PayloadTooLarge

DEFAULT_MAX_BYTES = 4 * 1024 * 1024  # text of one document, uncompressed (a dense table: ~2000 pages)
DEFAULT_MAX_PAGES = 500
DEFAULT_LARGE_BYTES = 256 * 1024  # from here a document is large (a dense table: ~130 pages)

_TEXT_PARTS = re.compile(r"word/(document\d*|header\d*|footer\d*|footnotes|endnotes|comments)\.xml")


def text_bytes(docx: bytes) -> int:
    """The uncompressed size of a .docx's text parts (its own length when not a zip)."""
    try:
        with zipfile.ZipFile(io.BytesIO(docx)) as archive:
            return sum(info.file_size for info in archive.infolist() if _TEXT_PARTS.fullmatch(info.filename))
    except (zipfile.BadZipFile, ValueError, OSError):
        return len(docx)


def megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


@dataclass(frozen=True)
class Limits:
    """Per-request limits of a converter and the threshold of its large lane."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_pages: int = DEFAULT_MAX_PAGES
    large_bytes: int = DEFAULT_LARGE_BYTES

    def check_size(self, docx: bytes) -> None:
        """Raise PayloadTooLarge (413) when the document's text is over ``max_bytes``."""
        size = text_bytes(docx)
        if self.max_bytes and size > self.max_bytes:
            raise PayloadTooLarge(
                f"文档过大，无法转换为 PDF：正文 {megabytes(size)}，上限 {megabytes(self.max_bytes)}",
                [ErrorDetail("(document)", f"正文 {size} 字节，超过上限 {self.max_bytes} 字节（DOCGEN_CONVERTER_MAX_BYTES）")],
            )

    def is_large(self, docx: bytes) -> bool:
        return text_bytes(docx) >= self.large_bytes
