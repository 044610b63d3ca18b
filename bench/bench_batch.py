"""Batches over HTTP on `docgen serve`: 100 督办提示 against the hand-made way, and 1000 with memory.

    .venv/bin/python bench/bench_batch.py [--papers 100] [--runs 5] [--big 1000] [--workers 2]

docgen: ``POST /api/v1/batches`` (``issue: true``) to a real ``docgen serve``
(gunicorn workers, the LibreOffice pool and the queue worker, warm), timed
from the request to the packet being ready (``GET /batches/{id}`` says
``done``, polled every 10 ms, and ``packet.pdf`` is fetched); the best and the
median of ``--runs``.

Hand-made, in the same run: plain docxtpl per file, ONE ``soffice
--convert-to pdf`` call over all the files, and a pypdf merge with one
bookmark per paper (``bench_packet.hand_made``).

Then ``--big`` papers in one batch, timed the same way, with the memory of
the service's processes together: the largest sum of the resident set sizes
(psutil) of ``docgen serve`` and every process under it, sampled every 0.1 s.
Prints the figures and the ratios; no assertions.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_packet import hand_made, prompts  # noqa: E402

from docgen.config import load_settings  # noqa: E402
from docgen.services.office import Office  # noqa: E402
from tests.conftest import LiveServer  # noqa: E402


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


class PeakMemory:
    """The largest ``tree_rss`` seen while inside."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak = pid, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            self._stop.wait(0.1)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_rss(self.pid))


def batch_over_http(session: requests.Session, url: str, items: list[dict]) -> tuple[float, bytes]:
    """Seconds from the POST to the packet's bytes, and the packet."""
    start = time.perf_counter()
    answer = session.post(f"{url}/api/v1/batches", json={"kind": "supervision-prompt", "items": items, "issue": True}, timeout=120)
    answer.raise_for_status()
    batch = answer.json()
    while batch["status"] in ("queued", "running"):
        time.sleep(0.01)
        batch = session.get(f"{url}{batch['links']['self']}", timeout=60).json()
    if batch["status"] != "done":
        raise SystemExit(f"the batch failed: {batch['error']}")
    packet = session.get(f"{url}{batch['links']['packet']}", timeout=120)
    packet.raise_for_status()
    return time.perf_counter() - start, packet.content


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--big", type=int, default=1000, help="papers in the large batch (0: leave it out)")
    parser.add_argument("--workers", type=int, default=2, help="web workers of docgen serve")
    args = parser.parse_args()
    items = prompts(args.papers)

    with tempfile.TemporaryDirectory(prefix="docgen-bench-batch-") as tmp:
        tmp_path = Path(tmp)
        (tmp_path / "instance").mkdir()
        server = LiveServer(tmp_path / "instance", workers=args.workers, env={"DOCGEN_MAX_BATCH_ITEMS": str(max(2000, args.big))})
        try:
            session = requests.Session()
            session.headers.update(server.headers)
            batch_over_http(session, server.url, items[:8])  # templates prepared, LibreOffice warm
            times = []
            for _ in range(args.runs):
                seconds, packet = batch_over_http(session, server.url, items)
                times.append(seconds)
            print(f"docgen over HTTP, {args.papers} papers issued → packet: best {min(times):.2f} s, "
                  f"median {statistics.median(times):.2f} s ({len(packet) / 1e6:.1f} MB; runs: {', '.join(f'{t:.2f}' for t in times)})")
            if args.big:
                with PeakMemory(server.process.pid) as memory:
                    seconds, packet = batch_over_http(session, server.url, prompts(args.big))
                processes = 1 + len(psutil.Process(server.process.pid).children(recursive=True))
                print(f"docgen over HTTP, {args.big} papers issued → packet: {seconds:.2f} s ({len(packet) / 1e6:.1f} MB); "
                      f"the service's {processes} processes together at most {memory.peak / 2**20:.0f} MiB resident")
        finally:
            server.stop()

        office = Office(load_settings({"DATA_DIR": str(tmp_path / "hand-office")}))
        profile_dir = tmp_path / "lo-profile"
        subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{profile_dir}", "--terminate_after_init"],
                       capture_output=True)  # a user's LibreOffice profile exists already
        seconds, phases, _ = hand_made(office, items, tmp_path / "hand", profile_dir)
        print(f"hand-made (docxtpl + one soffice call + pypdf), {args.papers} papers: {seconds:.2f} s "
              f"({', '.join(f'{k} {v:.2f} s' for k, v in phases.items())})")
        print(f"ratio: docgen over HTTP is {seconds / min(times):.1f}× faster (best run), {seconds / statistics.median(times):.1f}× (median)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
