"""Sharing one pool between processes: ``multiprocessing.connection`` with an authkey.

The pool process listens (:func:`serve_pool`) on a unix socket (or
127.0.0.1:port); web workers connect with :class:`~docgen.converter.client.RemoteConverter`.
Each connection authenticates with the shared key (HMAC challenge, so only
holders of the key are ever unpickled) and then carries requests and answers
as Python objects:

* ``{"op": "convert", "docx": bytes, "background": bool}`` → ``{"ok": True, "pdf": bytes}``
  or ``{"ok": False, "error": {"code", "message", "details", "retry_after"}}``;
* ``{"op": "status"}`` → ``{"ok": True, "status": {...}}``;
* ``{"op": "ping"}`` → ``{"ok": True}``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import tempfile
import threading
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path
from typing import Any

from docgen.errors import (
    ConverterBusy,
    ConverterUnavailable,
    DocgenError,
    ErrorDetail,
    PayloadTooLarge,
    TooManyPages,
)

log = logging.getLogger(__name__)

#: errors that travel from the pool to its clients, by code
WIRE_ERRORS: dict[str, type[DocgenError]] = {
    cls.code: cls for cls in (ConverterUnavailable, ConverterBusy, PayloadTooLarge, TooManyPages)
}


def parse_address(address: str) -> tuple[str, Any]:
    """``unix:/path``, ``/path`` → AF_UNIX; ``tcp://host:port``, ``host:port`` → AF_INET."""
    address = address.strip()
    for prefix in ("unix://", "unix:"):
        if address.startswith(prefix):
            return "AF_UNIX", address[len(prefix) :]
    if address.startswith(("/", ".")):
        return "AF_UNIX", address
    if address.startswith("tcp://"):
        address = address[6:]
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"无法识别的转换服务地址：{address!r}（应为 unix:/路径 或 127.0.0.1:端口）")
    return "AF_INET", (host.strip("[]"), int(port))


def default_address(work_dir: str | os.PathLike) -> str:
    """A unix socket in ``work_dir`` (or in /tmp when that path is too long for a socket)."""
    path = Path(work_dir) / "pool.sock"
    if len(str(path).encode()) > 100:  # sun_path is 108 bytes
        digest = hashlib.sha1(str(path).encode()).hexdigest()[:12]
        path = Path(tempfile.gettempdir()) / f"docgen-pool-{os.getuid()}-{digest}.sock"
    return "unix:" + str(path)


def connect(address: str, authkey: bytes) -> Connection:
    """An authenticated connection to a served pool; OSError when nobody answers."""
    family, where = parse_address(address)
    return Client(where, family=family, authkey=authkey)


def error_to_wire(error: DocgenError) -> dict[str, Any]:
    return {
        "code": error.code,
        "message": error.message,
        "details": [d.as_dict() for d in error.details],
        "retry_after": getattr(error, "retry_after", None),
    }


def error_from_wire(data: dict[str, Any]) -> DocgenError:
    cls = WIRE_ERRORS.get(str(data.get("code")), ConverterUnavailable)
    details = [ErrorDetail(d["loc"], d["msg"]) for d in data.get("details") or []]
    if cls is ConverterBusy:
        return ConverterBusy(str(data.get("message")), details, retry_after=int(data.get("retry_after") or 5))
    return cls(str(data.get("message")), details)


class PoolServer:
    """A pool served on an address: ``address`` for clients, ``close()`` to stop."""

    def __init__(self, pool, address: str, authkey: bytes) -> None:
        family, where = parse_address(address)
        self.pool = pool
        self._path: str | None = None
        if family == "AF_UNIX":
            where = str(where)
            _remove_stale_socket(where)
            Path(where).parent.mkdir(parents=True, exist_ok=True)
            old = os.umask(0o177)  # the socket only for this user
            try:
                self.listener = Listener(where, family=family, authkey=authkey)
            finally:
                os.umask(old)
            self._path = where
            self.address = "unix:" + where
        else:
            self.listener = Listener(where, family=family, authkey=authkey)
            host, port = self.listener.address[:2]
            self.address = f"{host}:{port}"
        self._closed = False
        self._thread = threading.Thread(target=self._accept_loop, name="docgen-pool-server", daemon=True)
        self._thread.start()

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                conn = self.listener.accept()
            except OSError:
                if self._closed:
                    return
                continue  # a client that failed the handshake, or went away during it
            except Exception:  # noqa: BLE001 — AuthenticationError and the like: refuse and go on
                log.warning("docgen converter server: a connection was refused", exc_info=True)
                continue
            threading.Thread(target=self._serve, args=(conn,), name="docgen-pool-conn", daemon=True).start()

    def _serve(self, conn: Connection) -> None:
        with conn:
            while True:
                try:
                    request = conn.recv()
                except (EOFError, OSError):
                    return
                except Exception:  # noqa: BLE001 — an undecodable request: drop the connection
                    log.warning("docgen converter server: bad request", exc_info=True)
                    return
                try:
                    conn.send(self._answer(request))
                except (OSError, ValueError):
                    return  # the client went away

    def _answer(self, request: Any) -> dict[str, Any]:
        op = request.get("op") if isinstance(request, dict) else None
        if op == "ping":
            return {"ok": True}
        if op == "status":
            return {"ok": True, "status": self.pool.status()}
        if op == "convert":
            try:
                return {"ok": True, "pdf": self.pool.to_pdf(request["docx"], background=bool(request.get("background")))}
            except DocgenError as exc:
                return {"ok": False, "error": error_to_wire(exc)}
            except Exception as exc:  # never kill the server over one request
                log.exception("docgen converter server: conversion failed")
                return {"ok": False, "error": error_to_wire(ConverterUnavailable(f"PDF 转换失败：{exc}"))}
        return {"ok": False, "error": error_to_wire(ConverterUnavailable(f"未知请求 {op!r}"))}

    def close(self) -> None:
        self._closed = True
        try:
            self.listener.close()
        except OSError:
            pass
        if self._path:
            try:
                os.unlink(self._path)
            except OSError:
                pass


def _remove_stale_socket(path: str) -> None:
    """Remove the socket file of a dead server; refuse a live one."""
    if not os.path.exists(path):
        return
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except OSError:
        os.unlink(path)
    else:
        raise ConverterUnavailable("转换服务地址已被占用")
    finally:
        probe.close()


def serve_pool(pool, address: str, authkey: bytes) -> PoolServer:
    """Expose ``pool`` on ``address`` (``unix:/path`` or ``127.0.0.1:port``; port 0 = any).

    Serves in background threads, one per connection, so several processes
    (and several threads in each) convert concurrently.
    """
    pool.start()
    return PoolServer(pool, address, authkey)
