"""100 督办提示 → one signing packet with bookmarks: docgen's batch against the hand-made way.

    .venv/bin/python bench/bench_packet.py [--papers 100] [--runs 3] [--profile]

docgen: ``create_batch(issue=False)`` through the Office API with the
LibreOffice pool warm (a small batch first), timed from the call to the
packet's bytes; the best and the median of ``--runs``.

Hand-made, in the same run: render each paper with plain docxtpl
(``DocxTemplate(...).render(ctx); save`` into a temp dir), ONE
``soffice --headless --convert-to pdf --outdir`` call over all the files, and
a pypdf merge with one bookmark per paper.

Prints the figures and the ratio; no assertions. ``--profile`` prints where
docgen's time goes (cProfile, the 25 most expensive calls).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from docxtpl import DocxTemplate
from pypdf import PdfReader, PdfWriter

from docgen.config import load_settings
from docgen.converter import FONTS_CONF, get_converter
from docgen.kinds import get_kind
from docgen.services import batch as batches
from docgen.services.office import Office

FINDINGS = ["工作未落实", "落实不彻底", "落实进展缓慢", "没有完成阶段性目标", "可能完不成任务"]
UNITS = ["区人民医院", "区中医院", "区妇幼保健院", "区疾控中心", "卫生监督所", "金钟街社区卫生服务中心", "军粮城医院", "东丽医院"]
MATTERS = ["院感防控", "医疗质量安全管理", "冬季传染病防控准备", "医疗废物处置", "基层医疗机构服务能力提升", "家庭医生签约服务"]


def prompts(n: int) -> list[dict]:
    return [
        {
            "recipient": f"{UNITS[i % len(UNITS)]}{i // len(UNITS) or ''}",
            "matter": MATTERS[i % len(MATTERS)] + "工作" * (i % 4),
            "findings": FINDINGS[i % 5: i % 5 + 1 + i % 2],
            "reply_days": 3 + i % 5,
        }
        for i in range(n)
    ]


def docgen_packet(office: Office, items: list[dict]) -> tuple[float, bytes]:
    start = time.perf_counter()
    batch = batches.create_batch(office, "supervision-prompt", items, issue=False, background=False)
    packet = batches.batch_packet(office, batch["id"])
    return time.perf_counter() - start, packet


def hand_made(office: Office, items: list[dict], work: Path, profile_dir: Path) -> tuple[float, dict[str, float], bytes]:
    """docxtpl per file, one soffice call for all, pypdf merge with bookmarks."""
    kind = get_kind("supervision-prompt")
    template = Path(office.settings["TEMPLATES_DIR"]) / kind.template
    contexts = [office.renderer.context(kind, kind.model.model_validate(item)) for item in items]  # the same fields docgen fills
    src, out = work / "docx", work / "pdf"
    for d in (src, out):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    phases: dict[str, float] = {}
    start = time.perf_counter()
    names = []
    for i, ctx in enumerate(contexts):
        doc = DocxTemplate(str(template))
        doc.render({k: str(v) if not isinstance(v, list) else [str(x) for x in v] for k, v in ctx.items()})
        name = f"{i + 1:03d}.docx"
        doc.save(str(src / name))
        names.append(name)
    phases["docxtpl"] = time.perf_counter() - start
    t = time.perf_counter()
    subprocess.run(
        ["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{profile_dir}",
         "--convert-to", "pdf", "--outdir", str(out), *[str(src / n) for n in names]],
        check=True, capture_output=True, env=dict(os.environ, FONTCONFIG_FILE=str(FONTS_CONF)),
    )
    phases["soffice"] = time.perf_counter() - t
    t = time.perf_counter()
    writer = PdfWriter()
    for i, name in enumerate(names):
        first = len(writer.pages)
        writer.append(PdfReader(out / name.replace(".docx", ".pdf")), import_outline=False)
        writer.add_outline_item(title=f"督办提示 {i + 1} {items[i]['recipient']}", page_number=first)
    buf = io.BytesIO()
    writer.write(buf)
    phases["pypdf merge"] = time.perf_counter() - t
    return time.perf_counter() - start, phases, buf.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print where docgen's time goes")
    args = parser.parse_args()
    items = prompts(args.papers)

    with tempfile.TemporaryDirectory(prefix="docgen-bench-packet-") as tmp:
        tmp_path = Path(tmp)
        settings = load_settings({"DATA_DIR": str(tmp_path / "instance")})
        office = Office(settings)
        pool = get_converter(settings)
        t = time.perf_counter()
        pool.wait_ready()
        print(f"LibreOffice pool: {settings['CONVERTER_INSTANCES']} instances warm in {time.perf_counter() - t:.1f} s "
              f"(not counted); {os.cpu_count()} CPUs")
        docgen_packet(office, items[:8])  # templates prepared, every instance has converted once

        times = []
        for _ in range(args.runs):
            seconds, packet = docgen_packet(office, items)
            times.append(seconds)
        reader = PdfReader(io.BytesIO(packet))
        print(f"docgen batch → packet, {args.papers} papers: best {min(times):.2f} s, median {statistics.median(times):.2f} s "
              f"({len(reader.pages)} pages, {len(reader.outline)} bookmarks, {len(reader.get_fields() or {})} signature fields, "
              f"{len(packet) / 1e6:.1f} MB)")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            docgen_packet(office, items)
            profiler.disable()
            pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(25)

        profile_dir = tmp_path / "lo-profile"
        subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{profile_dir}", "--terminate_after_init"],
                       capture_output=True)  # a user's LibreOffice profile exists already
        seconds, phases, merged = hand_made(office, items, tmp_path / "hand", profile_dir)
        print(f"hand-made (docxtpl + one soffice call + pypdf), {args.papers} papers: {seconds:.2f} s "
              f"({', '.join(f'{k} {v:.2f} s' for k, v in phases.items())}; {len(PdfReader(io.BytesIO(merged)).pages)} pages, "
              f"no cover, no duplex pages, no signature fields)")
        print(f"ratio: docgen is {seconds / min(times):.1f}× faster (best run), {seconds / statistics.median(times):.1f}× (median)")
        pool.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
