"""Page images of a PDF, for the clerks' preview (pypdfium2, in process).

Knows nothing of Flask: give it the bytes of a PDF, get PNG images back.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass

import pypdfium2 as pdfium

from docgen.errors import ConverterUnavailable

DEFAULT_RESOLUTION = 60  # dots per inch: an A4 page is about 500 × 700 pixels
DEFAULT_MAX_PAGES = 6

# PDFium is not thread-safe: one rendering at a time in a process
_pdfium = threading.Lock()


@dataclass
class Preview:
    """The first pages of a PDF as PNG images, and how many pages it has in all."""

    pages: list[bytes]
    page_count: int

    @property
    def truncated(self) -> bool:
        return self.page_count > len(self.pages)


def pdf_to_png(pdf: bytes, resolution: int = DEFAULT_RESOLUTION, max_pages: int = DEFAULT_MAX_PAGES) -> Preview:
    """The first ``max_pages`` pages of ``pdf`` (all when 0) as PNG images at ``resolution`` dpi.

    Raises ConverterUnavailable when the PDF cannot be read.
    """
    scale = int(resolution) / 72  # PDF units are 1/72 inch
    pages: list[bytes] = []
    with _pdfium:
        try:
            document = pdfium.PdfDocument(pdf)
        except pdfium.PdfiumError as exc:
            raise ConverterUnavailable(f"无法生成预览图：PDF 无法读取（{exc}）") from None
        try:
            count = len(document)
            for index in range(min(count, max_pages) if max_pages else count):
                page = document[index]
                try:
                    image = page.render(scale=scale).to_pil()
                finally:
                    page.close()
                out = io.BytesIO()
                image.save(out, format="PNG", optimize=False)
                pages.append(out.getvalue())
        finally:
            document.close()
    return Preview(pages=pages, page_count=count)
