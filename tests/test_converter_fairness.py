"""One big PDF cannot starve the rest (issue 13, point 6), on a real ``docgen serve``.

Two LibreOffice instances. A large ledger draft never takes the last free
instance, so small drafts keep going while it converts; over the limits a
request gets 413 / 422 at once; a full queue answers 429 with Retry-After.
Asserted on order and status, never on time.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.conftest import LiveServer, example

pytestmark = pytest.mark.slow


def ledger(repeat: int) -> dict:
    """A 督查工作台帐 of 500 rows; ``repeat`` makes each row's text longer (about 0.6 page per unit)."""
    return {
        "year": 2026,
        "month": 11,
        "rows": [
            {"date": "2026-11-05", "department": f"医政科、区人民医院第{i}组", "points": "院感防控制度落实情况，" * repeat}
            for i in range(500)
        ],
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = {
        "DOCGEN_CONVERTER_INSTANCES": "2",
        "DOCGEN_CONVERTER_QUEUE_LIMIT": "2",
        "DOCGEN_CONVERTER_MAX_PAGES": "400",
        "DOCGEN_CONVERTER_MAX_BYTES": str(1024 * 1024),
    }
    srv = LiveServer(tmp_path_factory.mktemp("fair"), workers=2, env=env)
    yield srv
    srv.stop()


def post_pdf(server: LiveServer, kind: str, payload: dict) -> requests.Response:
    return requests.post(f"{server.url}/api/v1/drafts/{kind}?format=pdf", json=payload, headers=server.headers, timeout=600)


def busy_large(server: LiveServer) -> bool:
    converter = requests.get(server.url + "/healthz", timeout=30).json()["converter"]
    return converter.get("busy", 0) >= 1


def test_over_the_size_limit_is_413_at_once(server):
    response = post_pdf(server, "supervision-ledger", ledger(100))
    assert response.status_code == 413
    body = response.json()
    assert body["error"] == "payload_too_large" and "上限" in body["message"]
    assert body["details"][0]["loc"] == "(document)"


def test_over_the_page_limit_is_422_naming_the_pages(server):
    response = post_pdf(server, "supervision-ledger", ledger(25))
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "too_many_pages" and "400 页" in body["message"]


def test_small_drafts_finish_while_large_ledgers_convert_and_a_full_queue_is_429(server):
    small = example("supervision-prompt")
    assert post_pdf(server, "supervision-prompt", small).status_code == 200  # warm
    finished: list[str] = []
    lock = threading.Lock()

    def convert(name: str, kind: str, payload: dict) -> requests.Response:
        response = post_pdf(server, kind, payload)
        with lock:
            finished.append(name)
        return response

    with ThreadPoolExecutor(2) as pool:
        big = [pool.submit(convert, f"big{i}", "supervision-ledger", ledger(8)) for i in range(2)]
        deadline_polls = 0
        while not busy_large(server):  # the first ledger is converting
            deadline_polls += 1
            assert deadline_polls < 6000 and not any(f.done() for f in big)
            time.sleep(0.05)
        smalls = [convert(f"small{i}", "supervision-prompt", dict(small, recipient=f"第{i}单位")) for i in range(5)]
        # while the ledgers hold (or wait for) one instance, a burst fills the queue
        with ThreadPoolExecutor(8) as burst:
            answers = list(burst.map(lambda i: post_pdf(server, "supervision-prompt", dict(small, recipient=f"突发{i}")), range(8)))
        bigs = [f.result() for f in big]
    assert all(r.status_code == 200 for r in smalls), [r.text[:200] for r in smalls]
    assert all(r.status_code == 200 and r.content.startswith(b"%PDF") for r in bigs), [r.text[:200] for r in bigs]
    # every small draft was done before either large ledger
    assert all(finished.index(f"small{i}") < min(finished.index("big0"), finished.index("big1")) for i in range(5)), finished
    assert {r.status_code for r in answers} <= {200, 429}
    refused = [r for r in answers if r.status_code == 429]
    assert refused, "a burst over the queue limit was never refused"
    for r in refused:
        assert r.json()["error"] == "queue_full"
        assert int(r.headers["Retry-After"]) >= 1
    assert any(r.status_code == 200 for r in answers)
