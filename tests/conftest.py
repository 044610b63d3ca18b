"""Shared fixtures: an app on a real SQLite file, its client and CLI runner,
and a real ``docgen serve`` (gunicorn, several workers) on a free port."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from docgen import create_app

RESOURCES = Path(__file__).parent / "resources"
PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "instance"
    path.mkdir()
    return path


@pytest.fixture
def app(data_dir: Path):
    app = create_app({"DATA_DIR": str(data_dir), "TESTING": True, "SECRET_KEY": "test"})
    yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def office(app):
    return app.extensions["docgen"]


def example(kind: str) -> dict:
    from docgen.kinds import get_kind

    return json.loads(json.dumps(get_kind(kind).example))


def xlsx(rows: list[list]) -> bytes:
    """A one-sheet .xlsx with these rows, as a clerk's spreadsheet would be."""
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """``docgen serve`` in a subprocess, stopped at the end."""

    def __init__(self, data_dir: Path, workers: int = 3, env: dict[str, str] | None = None, name: str = "server") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        full_env = dict(os.environ, DOCGEN_DATA_DIR=str(data_dir), **(env or {}))
        self.log_path = data_dir / f"{name}.log"
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "docgen.cli", "serve", "--port", str(self.port), "--workers", str(workers)],
            env=full_env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=PROJECT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("docgen serve exited:\n" + self.log_path.read_text(errors="replace"))
            try:
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("docgen serve did not come up:\n" + self.log_path.read_text(errors="replace"))

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()
        self.log.close()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("live"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A real Redis server (Debian's redis-server) on a free port, in a temporary folder."""
    import shutil

    import redis

    program = shutil.which("redis-server")
    if program is None:
        pytest.fail("redis-server is missing: ./dev installs the redis-server package")
    folder = tmp_path_factory.mktemp("redis")
    port = free_port()
    process = subprocess.Popen(
        [program, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", "", "--appendonly", "no"],
        stdout=open(folder / "redis.log", "wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 20
    while True:
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("redis-server did not come up:\n" + (folder / "redis.log").read_text(errors="replace")) from None
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(10)
