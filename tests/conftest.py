"""Shared fixtures: an app on a real SQLite file, its client and CLI runner,
and a real ``docgen serve`` (gunicorn, several workers) on a free port.

The API and the form deny every request without a credential, so every test
client sends an administrator's bearer token unless made with
``app.test_client(token=None)`` (a visitor) or another token; a
``LiveServer`` creates its token with ``docgen token create`` and its
``headers`` carry it."""

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
from flask import Flask
from flask.testing import FlaskClient

from docgen import create_app

RESOURCES = Path(__file__).parent / "resources"
PROJECT = Path(__file__).resolve().parent.parent


def admin_token(app: Flask) -> str:
    """One administrator token per app, made through the service (as `docgen token create` does)."""
    token = app.extensions.get("test_admin_token")
    if token is None:
        token = app.extensions["docgen"].accounts.create_token("测试管理员", "admin")
        app.extensions["test_admin_token"] = token
    return token


def token_for(app: Flask, name: str, role: str, department: str | None = None) -> str:
    return app.extensions["docgen"].accounts.create_token(name, role, department)


class TokenClient(FlaskClient):
    """A test client that speaks with a bearer token: the app's admin token
    unless ``token=`` names another one, or None for an anonymous visitor."""

    def __init__(self, *args, token: str | None | type[Ellipsis] = ..., **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if token is ...:
            token = admin_token(self.application)
        if token:
            self.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"


Flask.test_client_class = TokenClient


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
def anonymous(app):
    """A client with no credential at all."""
    return app.test_client(token=None)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def office(app):
    return app.extensions["docgen"]


def service_today():
    """Today as the service sees it (its default time zone, Asia/Shanghai), not the machine's
    local date: around midnight UTC the two differ, and the series' date order notices."""
    from docgen.config import Settings
    from docgen.services.dates import today_in

    return today_in(Settings().TIMEZONE)


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
        made = subprocess.run(
            [sys.executable, "-m", "docgen.cli", "token", "create", "tests", "--role", "admin"],
            env=full_env, cwd=PROJECT, capture_output=True, text=True, timeout=120,
        )
        if made.returncode != 0:
            raise RuntimeError("docgen token create failed:\n" + made.stdout + made.stderr)
        self.token = made.stdout.strip().splitlines()[-1]
        self.headers = {"Authorization": f"Bearer {self.token}"}
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

    def queue_worker_pid(self) -> int:
        """The pid of the queue worker `docgen serve` forked (``ps`` shows its title)."""
        import psutil

        from docgen.server import QUEUE_WORKER_TITLE

        pids = [p.pid for p in psutil.Process(self.process.pid).children() if " ".join(p.cmdline()).startswith(QUEUE_WORKER_TITLE)]
        assert len(pids) == 1, pids
        return pids[0]

    def admin_password(self) -> str | None:
        """The password `docgen serve` printed for the first administrator, if it made one."""
        lines = self.log_path.read_text(errors="replace").splitlines()
        for i, line in enumerate(lines):
            if "初始密码" in line and i + 1 < len(lines):
                return lines[i + 1].strip()
        return None

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
