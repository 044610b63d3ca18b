"""Time per 督办提示 draft: docgen in-process and over HTTP, next to plain docxtpl.

    .venv/bin/python bench/bench_render.py [--n 300]

Plain docxtpl opens, renders and saves the same template each time; docgen
prepares the template once. Prints medians and the ratio measured in this run.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests
from docxtpl import DocxTemplate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docgen import create_app  # noqa: E402
from docgen.kinds import get_kind  # noqa: E402
from tests.conftest import LiveServer  # noqa: E402


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    n = parser.parse_args().n
    kind = get_kind("supervision-prompt")
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATA_DIR": tmp})
        office = app.extensions["docgen"]
        payload = office.validate(kind.id, kind.example)[1]
        template_path = office.renderer.templates_dir / kind.template
        context = office.renderer.context(kind, payload)

        def plain_docxtpl() -> bytes:
            template = DocxTemplate(template_path)
            template.render(context, autoescape=True)
            out = io.BytesIO()
            template.save(out)
            return out.getvalue()

        def docgen_in_process() -> bytes:
            return office.draft(kind.id, kind.example).content

        for fn in (plain_docxtpl, docgen_in_process):
            timed(fn, 20)  # warm-up
        rounds = {"plain docxtpl": [], "docgen in-process": []}
        for _ in range(5):  # interleave so machine noise hits both alike
            rounds["plain docxtpl"] += timed(plain_docxtpl, n // 5)
            rounds["docgen in-process"] += timed(docgen_in_process, n // 5)

        (Path(tmp) / "http").mkdir()
        server = LiveServer(Path(tmp) / "http", workers=2)
        try:
            session = requests.Session()
            session.headers.update(server.headers)
            url = f"{server.url}/api/v1/drafts/{kind.id}"

            def over_http() -> bytes:
                response = session.post(url, json=kind.example, timeout=30)
                assert response.status_code == 200
                return response.content

            timed(over_http, 30)
            rounds["docgen over HTTP"] = timed(over_http, n)
        finally:
            server.stop()

    medians = {name: statistics.median(times) for name, times in rounds.items()}
    print(f"督办提示 draft, {n} runs each (median ms; p90 ms)")
    for name, times in rounds.items():
        p90 = statistics.quantiles(times, n=10)[-1]
        print(f"  {name:<20} {medians[name]:7.2f} ms   p90 {p90:7.2f} ms")
    ratio = medians["plain docxtpl"] / medians["docgen in-process"]
    print(f"  docgen in-process is {ratio:.1f}x faster than plain docxtpl (target >= 3x)")
    print(f"  median over HTTP {medians['docgen over HTTP']:.2f} ms (target < 15 ms)")


if __name__ == "__main__":
    main()
