"""Page images of a PDF, for the clerks' preview (poppler's ``pdftoppm``).

Knows nothing of Flask: give it the bytes of a PDF, get PNG images back.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from docgen.errors import ConverterUnavailable
from docgen.services.packet import page_count

DEFAULT_RESOLUTION = 60  # dots per inch: an A4 page is about 500 × 700 pixels
DEFAULT_MAX_PAGES = 6
TIMEOUT_SECONDS = 30


@dataclass
class Preview:
    """The first pages of a PDF as PNG images, and how many pages it has in all."""

    pages: list[bytes]
    page_count: int

    @property
    def truncated(self) -> bool:
        return self.page_count > len(self.pages)


def _page_count(pdf: bytes) -> int:
    """How many pages a PDF has (0 if it cannot be read)."""
    try:
        return page_count(pdf)
    except Exception:  # a broken PDF still gets whatever pdftoppm makes of it
        return 0


def pdf_to_png(pdf: bytes, resolution: int = DEFAULT_RESOLUTION, max_pages: int = DEFAULT_MAX_PAGES) -> Preview:
    """The first ``max_pages`` pages of ``pdf`` as PNG images at ``resolution`` dpi.

    Raises ConverterUnavailable when poppler is missing or fails on the file.
    """
    executable = shutil.which("pdftoppm")
    if executable is None:
        raise ConverterUnavailable("预览服务不可用：服务器未安装 poppler-utils（pdftoppm）")
    with tempfile.TemporaryDirectory(prefix="docgen-preview-") as tmp:
        source = Path(tmp) / "draft.pdf"
        source.write_bytes(pdf)
        command = [executable, "-png", "-r", str(int(resolution)), "-f", "1"]
        if max_pages:
            command += ["-l", str(int(max_pages))]
        command += [str(source), str(Path(tmp) / "page")]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            raise ConverterUnavailable("生成预览图超时，请稍后再试") from None
        except subprocess.CalledProcessError as exc:
            message = exc.stderr.decode("utf-8", "replace").strip()[:200]
            raise ConverterUnavailable(f"无法生成预览图：{message or 'pdftoppm 出错'}") from None
        # page-1.png, page-01.png or page-001.png, depending on the page count
        files = sorted(Path(tmp).glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        pages = [f.read_bytes() for f in files]
    return Preview(pages=pages, page_count=max(_page_count(pdf), len(pages)))
