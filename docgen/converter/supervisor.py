"""One pool entry: a worker process and its LibreOffice, supervised.

Modelled on JODConverter's ``LocalOfficeManagerPoolEntry``: an entry is in one
:class:`InstanceState` and is restarted for a named :class:`RestartReason`
(hang, crash, max jobs, bridge lost). It talks to its worker
(``docgen/converter/worker.py``, run under the Python that has ``uno``) over a
socket pair wrapped in ``multiprocessing.connection``. Process facts come from
psutil. The pool (``pool.py``) decides who converts where and what to retry.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from docgen.converter import processes, worker
from docgen.services.offline_office import keep_office_offline

WORKER_SCRIPT = Path(worker.__file__).resolve()


class InstanceState(StrEnum):
    """Where a pool entry is in its life."""

    STARTING = "starting"
    READY = "ready"
    BUSY = "busy"
    RESTARTING = "restarting"
    DEAD = "dead"  # failed to start several times; tried again later


class RestartReason(StrEnum):
    """Why a pool entry's office was restarted."""

    HANG = "hang"  # a conversion went over the time limit
    CRASH = "crash"  # the worker or soffice exited
    MAX_JOBS = "max_jobs"  # recycled after its share of conversions
    BRIDGE_LOST = "bridge_lost"  # the URP bridge was disposed (the UNO event)


class InstanceFailure(Exception):
    """The office is broken (hang, crash, lost bridge): restart it; the request may be retried."""

    def __init__(self, reason: RestartReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class DocumentFailure(Exception):
    """The office is fine but this document failed (cannot be opened, no valid PDF)."""


class PageLimitExceeded(DocumentFailure):
    """The document has more pages than the request allows."""

    def __init__(self, pages: int) -> None:
        super().__init__(f"{pages} pages")
        self.pages = pages


class StartFailure(Exception):
    """The worker did not come up; ``fatal`` when trying again cannot help (no uno)."""

    def __init__(self, message: str, fatal: bool = False) -> None:
        super().__init__(message)
        self.fatal = fatal


@dataclass
class OfficeSettings:
    """How every entry of a pool runs LibreOffice."""

    soffice: str
    python: str
    fonts_conf: Path
    start_timeout: float
    base: Path  # the pool's work folder
    pipe_prefix: str

    def environment(self, tmp: Path) -> dict[str, str]:
        env = dict(os.environ)
        for key in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV"):
            env.pop(key, None)
        if self.fonts_conf.is_file():
            env["FONTCONFIG_FILE"] = str(self.fonts_conf)
        env.setdefault("LANG", "C.UTF-8")
        env["SAL_USE_VCLPLUGIN"] = "svp"
        env["TMPDIR"] = str(tmp)  # LibreOffice's own temp files
        return env


@dataclass
class Instance:
    """One LibreOffice instance of a pool. The pool's lock guards its state fields."""

    index: int
    settings: OfficeSettings
    state: InstanceState = InstanceState.STARTING
    jobs: int = 0  # since the last (re)start
    jobs_done: int = 0
    large: bool = False  # converting a large document now
    restarts: Counter = field(default_factory=Counter)  # RestartReason -> count
    start_failures: int = 0
    last_error: str = ""
    startup_ms: int | None = None
    ready_at: float | None = None
    dead_since: float | None = None
    generation: int = 0
    was_ready: bool = False
    proc: subprocess.Popen | None = None
    conn: Connection | None = None
    office_pids: list[int] = field(default_factory=list)
    _seq: int = 0

    @property
    def profile(self) -> Path:
        return self.settings.base / f"profile-{self.index}"

    @property
    def tmp(self) -> Path:
        return self.settings.base / f"tmp-{self.index}"

    @property
    def logfile(self) -> Path:
        return self.settings.base / f"instance-{self.index}.log"

    # -- life ------------------------------------------------------------------
    def launch(self) -> None:
        """Start the worker and wait until its office is warm; raises StartFailure."""
        self.profile.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        keep_office_offline(self.profile)  # the office never fetches, even a link that slipped through
        ours, theirs = socket.socketpair()
        cfg = {
            "soffice": self.settings.soffice,
            "profile": str(self.profile),
            "tmp": str(self.tmp),
            "pipe": f"{self.settings.pipe_prefix}_{self.index}_{self.generation}",
            "start_timeout": self.settings.start_timeout,
            "fd": theirs.fileno(),
        }
        with open(self.logfile, "ab") as log:
            if log.tell() > 1_000_000:
                log.truncate(0)
            try:
                self.proc = subprocess.Popen(
                    [self.settings.python, "-I", str(WORKER_SCRIPT), json.dumps(cfg)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    pass_fds=(theirs.fileno(),),
                    start_new_session=True,  # its own group: the worker can take its office down with it
                    cwd=str(self.tmp),
                    env=self.settings.environment(self.tmp),
                )
            except OSError as exc:
                ours.close()
                raise StartFailure(f"无法启动 {self.settings.python}：{exc}", fatal=True) from exc
            finally:
                theirs.close()
        self.conn = Connection(ours.detach())
        try:
            message = self._receive(time.monotonic() + self.settings.start_timeout + 10)
        except InstanceFailure as exc:
            raise StartFailure(f"LibreOffice 启动失败：{exc}（详见 {self.logfile.name}）") from exc
        if not message.get("ready"):
            raise StartFailure(f"LibreOffice 启动失败：{message.get('error')}", fatal=bool(message.get("fatal")))
        self.startup_ms = message.get("startup_ms")
        self.office_pids = [p.pid for p in processes.descendants(self.proc.pid)]

    def stop(self, graceful: bool = False) -> None:
        """Stop the worker and its office; nothing of them is left running."""
        proc, conn = self.proc, self.conn
        if proc is None:
            return
        if graceful and proc.poll() is None and conn is not None:
            try:
                conn.send_bytes(b'{"op": "quit"}')
                proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        processes.kill_tree(proc.pid, self.office_pids)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        if conn is not None:
            conn.close()
        self.conn = None

    # -- health ------------------------------------------------------------------
    def alive(self) -> bool:
        """The worker and its office processes all run."""
        return self.proc is not None and self.proc.poll() is None and processes.tree_alive(self.proc.pid, self.office_pids)

    def idle_failure(self) -> InstanceFailure | None:
        """For a ready instance: what went wrong since, or None.

        A lost bridge (the worker relays the UNO ``disposing`` event) is named
        as such; a process found dead with no word from the worker is a crash.
        """
        conn = self.conn
        events: list[str] = []
        gone = False
        try:
            if conn is not None and conn.poll(0):
                events.append(json.loads(conn.recv_bytes()).get("event"))
        except (EOFError, OSError, ValueError):
            gone = True
        if not events and not gone and self.alive():
            return None
        # something happened: give the worker a moment to say all it has to say
        deadline = time.monotonic() + 0.5
        while not gone and worker.BRIDGE_LOST not in events and time.monotonic() < deadline:
            try:
                if conn is None or not conn.poll(0.05):
                    continue
                events.append(json.loads(conn.recv_bytes()).get("event"))
            except (EOFError, OSError, ValueError):
                gone = True
        if worker.BRIDGE_LOST in events:
            return InstanceFailure(RestartReason.BRIDGE_LOST, "LibreOffice 在空闲时退出（UNO 连接已断开），已重启")
        return InstanceFailure(RestartReason.CRASH, "LibreOffice 在空闲时退出，已重启")

    # -- work ------------------------------------------------------------------
    def convert(self, docx: bytes, timeout: float, max_pages: int | None) -> tuple[bytes, int]:
        """Convert on this instance: (pdf, pages). Raises InstanceFailure or DocumentFailure."""
        self._seq += 1
        src = self.tmp / f"job-{self._seq}.docx"
        dst = self.tmp / f"job-{self._seq}.pdf"
        try:
            src.write_bytes(docx)
            try:
                self.conn.send_bytes(json.dumps({"op": "convert", "in": str(src), "out": str(dst), "max_pages": max_pages}).encode())
            except (OSError, AttributeError) as exc:
                raise InstanceFailure(RestartReason.CRASH, f"LibreOffice 进程已退出（{exc}）") from exc
            try:
                reply = self._receive(time.monotonic() + timeout)
            except InstanceFailure as exc:
                if exc.reason is RestartReason.HANG:
                    raise InstanceFailure(RestartReason.HANG, f"转换超过 {timeout:g} 秒未完成") from None
                raise
            if not reply.get("ok"):
                if reply.get("too_many_pages"):
                    raise PageLimitExceeded(int(reply.get("pages") or 0))
                error = str(reply.get("error"))
                lost = reply.get("lost")
                if lost == worker.BRIDGE_LOST:
                    raise InstanceFailure(RestartReason.BRIDGE_LOST, f"LibreOffice 在转换中崩溃（UNO 连接已断开）：{error}")
                if lost or not self.alive():
                    raise InstanceFailure(RestartReason.CRASH, f"LibreOffice 在转换中崩溃：{error}")
                raise DocumentFailure(f"LibreOffice 转换失败：{error}")
            try:
                pdf = dst.read_bytes()
            except OSError as exc:
                if not self.alive():
                    raise InstanceFailure(RestartReason.CRASH, f"LibreOffice 在转换中崩溃：{exc}") from exc
                raise DocumentFailure(f"LibreOffice 没有生成 PDF：{exc}") from exc
            return pdf, int(reply.get("pages") or 0)
        finally:
            for path in (src, dst):
                try:
                    path.unlink()
                except OSError:
                    pass

    def _receive(self, deadline: float) -> dict[str, Any]:
        """The worker's next answer; events it sends first decide the failure's reason."""
        conn = self.conn
        lost: RestartReason | None = None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise InstanceFailure(RestartReason.HANG, "超时")
            try:
                if not conn.poll(min(remaining, 1.0)):
                    continue
                message = json.loads(conn.recv_bytes())
            except (EOFError, OSError, ValueError) as exc:
                reason = lost or RestartReason.CRASH
                raise InstanceFailure(reason, "LibreOffice 进程意外退出" + ("（UNO 连接已断开）" if reason is RestartReason.BRIDGE_LOST else "")) from exc
            event = message.get("event")
            if event is None:
                return message
            lost = RestartReason.BRIDGE_LOST if event == worker.BRIDGE_LOST else lost or RestartReason.CRASH

    # -- reports -------------------------------------------------------------------
    def public(self) -> dict[str, Any]:
        """What /healthz may show: state and counts, no paths, no process ids."""
        return {
            "index": self.index,
            "state": str(self.state),
            "jobs": self.jobs,
            "jobs_done": self.jobs_done,
            "restarts": sum(self.restarts.values()),
            "restart_reasons": {str(r): n for r, n in sorted(self.restarts.items())},
            "timeouts": self.restarts[RestartReason.HANG],
            "crashes": self.restarts[RestartReason.CRASH] + self.restarts[RestartReason.BRIDGE_LOST],
            "recycles": self.restarts[RestartReason.MAX_JOBS],
            "startup_ms": self.startup_ms,
            "uptime_s": round(time.monotonic() - self.ready_at, 1) if self.ready_at else None,
            "last_error": self.last_error,
        }

    def process_ids(self) -> dict[str, Any]:
        """The worker's and the office's process ids (for operators and tests, never for /healthz)."""
        office = [pid for pid in self.office_pids if processes.alive(pid)] if self.state != InstanceState.DEAD else []
        return {
            "index": self.index,
            "state": str(self.state),
            "worker_pid": self.proc.pid if self.proc else None,
            # soffice.bin is the deepest process below the worker (oosplash is its parent)
            "pid": self.office_pids[-1] if self.office_pids else None,
            "office_pids": office,
        }
