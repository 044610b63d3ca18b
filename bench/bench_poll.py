"""What one poll of a batch's progress costs, in-process (Flask test client).

    .venv/bin/python bench/bench_poll.py [--polls 2000] [--rounds 3]

Clients poll ``GET /api/v1/batches/{id}`` every 10 ms to 1 s while
LibreOffice converts the batch on the same cores, so its CPU matters. Prints
the CPU milliseconds of one poll with a bearer token (the API's clients) and
with a signed-in session (the form's progress page), and, as a baseline from
the same run, of ``/healthz`` (the app's floor for one request). The best of
``--rounds`` rounds is shown: the machine is shared, and noise only adds.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_packet import prompts  # noqa: E402

from docgen import create_app  # noqa: E402
from docgen.services import batch as batches  # noqa: E402


def cpu_ms_per_request(client, url: str, headers: dict[str, str], polls: int, rounds: int) -> float:
    for _ in range(50):
        assert client.get(url, headers=headers).status_code == 200
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(polls):
            client.get(url, headers=headers)
        best = min(best, (time.process_time() - start) / polls * 1000)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    app = create_app({"DATA_DIR": tempfile.mkdtemp(), "TESTING": True, "SECRET_KEY": "bench"})
    office = app.extensions["docgen"]
    token = office.accounts.create_token("bench", "admin")
    office.accounts.add_user("bench-clerk", "clerk", "bench-password")
    batch = batches.create_batch(office, "supervision-prompt", prompts(10), True, background=False)
    url = f"/api/v1/batches/{batch['id']}"

    with_token = app.test_client()
    with_session = app.test_client()
    with with_session.session_transaction() as session:
        session["user"] = "bench-clerk"
        session["signed_in_at"] = int(time.time())

    healthz = cpu_ms_per_request(app.test_client(), "/healthz", {}, args.polls, args.rounds)
    token_poll = cpu_ms_per_request(with_token, url, {"Authorization": f"Bearer {token}"}, args.polls, args.rounds)
    session_poll = cpu_ms_per_request(with_session, url, {"Accept": "application/json"}, args.polls, args.rounds)
    print(f"CPU ms per request (best of {args.rounds} x {args.polls}):")
    print(f"  /healthz (baseline)     {healthz:6.3f}")
    print(f"  poll with a token       {token_poll:6.3f}  ({token_poll / healthz:4.1f} x /healthz)")
    print(f"  poll with a session     {session_poll:6.3f}  ({session_poll / healthz:4.1f} x /healthz)")


if __name__ == "__main__":
    main()
