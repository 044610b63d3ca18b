"""One draft PDF over HTTP with the converters warm, against a cold soffice.

    .venv/bin/python bench/bench_draft_pdf.py [--n 30]

Starts `docgen serve` (its shared LibreOffice pool), then times
POST /api/v1/drafts/supervision-prompt?format=pdf; the baseline, in the same
run, is `soffice --headless --convert-to pdf` on the same .docx.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docgen.kinds import get_kind  # noqa: E402
from tests.conftest import LiveServer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--cold", type=int, default=3)
    args = parser.parse_args()
    kind = get_kind("supervision-prompt")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "srv").mkdir()
        server = LiveServer(root / "srv", workers=2)
        try:
            session = requests.Session()
            session.headers.update(server.headers)
            url = f"{server.url}/api/v1/drafts/{kind.id}"
            docx = session.post(url, json=kind.example, timeout=60).content
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # until every instance is warm
                converter = session.get(f"{server.url}/healthz", timeout=10).json()["converter"]
                if all(i.get("state") in ("ready", "busy") for i in converter.get("instances", [])):
                    break
                time.sleep(0.2)
            for _ in range(5):
                assert session.post(url + "?format=pdf", json=kind.example, timeout=60).status_code == 200
            warm = []
            for _ in range(args.n):
                start = time.perf_counter()
                response = session.post(url + "?format=pdf", json=kind.example, timeout=60)
                warm.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200 and response.content.startswith(b"%PDF")
        finally:
            server.stop()

        src = root / "prompt.docx"
        src.write_bytes(docx)
        soffice = shutil.which("soffice") or "soffice"
        cold = []
        for i in range(args.cold):
            profile = root / f"profile{i}"
            start = time.perf_counter()
            subprocess.run(
                [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf", "--outdir", str(root / "out"), str(src)],
                check=True, capture_output=True, timeout=180,
            )
            cold.append((time.perf_counter() - start) * 1000)
    warm_median, cold_median = statistics.median(warm), statistics.median(cold)
    print(f"one 督办提示 draft as PDF ({args.n} warm requests over HTTP, {args.cold} cold soffice runs)")
    print(f"  docgen, converters warm   median {warm_median:7.1f} ms   p90 {statistics.quantiles(warm, n=10)[-1]:7.1f} ms   (target <= 300 ms)")
    print(f"  cold soffice --convert-to median {cold_median:7.1f} ms")
    print(f"  warm is {cold_median / warm_median:.1f}x faster than a cold soffice call")


if __name__ == "__main__":
    main()
