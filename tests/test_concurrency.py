"""Numbering guarantees against a real `docgen serve` (gunicorn, several worker
processes) on a real SQLite file."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.conftest import example

pytestmark = [pytest.mark.slow, pytest.mark.soak]


def issue(server, payload, key=None):
    headers = dict(server.headers, **({"Idempotency-Key": key} if key else {}))
    return requests.post(f"{server.url}/api/v1/documents/supervision-prompt", json=payload, headers=headers, timeout=60)


def seq_of(number: str) -> int:
    match = re.fullmatch(r"东卫督办〔(\d{4})〕(\d+)号", number)
    assert match, number
    return int(match.group(2))


def test_eight_clients_issuing_400_get_exactly_1_to_400(live_server):
    def client(n: int) -> list[str]:
        session = requests.Session()
        session.headers.update(live_server.headers)
        numbers = []
        for i in range(50):
            payload = dict(example("supervision-prompt"), recipient=f"单位{n}-{i}", issued_on="2026-11-20")
            response = session.post(f"{live_server.url}/api/v1/documents/supervision-prompt", json=payload, timeout=60)
            assert response.status_code == 201, response.text
            numbers.append(response.json()["number"])
        return numbers

    with ThreadPoolExecutor(8) as pool:
        numbers = [n for batch in pool.map(client, range(8)) for n in batch]
    seqs = sorted(seq_of(n) for n in numbers)
    assert seqs == list(range(1, 401))
    listed = requests.get(f"{live_server.url}/api/v1/documents?kind=supervision-prompt&per_page=500", headers=live_server.headers,
                          timeout=30).json()
    assert sorted(seq_of(d["number"]) for d in listed) == list(range(1, 401))
    # several worker processes really answered
    workers = {requests.get(f"{live_server.url}/healthz", timeout=10).json().get("worker") for _ in range(30)}
    assert len(workers) > 1


def test_same_idempotency_key_sent_concurrently_gets_one_number(live_server):
    payload = dict(example("supervision-prompt"), recipient="幂等测试单位", issued_on="2026-11-21")
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: issue(live_server, payload, key="retry-key-1"), range(8)))
    assert all(a.status_code == 201 for a in answers), [a.text for a in answers]
    bodies = [a.json() for a in answers]
    assert len({b["number"] for b in bodies}) == 1
    assert all(b == bodies[0] for b in bodies)
    other = issue(live_server, dict(payload, recipient="另一个单位"), key="retry-key-1")
    assert other.status_code == 422
    found = requests.get(f"{live_server.url}/api/v1/documents", params={"recipient": "幂等测试单位"}, headers=live_server.headers,
                         timeout=10).json()
    assert len(found) == 1
