"""One LibreOffice instance, driven over UNO: the program a pool entry runs.

Runs under the Python that has ``uno`` (Debian's ``python3-uno`` belongs to
``/usr/bin/python3``, not to the virtualenv), as a file, in isolated mode:
``/usr/bin/python3 -I worker.py CONFIG_JSON``. So it imports nothing from
docgen, only the standard library and ``uno``. Imported by the virtualenv's
Python (for the linter and the tests) it has no ``uno`` and :data:`HAVE_UNO`
is false.

It starts ``soffice --headless`` with its own user profile on a private UNO
pipe, builds the URP bridge itself and listens to the bridge's ``disposing``
event (a lost bridge is known from that event, as JODConverter does, not from
the wording of error messages), then converts on request. It speaks to the
pool over an inherited socket wrapped in ``multiprocessing.connection``:

* pool → worker: ``{"op": "convert", "in": path, "out": path, "max_pages": n | None}``,
  ``{"op": "quit"}``;
* worker → pool: ``{"ready": True, "startup_ms": n}`` or ``{"ready": False, "error": ...,
  "fatal": bool}`` once; then per request ``{"ok": True, "pages": n, "ms": n}``, or
  ``{"ok": False, "lost": REASON | None, "error": text, "pages": n}``; and, at any time,
  ``{"event": "bridge_lost"}`` / ``{"event": "office_exited"}`` before it exits.

``lost`` is ``"bridge_lost"`` or ``"office_exited"`` when the office is gone
(the worker exits after answering); ``None`` when the office is fine and the
document failed (``too_many_pages`` set when the page limit was hit).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from multiprocessing.connection import Connection

try:
    import uno
    import unohelper
    from com.sun.star.beans import PropertyValue
    from com.sun.star.connection import NoConnectException
    from com.sun.star.lang import XEventListener
except ImportError:  # the virtualenv's Python: importable for tests and the linter
    uno = None
    unohelper = None
    PropertyValue = None
    NoConnectException = OSError

    class XEventListener:  # stands in for the UNO interface
        pass

HAVE_UNO = uno is not None

BRIDGE_LOST = "bridge_lost"
OFFICE_EXITED = "office_exited"

# exit codes the pool reads as restart reasons when no message came first
EXIT_NO_UNO = 2
EXIT_OFFICE_EXITED = 3
EXIT_START_FAILED = 4
EXIT_PARENT_GONE = 5
EXIT_BRIDGE_LOST = 6

#: fonts of official templates, set once at start so their first use costs nothing
WARMUP_FONTS = ("仿宋_GB2312", "方正小标宋简体", "黑体", "楷体_GB2312", "宋体")


def warmup_docx() -> bytes:
    """A tiny .docx that touches every official font (built without python-docx)."""
    import io

    body = "".join(
        f'<w:p><w:r><w:rPr><w:rFonts w:ascii="{f}" w:eastAsia="{f}" w:hAnsi="{f}"/>'
        f'<w:lang w:eastAsia="zh-CN"/></w:rPr><w:t>预热 {f} 文字 2024</w:t></w:r></w:p>'
        for f in WARMUP_FONTS
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="word/document.xml"/></Relationships>',
        )
        z.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
            + body
            + "</w:body></w:document>",
        )
    return out.getvalue()


def prop(name: str, value: object) -> object:
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


class BridgeWatch(*((unohelper.Base, XEventListener) if unohelper else (XEventListener,))):  # type: ignore[misc]
    """Receives the URP bridge's ``disposing`` event: the office is gone."""

    def __init__(self, on_lost) -> None:
        self.lost = threading.Event()
        self._on_lost = on_lost

    def disposing(self, event) -> None:  # noqa: ARG002 — the UNO signature
        self.lost.set()
        self._on_lost()


class Worker:
    """The office of one pool entry and the conversions it does."""

    def __init__(self, cfg: dict, conn: Connection) -> None:
        self.cfg = cfg
        self.conn = conn
        self.office: subprocess.Popen | None = None
        self.desktop = None
        self.bridge = None
        self.watch: BridgeWatch | None = None
        self.dying = False
        self._send_lock = threading.Lock()

    # -- talking to the pool ------------------------------------------------
    def send(self, message: dict) -> None:
        with self._send_lock:
            try:
                self.conn.send_bytes(json.dumps(message, ensure_ascii=False).encode())
            except OSError:
                self.die(EXIT_PARENT_GONE)

    def die(self, code: int) -> None:
        """Leave at once, taking the office with us (our process group is ours alone)."""
        self.dying = True
        sys.stderr.flush()
        if self.office is not None and self.office.poll() is None:
            try:  # soffice.bin, oosplash and this worker share the session the pool gave us
                os.killpg(os.getpgid(0), signal.SIGKILL)
            except OSError:
                pass
        os._exit(code)

    # -- the office -----------------------------------------------------------
    def on_bridge_lost(self) -> None:
        if not self.dying:
            self.send({"event": BRIDGE_LOST})
            # a conversion in flight answers for itself; an idle worker leaves now
            if not self._converting:
                self.die(EXIT_BRIDGE_LOST)

    _converting = False

    def watch_office(self) -> None:
        assert self.office is not None
        self.office.wait()  # oosplash exits when soffice.bin dies
        if self.watch is not None and self.watch.lost.wait(1.0):
            return  # the bridge's disposing event has told the pool already
        if not self.dying:
            sys.stderr.write(f"worker: soffice exited with {self.office.returncode}\n")
            self.send({"event": OFFICE_EXITED})
            if not self._converting:
                self.die(EXIT_OFFICE_EXITED)

    def watch_parent(self, ppid: int) -> None:
        while True:  # the pool died without closing us: leave no soffice behind
            time.sleep(1.0)
            if os.getppid() != ppid:
                self.die(EXIT_PARENT_GONE)

    def start_office(self) -> None:
        profile = self.cfg["profile"]
        lock = os.path.join(profile, ".lock")
        if os.path.exists(lock):
            os.unlink(lock)
        pipe = self.cfg["pipe"]
        cmd = [
            self.cfg["soffice"], "--headless", "--invisible", "--nocrashreport", "--nodefault",
            "--nologo", "--nofirststartwizard", "--norestore", "--nolockcheck",
            "-env:UserInstallation=" + uno.systemPathToFileUrl(profile),
            f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
        ]
        # glibc gives each thread that allocates an arena of its own; LibreOffice's threads then keep
        # pages of freed documents apart, and a long-lived instance grows by a few dozen MiB a run
        env = dict(os.environ)
        env.setdefault("MALLOC_ARENA_MAX", "2")
        self.office = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=2, stderr=2, close_fds=True, cwd=self.cfg["tmp"], env=env)
        local = uno.getComponentContext()
        smgr = local.ServiceManager
        connector = smgr.createInstanceWithContext("com.sun.star.connection.Connector", local)
        deadline = time.monotonic() + self.cfg["start_timeout"]
        while True:
            if self.office.poll() is not None:
                raise RuntimeError(f"soffice 启动后立即退出（退出码 {self.office.returncode}）")
            try:
                connection = connector.connect(f"pipe,name={pipe}")
                break
            except NoConnectException:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"soffice 在 {self.cfg['start_timeout']} 秒内没有就绪") from None
                time.sleep(0.05)
        factory = smgr.createInstanceWithContext("com.sun.star.bridge.BridgeFactory", local)
        self.bridge = factory.createBridge("", "urp", connection, None)
        self.watch = BridgeWatch(self.on_bridge_lost)
        self.bridge.addEventListener(self.watch)
        ctx = self.bridge.getInstance("StarOffice.ComponentContext")
        self.desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)

    def office_lost(self) -> str | None:
        """Why the office is gone, or None when it is fine (asked after a failed conversion).

        The disposing event may trail the failed call by a moment, so the bridge
        is asked once more (a call over a dead pipe disposes it) and the event
        is given a short while to arrive.
        """
        try:
            self.desktop.getComponents().hasElements()
        except Exception:  # noqa: BLE001 — any failure of the probe: see below
            pass
        if self.watch is not None and self.watch.lost.wait(0.5):
            return BRIDGE_LOST
        if self.office is None or self.office.poll() is not None:
            return OFFICE_EXITED
        return None

    # -- conversions --------------------------------------------------------------
    def load_props(self) -> tuple:
        return (
            prop("Hidden", True),
            prop("ReadOnly", True),
            prop("UpdateDocMode", 0),  # NO_UPDATE: never fetch linked content
            prop("MacroExecutionMode", 0),  # NEVER_EXECUTE
        )

    def convert(self, src: str, dst: str, max_pages: int | None) -> int:
        """Convert ``src`` to ``dst``; the page count. Raises TooManyPages over ``max_pages``."""
        pages, doc = self.convert_open(src, dst, max_pages)
        close(doc)
        return pages

    def convert_open(self, src: str, dst: str, max_pages: int | None) -> tuple[int, object]:
        """``convert``, leaving the document open for the caller to ``close`` once it has answered
        (closing a long document takes LibreOffice up to a tenth of a second)."""
        doc = self.desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0, self.load_props())
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
            pages = page_count(doc)
            if max_pages and pages > max_pages:
                raise TooManyPages(pages)
            doc.storeToURL(uno.systemPathToFileUrl(dst), (prop("FilterName", "writer_pdf_Export"),))
            return pages, doc
        except BaseException:
            close(doc)
            raise

    def warm_up(self) -> None:
        src = os.path.join(self.cfg["tmp"], "warmup.docx")
        dst = os.path.join(self.cfg["tmp"], "warmup.pdf")
        with open(src, "wb") as fh:
            fh.write(warmup_docx())
        self.convert(src, dst, None)
        for path in (src, dst):
            try:
                os.unlink(path)
            except OSError:
                pass

    def serve(self) -> None:
        t0 = time.monotonic()
        threading.Thread(target=self.watch_parent, args=(os.getppid(),), daemon=True).start()
        signal.signal(signal.SIGTERM, lambda *_: self.die(0))
        try:
            self.start_office()
            threading.Thread(target=self.watch_office, daemon=True).start()
            self.warm_up()
        except Exception as exc:  # noqa: BLE001 — reported to the pool, which restarts us
            self.send({"ready": False, "error": f"{type(exc).__name__}: {exc}"})
            self.die(EXIT_START_FAILED)
        self.send({"ready": True, "startup_ms": round((time.monotonic() - t0) * 1000)})
        while True:
            try:
                request = json.loads(self.conn.recv_bytes())
            except (EOFError, OSError, ValueError):
                self.die(0)  # the pool is gone
            op = request.get("op")
            if op == "convert":
                self.answer_convert(request)
            elif op == "quit":
                self.dying = True
                try:
                    self.desktop.terminate()
                    self.office.wait(5)
                except Exception:  # noqa: BLE001 — killed below anyway
                    pass
                self.die(0)
            else:
                self.send({"ok": False, "lost": None, "error": f"unknown op {op!r}"})

    def answer_convert(self, request: dict) -> None:
        started = time.monotonic()
        self._converting = True
        doc = None
        try:
            pages, doc = self.convert_open(request["in"], request["out"], request.get("max_pages"))
        except TooManyPages as exc:
            self.send({"ok": False, "lost": None, "too_many_pages": True, "pages": exc.pages, "error": "too many pages"})
        except Exception as exc:  # noqa: BLE001 — sorted below: a dead office or a bad document
            lost = self.office_lost()
            self.send({"ok": False, "lost": lost, "error": f"{type(exc).__name__}: {str(exc)[:500]}"})
            if lost:
                self.die(EXIT_BRIDGE_LOST if lost == BRIDGE_LOST else EXIT_OFFICE_EXITED)
        else:
            self.send({"ok": True, "pages": pages, "ms": round((time.monotonic() - started) * 1000)})
            close(doc)  # after the answer: the PDF is written, the caller need not wait for this
        finally:
            self._converting = False
        if self.watch is not None and self.watch.lost.is_set():
            self.die(EXIT_BRIDGE_LOST)


def close(doc) -> None:
    """Close a loaded document; a failure to close must not hide a result."""
    try:
        doc.close(True)
    except Exception:  # noqa: BLE001
        try:
            doc.dispose()
        except Exception:  # noqa: BLE001
            pass


class TooManyPages(Exception):
    def __init__(self, pages: int) -> None:
        super().__init__(pages)
        self.pages = pages


def page_count(doc) -> int:
    """Pages of a loaded Writer document, from its layout."""
    try:
        return int(doc.getCurrentController().getPropertyValue("PageCount"))
    except Exception:  # noqa: BLE001 — no view: the document statistics
        for item in doc.getDocumentProperties().DocumentStatistics:
            if item.Name == "PageCount":
                return int(item.Value)
    return 0


def main(argv: list[str]) -> None:
    cfg = json.loads(argv[1])
    conn = Connection(cfg["fd"])
    os.dup2(2, 1)  # whatever a library prints ends up in the log, never on our channel
    if not HAVE_UNO:
        message = f"{sys.executable} 不能导入 uno 模块（请安装 python3-uno）"
        conn.send_bytes(json.dumps({"ready": False, "fatal": True, "error": message}, ensure_ascii=False).encode())
        sys.exit(EXIT_NO_UNO)
    Worker(cfg, conn).serve()


if __name__ == "__main__":
    main(sys.argv)
