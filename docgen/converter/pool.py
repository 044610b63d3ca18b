"""N warm LibreOffice instances in this process: scheduling, retries, limits.

The one layer that retries. What is transient is the office's fault and is
tried again here: a crash or a lost bridge (up to ``retries`` times, on a
ready instance, a restarted one being fine), a hang (once). What is the
document's is not: a document that fails on two healthy instances, one over
the page limit, one over the size limit. Callers (the batch service, the web
views) never retry a conversion.

Fairness: a large document (by the size of its text, see ``limits.py``) may
hold at most ``size - 1`` instances (all of them when there is only one), and
when an instance frees, waiting small documents go first. So drafts keep
their latency while a large ledger converts. Interactive requests wait in a
bounded queue; over ``queue_limit`` (0: no bound) they get :class:`~docgen.errors.ConverterBusy`
(429 with ``Retry-After``). Background requests (batches) are bounded by their
own threads and never refused.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docgen.converter import limits, processes
from docgen.converter.output import check_pdf
from docgen.converter.supervisor import (
    DocumentFailure,
    Instance,
    InstanceFailure,
    InstanceState,
    OfficeSettings,
    PageLimitExceeded,
    RestartReason,
    StartFailure,
)
from docgen.errors import ConverterBusy, ConverterUnavailable, TooManyPages

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent.parent
FONTS_CONF = PACKAGE_DIR / "fonts" / "fonts.conf"

START_ATTEMPTS = 3  # consecutive failed starts before an instance is "dead"
REVIVE_AFTER = 30.0  # seconds after which a dead instance is tried again on demand
_PATH = re.compile(r"(?<![\w:])/[^\s，。；：）)'\"]+")


def without_paths(text: str) -> str:
    """``text`` with file system paths elided (what /healthz may show)."""
    return _PATH.sub("…", text)


@dataclass
class _Ticket:
    """A request waiting for an instance."""

    seq: int
    large: bool
    background: bool


class LocalPool:
    """N warm LibreOffice instances in this process; ``to_pdf`` is thread-safe.

    ``start()`` begins warming every instance in parallel in the background; the
    first ``to_pdf`` waits only for the first instance that is ready (and calls
    ``start()`` itself if nobody did).
    """

    def __init__(
        self,
        instances: int | None = None,
        timeout: float = 60,
        max_jobs: int = 200,
        work_dir: str | os.PathLike | None = None,
        *,
        soffice: str | None = None,
        python: str | None = None,
        fonts_conf: str | os.PathLike | None = None,
        start_timeout: float = 60,
        queue_timeout: float = 600,
        retries: int = 3,
        queue_limit: int = 0,
        max_bytes: int = limits.DEFAULT_MAX_BYTES,
        max_pages: int = limits.DEFAULT_MAX_PAGES,
        large_bytes: int = limits.DEFAULT_LARGE_BYTES,
    ):
        self.size = max(1, int(instances or os.cpu_count() or 1))
        self.timeout = float(timeout)
        self.max_jobs = max(1, int(max_jobs))
        self.start_timeout = float(start_timeout)
        self.queue_timeout = float(queue_timeout)
        self.retries = max(0, int(retries))
        self.queue_limit = max(0, int(queue_limit))  # 0: no limit
        self.limits = limits.Limits(max_bytes=int(max_bytes), max_pages=int(max_pages), large_bytes=int(large_bytes))
        self.soffice = processes.find_soffice(soffice)
        self._soffice_wanted = soffice or "soffice"
        self.python = processes.find_uno_python(python)
        self.fonts_conf = Path(fonts_conf) if fonts_conf else FONTS_CONF
        self._work_root = Path(work_dir) if work_dir else Path(tempfile.gettempdir()) / "docgen-converter"
        self._base: Path | None = None
        self._cond = threading.Condition()
        self._instances: list[Instance] = []
        self._waiting: list[_Ticket] = []
        self._tickets = itertools.count()
        self._started = False
        self._closed = False
        self._counts = {"failed_requests": 0, "retried_requests": 0, "refused_requests": 0, "rejected_documents": 0}
        self._threads: set[threading.Thread] = set()
        self._created = time.monotonic()
        self._first_ready_s: float | None = None
        self._all_ready_s: float | None = None
        self._owner_pid = os.getpid()
        atexit.register(self.close)

    @property
    def closed(self) -> bool:
        return self._closed

    def _unavailable_reason(self) -> str | None:
        if self._closed:
            return "PDF 转换器已关闭"
        if self.soffice is None:
            return (
                f"PDF 转换不可用：找不到 LibreOffice（{self._soffice_wanted}）。"
                "请安装 libreoffice-writer（Debian 软件包），或正确配置 soffice 路径。"
            )
        return None

    # -- life ------------------------------------------------------------------
    def start(self) -> LocalPool:
        """Begin starting every instance in parallel; returns at once."""
        with self._cond:
            if self._started or self._closed:
                return self
            self._started = True
            if self.soffice is None:
                return self
            self._work_root.mkdir(parents=True, exist_ok=True)
            self._clean_stale_runs()
            self._base = Path(tempfile.mkdtemp(prefix=f"pool-{os.getpid()}-", dir=self._work_root))
            office = OfficeSettings(
                soffice=self.soffice,
                python=self.python,
                fonts_conf=self.fonts_conf,
                start_timeout=self.start_timeout,
                base=self._base,
                pipe_prefix=f"docgen_{os.getpid()}_{id(self):x}",
            )
            self._created = time.monotonic()
            for i in range(self.size):
                inst = Instance(i, office)
                self._instances.append(inst)
                self._spawn(self._start_instance, inst)
            threading.Thread(target=self._watch_idle, name="docgen-pool-watch", daemon=True).start()
        return self

    def _clean_stale_runs(self) -> None:
        """Remove the work folders of pools whose process is gone."""
        for folder in self._work_root.glob("pool-*-*"):
            try:
                pid = int(folder.name.split("-")[1])
            except (IndexError, ValueError):
                continue
            if pid != os.getpid() and not processes.alive(pid):
                shutil.rmtree(folder, ignore_errors=True)

    def _spawn(self, target, *args) -> None:
        def run() -> None:
            try:
                target(*args)
            except Exception:  # never let a background thread die silently
                log.exception("docgen converter: background task failed")
            finally:
                self._threads.discard(threading.current_thread())

        thread = threading.Thread(target=run, daemon=True, name="docgen-pool-start")
        self._threads.add(thread)
        thread.start()

    def _start_instance(self, inst: Instance) -> None:
        while True:
            try:
                with self._cond:
                    if self._closed:
                        return
                inst.launch()
            except StartFailure as exc:
                inst.stop()
                with self._cond:
                    if self._closed:
                        return
                    inst.start_failures += 1
                    inst.last_error = str(exc)
                    log.warning("docgen converter: instance %d failed to start: %s", inst.index, exc)
                    if exc.fatal or inst.start_failures >= START_ATTEMPTS:
                        inst.state = InstanceState.DEAD
                        inst.dead_since = time.monotonic()
                        self._cond.notify_all()
                        return
                shutil.rmtree(inst.profile, ignore_errors=True)  # a broken profile is a common cause
                time.sleep(0.5 * inst.start_failures)
                continue
            with self._cond:
                closed = self._closed
                if not closed:
                    inst.state = InstanceState.READY
                    inst.jobs = 0
                    inst.start_failures = 0
                    inst.ready_at = time.monotonic()
                    inst.was_ready = True
                    now = round(time.monotonic() - self._created, 3)
                    if self._first_ready_s is None:
                        self._first_ready_s = now
                    if self._all_ready_s is None and all(i.was_ready for i in self._instances):
                        self._all_ready_s = now
                    self._cond.notify_all()
            if closed:  # closed while it started: do not leave it running
                inst.stop()
            return

    def _restart(self, inst: Instance, reason: RestartReason | None, message: str = "") -> None:
        """Restart ``inst`` in the background for ``reason`` (caller holds the lock)."""
        inst.state = InstanceState.RESTARTING
        if reason is not None:
            inst.restarts[reason] += 1
        inst.generation += 1
        inst.ready_at = None
        inst.large = False
        if message:
            inst.last_error = message
        self._cond.notify_all()

        def job() -> None:
            inst.stop(graceful=reason is RestartReason.MAX_JOBS)
            self._start_instance(inst)

        self._spawn(job)

    def _watch_idle(self) -> None:
        """Notice idle instances whose office died or lost its bridge; restart them."""
        while True:
            with self._cond:
                if self._closed:
                    return
                for inst in self._instances:
                    if inst.state == InstanceState.READY:
                        failure = inst.idle_failure()
                        if failure is not None:
                            log.warning("docgen converter: instance %d died while idle (%s)", inst.index, failure.reason)
                            self._restart(inst, failure.reason, str(failure))
                self._cond.wait(0.2)

    # -- scheduling ------------------------------------------------------------------
    def _eligible(self, ticket: _Ticket) -> bool:
        if not ticket.large or self.size == 1:
            return True
        return sum(1 for i in self._instances if i.state == InstanceState.BUSY and i.large) < self.size - 1

    def _acquire(self, ticket: _Ticket, tried: set[int], deadline: float) -> Instance:
        """A ready instance for ``ticket``: small ones first, then in order of arrival."""
        with self._cond:
            self._waiting.append(ticket)
            try:
                while True:
                    reason = self._unavailable_reason()
                    if reason:
                        raise ConverterUnavailable(reason)
                    ready = []
                    for inst in self._instances:
                        if inst.state != InstanceState.READY:
                            continue
                        failure = inst.idle_failure()
                        if failure is None:
                            ready.append(inst)
                        else:  # died since the watcher last looked: never send it work
                            self._restart(inst, failure.reason, str(failure))
                    if ready and self._eligible(ticket):
                        first = min((t for t in self._waiting if self._eligible(t)), key=lambda t: (t.large, t.seq))
                        if first is ticket:
                            inst = min(ready, key=lambda i: (i.index in tried, i.jobs))
                            inst.state = InstanceState.BUSY
                            inst.large = ticket.large
                            self._cond.notify_all()  # the next in line may take another ready instance
                            return inst
                    self._revive_or_give_up()
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise ConverterUnavailable("PDF 转换繁忙：等待空闲的 LibreOffice 实例超时，请稍后再试")
                    self._cond.wait(min(remaining, 0.5))
            finally:
                self._waiting.remove(ticket)
                self._cond.notify_all()

    def _revive_or_give_up(self) -> None:
        if not self._instances or any(i.state != InstanceState.DEAD for i in self._instances):
            return
        now = time.monotonic()
        revived = False
        for inst in self._instances:
            if inst.dead_since is not None and now - inst.dead_since > REVIVE_AFTER:
                inst.start_failures = 0
                inst.dead_since = None
                self._restart(inst, None)
                revived = True
        if not revived:
            errors = "；".join(sorted({i.last_error for i in self._instances if i.last_error}))
            raise ConverterUnavailable(f"PDF 转换不可用：LibreOffice 无法启动。{errors}")

    def _admit(self, docx: bytes, background: bool) -> _Ticket:
        """A ticket for this request, or the reason it is refused (size, queue full)."""
        if not background:
            self.limits.check_size(docx)
        ticket = _Ticket(next(self._tickets), large=self.limits.is_large(docx), background=background)
        if not background:
            with self._cond:
                queued = sum(1 for t in self._waiting if not t.background)
                if self.queue_limit and queued >= self.queue_limit:
                    self._counts["refused_requests"] += 1
                    raise ConverterBusy(
                        f"PDF 转换队列已满（{queued} 个请求在等待），请稍后再试",
                        retry_after=self.retry_after(),
                    )
        return ticket

    def retry_after(self) -> int:
        """Seconds a refused client should wait: about one conversion round."""
        return max(1, min(60, round(self.timeout / 10)))

    # -- conversion ------------------------------------------------------------------
    def to_pdf(self, docx: bytes, *, background: bool = False) -> bytes:
        """Convert DOCX bytes to checked PDF bytes (blocks until an instance is free).

        ``background`` (a batch) waits however long the queue is and is not held
        to the per-request size and page limits; otherwise over the limits is
        :class:`~docgen.errors.PayloadTooLarge` / :class:`~docgen.errors.TooManyPages`
        and a full queue is :class:`~docgen.errors.ConverterBusy`.
        """
        reason = self._unavailable_reason()
        if reason:
            raise ConverterUnavailable(reason)
        if not docx:
            raise ConverterUnavailable("PDF 转换失败：文档内容为空")
        ticket = self._admit(docx, background)
        if not self._started:
            self.start()
        max_pages = None if background else self.limits.max_pages
        deadline = time.monotonic() + self.queue_timeout
        tried: set[int] = set()
        errors: list[str] = []
        attempts = bad = hangs = 0
        while True:
            inst = self._acquire(ticket, tried, deadline)
            tried.add(inst.index)
            if attempts:
                with self._cond:
                    self._counts["retried_requests"] += 1
            attempts += 1
            try:
                pdf, _ = inst.convert(bytes(docx), self.timeout, max_pages)
                check_pdf(pdf)
            except PageLimitExceeded as exc:
                with self._cond:
                    self._counts["rejected_documents"] += 1
                    self._release(inst)
                raise TooManyPages.over(exc.pages, self.limits.max_pages) from None
            except (DocumentFailure, ValueError) as exc:
                # the office is alive and said no: the document, most likely
                errors.append(f"实例 {inst.index}：{exc}")
                bad += 1
                with self._cond:
                    inst.last_error = str(exc)
                    self._release(inst)
                if bad >= 2:  # failed the same way on a second healthy attempt: fail fast
                    with self._cond:
                        self._counts["failed_requests"] += 1
                    raise ConverterUnavailable(
                        f"PDF 转换失败：该文档在 LibreOffice 正常运行时两次转换均失败，请检查文档内容（{'；'.join(errors)}）"
                    ) from None
                if attempts > self.retries:
                    break
                continue
            except BaseException as exc:  # hang, crash, lost bridge, anything unexpected
                failure = exc if isinstance(exc, InstanceFailure) else InstanceFailure(RestartReason.CRASH, f"{type(exc).__name__}: {exc}")
                errors.append(f"实例 {inst.index}：{failure}")
                with self._cond:
                    hangs += failure.reason is RestartReason.HANG
                    log.warning("docgen converter: instance %d failed (%s: %s); restarting", inst.index, failure.reason, failure)
                    if not self._closed:
                        self._restart(inst, failure.reason, str(failure))
                if not isinstance(exc, Exception):
                    raise  # KeyboardInterrupt, SystemExit
                # a crash is the office's fault: retried; over the time limit twice is the document's
                if hangs >= 2 or attempts > self.retries:
                    break
                continue
            with self._cond:
                inst.jobs_done += 1
                self._release(inst)
            return pdf
        with self._cond:
            self._counts["failed_requests"] += 1
        raise ConverterUnavailable(f"PDF 转换失败（已重试 {attempts - 1} 次）：" + "；".join(errors))

    def _release(self, inst: Instance) -> None:
        """Give a busy instance back (caller holds the lock)."""
        inst.jobs += 1
        inst.large = False
        if self._closed:
            return
        if inst.jobs >= self.max_jobs:
            self._restart(inst, RestartReason.MAX_JOBS)
        else:
            inst.state = InstanceState.READY
            self._cond.notify_all()

    # -- reports ------------------------------------------------------------------
    def wait_ready(self, count: int | None = None, timeout: float = 120) -> bool:
        """Block until ``count`` instances (default: all) are ready; for tests and benchmarks."""
        self.start()
        want = self.size if count is None else count
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if sum(i.state == InstanceState.READY for i in self._instances) >= want:
                    return True
                if self._closed or self.soffice is None or (self._instances and all(i.state == InstanceState.DEAD for i in self._instances)):
                    return False
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.5))

    def status(self) -> dict[str, Any]:
        """Health for /healthz: state per instance, counts, restarts with reasons; no paths, no pids."""
        with self._cond:
            insts = [i.public() for i in self._instances]
            for inst in insts:
                inst["last_error"] = without_paths(inst["last_error"])
            counts = {str(s): sum(1 for i in self._instances if i.state == s) for s in InstanceState}
            reason = self._unavailable_reason()
            reasons: dict[str, int] = {}
            for inst in self._instances:
                for r, n in inst.restarts.items():
                    reasons[str(r)] = reasons.get(str(r), 0) + n
            usable = reason is None and not (self._instances and counts["dead"] == len(self._instances))
            if not usable:
                state = "down"
            elif counts["ready"] or counts["busy"]:
                state = "up"
            else:
                state = "starting"  # requests wait for the first instance
            return {
                "backend": "local",
                # usable: found, not closed, not every instance dead (starting and
                # restarting instances are fine: requests wait for them)
                "ok": usable,
                "state": state,
                "error": without_paths(reason or ""),
                "started": self._started,
                "closed": self._closed,
                "timeout": self.timeout,
                "max_jobs": self.max_jobs,
                "total": self.size,
                **counts,
                "waiting": len(self._waiting),
                "queue_limit": self.queue_limit,
                "limits": {"max_bytes": self.limits.max_bytes, "max_pages": self.limits.max_pages, "large_bytes": self.limits.large_bytes},
                "jobs_done": sum(i["jobs_done"] for i in insts),
                "restarts": sum(i["restarts"] for i in insts),
                "restart_reasons": reasons,
                "timeouts": sum(i["timeouts"] for i in insts),
                "crashes": sum(i["crashes"] for i in insts),
                "recycles": sum(i["recycles"] for i in insts),
                **self._counts,
                "first_ready_s": self._first_ready_s,
                "all_ready_s": self._all_ready_s,
                "instances": insts,
            }

    def process_ids(self) -> list[dict[str, Any]]:
        """Per instance, the worker's and the office's process ids (operators and tests; not for /healthz)."""
        with self._cond:
            return [i.process_ids() for i in self._instances]

    @property
    def work_folder(self) -> Path | None:
        """Where this pool's profiles and temporary files are (None before start)."""
        return self._base

    def close(self) -> None:
        """Kill every instance (no soffice left behind) and remove the work folder."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
            instances = list(self._instances)
        try:
            atexit.unregister(self.close)
        except Exception:  # noqa: BLE001 — at interpreter exit
            pass
        if os.getpid() != self._owner_pid:
            return  # a forked copy: the processes belong to the parent
        for inst in instances:
            inst.stop()
        for thread in list(self._threads):
            thread.join(timeout=15)
        for inst in instances:  # a start that raced with close
            inst.stop()
            inst.state = InstanceState.DEAD
        if self._base is not None:
            shutil.rmtree(self._base, ignore_errors=True)

    def __enter__(self) -> LocalPool:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
