"""``docgen serve``: gunicorn with several workers over one converter pool and one queue consumer.

The pool of LibreOffice instances is started once, in its own process, before
the workers, and started again whenever it dies; each worker reaches it
through ``DOCGEN_CONVERTER_URL``. The batches' task queue (``docgen.queue``)
is the embedded SQLite queue of the data folder unless ``DOCGEN_QUEUE_URL``
names another (Redis); its consumer is a ``docgen worker`` forked beside
gunicorn's workers (it shares the modules they share), started again if it dies.
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import pkgutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from typing import Any, NoReturn

import psutil
from gunicorn.app.base import BaseApplication

from docgen.config import load_settings
from docgen.converter import PoolProcess, run_pool_process

log = logging.getLogger(__name__)


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        self.cfg.set("proc_name", "docgen")  # ps: gunicorn: master [docgen], gunicorn: worker [docgen]
        # newer gunicorn releases open a control socket at one fixed path per user; docgen does not use it, and
        # several `docgen serve` on one machine (tests, two services) would take it from each other
        if "control_socket_disable" in self.cfg.settings:
            self.cfg.set("control_socket_disable", True)

    def load(self):
        from docgen import create_app

        return create_app()


def import_web_modules() -> None:
    """Import what the web workers run (Flask, pydantic, SQLAlchemy, docxtpl, lxml …) once, in the master,
    before gunicorn forks: the workers then share those pages with it instead of each holding its own
    copy. No application is made here (no database connection or thread crosses the fork)."""
    import docgen
    import docgen.services.office  # noqa: F401

    # every module of the web service (the blueprints create_app registers among them), found by
    # walking the package rather than listed a second time; the CLI's own modules are left out
    for module in pkgutil.iter_modules(docgen.__path__):
        if not module.name.startswith("cli"):
            importlib.import_module(f"docgen.{module.name}")

    gc.freeze()  # the collector then leaves these objects alone, so their pages stay shared


def run(host: str, port: int, workers: int, threads: int = 4) -> None:
    settings = load_settings()
    os.makedirs(settings["DATA_DIR"], exist_ok=True)
    check_profile(settings)
    prepare_database(settings)
    announce_first_admin(settings)
    pool = start_converter_pool(settings)
    consumer = QueueConsumer(settings)
    import_web_modules()
    consumer.start()  # forked after the imports, so that it shares their pages
    try:
        _Gunicorn(
            {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "timeout": 120,
                "graceful_timeout": 10,
                "accesslog": "-",
            }
        ).run()
    finally:
        consumer.stop()
        if pool is not None:
            pool.stop()


def check_profile(settings: dict[str, Any]) -> None:
    """Read the profile and its kinds once before anything starts: a bad one stops start-up."""
    from docgen.kinds import BUNDLED
    from docgen.profile import load_profile

    profile = load_profile(settings.get("PROFILE") or None)
    if profile.kinds_dir:
        BUNDLED.with_folder(profile.kinds_dir)


def prepare_database(settings: dict[str, Any]) -> None:
    """Bring the database schema up to date once, before any worker starts."""
    try:
        from docgen.services.db import upgrade_database
    except ImportError:
        return
    upgrade_database(settings["DATABASE_URL"], settings["DATA_DIR"])


def announce_first_admin(settings: dict[str, Any]) -> None:
    """With no user yet, create ``admin`` and print its password once on the console."""
    from docgen.services.accounts import Accounts
    from docgen.services.register import Register

    password = Accounts(Register(settings["DATABASE_URL"])).ensure_first_admin()
    if password:
        print("=" * 60, flush=True)
        print("首次启动：已创建管理员用户 admin，初始密码（只显示这一次）：", flush=True)
        print(f"  {password}", flush=True)
        print("请登录后妥善保管；用 docgen user add 添加其他用户，docgen token create 创建接口令牌。", flush=True)
        print("=" * 60, flush=True)


def start_converter_pool(settings: dict[str, Any]) -> PoolProcess | None:
    """Start the shared LibreOffice pool, supervised, unless one is configured already.

    The pool process is restarted whenever it dies; the workers find it through
    ``DOCGEN_CONVERTER_URL`` and ``DOCGEN_CONVERTER_AUTHKEY``.
    """
    if settings.get("CONVERTER_URL"):
        return None
    # the pool's socket is this machine's own: the data folder may be shared by several machines
    pool = run_pool_process(settings, "unix:" + os.path.join(tempfile.mkdtemp(prefix="docgen-pool-"), "pool.sock"))
    os.environ["DOCGEN_CONVERTER_URL"] = pool.address
    os.environ["DOCGEN_CONVERTER_AUTHKEY"] = pool.authkey.decode()
    return pool


def run_queue_worker(workers: int = 0) -> None:
    """``docgen worker``: consume the batches' task queue until stopped. Raises ConfigError."""
    from docgen.queue import TaskQueue, default_url, workers_for
    from docgen.services.office import Office

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = load_settings()
    url = settings["QUEUE_URL"] or default_url(settings)
    prepare_database(settings)
    pool = start_converter_pool(settings)  # unless `docgen serve` shares its own
    try:
        queue = TaskQueue(Office(load_settings(), migrate=False), url)
        queue.run_consumer(workers or workers_for(settings))
    finally:
        if pool is not None:
            pool.terminate()


QUEUE_WORKER_TITLE = "docgen worker (docgen serve)"


class QueueConsumer:
    """The ``docgen worker`` of ``docgen serve``: started with it, started again when it dies.

    It is forked from ``docgen serve`` once the web service's modules are imported (as gunicorn
    forks its workers), so it shares their pages instead of importing them again: about 90 MiB
    less than a ``docgen worker`` started afresh. ``ps`` shows it as ``QUEUE_WORKER_TITLE``.
    """

    RESTART_DELAY = 0.5

    def __init__(self, settings: dict[str, Any]) -> None:
        from docgen.queue import default_url

        if not settings.get("QUEUE_URL"):  # the web workers and the consumer share the data folder's queue
            os.environ["DOCGEN_QUEUE_URL"] = default_url(settings)
        os.environ["DOCGEN_DATA_DIR"] = settings["DATA_DIR"]
        self.process: ForkedProcess | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._supervise, name="docgen-queue-supervisor", daemon=True)

    def start(self) -> None:
        self.process = self._spawn()
        self._thread.start()

    def _spawn(self) -> ForkedProcess:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _become_queue_worker()
        return ForkedProcess(pid)

    def _supervise(self) -> None:
        while not self._stopping.is_set():
            code = self.process.wait()
            if self._stopping.is_set():
                return
            log.warning("docgen serve: the queue worker (pid %s) exited with %s; starting it again", self.process.pid, code)
            print(f"docgen serve: 队列工作进程（pid {self.process.pid}）已退出（{code}），正在重新启动", file=sys.stderr, flush=True)
            time.sleep(self.RESTART_DELAY)
            if not self._stopping.is_set():
                self.process = self._spawn()

    def stop(self) -> None:
        self._stopping.set()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _become_queue_worker() -> NoReturn:
    """In the forked child: leave what belongs to ``docgen serve`` and run ``docgen worker``; never returns."""
    code = 1
    try:
        # a restart forks from the running gunicorn master: its signal handlers and wake-up pipe are not ours
        for number in (signal.SIGHUP, signal.SIGQUIT, signal.SIGINT, signal.SIGTERM, signal.SIGTTIN, signal.SIGTTOU,
                       signal.SIGUSR1, signal.SIGUSR2, signal.SIGWINCH, signal.SIGCHLD):
            signal.signal(number, signal.SIG_DFL)
        signal.set_wakeup_fd(-1)
        _close_listening_sockets()
        from setproctitle import setproctitle

        setproctitle(QUEUE_WORKER_TITLE)
        run_queue_worker()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 — said on stderr; `docgen serve` starts another
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _close_listening_sockets() -> None:
    """Close the listening sockets inherited from the master (gunicorn's), so that no port stays
    bound by the queue worker should ``docgen serve`` go away without it."""
    for connection in psutil.Process().net_connections(kind="all"):
        if connection.status == psutil.CONN_LISTEN and connection.fd >= 0:
            try:
                os.close(connection.fd)
            except OSError:
                pass


class ForkedProcess:
    """The forked queue worker, with the part of ``subprocess.Popen``'s interface ``QueueConsumer`` uses."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._process = psutil.Process(pid)

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            try:
                code = self._process.wait(timeout)
            except psutil.TimeoutExpired:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0) from None
            except psutil.NoSuchProcess:
                code = None
            # gunicorn's master reaps any child that exits, so the status may be gone: then say 0
            self.returncode = code if isinstance(code, int) else 0
        return self.returncode

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                running = self._process.is_running() and self._process.status() != psutil.STATUS_ZOMBIE
            except psutil.NoSuchProcess:
                running = False
            if not running:
                return self.wait()
        return self.returncode

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def _signal(self, number: int) -> None:
        try:
            self._process.send_signal(number)
        except psutil.NoSuchProcess:
            pass
