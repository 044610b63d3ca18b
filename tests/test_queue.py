"""Batches on the task queue: numbers consecutive in item order while single papers are
issued, a worker killed in the middle, a failed batch resumed with its own numbers, and
the register's upgrade. Real `docgen serve`, real LibreOffice, real SQLite, no mocks."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from docgen import create_app
from tests.conftest import LiveServer, example, service_today
from tests.test_batch import client_get, prompts, register_size, sequence, wait_done, wait_in_database


def documents_of(url: str, headers: dict[str, str], batch_id: str | None = None) -> list[dict]:
    listed = requests.get(f"{url}/api/v1/documents", params={"per_page": 500}, headers=headers, timeout=60).json()
    return [d for d in listed if batch_id is None or d["batch_id"] == batch_id]


def numbers_in_item_order(documents: list[dict], items: list[dict]) -> list[int]:
    by_recipient = {d["recipient"]: d["number"] for d in documents}
    return [sequence(by_recipient[item["recipient"]]) for item in items]


def issue_singles_until(url: str, headers: dict[str, str], stop: threading.Event, tag: str) -> list[str]:
    """Issue single papers one after another until ``stop``; their numbers."""
    session, numbers, i = requests.Session(), [], 0
    session.headers.update(headers)
    while not stop.is_set():
        # dated today, like the batch's papers: the series runs in date order
        payload = dict(example("supervision-prompt"), recipient=f"{tag}单位{i}", issued_on=service_today().isoformat())
        answer = session.post(f"{url}/api/v1/documents/supervision-prompt", json=payload, timeout=60)
        assert answer.status_code == 201, answer.text
        numbers.append(answer.json()["number"])
        i += 1
    return numbers


@contextmanager
def stopping(stop: threading.Event) -> Iterator[None]:
    """Set ``stop`` on the way out, also when an assertion fails (the issuing threads end)."""
    try:
        yield
    finally:
        stop.set()


@pytest.mark.slow
@pytest.mark.soak
def test_batch_numbers_stay_consecutive_while_single_papers_are_issued(live_server) -> None:
    url, auth = live_server.url, live_server.headers
    before = len(documents_of(url, auth))
    items = [dict(item, recipient=f"批量{item['recipient']}") for item in prompts(40)]
    stop = threading.Event()
    with ThreadPoolExecutor(4) as pool, stopping(stop):
        singles = [pool.submit(issue_singles_until, url, auth, stop, f"客户{n}-") for n in range(4)]
        time.sleep(0.5)  # single papers are being issued through every web worker
        answer = requests.post(f"{url}/api/v1/batches", json={"kind": "supervision-prompt", "items": items, "issue": True}, headers=auth,
                               timeout=60)
        assert answer.status_code == 202, answer.text
        batch = wait_done(lambda i: requests.get(f"{url}/api/v1/batches/{i}", headers=auth, timeout=30).json(), answer.json()["id"], timeout=180)
        stop.set()
        single_numbers = [n for f in singles for n in f.result()]
    assert batch["status"] == "done", batch
    ours = numbers_in_item_order(documents_of(url, auth, batch["id"]), items)
    assert ours == list(range(ours[0], ours[0] + 40))  # consecutive, in item order
    everything = sorted(sequence(d["number"]) for d in documents_of(url, auth))
    assert everything == list(range(1, len(everything) + 1))  # no gap, none twice
    assert len(everything) == before + 40 + len(single_numbers)
    assert any(sequence(n) < ours[0] for n in single_numbers)  # singles before the block …
    assert any(sequence(n) > ours[-1] for n in single_numbers)  # … and after it


def queue_worker_of(server: LiveServer) -> int:
    return server.queue_worker_pid()


def batch_row(data_dir: Path, batch_id: str) -> tuple[str, int]:
    with sqlite3.connect(data_dir / "docgen.sqlite3") as db:
        return db.execute("SELECT status, done FROM batches WHERE id = ?", (batch_id,)).fetchone()


@pytest.mark.slow
@pytest.mark.soak
def test_a_batch_whose_queue_worker_is_killed_is_finished_by_the_engine(tmp_path: Path) -> None:
    data_dir = tmp_path / "instance"
    data_dir.mkdir()
    server = LiveServer(data_dir, workers=2)
    try:
        items = prompts(160)  # four runs of 40 on one machine's queue: the kill falls between runs
        answer = requests.post(f"{server.url}/api/v1/batches", json={"kind": "supervision-prompt", "items": items, "issue": True},
                               headers=server.headers, timeout=60)
        batch_id = answer.json()["id"]
        worker = queue_worker_of(server)
        deadline = time.monotonic() + 120
        while batch_row(data_dir, batch_id)[1] == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(worker, signal.SIGKILL)  # a crash in the middle of the batch: no clean shutdown
        status, done = batch_row(data_dir, batch_id)
        assert status == "running" and 0 < done < 160, (status, done)
        # nobody asks the service about the batch: the engine notices by itself
        assert wait_in_database(data_dir, batch_id)[0] == "done"
        assert queue_worker_of(server) != worker  # `docgen serve` started its worker again
        documents = documents_of(server.url, server.headers, batch_id)
        packet = requests.get(f"{server.url}/api/v1/batches/{batch_id}/packet.pdf", headers=server.headers, timeout=60)
    finally:
        server.stop()
    with sqlite3.connect(data_dir / "docgen.sqlite3") as db:
        positions = Counter(p for (p,) in db.execute("SELECT batch_position FROM documents WHERE batch_id = ?", (batch_id,)))
        converted_by = {w for (w,) in db.execute("SELECT DISTINCT converted_by FROM batch_files WHERE batch_id = ?", (batch_id,))}
    assert positions == Counter(range(160))  # every item issued exactly once
    assert numbers_in_item_order(documents, items) == list(range(1, 161))
    assert len(converted_by) == 2 and f":{worker}" in " ".join(converted_by)  # the killed worker, then its successor
    assert packet.status_code == 200 and packet.content.startswith(b"%PDF")
    assert "正在重新启动" in server.log_path.read_text(errors="replace")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return create_app({"DATA_DIR": str(tmp_path_factory.mktemp("queue")), "TESTING": True, "SECRET_KEY": "test"})


def test_a_batch_that_failed_after_issuing_is_resumed_with_its_own_numbers(app, client) -> None:
    """The converter is away: the papers are issued (consecutive numbers), the batch fails, keeps them, and is resumed."""
    away = create_app({"DATA_DIR": app.config["DATA_DIR"], "TESTING": True,
                       "CONVERTER_URL": f"unix:{app.config['DATA_DIR']}/no-converter-here.sock"}).test_client()
    before = register_size(client)
    items = prompts(5)
    batch = away.post("/api/v1/batches", json={"kind": "supervision-prompt", "items": items, "issue": True}).get_json()
    failed = wait_done(client_get(away), batch["id"])
    assert failed["status"] == "failed" and failed["error"]["error"] == "converter_unavailable", failed
    issued = {d["recipient"]: d["number"] for d in client.get("/api/v1/documents?per_page=500").get_json() if d["batch_id"] == batch["id"]}
    assert register_size(client) == before + 5  # the papers exist, with their numbers
    assert away.get(batch["links"]["packet"]).status_code == 409

    assert client.post("/api/v1/batches/nosuchbatch/resume").status_code == 404
    resumed = client.post(f"/api/v1/batches/{batch['id']}/resume")
    assert resumed.status_code == 202 and resumed.get_json()["status"] == "queued"
    done = wait_done(client_get(client), batch["id"])
    assert done["status"] == "done" and done["done"] == 5 and done["error"] is None, done
    again = {d["recipient"]: d["number"] for d in client.get("/api/v1/documents?per_page=500").get_json() if d["batch_id"] == batch["id"]}
    assert again == issued  # the same numbers, no second one
    assert register_size(client) == before + 5
    assert [sequence(issued[i["recipient"]]) for i in items] == list(range(before + 1, before + 6))
    assert client.get(batch["links"]["packet"]).status_code == 200
    assert client.post(f"/api/v1/batches/{batch['id']}/resume").status_code == 409  # only a failed batch


def test_a_batch_that_failed_before_issuing_holds_no_number_and_can_be_resumed(app, client, tmp_path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(app.config["TEMPLATES_DIR"], templates)
    good = (templates / "supervision-prompt.docx").read_bytes()
    (templates / "supervision-prompt.docx").write_bytes(b"not a word file")  # broken after the items were checked
    broken = create_app({"DATA_DIR": app.config["DATA_DIR"], "TESTING": True, "TEMPLATES_DIR": str(templates)}).test_client()
    before = register_size(client)
    batch = broken.post("/api/v1/batches", json={"kind": "supervision-prompt", "items": prompts(4), "issue": True}).get_json()
    assert wait_done(client_get(broken), batch["id"])["status"] == "failed"
    assert register_size(client) == before  # no number taken
    single = client.post("/api/v1/documents/supervision-prompt", json=example("supervision-prompt")).get_json()
    assert sequence(single["number"]) == before + 1  # the next paper gets the next number: no gap

    (templates / "supervision-prompt.docx").write_bytes(good)  # the template is mended
    assert broken.post(f"/api/v1/batches/{batch['id']}/resume").status_code == 202
    assert wait_done(client_get(broken), batch["id"])["status"] == "done"
    numbers = sorted(sequence(d["number"]) for d in client.get("/api/v1/documents?per_page=500").get_json() if d["batch_id"] == batch["id"])
    assert numbers == list(range(before + 2, before + 6))


def test_registers_made_before_the_queue_upgrade_with_nothing_lost(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from docgen.services.db import MIGRATIONS_DIR, upgrade_database

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "0001")
    with sqlite3.connect(tmp_path / "old.sqlite3") as db:
        db.execute("INSERT INTO batches (id, kind, status, issue, duplex, items, total, done, created_at, updated_at) "
                   "VALUES ('b1', 'supervision-prompt', 'done', 1, 1, '[{}]', 1, 1, '2026-11-01 00:00:00', '2026-11-01 00:00:00')")
        db.execute("INSERT INTO documents (id, kind, organisation, year, seq, number, status, issued_on, payload, search_text, "
                   "template_sha256, file_key, file_sha256, batch_id, batch_position, created_at) VALUES ('d1', 'supervision-prompt', "
                   "'东丽区卫生局', 2026, 1, '东卫督办〔2026〕1号', 'issued', '2026-11-01', '{}', '', 'x', 'k.docx', 'y', 'b1', 0, "
                   "'2026-11-01 00:00:00')")
        db.execute("INSERT INTO batch_files (batch_id, position, document_id, label, recipient, docx_key, pdf_key, pages) "
                   "VALUES ('b1', 0, 'd1', '东卫督办〔2026〕1号', '区人民医院', 'k.docx', 'k.pdf', 2)")
    upgrade_database(url, str(tmp_path))
    with sqlite3.connect(tmp_path / "old.sqlite3") as db:
        row = db.execute("SELECT label, recipient, pdf_key, pages, run_key, seal_box, converted_by FROM batch_files").fetchone()
        assert row == ("东卫督办〔2026〕1号", "区人民医院", "k.pdf", 2, None, None, None)
        assert db.execute("SELECT id, status, total, done, cover_key FROM batches").fetchone() == ("b1", "done", 1, 1, None)
        assert db.execute("SELECT number, batch_id, batch_position FROM documents").fetchone() == ("东卫督办〔2026〕1号", "b1", 0)
        with pytest.raises(sqlite3.IntegrityError):  # an item of a batch cannot be registered twice
            db.execute("INSERT INTO documents (id, kind, organisation, year, status, issued_on, payload, search_text, template_sha256, "
                       "file_key, file_sha256, batch_id, batch_position, created_at) VALUES ('d2', 'supervision-prompt', 'x', 2026, "
                       "'issued', '2026-11-01', '{}', '', 'x', 'k2.docx', 'y', 'b1', 0, '2026-11-01 00:00:00')")


def test_runs_keep_every_instance_busy_and_spread_over_machines_when_the_queue_is_shared() -> None:
    from docgen.services.batch import SHARED_MAX_RUN, runs

    one_machine = runs(list(range(100)), 2)
    assert [len(r) for r in one_machine] == [50, 50] and sum(one_machine, []) == list(range(100))
    shared = runs(list(range(100)), 1, SHARED_MAX_RUN)
    assert [len(r) for r in shared] == [20] * 5 and sum(shared, []) == list(range(100))
    assert runs([7], 2) == [[7]]
