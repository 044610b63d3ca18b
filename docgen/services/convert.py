"""DOCX → PDF: the one PDF converter of docgen.

A :class:`LocalPool` keeps N LibreOffice instances warm, so no request pays
LibreOffice's start-up. Each instance is a small worker process run under the
Python that has the ``uno`` module (Debian's ``python3-uno`` belongs to
``/usr/bin/python3``, not to the virtualenv). The worker starts its own
``soffice --headless`` with its own user profile, listening on a private UNO
pipe (no TCP ports), keeps the UNO connection open and converts documents on
request. The pool talks to each worker over the worker's stdin/stdout (one JSON
line per request; the DOCX and the PDF travel as files in the instance's work
dir). The worker script is written to the work dir at start
(:data:`_WORKER_SOURCE`), so nothing outside this module is needed. (unoserver
was measured as the alternative: its server sleeps a fixed 5 s before it
listens and needs two TCP ports per instance; this worker is warm in ~1 s and
converts as fast.)

Robustness (``tests/test_convert.py`` proves each case):

* a conversion over the time limit: the instance is killed (its whole process
  group: worker, oosplash, soffice.bin) and restarted in the background; the
  request is retried once on another instance, then ``ConverterUnavailable``;
* soffice crashing (even SIGKILL from outside) is noticed — at once for the
  request in flight, within ~0.2 s for an idle instance, and always before an
  instance is handed a request — the instance is restarted and the request in
  flight retried (up to ``retries`` = 3 times) on a ready instance, waiting for
  one (a restarted one is fine) until the request's deadline, so the caller
  gets its PDF. Every sign of a dead office counts as a crash, never as a bad
  document: a disposed URP bridge, a RuntimeException about the connection, a
  closed worker pipe, a process gone (a SIGKILLed soffice closes its pipe a
  moment before it shows as dead, so the worker also checks the bridge);
* a document that fails on two attempts while LibreOffice is fine is reported
  at once (``ConverterUnavailable`` saying so), not retried further;
* an instance is recycled (gracefully restarted) after ``max_jobs`` conversions;
* every PDF is checked before it is returned (``%PDF-`` header, ``%%EOF``
  trailer, size > 1 KB, pypdf reads ≥ 1 page);
* no ``soffice`` or no ``uno`` → ``ConverterUnavailable`` at once, no hang.

Several web worker processes share one pool: :func:`run_pool_process` starts
``python -m docgen.services.convert serve`` in the background (``docgen serve``
does it once, before the web workers), :func:`serve_pool` exposes a pool on a
unix socket (or 127.0.0.1:port) with a tiny length-prefixed protocol, and
:class:`RemoteConverter` is the client the web workers use. :func:`get_converter`
is the factory the app calls.

LibreOffice runs with ``FONTCONFIG_FILE=docgen/fonts/fonts.conf``, which maps
the font names of official templates (仿宋_GB2312, 方正小标宋简体, 黑体,
楷体_GB2312, 宋体 …) to the installed Simplified Chinese faces.
"""

from __future__ import annotations

import argparse
import atexit
import io
import json
import logging
import os
import re
import select
import shutil
import signal
import socket
import socketserver
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from docgen.errors import ConverterUnavailable, DocgenError
from docgen.services.offline_office import keep_office_offline

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent.parent
FONTS_CONF = PACKAGE_DIR / "fonts" / "fonts.conf"

#: interpreters that usually have the ``uno`` module (Debian: python3-uno)
UNO_PYTHON_CANDIDATES = ("/usr/bin/python3", "/usr/lib/libreoffice/program/python")
#: where soffice usually is, after $PATH
SOFFICE_CANDIDATES = (
    "/usr/lib/libreoffice/program/soffice",
    "/opt/libreoffice/program/soffice",
    "/usr/local/bin/soffice",
)

MIN_PDF_BYTES = 1024
START_ATTEMPTS = 3  # consecutive failed starts before an instance is "dead"
REVIVE_AFTER = 30.0  # seconds after which a dead instance is tried again on demand
#: a conversion error with any of these came from a dead office, not from the
#: document: the instance is restarted and the request retried elsewhere
_DEAD_OFFICE = re.compile(
    r"DisposedException|BridgeException|NoConnectException|ConnectionSetupException"
    r"|URP bridge|bridge (?:already )?disposed|disposed during call"
    r"|broken pipe|connection (?:lost|closed|reset|refused)",
    re.I,
)


# --------------------------------------------------------------------------- #
# The interface
# --------------------------------------------------------------------------- #


@runtime_checkable
class Converter(Protocol):
    """What the app needs from a PDF converter; other backends can be swapped in."""

    def to_pdf(self, docx: bytes) -> bytes:
        """Convert one DOCX (bytes) into a checked PDF (bytes); thread-safe."""
        ...

    def status(self) -> dict[str, Any]:
        """A JSON-able health report (for /healthz); never raises."""
        ...

    def close(self) -> None:
        """Release everything (processes, sockets)."""
        ...


# --------------------------------------------------------------------------- #
# Output check
# --------------------------------------------------------------------------- #


def check_pdf(data: bytes) -> int:
    """Return the page count of ``data`` or raise ``ValueError`` saying what is wrong."""
    if not data.startswith(b"%PDF-"):
        raise ValueError("输出不是 PDF（缺少 %PDF- 文件头）")
    if b"%%EOF" not in data[-2048:]:
        raise ValueError("PDF 不完整（结尾缺少 %%EOF）")
    if len(data) <= MIN_PDF_BYTES:
        raise ValueError(f"PDF 过小（{len(data)} 字节），不可信")
    try:
        from pypdf import PdfReader

        pages = len(PdfReader(io.BytesIO(data)).pages)
    except Exception as exc:  # pypdf raises many kinds
        raise ValueError(f"PDF 无法解析：{exc}") from exc
    if pages < 1:
        raise ValueError("PDF 没有页面")
    return pages


# --------------------------------------------------------------------------- #
# The worker: runs under the Python that has ``uno`` (not this virtualenv)
# --------------------------------------------------------------------------- #

_WORKER_SOURCE = r'''
"""docgen LibreOffice worker (written by docgen.services.convert; do not edit).

Runs under the Python that has ``uno``. Starts soffice on a private UNO pipe,
converts on request. Protocol: one JSON object per line on stdin → one JSON
object per line on the original stdout.
"""
import json, os, signal, subprocess, sys, threading, time, zipfile

CFG = json.loads(sys.argv[1])
_proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)  # whatever else writes to stdout ends up in the log
_send_lock = threading.Lock()


def send(obj):
    with _send_lock:
        _proto.write(json.dumps(obj, ensure_ascii=False) + "\n")
        _proto.flush()


try:
    import uno
    from com.sun.star.beans import PropertyValue
    from com.sun.star.connection import NoConnectException
except Exception as exc:  # no python3-uno for this interpreter
    send({"ready": False, "fatal": True,
          "error": "%s 不能导入 uno 模块（请安装 python3-uno）：%s" % (sys.executable, exc)})
    sys.exit(2)

office = None
office_bin_pid = None
_dying = False


def pv(name, value):
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


def child_pids(ppid):
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as fh:
                stat = fh.read()
            if int(stat[stat.rindex(b")") + 2:].split()[1]) == ppid:
                out.append(int(name))
        except (OSError, ValueError, IndexError):
            pass
    return out


def kill_office():
    if office_bin_pid:
        try:
            if os.getpgid(office_bin_pid) == os.getpgid(0):  # still ours
                os.kill(office_bin_pid, signal.SIGKILL)
        except OSError:
            pass
    if office is not None and office.returncode is None:
        try:
            office.kill()
        except OSError:
            pass


def die(code):
    global _dying
    _dying = True
    kill_office()
    try:
        if office is not None:
            office.wait(2)
    except Exception:
        pass
    os._exit(code)


def watch_office():
    # oosplash exits when soffice.bin dies (crash, SIGKILL, terminate)
    office.wait()
    if not _dying:
        sys.stderr.write("worker: soffice exited with %s\n" % office.returncode)
        sys.stderr.flush()
        die(3)


def watch_parent(ppid):
    # the pool process died without closing us: do not leave soffice behind
    while True:
        time.sleep(1.0)
        if os.getppid() != ppid:
            die(5)


def office_alive():
    if office is None or office.poll() is not None:
        return False
    if office_bin_pid:
        try:
            with open("/proc/%d/stat" % office_bin_pid, "rb") as fh:
                stat = fh.read()
            return stat[stat.rindex(b")") + 2:][:1] not in (b"Z", b"X")
        except OSError:
            return False
    return True


# what a call on a dead office raises: the bridge is gone, whatever else it says
_DEAD_BRIDGE = ("DisposedException", "BridgeException", "NoConnectException",
                "ConnectionSetupException")
_DEAD_WORDS = ("dispos", "bridge", "connection", "broken pipe")


def office_dead(exc, desktop):
    """True when ``exc`` (raised by a conversion) means the office is gone.

    Not only ``office_alive()``: when soffice.bin is SIGKILLed its pipe closes
    (and the call fails) a moment before the kernel shows it as a zombie and
    before oosplash exits, so on a loaded machine the process still looks
    alive. So: a disposed bridge or a RuntimeException about the connection is
    fatal by itself, and any other error is followed by one round trip to the
    office, which fails at once on a disposed bridge.
    """
    name = type(exc).__name__
    text = str(exc).lower()
    if any(k in name for k in _DEAD_BRIDGE):
        return True
    if "RuntimeException" in name and any(w in text for w in _DEAD_WORDS):
        return True
    if not office_alive():
        return True
    try:
        desktop.getComponents().hasElements()  # one call over the bridge
    except Exception:
        return True
    return not office_alive()


def start_office():
    global office, office_bin_pid
    profile = CFG["profile"]
    lock = os.path.join(profile, ".lock")
    if os.path.exists(lock):
        os.unlink(lock)
    cmd = [
        CFG["soffice"], "--headless", "--invisible", "--nocrashreport", "--nodefault",
        "--nologo", "--nofirststartwizard", "--norestore", "--nolockcheck",
        "-env:UserInstallation=" + uno.systemPathToFileUrl(profile),
        "--accept=pipe,name=%s;urp;StarOffice.ComponentContext" % CFG["pipe"],
    ]
    office = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=2, stderr=2,
                              close_fds=True, cwd=CFG["tmp"])
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    url = "uno:pipe,name=%s;urp;StarOffice.ComponentContext" % CFG["pipe"]
    deadline = time.monotonic() + CFG["start_timeout"]
    while True:
        if office.poll() is not None:
            raise RuntimeError("soffice 启动后立即退出（退出码 %s）" % office.returncode)
        try:
            ctx = resolver.resolve(url)
            break
        except NoConnectException:
            if time.monotonic() > deadline:
                raise RuntimeError("soffice 在 %s 秒内没有就绪" % CFG["start_timeout"])
            time.sleep(0.05)
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    for _ in range(100):
        kids = child_pids(office.pid)
        if kids:
            office_bin_pid = kids[0]
            break
        time.sleep(0.02)
    else:
        office_bin_pid = office.pid  # soffice started without oosplash
    return desktop


LOAD_PROPS = None


def convert(desktop, src, dst):
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0, LOAD_PROPS)
    if doc is None:
        raise RuntimeError("LibreOffice 无法打开该文档")
    try:
        try:
            indexes = doc.getDocumentIndexes()
        except AttributeError:
            indexes = None
        if indexes is not None:
            for i in range(indexes.getCount()):
                indexes.getByIndex(i).update()
        doc.storeToURL(uno.systemPathToFileUrl(dst), (pv("FilterName", "writer_pdf_Export"),))
    finally:
        try:
            doc.close(True)
        except Exception:
            try:
                doc.dispose()
            except Exception:
                pass


WARMUP_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    + "".join(
        '<w:p><w:r><w:rPr><w:rFonts w:ascii="%s" w:eastAsia="%s" w:hAnsi="%s"/>'
        '<w:lang w:eastAsia="zh-CN"/></w:rPr><w:t>预热 %s 文字 2024</w:t></w:r></w:p>' % (f, f, f, f)
        for f in ("仿宋_GB2312", "方正小标宋简体", "黑体", "楷体_GB2312", "宋体")
    )
    + "</w:body></w:document>"
)


def warm_up(desktop):
    src = os.path.join(CFG["tmp"], "warmup.docx")
    dst = os.path.join(CFG["tmp"], "warmup.pdf")
    with zipfile.ZipFile(src, "w") as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        z.writestr("word/document.xml", WARMUP_XML)
    convert(desktop, src, dst)
    for p in (src, dst):
        try:
            os.unlink(p)
        except OSError:
            pass


def main():
    global LOAD_PROPS, _dying
    t0 = time.monotonic()
    ppid = os.getppid()
    threading.Thread(target=watch_parent, args=(ppid,), daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *a: die(0))
    LOAD_PROPS = (
        pv("Hidden", True),
        pv("ReadOnly", True),
        pv("UpdateDocMode", 0),        # NO_UPDATE: never fetch linked content
        pv("MacroExecutionMode", 0),   # NEVER_EXECUTE
    )
    try:
        desktop = start_office()
        threading.Thread(target=watch_office, daemon=True).start()
        warm_up(desktop)
    except Exception as exc:
        send({"ready": False, "error": "%s: %s" % (type(exc).__name__, exc)})
        die(4)
    send({"ready": True, "pid": office_bin_pid, "office_pid": office.pid,
          "startup_ms": round((time.monotonic() - t0) * 1000)})
    for line in sys.stdin:
        try:
            req = json.loads(line)
        except ValueError:
            send({"ok": False, "error": "bad request"})
            continue
        op = req.get("op")
        if op == "convert":
            t = time.monotonic()
            try:
                convert(desktop, req["in"], req["out"])
            except Exception as exc:
                dead = office_dead(exc, desktop)
                send({"ok": False, "fatal": dead,
                      "error": "%s: %s" % (type(exc).__name__, str(exc)[:500])})
                if dead:
                    die(3)
            else:
                send({"ok": True, "ms": round((time.monotonic() - t) * 1000)})
        elif op == "ping":
            send({"ok": office_alive()})
        elif op == "quit":
            _dying = True
            try:
                desktop.terminate()
            except Exception:
                pass
            try:
                office.wait(5)
            except Exception:
                pass
            die(0)
        else:
            send({"ok": False, "error": "unknown op %r" % op})
    die(0)  # stdin closed: the pool is gone


main()
'''


# --------------------------------------------------------------------------- #
# Local pool
# --------------------------------------------------------------------------- #


class _InstanceFailure(Exception):
    """The instance is broken (timeout, crash, protocol): kill and restart it."""


class _Timeout(_InstanceFailure):
    pass


class _ConversionError(Exception):
    """The instance is fine but this conversion failed (bad document, bad output)."""


class _StartError(Exception):
    def __init__(self, message: str, fatal: bool = False):
        super().__init__(message)
        self.fatal = fatal


def _find_soffice(soffice: str | None) -> str | None:
    if soffice:
        path = shutil.which(soffice) if os.sep not in soffice else soffice
        return path if path and os.path.isfile(path) and os.access(path, os.X_OK) else None
    for name in ("soffice", "libreoffice"):
        path = shutil.which(name)
        if path:
            return path
    for path in SOFFICE_CANDIDATES:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def _find_uno_python(python: str | None) -> str:
    if python:
        return python
    try:
        import importlib.util

        if importlib.util.find_spec("uno") is not None:
            return sys.executable
    except (ImportError, ValueError):
        pass
    for path in UNO_PYTHON_CANDIDATES:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return "/usr/bin/python3"


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
        return stat[stat.rindex(b")") + 2 :][:1] not in (b"Z", b"X")
    except (OSError, ValueError):
        return False


def _group_members(pgid: int) -> list[tuple[int, int, bool]]:
    """(pid, ppid, is_zombie) of the processes in process group ``pgid``."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
            fields = stat[stat.rindex(b")") + 2 :].split()
            if int(fields[2]) == pgid:
                out.append((int(name), int(fields[1]), fields[0] in (b"Z", b"X")))
        except (OSError, ValueError, IndexError):
            pass
    return out


class _Instance:
    """One LibreOffice instance: a worker process and its soffice."""

    def __init__(self, index: int, base: Path):
        self.index = index
        self.state = "starting"
        self.proc: subprocess.Popen | None = None
        self.pid: int | None = None  # soffice.bin
        self.office_pid: int | None = None  # oosplash
        self.jobs = 0  # since the last (re)start
        self.jobs_done = 0
        self.restarts = 0
        self.timeouts = 0
        self.crashes = 0
        self.recycles = 0
        self.start_failures = 0
        self.last_error = ""
        self.startup_ms: int | None = None
        self.ready_at: float | None = None
        self.dead_since: float | None = None
        self.generation = 0
        self.was_ready = False
        self.profile = base / f"profile-{index}"
        self.tmp = base / f"tmp-{index}"
        self.logfile = base / f"instance-{index}.log"
        self._rbuf = b""
        self._seq = 0

    # -- I/O with the worker (only the thread that owns the instance) -- #

    def send(self, obj: dict) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write((json.dumps(obj, ensure_ascii=False) + "\n").encode())
            self.proc.stdin.flush()
        except (OSError, ValueError) as exc:
            raise _InstanceFailure(f"LibreOffice 进程已退出（{exc}）") from exc

    def recv(self, deadline: float) -> dict:
        assert self.proc is not None and self.proc.stdout is not None
        try:
            fd = self.proc.stdout.fileno()
            poller = select.poll()  # not select(): fds above 1024 are fine
            poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        except (OSError, ValueError) as exc:
            raise _InstanceFailure(f"LibreOffice 进程已退出（{exc}）") from exc
        while b"\n" not in self._rbuf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Timeout("超时")
            try:
                if not poller.poll(max(1, int(remaining * 1000))):
                    continue
                chunk = os.read(fd, 65536)
            except (OSError, ValueError) as exc:
                raise _InstanceFailure(f"LibreOffice 进程已退出（{exc}）") from exc
            if not chunk:
                raise _InstanceFailure("LibreOffice 进程意外退出")
            self._rbuf += chunk
        line, _, self._rbuf = self._rbuf.partition(b"\n")
        try:
            return json.loads(line)
        except ValueError as exc:
            raise _InstanceFailure(f"LibreOffice 工作进程返回了无法解析的内容：{line[:200]!r}") from exc

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "state": self.state,
            "pid": self.pid,
            "worker_pid": self.proc.pid if self.proc else None,
            "jobs": self.jobs,
            "jobs_done": self.jobs_done,
            "restarts": self.restarts,
            "timeouts": self.timeouts,
            "crashes": self.crashes,
            "recycles": self.recycles,
            "startup_ms": self.startup_ms,
            "uptime_s": round(time.monotonic() - self.ready_at, 1) if self.ready_at else None,
            "last_error": self.last_error,
        }


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
    ):
        self.size = max(1, int(instances or os.cpu_count() or 1))
        self.timeout = float(timeout)
        self.max_jobs = max(1, int(max_jobs))
        self.start_timeout = float(start_timeout)
        self.queue_timeout = float(queue_timeout)
        self.retries = max(0, int(retries))
        self.soffice = _find_soffice(soffice)
        self._soffice_wanted = soffice or "soffice"
        self.python = _find_uno_python(python)
        self.fonts_conf = Path(fonts_conf) if fonts_conf else FONTS_CONF
        self._work_root = Path(work_dir) if work_dir else Path(tempfile.gettempdir()) / "docgen-converter"
        self._base: Path | None = None
        self._cond = threading.Condition()
        self._instances: list[_Instance] = []
        self._started = False
        self._closed = False
        self._waiting = 0
        self._failed_requests = 0
        self._retried_requests = 0
        self._threads: set[threading.Thread] = set()
        self._monitor: threading.Thread | None = None
        self._created = time.monotonic()
        self._first_ready_s: float | None = None
        self._all_ready_s: float | None = None
        self._owner_pid = os.getpid()
        atexit.register(self.close)

    @property
    def closed(self) -> bool:
        return self._closed

    # ------------------------------------------------------------------ #

    def _unavailable_reason(self) -> str | None:
        if self._closed:
            return "PDF 转换器已关闭"
        if self.soffice is None:
            return (
                f"PDF 转换不可用：找不到 LibreOffice（{self._soffice_wanted}）。"
                "请安装 libreoffice-writer（Debian 软件包），或正确配置 soffice 路径。"
            )
        return None

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
            self._worker_script = self._base / "uno_worker.py"
            self._worker_script.write_text(_WORKER_SOURCE, encoding="utf-8")
            self._created = time.monotonic()
            for i in range(self.size):
                inst = _Instance(i, self._base)
                inst.profile.mkdir(parents=True, exist_ok=True)
                inst.tmp.mkdir(parents=True, exist_ok=True)
                self._instances.append(inst)
                self._spawn_thread(self._start_instance, inst)
            self._monitor = threading.Thread(target=self._monitor_loop, name="docgen-pool-monitor", daemon=True)
            self._monitor.start()
        return self

    def _clean_stale_runs(self) -> None:
        """Remove the work dirs of pools whose process is gone."""
        for d in self._work_root.glob("pool-*-*"):
            try:
                pid = int(d.name.split("-")[1])
            except (IndexError, ValueError):
                continue
            if pid != os.getpid() and not _pid_alive(pid):
                shutil.rmtree(d, ignore_errors=True)

    def _spawn_thread(self, target, *args) -> None:
        t = threading.Thread(target=self._run_thread, args=(target, *args), daemon=True, name="docgen-pool-start")
        self._threads.add(t)
        t.start()

    def _run_thread(self, target, *args) -> None:
        try:
            target(*args)
        except Exception:  # never let a background thread die silently
            log.exception("docgen converter: background task failed")
        finally:
            self._threads.discard(threading.current_thread())

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        for key in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV"):
            env.pop(key, None)
        if self.fonts_conf.is_file():
            env["FONTCONFIG_FILE"] = str(self.fonts_conf)
        env.setdefault("LANG", "C.UTF-8")
        env["SAL_USE_VCLPLUGIN"] = "svp"
        return env

    def _spawn_worker(self, inst: _Instance) -> None:
        """Start the worker process and wait until its soffice is warm."""
        keep_office_offline(inst.profile)
        cfg = {
            "soffice": self.soffice,
            "profile": str(inst.profile),
            "tmp": str(inst.tmp),
            "pipe": f"docgen_{os.getpid()}_{id(self):x}_{inst.index}_{inst.generation}",
            "start_timeout": self.start_timeout,
        }
        logfh = open(inst.logfile, "ab")
        if logfh.tell() > 1_000_000:
            logfh.truncate(0)
        try:
            with self._cond:
                if self._closed:
                    raise _StartError("PDF 转换器已关闭", fatal=True)
                env = self._env()
                env["TMPDIR"] = str(inst.tmp)  # LibreOffice's own temp files
                try:
                    proc = subprocess.Popen(
                        [self.python, "-I", str(self._worker_script), json.dumps(cfg)],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        stderr=logfh,
                        bufsize=0,
                        close_fds=True,
                        start_new_session=True,  # own process group: killpg gets soffice too
                        cwd=str(inst.tmp),
                        env=env,
                    )
                except OSError as exc:
                    raise _StartError(f"无法启动 {self.python}：{exc}", fatal=True) from exc
                inst.proc = proc
                inst._rbuf = b""
        finally:
            logfh.close()
        try:
            msg = inst.recv(time.monotonic() + self.start_timeout + 10)
        except _InstanceFailure as exc:
            raise _StartError(f"LibreOffice 启动失败：{exc}（详见 {inst.logfile}）") from exc
        if not msg.get("ready"):
            raise _StartError(f"LibreOffice 启动失败：{msg.get('error')}", fatal=bool(msg.get("fatal")))
        inst.pid = msg.get("pid")
        inst.office_pid = msg.get("office_pid")
        inst.startup_ms = msg.get("startup_ms")

    def _start_instance(self, inst: _Instance) -> None:
        while True:
            try:
                self._spawn_worker(inst)
            except _StartError as exc:
                self._kill(inst)
                with self._cond:
                    if self._closed:
                        return
                    inst.start_failures += 1
                    inst.last_error = str(exc)
                    log.warning("docgen converter: instance %d failed to start: %s", inst.index, exc)
                    if exc.fatal or inst.start_failures >= START_ATTEMPTS:
                        inst.state = "dead"
                        inst.dead_since = time.monotonic()
                        self._cond.notify_all()
                        return
                # a broken profile is a common cause: start the next try afresh
                shutil.rmtree(inst.profile, ignore_errors=True)
                inst.profile.mkdir(parents=True, exist_ok=True)
                time.sleep(0.5 * inst.start_failures)
                continue
            with self._cond:
                closed = self._closed
                if not closed:
                    inst.state = "ready"
                    inst.jobs = 0
                    inst.start_failures = 0
                    inst.ready_at = time.monotonic()
                    now = time.monotonic() - self._created
                    if self._first_ready_s is None:
                        self._first_ready_s = round(now, 3)
                    inst.was_ready = True
                    if self._all_ready_s is None and all(i.was_ready for i in self._instances):
                        self._all_ready_s = round(now, 3)
                    self._cond.notify_all()
            if closed:  # closed while it started: do not leave it running
                self._kill(inst)
            return

    def _kill(self, inst: _Instance, graceful: bool = False) -> None:
        """Stop the worker and everything in its process group.

        soffice.bin is killed first so that its parent (oosplash) reaps it and
        exits, and the worker reaps oosplash and exits: no orphan, no zombie.
        Then the whole process group gets SIGKILL, whatever is left of it.
        """
        proc = inst.proc
        if proc is None:
            return
        if graceful and proc.poll() is None:
            try:
                proc.stdin.write(b'{"op": "quit"}\n')
                proc.stdin.flush()
                proc.wait(timeout=5)
            except Exception:
                pass
        # leaves first (soffice.bin, then oosplash), so each is reaped by its parent
        for _ in range(4):
            members = _group_members(proc.pid)
            parents = {ppid for _, ppid, _ in members}
            leaves = [pid for pid, _, zombie in members if pid != proc.pid and pid not in parents and not zombie]
            if not leaves:
                break
            for pid in leaves:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline and any(os.path.exists(f"/proc/{p}") for p in leaves):
                time.sleep(0.01)
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # worker, oosplash, soffice.bin
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for fh in (proc.stdin, proc.stdout):
            try:
                if fh:
                    fh.close()
            except OSError:
                pass

    def _restart(self, inst: _Instance, reason: str, graceful: bool = False) -> None:
        """Mark ``inst`` restarting (caller holds the lock) and restart it in the background."""
        inst.state = "restarting"
        inst.restarts += 1
        inst.generation += 1
        inst.ready_at = None
        if reason:
            inst.last_error = reason
        self._cond.notify_all()

        def job():
            self._kill(inst, graceful=graceful)
            with self._cond:
                if self._closed:
                    return
            self._start_instance(inst)

        self._spawn_thread(job)

    def _monitor_loop(self) -> None:
        """Notice idle instances whose soffice died; revive dead ones now and then."""
        while True:
            with self._cond:
                if self._closed:
                    return
                for inst in self._instances:
                    if inst.state == "ready" and not self._instance_alive(inst):
                        self._died_idle(inst)
                self._cond.wait(0.2)

    @staticmethod
    def _instance_alive(inst: _Instance) -> bool:
        """The worker, oosplash and soffice.bin of ``inst`` are all still running."""
        if inst.proc is None or inst.proc.poll() is not None:
            return False
        return all(_pid_alive(pid) for pid in (inst.pid, inst.office_pid) if pid)

    def _died_idle(self, inst: _Instance) -> None:
        """A ready instance whose soffice is gone: restart it (caller holds the lock)."""
        inst.crashes += 1
        log.warning("docgen converter: instance %d (pid %s) died while idle", inst.index, inst.pid)
        self._restart(inst, "LibreOffice 进程在空闲时退出，已重启")

    # ------------------------------------------------------------------ #

    def _acquire(self, tried: set[int], deadline: float) -> _Instance:
        with self._cond:
            self._waiting += 1
            try:
                while True:
                    reason = self._unavailable_reason()
                    if reason:
                        raise ConverterUnavailable(reason)
                    ready = []
                    for inst in self._instances:
                        if inst.state != "ready":
                            continue
                        if self._instance_alive(inst):
                            ready.append(inst)
                        else:  # died since the monitor last looked: never send it work
                            self._died_idle(inst)
                    if ready:
                        inst = min(ready, key=lambda i: (i.index in tried, i.jobs))
                        inst.state = "busy"
                        return inst
                    if self._instances and all(i.state == "dead" for i in self._instances):
                        now = time.monotonic()
                        revived = False
                        for inst in self._instances:
                            if inst.dead_since is not None and now - inst.dead_since > REVIVE_AFTER:
                                inst.start_failures = 0
                                inst.dead_since = None
                                self._restart(inst, "")
                                revived = True
                        if not revived:
                            errors = "；".join(sorted({i.last_error for i in self._instances if i.last_error}))
                            raise ConverterUnavailable(f"PDF 转换不可用：LibreOffice 无法启动。{errors}")
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise ConverterUnavailable("PDF 转换繁忙：等待空闲的 LibreOffice 实例超时，请稍后再试")
                    self._cond.wait(min(remaining, 0.5))
            finally:
                self._waiting -= 1

    def _convert_on(self, inst: _Instance, docx: bytes) -> bytes:
        inst._seq += 1
        src = inst.tmp / f"job-{inst._seq}.docx"
        dst = inst.tmp / f"job-{inst._seq}.pdf"
        try:
            src.write_bytes(docx)
            inst.send({"op": "convert", "in": str(src), "out": str(dst)})
            try:
                reply = inst.recv(time.monotonic() + self.timeout)
            except _Timeout:
                raise _Timeout(f"转换超过 {self.timeout:g} 秒未完成") from None
            if not reply.get("ok"):
                error = str(reply.get("error"))
                # the worker says whether its office is dead; a lost bridge or a
                # process that is gone by now is an instance failure whatever it said
                if reply.get("fatal") or _DEAD_OFFICE.search(error) or not self._instance_alive(inst):
                    raise _InstanceFailure(f"LibreOffice 在转换中崩溃：{error}")
                raise _ConversionError(f"LibreOffice 转换失败：{error}")
            try:
                pdf = dst.read_bytes()
                check_pdf(pdf)
            except (OSError, ValueError) as exc:
                if not self._instance_alive(inst):
                    raise _InstanceFailure(f"LibreOffice 在转换中崩溃：{exc}") from exc
                if isinstance(exc, OSError):
                    raise _ConversionError(f"LibreOffice 没有生成 PDF：{exc}") from exc
                raise _ConversionError(str(exc)) from exc
            return pdf
        finally:
            for p in (src, dst):
                try:
                    p.unlink()
                except OSError:
                    pass

    def to_pdf(self, docx: bytes) -> bytes:
        """Convert DOCX bytes to checked PDF bytes (blocks until an instance is free)."""
        reason = self._unavailable_reason()
        if reason:
            raise ConverterUnavailable(reason)
        if not docx:
            raise ConverterUnavailable("PDF 转换失败：文档内容为空")
        if not self._started:
            self.start()
        deadline = time.monotonic() + self.queue_timeout
        tried: set[int] = set()
        errors: list[str] = []
        attempts = bad = timeouts = 0
        while True:
            # only a ready instance whose processes are alive; a crashed one is
            # restarting and comes back ready (waits at most until the deadline)
            inst = self._acquire(tried, deadline)
            tried.add(inst.index)
            if attempts:
                with self._cond:
                    self._retried_requests += 1
            attempts += 1
            try:
                pdf = self._convert_on(inst, bytes(docx))
            except _ConversionError as exc:
                # the office is alive and said no: the document, most likely
                errors.append(f"实例 {inst.index}：{exc}")
                bad += 1
                with self._cond:
                    inst.last_error = str(exc)
                    self._release(inst)
                if bad >= 2:  # failed the same way on a second healthy attempt: fail fast
                    with self._cond:
                        self._failed_requests += 1
                    raise ConverterUnavailable(
                        f"PDF 转换失败：该文档在 LibreOffice 正常运行时两次转换均失败，请检查文档内容（{'；'.join(errors)}）"
                    ) from None
                if attempts > self.retries:
                    break
                continue
            except BaseException as exc:  # timeout, crash, anything unexpected
                if not isinstance(exc, _InstanceFailure):
                    exc = _InstanceFailure(f"{type(exc).__name__}: {exc}")
                errors.append(f"实例 {inst.index}：{exc}")
                with self._cond:
                    if isinstance(exc, _Timeout):
                        inst.timeouts += 1
                        timeouts += 1
                    else:
                        inst.crashes += 1
                    log.warning("docgen converter: instance %d failed (%s); restarting", inst.index, exc)
                    if not self._closed:
                        self._restart(inst, str(exc))
                if not isinstance(sys.exc_info()[1], Exception):
                    raise  # KeyboardInterrupt, SystemExit
                # a crash is the office's fault: retried (up to ``retries`` times);
                # over the time limit twice is the document's: given up
                if timeouts >= 2 or attempts > self.retries:
                    break
                continue
            with self._cond:
                inst.jobs_done += 1
                self._release(inst)
            return pdf
        with self._cond:
            self._failed_requests += 1
        raise ConverterUnavailable(f"PDF 转换失败（已重试 {attempts - 1} 次）：" + "；".join(errors))

    def _release(self, inst: _Instance) -> None:
        """Give a busy instance back (caller holds the lock)."""
        inst.jobs += 1
        if self._closed:
            return
        if inst.jobs >= self.max_jobs:
            inst.recycles += 1
            self._restart(inst, "", graceful=True)
        else:
            inst.state = "ready"
            self._cond.notify_all()

    # ------------------------------------------------------------------ #

    def wait_ready(self, count: int | None = None, timeout: float = 120) -> bool:
        """Block until ``count`` instances (default: all) are ready; for tests and benchmarks."""
        self.start()
        want = self.size if count is None else count
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if sum(i.state == "ready" for i in self._instances) >= want:
                    return True
                if self._closed or self.soffice is None:
                    return False
                if all(i.state == "dead" for i in self._instances):
                    return False
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.5))

    def status(self) -> dict[str, Any]:
        with self._cond:
            insts = [i.as_dict() for i in self._instances]
            counts = {s: sum(1 for i in self._instances if i.state == s) for s in ("starting", "ready", "busy", "restarting", "dead")}
            reason = self._unavailable_reason()
            return {
                "backend": "local",
                # usable: found, not closed, not every instance dead (starting and
                # restarting instances are fine: requests wait for them)
                "ok": reason is None and not (self._instances and counts["dead"] == len(self._instances)),
                "error": reason or "",
                "started": self._started,
                "closed": self._closed,
                "soffice": self.soffice,
                "python": self.python,
                "fonts_conf": str(self.fonts_conf),
                "timeout": self.timeout,
                "max_jobs": self.max_jobs,
                "total": self.size,
                **counts,
                "waiting": self._waiting,
                "jobs_done": sum(i["jobs_done"] for i in insts),
                "restarts": sum(i["restarts"] for i in insts),
                "timeouts": sum(i["timeouts"] for i in insts),
                "crashes": sum(i["crashes"] for i in insts),
                "recycles": sum(i["recycles"] for i in insts),
                "retried_requests": self._retried_requests,
                "failed_requests": self._failed_requests,
                "first_ready_s": self._first_ready_s,
                "all_ready_s": self._all_ready_s,
                "instances": insts,
            }

    def close(self) -> None:
        """Kill every instance (no soffice left behind) and remove the work dir."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
            instances = list(self._instances)
        try:
            atexit.unregister(self.close)
        except Exception:
            pass
        if os.getpid() != self._owner_pid:
            return  # a forked copy: the processes belong to the parent
        for inst in instances:
            self._kill(inst)
        for t in list(self._threads):
            t.join(timeout=15)
        for inst in instances:  # a start that raced with close
            self._kill(inst)
            inst.state = "dead"
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_pid_alive(p) for i in instances for p in (i.pid, i.office_pid)):
            time.sleep(0.05)
        if self._base is not None:
            shutil.rmtree(self._base, ignore_errors=True)

    def __enter__(self) -> LocalPool:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


# --------------------------------------------------------------------------- #
# Sharing one pool between processes
# --------------------------------------------------------------------------- #
#
# Frame: 1 byte kind + 8 bytes big-endian length + payload.
#   client → server:  b"C" docx   |  b"S" (status)  |  b"H" (ping)
#   server → client:  b"P" pdf    |  b"J" json      |  b"E" json {"code", "message"}

_HEADER = struct.Struct("!cQ")
MAX_FRAME = 512 * 1024 * 1024


def _send_frame(sock: socket.socket, kind: bytes, payload: bytes = b"") -> None:
    header = _HEADER.pack(kind, len(payload))
    if len(payload) < 65536:
        sock.sendall(header + payload)
    else:
        sock.sendall(header)
        sock.sendall(payload)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            raise EOFError("connection closed")
        buf += chunk
    return bytes(buf)


def _recv_frame(sock: socket.socket) -> tuple[bytes, bytes]:
    kind, length = _HEADER.unpack(_recv_exact(sock, _HEADER.size))
    if length > MAX_FRAME:
        raise ValueError(f"frame too large: {length}")
    return kind, _recv_exact(sock, length)


def _parse_address(address: str) -> tuple[int, Any]:
    """``unix:/path``, ``/path`` → AF_UNIX; ``tcp://host:port``, ``host:port`` → AF_INET."""
    address = address.strip()
    if address.startswith("unix://"):
        return socket.AF_UNIX, address[7:]
    if address.startswith("unix:"):
        return socket.AF_UNIX, address[5:]
    if address.startswith("/") or address.startswith("."):
        return socket.AF_UNIX, address
    if address.startswith("tcp://"):
        address = address[6:]
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"无法识别的转换服务地址：{address!r}（应为 unix:/路径 或 127.0.0.1:端口）")
    return socket.AF_INET, (host.strip("[]"), int(port))


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        pool: LocalPool = self.server.pool  # type: ignore[attr-defined]
        sock: socket.socket = self.request
        while True:
            try:
                kind, payload = _recv_frame(sock)
            except (EOFError, OSError, ValueError, struct.error):
                return
            try:
                if kind == b"C":
                    try:
                        pdf = pool.to_pdf(payload)
                    except DocgenError as exc:
                        _send_frame(sock, b"E", json.dumps({"code": exc.code, "message": exc.message}, ensure_ascii=False).encode())
                    except Exception as exc:  # never kill the server over one request
                        log.exception("docgen converter server: conversion failed")
                        _send_frame(
                            sock,
                            b"E",
                            json.dumps({"code": "converter_unavailable", "message": f"PDF 转换失败：{exc}"}, ensure_ascii=False).encode(),
                        )
                    else:
                        _send_frame(sock, b"P", pdf)
                elif kind == b"S":
                    _send_frame(sock, b"J", json.dumps(pool.status(), ensure_ascii=False).encode())
                elif kind == b"H":
                    _send_frame(sock, b"J", b'{"ok": true}')
                else:
                    _send_frame(sock, b"E", json.dumps({"code": "bad_request", "message": f"未知请求 {kind!r}"}).encode())
            except OSError:
                return  # the client went away


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    block_on_close = False


class _TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


class PoolServer:
    """A running :func:`serve_pool`: ``address`` to give to clients, ``close()`` to stop."""

    def __init__(self, pool: LocalPool, address: str):
        family, sockaddr = _parse_address(address)
        self.pool = pool
        self._path: str | None = None
        if family == socket.AF_UNIX:
            path = str(sockaddr)
            if os.path.exists(path):
                probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    probe.connect(path)
                except OSError:
                    os.unlink(path)  # a stale socket of a dead server
                else:
                    probe.close()
                    raise ConverterUnavailable(f"转换服务地址已被占用：{path}")
                finally:
                    probe.close()
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            old = os.umask(0o177)  # socket only for this user
            try:
                self.server = _UnixServer(path, _Handler)
            finally:
                os.umask(old)
            self._path = path
            self.address = "unix:" + path
        else:
            self.server = _TCPServer(sockaddr, _Handler)
            host, port = self.server.server_address[:2]
            self.address = f"{host}:{port}"
        self.server.pool = pool  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, name="docgen-pool-server", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._path:
            try:
                os.unlink(self._path)
            except OSError:
                pass


def serve_pool(pool: LocalPool, address: str) -> PoolServer:
    """Expose ``pool`` on ``address`` (``unix:/path`` or ``127.0.0.1:port``; port 0 = any).

    Serves in a background thread, one thread per connection, so several
    processes (and several threads in each) convert concurrently; returns the
    server (``.address``, ``.close()``).
    """
    pool.start()
    return PoolServer(pool, address)


class RemoteConverter:
    """Client of a pool served by :func:`serve_pool` (what the web workers use)."""

    def __init__(self, address: str, timeout: float = 900):
        self.address = address
        self.timeout = timeout
        self._family, self._sockaddr = _parse_address(address)

    def _call(self, kind: bytes, payload: bytes = b"", timeout: float | None = None) -> tuple[bytes, bytes]:
        sock = socket.socket(self._family, socket.SOCK_STREAM)
        sock.settimeout(self.timeout if timeout is None else timeout)
        try:
            sock.connect(self._sockaddr)
            _send_frame(sock, kind, payload)
            return _recv_frame(sock)
        finally:
            sock.close()

    def to_pdf(self, docx: bytes) -> bytes:
        try:
            kind, payload = self._call(b"C", bytes(docx))
        except TimeoutError as exc:
            raise ConverterUnavailable(f"PDF 转换服务（{self.address}）在 {self.timeout:g} 秒内没有应答") from exc
        except (OSError, EOFError, ValueError, struct.error) as exc:
            raise ConverterUnavailable(f"无法连接 PDF 转换服务（{self.address}）：{exc}") from exc
        if kind == b"P":
            return payload
        try:
            message = json.loads(payload)["message"]
        except (ValueError, KeyError, TypeError):
            message = payload.decode("utf-8", "replace")
        raise ConverterUnavailable(message)

    def status(self) -> dict[str, Any]:
        try:
            kind, payload = self._call(b"S", timeout=10)
            data = json.loads(payload)
        except (OSError, EOFError, ValueError, struct.error) as exc:
            return {"backend": "remote", "address": self.address, "ok": False, "error": f"无法连接 PDF 转换服务：{exc}"}
        data["backend"] = "remote"
        data["address"] = self.address
        return data

    def ping(self, timeout: float = 2) -> bool:
        try:
            return self._call(b"H", timeout=timeout)[0] == b"J"
        except (OSError, EOFError, ValueError, struct.error):
            return False

    def close(self) -> None:
        pass  # one connection per call: nothing held


def default_address(work_dir: str | os.PathLike) -> str:
    """A unix socket in ``work_dir`` (or in /tmp when that path is too long for a socket)."""
    path = Path(work_dir) / "pool.sock"
    if len(str(path).encode()) > 100:  # sun_path is 108 bytes
        import hashlib

        digest = hashlib.sha1(str(path).encode()).hexdigest()[:12]
        path = Path(tempfile.gettempdir()) / f"docgen-pool-{os.getuid()}-{digest}.sock"
    return "unix:" + str(path)


def _settings_args(settings: dict[str, Any]) -> dict[str, Any]:
    data_dir = Path(settings.get("DATA_DIR") or tempfile.gettempdir())
    return {
        "instances": int(settings.get("CONVERTER_INSTANCES") or 0) or None,
        "timeout": float(settings.get("CONVERTER_TIMEOUT") or 60),
        "max_jobs": int(settings.get("CONVERTER_MAX_JOBS") or 200),
        "work_dir": data_dir / "converter",
        "soffice": str(settings.get("SOFFICE") or "") or None,
    }


def run_pool_process(settings: dict[str, Any], address: str | None = None, wait: float = 30) -> tuple[subprocess.Popen, str]:
    """Start the shared pool in a background process; return ``(process, address)``.

    Returns once the process accepts connections (LibreOffice keeps warming in
    the background). Stop it with :func:`stop_pool_process` (SIGTERM); it also
    exits by itself when its parent process dies.
    """
    args = _settings_args(settings)
    work_dir = Path(args["work_dir"])
    work_dir.mkdir(parents=True, exist_ok=True)
    address = address or default_address(work_dir)
    cmd = [
        sys.executable,
        "-m",
        "docgen.services.convert",
        "serve",
        "--address",
        address,
        "--instances",
        str(args["instances"] or 0),
        "--timeout",
        str(args["timeout"]),
        "--max-jobs",
        str(args["max_jobs"]),
        "--work-dir",
        str(work_dir),
    ]
    if args["soffice"]:
        cmd += ["--soffice", args["soffice"]]
    env = dict(os.environ)
    root = str(PACKAGE_DIR.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, close_fds=True)
    client = RemoteConverter(address)
    deadline = time.monotonic() + wait
    while True:
        if proc.poll() is not None:
            raise ConverterUnavailable(f"PDF 转换服务进程启动失败（退出码 {proc.returncode}）")
        if client.ping(timeout=1):
            return proc, address
        if time.monotonic() > deadline:
            stop_pool_process(proc)
            raise ConverterUnavailable(f"PDF 转换服务进程在 {wait:g} 秒内没有就绪")
        time.sleep(0.05)


def stop_pool_process(proc: subprocess.Popen, timeout: float = 20) -> None:
    """Stop a process started by :func:`run_pool_process` (it closes its pool first)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --------------------------------------------------------------------------- #
# The factory
# --------------------------------------------------------------------------- #

_factory_lock = threading.Lock()
# one local pool per process and per configuration: (pid, settings) -> pool
_local_pools: dict[tuple, LocalPool] = {}
_remotes: dict[str, RemoteConverter] = {}


def get_converter(settings: dict[str, Any] | None = None) -> Converter:
    """The converter the app uses.

    ``CONVERTER_URL`` set → a :class:`RemoteConverter` to the shared pool.
    Empty → one :class:`LocalPool` per process, started lazily on the first
    conversion and closed at exit.
    """
    settings = settings or {}
    url = str(settings.get("CONVERTER_URL") or "").strip()
    args = _settings_args(settings)
    with _factory_lock:
        if url:
            if url not in _remotes:
                _remotes[url] = RemoteConverter(url, timeout=max(300.0, 5 * args["timeout"]))
            return _remotes[url]
        # one pool per process (a fork gets its own) and per way of running
        # LibreOffice; the folder it works in is not part of the key, so apps
        # of one process over other data folders share the warm instances
        key = (os.getpid(), *sorted((k, str(v)) for k, v in args.items() if k != "work_dir"))
        pool = _local_pools.get(key)
        if pool is None or pool.closed:
            pool = _local_pools[key] = LocalPool(**args)
        return pool


# --------------------------------------------------------------------------- #
# python -m docgen.services.convert serve|convert|status
# --------------------------------------------------------------------------- #


def _serve_main(ns: argparse.Namespace) -> int:
    pool = LocalPool(
        instances=ns.instances or None, timeout=ns.timeout, max_jobs=ns.max_jobs, work_dir=ns.work_dir, soffice=ns.soffice or None
    )
    pool.start()
    server = serve_pool(pool, ns.address)
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    ppid = os.getppid()
    log.info("docgen converter pool serving on %s (%d instances)", server.address, pool.size)
    while not stop.wait(0.5):
        if os.getppid() != ppid:  # the parent (docgen serve) is gone
            break
    server.close()
    pool.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m docgen.services.convert")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("serve", help="run a shared LibreOffice pool on a local socket")
    p.add_argument("--address", required=True)
    p.add_argument("--instances", type=int, default=0)
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--max-jobs", type=int, default=200)
    p.add_argument("--work-dir", default=None)
    p.add_argument("--soffice", default="")
    p = sub.add_parser("convert", help="convert one file (through --address, or a one-instance pool)")
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--address", default="")
    p = sub.add_parser("status", help="print the status of a served pool")
    p.add_argument("--address", required=True)
    ns = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if ns.cmd == "serve":
        return _serve_main(ns)
    if ns.cmd == "status":
        print(json.dumps(RemoteConverter(ns.address).status(), ensure_ascii=False, indent=2))
        return 0
    conv: Converter = RemoteConverter(ns.address) if ns.address else LocalPool(instances=1)
    try:
        Path(ns.dst).write_bytes(conv.to_pdf(Path(ns.src).read_bytes()))
    except ConverterUnavailable as exc:
        print(exc.message, file=sys.stderr)
        return 1
    finally:
        conv.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
