"""DOCX → PDF: the warm pool against a cold ``soffice --convert-to pdf``.

    .venv/bin/python bench/bench_convert.py [--runs 20] [--cold-runs 3] [--instances 2]

Prints the pool's start-up times, the median of one one-page document through
the warm pool (after warm-up), the median of a cold soffice call per document,
their ratio, and the pool's throughput with all instances busy. Figures only.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from docgen.converter import FONTS_CONF, LocalPool, check_pdf


def one_page_docx() -> bytes:
    """A one-page notice in the official fonts."""
    doc = Document()
    parts = [
        ("方正小标宋简体", 22, "关于开展2024年度专项督查工作的通知"),
        ("仿宋_GB2312", 16, "各区县人民政府，市政府各部门："),
        ("黑体", 16, "一、总体要求"),
        ("楷体_GB2312", 16, "（一）工作目标。"),
    ]
    parts += [("仿宋_GB2312", 16, "为深入贯彻落实中央八项规定精神，进一步转变工作作风，提高工作效率，现就有关事项通知如下。" * 2)] * 3
    for font, size, text in parts:
        run = doc.add_paragraph().add_run(text)
        run.font.size = Pt(size)
        run.font.name = font
        run._element.rPr.rFonts.set(qn("w:eastAsia"), font)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--cold-runs", type=int, default=3)
    ap.add_argument("--instances", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--soffice", default=shutil.which("soffice") or "soffice")
    ns = ap.parse_args()

    docx = one_page_docx()
    work = Path(tempfile.mkdtemp(prefix="docgen-bench-"))
    try:
        # ---- warm pool ----
        t0 = time.monotonic()
        pool = LocalPool(instances=ns.instances, timeout=60, max_jobs=10_000, work_dir=work / "pool")
        pool.start()
        start_returned = time.monotonic() - t0
        first = pool.to_pdf(docx)
        first_pdf = time.monotonic() - t0
        pool.wait_ready()
        st = pool.status()
        pages = check_pdf(first)
        for _ in range(3):  # warm-up
            pool.to_pdf(docx)
        warm = []
        for _ in range(ns.runs):
            t = time.monotonic()
            pool.to_pdf(docx)
            warm.append(time.monotonic() - t)
        n = ns.instances * 10
        t = time.monotonic()
        with ThreadPoolExecutor(ns.instances) as ex:
            list(ex.map(pool.to_pdf, [docx] * n))
        throughput = n / (time.monotonic() - t)
        pool.close()

        # ---- cold soffice per document ----
        src = work / "doc.docx"
        src.write_bytes(docx)
        profile = (work / "cold-profile").as_uri()
        env = {**os.environ, "FONTCONFIG_FILE": str(FONTS_CONF)}
        cmd = [
            ns.soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work / "out"),
            str(src),
        ]
        t = time.monotonic()
        subprocess.run(cmd, env=env, capture_output=True, check=True)  # creates the profile
        first_cold = time.monotonic() - t
        cold = []
        for _ in range(ns.cold_runs):
            t = time.monotonic()
            subprocess.run(cmd, env=env, capture_output=True, check=True)
            cold.append(time.monotonic() - t)
        check_pdf((work / "out" / "doc.pdf").read_bytes())
    finally:
        shutil.rmtree(work, ignore_errors=True)

    warm_med, cold_med = statistics.median(warm), statistics.median(cold)
    print(f"document: one page ({len(docx)} bytes DOCX -> {len(first)} bytes PDF, {pages} page)")
    print(
        f"pool ({ns.instances} instances): start() returned in {ms(start_returned)} ms; "
        f"first instance ready {st['first_ready_s']} s, all ready {st['all_ready_s']} s; "
        f"first PDF after {ms(first_pdf)} ms"
    )
    print(f"warm pool:  median {ms(warm_med)} ms over {ns.runs} runs (min {ms(min(warm))}, max {ms(max(warm))})")
    print(f"cold soffice --convert-to pdf: median {ms(cold_med)} ms over {ns.cold_runs} runs (first run, new profile: {ms(first_cold)} ms)")
    print(f"ratio cold / warm: {cold_med / warm_med:.1f}x")
    print(f"throughput, {ns.instances} threads on {ns.instances} instances: {throughput:.1f} documents/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
