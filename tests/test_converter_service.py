"""The pool process under ``docgen serve``: killed, it comes back; /healthz tells the truth.

A real ``docgen serve`` (gunicorn, two workers) with its real LibreOffice pool.
"""

from __future__ import annotations

import json
import time

import psutil
import pytest
import requests

from tests.conftest import LiveServer, example

DRAFT = "/api/v1/drafts/supervision-prompt?format=pdf"


def pool_process(server: LiveServer) -> psutil.Process:
    """The converter pool process that ``docgen serve`` runs now."""
    for child in psutil.Process(server.process.pid).children():
        try:
            if "docgen.converter" in child.cmdline() and child.status() != psutil.STATUS_ZOMBIE:
                return child
        except psutil.Error:
            continue
    raise AssertionError("docgen serve runs no converter pool")


def health(server: LiveServer) -> dict:
    response = requests.get(server.url + "/healthz", timeout=30)
    assert response.status_code == 200
    return response.json()


def draft_pdf(server: LiveServer, recipient: str = "区人民医院") -> requests.Response:
    return requests.post(server.url + DRAFT, json=dict(example("supervision-prompt"), recipient=recipient), headers=server.headers, timeout=120)


def numbers(value) -> list[int]:
    """Every integer in a JSON value."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, dict):
        return [n for v in value.values() for n in numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in numbers(v)]
    return []


def wait_for(predicate, timeout: float = 60, interval: float = 0.1):
    """Poll ``predicate`` until it gives something true (a generous bound, not a measure of speed)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(interval)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = LiveServer(tmp_path_factory.mktemp("pool"), workers=2, env={"DOCGEN_CONVERTER_INSTANCES": "2"})
    yield srv
    srv.stop()


def test_healthz_shows_states_counts_and_reasons_but_no_paths_or_pids(server):
    assert draft_pdf(server).status_code == 200
    body = health(server)
    assert body["status"] == "ok"
    converter = body["converter"]
    assert converter["state"] == "up" and converter["total"] == 2
    assert {i["state"] for i in converter["instances"]} <= {"starting", "ready", "busy"}
    for inst in converter["instances"]:
        assert {"restarts", "restart_reasons", "jobs_done"} <= set(inst)
    text = json.dumps(body, ensure_ascii=False)
    assert "/" not in text  # no path anywhere
    assert "pid" not in text
    pids = {p.pid for p in psutil.Process(server.process.pid).children(recursive=True)} | {server.process.pid}
    assert not pids & set(numbers(body)), "a process id is shown"


def test_a_killed_soffice_is_restarted_for_its_named_reason(server):
    assert draft_pdf(server).status_code == 200
    wait_for(lambda: all(i["state"] == "ready" for i in health(server)["converter"]["instances"]))
    soffice = [p for p in pool_process(server).children(recursive=True) if p.name().startswith("soffice.bin")]
    assert len(soffice) == 2
    soffice[0].kill()
    converter = wait_for(lambda: (c := health(server)["converter"])["restarts"] >= 1 and c)
    # the lost UNO bridge is how the death is known (its disposing event)
    assert converter["restart_reasons"] == {"bridge_lost": 1}, converter["restart_reasons"]
    assert draft_pdf(server).status_code == 200


def test_the_pool_process_killed_pdfs_come_back_and_a_running_batch_completes(server):
    assert draft_pdf(server).status_code == 200
    items = [dict(example("supervision-prompt"), recipient=f"第{i}单位") for i in range(40)]
    batch = requests.post(server.url + "/api/v1/batches", json={"kind": "supervision-prompt", "items": items}, headers=server.headers, timeout=30).json()
    wait_for(lambda: requests.get(f"{server.url}/api/v1/batches/{batch['id']}", headers=server.headers, timeout=30).json()["done"] >= 1, interval=0.05)
    victim = pool_process(server)
    victim.kill()  # SIGKILL: no clean shutdown
    victim.wait(10)
    # while it is down, /healthz says so (and stays 200: the service itself answers)
    seen = []
    while True:
        body = health(server)
        seen.append((body["status"], body["converter"]["state"]))
        if body["converter"]["state"] != "down":
            break
    assert ("degraded", "down") in seen, seen
    # PDFs work again, without restarting the service
    wait_for(lambda: draft_pdf(server).status_code == 200, timeout=60, interval=0.5)
    assert pool_process(server).pid != victim.pid
    assert health(server)["status"] == "ok"
    # the batch that was running when the pool died completes
    done = wait_for(
        lambda: (b := requests.get(f"{server.url}/api/v1/batches/{batch['id']}", headers=server.headers, timeout=30).json())["status"] in ("done", "failed") and b,
        timeout=180,
        interval=0.5,
    )
    assert done["status"] == "done" and done["done"] == 40, done
    packet = requests.get(server.url + done["links"]["packet"], headers=server.headers, timeout=60)
    assert packet.status_code == 200 and packet.content.startswith(b"%PDF")
