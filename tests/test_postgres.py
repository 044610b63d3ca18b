"""The register on a real PostgreSQL server: migrations, gapless numbers under
concurrency, idempotency. The server is started for the test from Debian's
postgresql package (installed by ./dev)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from docgen import create_app
from tests.conftest import example, free_port

pytestmark = pytest.mark.slow

BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


def _as_postgres(*cmd: str, **kw) -> subprocess.CompletedProcess:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *cmd], capture_output=True, text=True, timeout=120, **kw)


@pytest.fixture(scope="module")
def postgres_url():
    if not BIN:
        pytest.fail("PostgreSQL server binaries are missing: ./dev installs the postgresql package")
    bindir = BIN[-1]
    # pytest's temp folders are private to root; the server runs as postgres
    root = Path(tempfile.mkdtemp(prefix="docgen-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    data = root / "data"
    port = free_port()
    init = _as_postgres(f"{bindir}/initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C")
    assert init.returncode == 0, init.stderr
    start = _as_postgres(
        f"{bindir}/pg_ctl", "-D", str(data), "-l", str(root / "log"), "-w",
        "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start",
    )
    assert start.returncode == 0, start.stderr + (root / "log").read_text()
    try:
        created = _as_postgres(f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "docgen")
        assert created.returncode == 0, created.stderr
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/docgen"
    finally:
        _as_postgres(f"{bindir}/pg_ctl", "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


def test_register_on_postgresql(postgres_url, data_dir):
    app = create_app({"DATA_DIR": str(data_dir), "DATABASE_URL": postgres_url})
    office = app.extensions["docgen"]

    def issue(i: int) -> str:
        payload = dict(example("supervision-prompt"), recipient=f"单位{i}", issued_on="2026-11-20")
        return office.issue("supervision-prompt", payload).document.number

    with ThreadPoolExecutor(8) as pool:
        numbers = list(pool.map(issue, range(80)))
    assert sorted(int(n.split("〕")[1][:-1]) for n in numbers) == list(range(1, 81))

    payload = dict(example("supervision-prompt"), recipient="幂等", issued_on="2026-11-20")
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: office.issue("supervision-prompt", payload, idempotency_key="pg-key").document, range(6)))
    assert len({a.number for a in answers}) == 1

    client = app.test_client()
    listed = client.get("/api/v1/documents?recipient=单位42&month=11")
    assert [d["recipient"] for d in listed.json] == ["单位42"]
    first = client.get("/api/v1/documents?kind=supervision-prompt&per_page=1").json[0]
    assert client.post(f"/api/v1/documents/{first['id']}/void", json={"reason": "测试"}).status_code == 200
    assert issue(999) == "东卫督办〔2026〕82号"
