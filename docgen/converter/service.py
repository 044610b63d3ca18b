"""The pool as a process of its own, supervised by ``docgen serve``.

``docgen serve`` starts one pool process before its web workers
(:func:`run_pool_process`) and watches it: when it dies (a crash, SIGKILL) or
stops answering, a new one is started on the same address, and the web
workers' clients reconnect by themselves. ``python -m docgen.converter serve``
is that process; it also exits when its parent is gone.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from docgen.converter.client import RemoteConverter
from docgen.converter.pool import PACKAGE_DIR, LocalPool
from docgen.converter.transport import default_address, serve_pool
from docgen.errors import ConverterUnavailable

log = logging.getLogger(__name__)

AUTHKEY_VARIABLE = "DOCGEN_CONVERTER_AUTHKEY"
WATCH_INTERVAL = 0.5
#: consecutive failed pings of a running pool process before it counts as hung
HUNG_AFTER_PINGS = 10


def pool_args(settings: dict[str, Any]) -> dict[str, Any]:
    """LocalPool's arguments from docgen's settings."""
    from tempfile import gettempdir

    data_dir = Path(settings.get("DATA_DIR") or gettempdir())
    return {
        "instances": int(settings.get("CONVERTER_INSTANCES") or 0) or None,
        "timeout": float(settings.get("CONVERTER_TIMEOUT") or 60),
        "max_jobs": int(settings.get("CONVERTER_MAX_JOBS") or 200),
        "work_dir": data_dir / "converter",
        "soffice": str(settings.get("SOFFICE") or "") or None,
        "queue_limit": int(settings.get("CONVERTER_QUEUE_LIMIT") or 0),
        "max_bytes": int(settings.get("CONVERTER_MAX_BYTES") or 0),
        "max_pages": int(settings.get("CONVERTER_MAX_PAGES") or 0),
        "large_bytes": int(settings.get("CONVERTER_LARGE_BYTES") or 0) or 1 << 62,
        "fonts_conf": fonts_conf(str(settings.get("FONTS_DIR") or ""), data_dir / "converter"),
    }


def fonts_conf(fonts_dir: str, work_dir: Path) -> Path | None:
    """With ``DOCGEN_FONTS_DIR``: a fontconfig file that adds that folder and then
    includes docgen's own (docgen/fonts/fonts.conf). The aliases there put the
    asked name first, so licensed faces dropped into the folder (仿宋_GB2312,
    方正小标宋简体 ...) win over the free stand-ins. None: docgen's own file."""
    if not fonts_dir:
        return None
    from xml.sax.saxutils import escape

    from docgen.converter.pool import FONTS_CONF

    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / "fonts-with-licensed.conf"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>\n'
        f"  <dir>{escape(str(Path(fonts_dir).resolve()))}</dir>\n"
        f"  <include>{escape(str(FONTS_CONF))}</include>\n</fontconfig>\n",
        encoding="utf-8",
    )
    return path


def authkey_of(settings: dict[str, Any]) -> bytes:
    return str(settings.get("CONVERTER_AUTHKEY") or os.environ.get(AUTHKEY_VARIABLE) or "").encode()


class PoolProcess:
    """The shared pool's process, restarted whenever it dies; ``stop()`` ends it for good."""

    def __init__(self, settings: dict[str, Any], address: str | None = None, authkey: bytes | None = None) -> None:
        self.args = pool_args(settings)
        work_dir = Path(self.args["work_dir"])
        work_dir.mkdir(parents=True, exist_ok=True)
        self.address = address or default_address(work_dir)
        self.authkey = authkey or authkey_of(settings) or secrets.token_hex(16).encode()
        self.process: subprocess.Popen | None = None
        self.restarts: Counter = Counter()  # "died" / "hung" -> count
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None

    def client(self, **kw: Any) -> RemoteConverter:
        return RemoteConverter(self.address, self.authkey, **kw)

    def _command(self) -> list[str]:
        a = self.args
        cmd = [
            sys.executable, "-m", "docgen.converter", "serve",
            "--address", self.address,
            "--instances", str(a["instances"] or 0),
            "--timeout", str(a["timeout"]),
            "--max-jobs", str(a["max_jobs"]),
            "--work-dir", str(a["work_dir"]),
            "--queue-limit", str(a["queue_limit"]),
            "--max-bytes", str(a["max_bytes"]),
            "--max-pages", str(a["max_pages"]),
            "--large-bytes", str(a["large_bytes"]),
        ]  # fmt: skip
        if a["soffice"]:
            cmd += ["--soffice", a["soffice"]]
        return cmd

    def _launch(self, wait: float) -> None:
        env = dict(os.environ)
        root = str(PACKAGE_DIR.parent)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env[AUTHKEY_VARIABLE] = self.authkey.decode()
        proc = subprocess.Popen(self._command(), env=env, stdin=subprocess.DEVNULL, close_fds=True)
        self.process = proc
        client = self.client()
        deadline = time.monotonic() + wait
        try:
            while True:
                if proc.poll() is not None:
                    raise ConverterUnavailable(f"PDF 转换服务进程启动失败（退出码 {proc.returncode}）")
                if client.ping(timeout=1):
                    return
                if time.monotonic() > deadline:
                    _terminate(proc)
                    raise ConverterUnavailable(f"PDF 转换服务进程在 {wait:g} 秒内没有就绪")
                time.sleep(0.05)
        finally:
            client.close()

    def start(self, wait: float = 30, watch: bool = True) -> PoolProcess:
        """Start the process; return once it accepts connections (LibreOffice keeps warming)."""
        with self._lock:
            self._launch(wait)
        if watch:
            self._watcher = threading.Thread(target=self._watch, name="docgen-pool-supervisor", daemon=True)
            self._watcher.start()
        return self

    def _watch(self) -> None:
        client = self.client()
        failed_pings = 0
        while not self._stop.wait(WATCH_INTERVAL):
            proc = self.process
            why = None
            if proc is None or proc.poll() is not None:
                why = "died"
            elif client.ping(timeout=2):
                failed_pings = 0
            else:
                failed_pings += 1
                if failed_pings >= HUNG_AFTER_PINGS:
                    why = "hung"
            if why is None:
                continue
            failed_pings = 0
            with self._lock:
                if self._stop.is_set():
                    return
                log.warning("docgen converter: the pool process %s; starting it again", "died" if why == "died" else "stopped answering")
                if proc is not None:
                    _terminate(proc, timeout=5)
                self.restarts[why] += 1
                try:
                    self._launch(wait=30)
                except ConverterUnavailable as exc:
                    log.error("docgen converter: could not restart the pool process: %s", exc)
        client.close()

    def stop(self, timeout: float = 20) -> None:
        """Stop watching and end the process (it closes its LibreOffice instances first)."""
        self._stop.set()
        with self._lock:
            if self.process is not None:
                _terminate(self.process, timeout)
        if self._watcher is not None:
            self._watcher.join(timeout=5)


def _terminate(proc: subprocess.Popen, timeout: float = 20) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_pool_process(settings: dict[str, Any], address: str | None = None, wait: float = 30, watch: bool = True) -> PoolProcess:
    """Start the shared pool in a supervised background process."""
    return PoolProcess(settings, address).start(wait=wait, watch=watch)


def serve_forever(pool: LocalPool, address: str, authkey: bytes) -> int:
    """Run ``pool`` on ``address`` until SIGTERM or until the parent process is gone."""
    pool.start()
    server = serve_pool(pool, address, authkey)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    ppid = os.getppid()
    log.info("docgen converter pool serving (%d instances)", pool.size)
    while not stop.wait(0.5):
        if os.getppid() != ppid:  # the parent (docgen serve) is gone
            break
    server.close()
    pool.close()
    return 0
