"""The task queue: Huey, with its storage chosen by ``DOCGEN_QUEUE_URL``.

- ``sqlite:///path`` — Huey's SQLite storage, no server: the embedded
  default of ``docgen serve`` (``DATA_DIR/queue.sqlite3``), whose consumer
  process runs beside gunicorn.
- ``redis://host:port/db`` — Redis, for several machines: ``docgen serve``
  and ``docgen worker`` on each of them consume the same queue.
- empty (``create_app`` on its own: ``flask run``, the tests' app) — an
  in-memory queue consumed by threads of this process.

Every consumer also runs a watchdog: every ``WATCH_SECONDS`` it takes up
again the batches whose worker died (``batch.orphaned_batches``), so a batch
is resumed by the engine within seconds, not when somebody asks for it.
The tasks themselves are in ``docgen.tasks``.
"""

from __future__ import annotations

import logging
import threading
import weakref
from pathlib import Path
from typing import Any

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

from docgen.errors import ConfigError
from docgen.services import batch as batches
from docgen.services.office import Office

log = logging.getLogger(__name__)

QUEUE_NAME = "docgen"
WATCH_SECONDS = 2.0
# a worker thread asks an idle SQLite queue again after at most this long
POLL_SECONDS = 0.05


def default_url(settings: dict[str, Any]) -> str:
    """The embedded queue of a data folder (what ``docgen serve`` uses when no URL is set)."""
    return "sqlite:///" + str(Path(settings["DATA_DIR"]) / "queue.sqlite3")


def make_huey(url: str) -> Huey:
    """A Huey instance on the storage the URL names (empty: in memory, this process only)."""
    if not url:
        return MemoryHuey(QUEUE_NAME, results=False)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(QUEUE_NAME, filename=str(path), results=False, timeout=30)
    if is_shared(url):
        return RedisHuey(QUEUE_NAME, url=url, results=False, blocking=True, read_timeout=1)
    raise ConfigError(f"DOCGEN_QUEUE_URL 应为 sqlite:///文件路径 或 redis://主机:端口/库号，现为 {url!r}")


def is_shared(url: str) -> bool:
    """A queue that workers of several machines take from (Redis); the SQLite queue serves one machine."""
    return url.startswith(("redis://", "rediss://", "unix://"))


class TaskQueue:
    """One Office's queue: the Huey instance and docgen's tasks on it."""

    def __init__(self, office: Office, url: str) -> None:
        from docgen import tasks

        self.office = office
        self.url = url
        self.huey = make_huey(url)
        self.tasks = tasks.register(self.huey, office)
        self._stop = threading.Event()

    def start_batch(self, batch_id: str) -> None:
        """Queue a batch's first step."""
        self.tasks.start_batch(batch_id)

    def waiting_batches(self) -> set[str]:
        """Ids of the batches that have a task waiting in the queue (now or scheduled)."""
        ids = set()
        for task in [*self.huey.pending(), *self.huey.scheduled()]:
            if task.args:
                ids.add(str(task.args[0]))
        return ids

    def watch_once(self) -> list[str]:
        """Take up the batches whose worker died; their ids."""
        taken = batches.orphaned_batches(self.office, self.waiting_batches())
        for batch_id in taken:
            self.start_batch(batch_id)
        return taken

    def watch(self) -> None:
        """The watchdog loop (in a thread of every consumer)."""
        while not self._stop.wait(WATCH_SECONDS):
            try:
                self.watch_once()
            except Exception:  # the database or the queue is busy or away: next time
                log.exception("docgen queue: watchdog round failed")

    def consumer(self, workers: int) -> Consumer:
        return self.huey.create_consumer(
            workers=workers, worker_type="thread", periodic=False,
            initial_delay=POLL_SECONDS / 4, backoff=1.5, max_delay=POLL_SECONDS, check_worker_health=True,
        )

    def run_consumer(self, workers: int) -> None:
        """Consume in this process until it is stopped (``docgen worker``): SIGINT stops it gracefully."""
        threading.Thread(target=self.watch, name="docgen-queue-watchdog", daemon=True).start()
        log.info("docgen worker %s: %d threads on %s", batches.worker_name(), workers, _safe(self.url))
        try:
            self.consumer(workers).run()
        finally:
            self._stop.set()

    def start_embedded(self, workers: int) -> None:
        """Consume with threads of this process (the in-memory queue of a lone app)."""
        consumer = _ThreadConsumer(
            self.huey, workers=workers, worker_type="thread", periodic=False,
            initial_delay=POLL_SECONDS / 4, backoff=1.5, max_delay=POLL_SECONDS,
        )
        consumer.start()
        threading.Thread(target=self.watch, name="docgen-queue-watchdog", daemon=True).start()


class _ThreadConsumer(Consumer):
    """A consumer started inside an application: the application keeps its own signal handlers."""

    def _set_signal_handlers(self) -> None:
        pass


def workers_for(settings: dict[str, Any]) -> int:
    """Worker threads of a consumer: ``QUEUE_WORKERS``, else one per LibreOffice instance and one more."""
    return int(settings.get("QUEUE_WORKERS") or 0) or int(settings.get("CONVERTER_INSTANCES") or 1) + 1


_queues: weakref.WeakKeyDictionary[Office, TaskQueue] = weakref.WeakKeyDictionary()
_queues_lock = threading.Lock()


def for_office(office: Office) -> TaskQueue:
    """The queue an Office puts its tasks on (one per Office; consumed here when it is in memory)."""
    with _queues_lock:
        queue = _queues.get(office)
        if queue is None:
            url = office.settings.get("QUEUE_URL") or ""
            queue = TaskQueue(office, url)
            if not url:
                queue.start_embedded(workers_for(office.settings))
            _queues[office] = queue
        return queue


def _safe(url: str) -> str:
    """The URL without a password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://…@{rest.rsplit('@', 1)[1]}"
    return url
