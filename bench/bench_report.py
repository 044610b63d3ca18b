"""A month of 200 matters, 400 progress reports and 600 papers made into the monthly report.

    .venv/bin/python bench/bench_report.py

The 600 papers are written straight into a fresh register (SQLite) for a past
month; the 200 matters and their 400 progress reports are constructed as the
matters service would hand them over (``sources.matters``), so the run times
gathering (db -> figures), the .docx and the PDF (the shared LibreOffice
converter). Baseline, in the same run: one small draft (a 督办提示) as .docx
and as PDF, so the ratios hold on a noisy machine. Targets: .docx <= 3 s, PDF <= 6 s.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docgen.config import load_settings  # noqa: E402
from docgen.kinds import KINDS  # noqa: E402
from docgen.services.db import Document  # noqa: E402
from docgen.services.office import Office  # noqa: E402
from docgen.services.register import format_number  # noqa: E402
from docgen.services.reports import sources  # noqa: E402
from docgen.services.reports.model import MatterLine, ProgressLine  # noqa: E402
from docgen.services.reports.service import Reports  # noqa: E402

DEPARTMENTS = ["医政科", "疾控科", "妇幼科", "规划财务科", "人事科", "卫生监督所", "区人民医院", "区中医院", "爱卫办", "党建办"]
YEAR, MONTH = 2026, 10


def papers(office: Office, n: int) -> None:
    rnd = random.Random(7)
    with office.register.writing() as session, session.begin():
        for seq in range(1, n + 1):
            issued = dt.date(YEAR, MONTH, 1 + seq % 28)
            session.add(Document(
                id=uuid.uuid4().hex, kind="supervision-prompt", organisation=office.profile.name, year=YEAR, seq=seq,
                number=format_number("东卫督办", YEAR, seq), status="voided" if seq % 97 == 0 else "issued", issued_on=issued,
                due_on=issued + dt.timedelta(days=7), recipient=rnd.choice(DEPARTMENTS), payload={}, search_text="",
                template_sha256="0" * 64, file_key="x", file_sha256="0" * 64,
            ))


def matters(n: int, reports: int) -> list[sources.GatheredMatter]:
    rnd = random.Random(11)
    out = []
    for i in range(n):
        progress = tuple(
            ProgressLine(dt.date(YEAR, MONTH, 5 + 7 * k), f"第{k + 1}次报告：已完成阶段任务的{rnd.randint(30, 90)}%，正在推进下一阶段工作。",
                         "资金和人员尚需落实。" if k else "", "需协调区财政局拨付专项资金。" if i % 25 == 0 and k == 0 else "")
            for k in range(reports // n + (1 if i < reports % n else 0))
        )
        light = rnd.choice(["green", "green", "green", "yellow", "red"])
        line = MatterLine(f"东卫督事〔{YEAR}〕{i + 1}号", f"重点工作事项{i + 1}：推进基层医疗卫生服务能力建设", DEPARTMENTS[i % 10],
                          "done" if i % 9 == 0 else "open", light, dt.date(YEAR, 12, 1 + i % 28), progress=progress)
        out.append(sources.GatheredMatter(line, ((dt.date(YEAR, MONTH + 1, 1 + i % 28), "完成阶段目标"),) if i % 3 == 0 else ()))
    return out


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        office = Office(load_settings({"DATA_DIR": tmp}))
        papers(office, 600)
        built = matters(200, 400)
        reports = Reports(office)
        example = dict(KINDS["supervision-prompt"].example)
        office.to_pdf(office.draft("supervision-prompt", example).content)  # warm the converter
        (_, base_docx) = timed(lambda: office.draft("supervision-prompt", example))
        (_, base_pdf) = timed(lambda: office.draft("supervision-prompt", example, "pdf"))
        with mock.patch.object(sources, "matters", lambda office, start, end, as_of: built):
            made, docx_s = timed(lambda: reports.monthly(YEAR, MONTH))
            pdf, pdf_s = timed(lambda: reports.monthly(YEAR, MONTH, fmt="pdf"))
            appendix, appendix_s = timed(lambda: reports.monthly(YEAR, MONTH, fmt="pdf", with_papers=True))
        import io

        from pypdf import PdfReader

        pages = len(PdfReader(io.BytesIO(pdf.file.content)).pages)
        appendix_pages = len(PdfReader(io.BytesIO(appendix.file.content)).pages)
    print("month: 200 matters, 400 progress reports, 600 papers")
    print(f"baseline draft .docx {base_docx:.3f} s, draft PDF {base_pdf:.3f} s")
    print(f"report .docx {docx_s:.2f} s ({docx_s / base_docx:.0f}x draft .docx; target 3 s) {len(made.file.content)} bytes")
    print(f"report PDF   {pdf_s:.2f} s ({pdf_s / base_pdf:.1f}x draft PDF; target 6 s) {pages} pages")
    print(f"report PDF with the papers appendix {appendix_s:.2f} s ({appendix_s / base_pdf:.1f}x draft PDF) {appendix_pages} pages")


if __name__ == "__main__":
    main()
