"""Issuing a batch: what numbering, rendering, storing and registering cost a paper.

    .venv/bin/python bench/bench_issue_batch.py [--papers 100] [--runs 9] [--profile]

Times only step 1 of an issued batch (``batch._issue_all``: every paper of
the batch numbered, rendered, stored and registered in one transaction), not
LibreOffice: each run records a fresh batch of ``--papers`` 督办提示 and
issues it. Prints the median over ``--runs`` per paper, wall and CPU time
(the fsync of the files is wall time the CPU does not spend), and as a
baseline from the same runs, interleaved with them, the floor: rendering the
same papers alone (``Renderer.render``, nothing numbered, stored or
registered); then the ratio of their CPU times. ``--profile`` prints where
the issuing time goes (cProfile, the 25 most expensive calls). No assertions.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_packet import prompts  # noqa: E402

from docgen.config import load_settings  # noqa: E402
from docgen.kinds import get_kind  # noqa: E402
from docgen.services import batch as batches  # noqa: E402
from docgen.services.db import Batch  # noqa: E402
from docgen.services.office import Office, request_fingerprint  # noqa: E402

KIND = "supervision-prompt"


def issue_batch(office: Office, items: list[dict], profiler: cProfile.Profile | None = None) -> tuple[float, float]:
    """Record a batch of ITEMS and issue it; the wall and CPU seconds of the issuing alone."""
    kind = get_kind(KIND)
    fingerprint = request_fingerprint(KIND, {"items": items, "issue": True, "duplex": True})
    recorded, _ = batches._record(office, kind, items, True, True, fingerprint, None)
    with office.register.reading() as session:
        batch = session.get(Batch, recorded["id"])
    wall, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    batches._issue_all(office, kind, batch)
    if profiler:
        profiler.disable()
    return time.perf_counter() - wall, time.process_time() - cpu


def render_only(office: Office, items: list[dict]) -> tuple[float, float]:
    """Render the same papers, numbered and dated, nothing else; wall and CPU seconds."""
    kind = get_kind(KIND)
    today = office.today()
    payloads = [office.validate(KIND, item)[1] for item in items]
    wall, cpu = time.perf_counter(), time.process_time()
    for seq, payload in enumerate(payloads, 1):
        office.renderer.render(kind, payload, f"督办〔{today.year}〕{seq}号", today)
    return time.perf_counter() - wall, time.process_time() - cpu


def per_paper_ms(samples: list[tuple[float, float]], papers: int) -> str:
    wall = statistics.median(s[0] for s in samples) * 1000 / papers
    cpu = statistics.median(s[1] for s in samples) * 1000 / papers
    return f"{wall:6.2f} ms wall, {cpu:6.2f} ms CPU"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--profile", action="store_true", help="print where the issuing time goes")
    args = parser.parse_args()
    items = prompts(args.papers)
    with tempfile.TemporaryDirectory(prefix="docgen-bench-issue-batch-") as tmp:
        office = Office(load_settings({"DATA_DIR": tmp}))
        issue_batch(office, items[:10])  # the template prepared, the series row made
        render_only(office, items[:10])
        issued, rendered = [], []
        for _ in range(args.runs):
            issued.append(issue_batch(office, items))
            rendered.append(render_only(office, items))
        print(f"issuing a batch of {args.papers} 督办提示 (batch._issue_all, one transaction), median of {args.runs} runs")
        print(f"  issued, per paper      {per_paper_ms(issued, args.papers)}")
        print(f"  baseline: render only  {per_paper_ms(rendered, args.papers)}")
        ratio = statistics.median(s[1] for s in issued) / statistics.median(s[1] for s in rendered)
        print(f"  ratio: issuing a paper costs {ratio:.1f}× the CPU of rendering it")
        if args.profile:
            profiler = cProfile.Profile()
            issue_batch(office, items, profiler)
            pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
