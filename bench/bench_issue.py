"""Issuing throughput: 8 concurrent HTTP clients against `docgen serve`.

    .venv/bin/python bench/bench_issue.py [--documents 800] [--clients 8] [--workers 3]

Prints issued documents per second and the median and 99th-percentile
latency, and, as a baseline from the same run, the same clients fetching
/healthz (the server's floor for one request).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docgen.kinds import get_kind  # noqa: E402
from tests.conftest import LiveServer  # noqa: E402


def load(url: str, clients: int, total: int, request, headers: dict[str, str]) -> tuple[float, list[float]]:
    per_client = total // clients

    def client(n: int) -> list[float]:
        session = requests.Session()
        session.headers.update(headers)
        times = []
        for i in range(per_client):
            start = time.perf_counter()
            request(session, n, i)
            times.append((time.perf_counter() - start) * 1000)
        return times

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        latencies = [t for chunk in pool.map(client, range(clients)) for t in chunk]
    return time.perf_counter() - start, latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=800)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()
    kind = get_kind("supervision-prompt")
    with tempfile.TemporaryDirectory() as tmp:
        server = LiveServer(Path(tmp), workers=args.workers)
        try:
            url = f"{server.url}/api/v1/documents/{kind.id}"

            def issue(session, n, i):
                payload = dict(kind.example, recipient=f"单位{n}-{i}")
                response = session.post(url, json=payload, timeout=60)
                assert response.status_code == 201, response.text

            def health(session, n, i):
                assert session.get(f"{server.url}/healthz", timeout=60).status_code == 200

            load(url, args.clients, 80, issue, server.headers)  # warm-up
            base_elapsed, base_lat = load(url, args.clients, args.documents, health, server.headers)
            elapsed, latencies = load(url, args.clients, args.documents, issue, server.headers)
            numbers = requests.get(f"{server.url}/api/v1/documents?per_page=1", headers=server.headers, timeout=30).headers["X-Total-Count"]
        finally:
            server.stop()
    p99 = statistics.quantiles(latencies, n=100)[98]
    print(f"issuing {args.documents} 督办提示 from {args.clients} clients, docgen serve --workers {args.workers}")
    print(f"  issued per second   {args.documents / elapsed:8.1f} docs/s   (target >= 100)")
    print(f"  latency median      {statistics.median(latencies):8.2f} ms")
    print(f"  latency p99         {p99:8.2f} ms")
    print(f"  baseline /healthz   {args.documents / base_elapsed:8.1f} req/s, median {statistics.median(base_lat):.2f} ms")
    print(f"  register holds {numbers} documents (warm-up included)")


if __name__ == "__main__":
    main()
