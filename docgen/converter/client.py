"""The client of a served pool: what the web workers use.

When the pool process is gone (killed, restarting), the request has had no
answer: the client waits for the pool to come back (``docgen serve`` restarts
it) for up to ``reconnect_wait`` seconds and sends the request again. That is
the only retry here; an answer from the pool (a PDF or an error) is final.
"""

from __future__ import annotations

import threading
import time
from multiprocessing import AuthenticationError
from multiprocessing.connection import Connection
from typing import Any

from docgen.converter.transport import connect, error_from_wire
from docgen.errors import ConverterUnavailable


class RemoteConverter:
    """Client of a pool served by :func:`~docgen.converter.transport.serve_pool`."""

    def __init__(self, address: str, authkey: bytes, timeout: float = 900, reconnect_wait: float = 30) -> None:
        self.address = address
        self.timeout = timeout
        self.reconnect_wait = reconnect_wait
        self._authkey = authkey
        self._local = threading.local()  # one connection per thread, kept between calls
        # once the pool was reached, its absence means a restart: worth waiting for;
        # a pool never reached is a wrong address, said at once
        self._reached = False

    def _connection(self) -> Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.address, self._authkey)
            self._reached = True
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass

    def _call_once(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        kept = getattr(self._local, "conn", None) is not None
        conn = self._connection()
        try:
            conn.send(request)
            if not conn.poll(timeout):
                raise TimeoutError
            return conn.recv()
        except (OSError, EOFError):
            self._drop()
            if not kept:
                raise
        except BaseException:
            self._drop()  # the stream is in an unknown state
            raise
        # the kept connection was to a pool process that has gone: once more on a new one
        conn = self._connection()
        try:
            conn.send(request)
            if not conn.poll(timeout):
                raise TimeoutError
            return conn.recv()
        except BaseException:
            self._drop()
            raise

    def _call(self, request: dict[str, Any], timeout: float, wait: float) -> dict[str, Any]:
        """One request; while the pool is unreachable, wait up to ``wait`` seconds for it."""
        deadline = time.monotonic() + wait
        while True:
            try:
                return self._call_once(request, timeout)
            except TimeoutError:
                raise
            except AuthenticationError as exc:
                raise ConverterUnavailable("PDF 转换服务拒绝了连接：密钥不符（DOCGEN_CONVERTER_AUTHKEY）") from exc
            except (OSError, EOFError) as exc:
                if not self._reached or time.monotonic() >= deadline:
                    raise ConverterUnavailable(f"无法连接 PDF 转换服务：{exc}") from exc
                time.sleep(0.2)

    def to_pdf(self, docx: bytes, *, background: bool = False) -> bytes:
        try:
            reply = self._call({"op": "convert", "docx": bytes(docx), "background": background}, self.timeout, self.reconnect_wait)
        except TimeoutError as exc:
            raise ConverterUnavailable(f"PDF 转换服务在 {self.timeout:g} 秒内没有应答") from exc
        if reply.get("ok"):
            return reply["pdf"]
        raise error_from_wire(reply.get("error") or {})

    def status(self) -> dict[str, Any]:
        """The pool's health; never raises, never waits for a pool that is down."""
        try:
            data = self._call({"op": "status"}, timeout=3, wait=0)["status"]
        except (ConverterUnavailable, TimeoutError, OSError, EOFError, KeyError, TypeError) as exc:
            return {
                "backend": "remote",
                "ok": False,
                "state": "down",
                "error": "PDF 转换服务进程未运行或无应答，正在重启" if not isinstance(exc, KeyError) else "PDF 转换服务应答有误",
            }
        data["backend"] = "remote"
        return data

    def ping(self, timeout: float = 2) -> bool:
        try:
            return bool(self._call({"op": "ping"}, timeout=timeout, wait=0).get("ok"))
        except (ConverterUnavailable, TimeoutError, OSError, EOFError):
            return False

    def close(self) -> None:
        self._drop()
