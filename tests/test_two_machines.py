"""Two machines, as far as one machine can show it: two `docgen serve` (each with its own
LibreOffice pool and queue worker) and a `docgen worker`, over one PostgreSQL, one Redis
and one shared data folder, all started by the test from Debian's packages."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.conftest import PROJECT, LiveServer
from tests.test_batch import prompts, sequence, wait_done
from tests.test_postgres import postgres_url  # noqa: F401 - the fixture
from tests.test_queue import issue_singles_until, numbers_in_item_order, stopping

pytestmark = [pytest.mark.slow, pytest.mark.soak]


def everything(url: str, headers: dict[str, str]) -> list[dict]:
    out, page = [], 1
    while True:
        listed = requests.get(f"{url}/api/v1/documents", params={"per_page": 500, "page": page}, headers=headers, timeout=60).json()
        out += listed
        if len(listed) < 500:
            return out
        page += 1


def queue_worker_pid(server: LiveServer) -> int:
    return server.queue_worker_pid()


def test_two_serves_and_a_worker_over_one_postgresql_and_one_redis(postgres_url, redis_url, tmp_path) -> None:  # noqa: F811
    shared = tmp_path / "shared"
    shared.mkdir()
    env = {"DOCGEN_DATABASE_URL": postgres_url, "DOCGEN_QUEUE_URL": redis_url, "DOCGEN_CONVERTER_INSTANCES": "1"}
    first = LiveServer(shared, workers=2, env=env, name="serve-1")
    second = LiveServer(shared, workers=2, env=env, name="serve-2")
    log = open(tmp_path / "worker.log", "wb")
    worker = subprocess.Popen([sys.executable, "-m", "docgen.cli", "worker"], env=dict(os.environ, DOCGEN_DATA_DIR=str(shared), **env),
                              stdout=log, stderr=subprocess.STDOUT, cwd=PROJECT, start_new_session=True)
    try:
        consumers = {queue_worker_pid(first): "serve-1", queue_worker_pid(second): "serve-2", worker.pid: "worker"}
        items = [dict(item, recipient=f"两机{item['recipient']}") for item in prompts(100)]
        stop = threading.Event()
        with ThreadPoolExecutor(2) as pool, stopping(stop):
            singles = [pool.submit(issue_singles_until, s.url, s.headers, stop, tag) for s, tag in ((first, "甲"), (second, "乙"))]
            time.sleep(0.5)
            answer = requests.post(f"{first.url}/api/v1/batches", json={"kind": "supervision-prompt", "items": items, "issue": True},
                                   headers=first.headers, timeout=60)
            assert answer.status_code == 202, answer.text + first.log_path.read_text(errors="replace")[-4000:]
            batch_id = answer.json()["id"]
            # the other machine answers for it
            batch = wait_done(lambda i: requests.get(f"{second.url}/api/v1/batches/{i}", headers=second.headers, timeout=30).json(), batch_id, timeout=300)
            stop.set()
            single_numbers = [n for f in singles for n in f.result()]
        assert batch["status"] == "done" and batch["done"] == 100, batch
        packet = requests.get(f"{second.url}/api/v1/batches/{batch_id}/packet.pdf", headers=second.headers, timeout=60)
        assert packet.status_code == 200 and packet.content.startswith(b"%PDF")

        documents = everything(first.url, first.headers)
        ours = numbers_in_item_order([d for d in documents if d["batch_id"] == batch_id], items)
        assert ours == list(range(ours[0], ours[0] + 100))  # consecutive in item order, across machines
        assert sorted(sequence(d["number"]) for d in documents) == list(range(1, len(documents) + 1))  # gapless
        assert len(documents) == 100 + len(single_numbers)

        engine = create_engine(postgres_url)
        with engine.connect() as db:
            workers = [w for (w,) in db.execute(text("SELECT converted_by FROM batch_files WHERE batch_id = :id"), {"id": batch_id})]
            positions = [p for (p,) in db.execute(text("SELECT batch_position FROM documents WHERE batch_id = :id"), {"id": batch_id})]
        engine.dispose()
        assert sorted(positions) == list(range(100))  # each item issued once
        ran = {consumers[int(w.rsplit(":", 1)[1])] for w in workers}
        assert len(ran) >= 2, ran  # the batch's papers were converted by the queue workers of more than one machine
    finally:
        for server in (first, second):
            server.stop()
        worker.terminate()
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
