"""The converter the app uses, picked by its settings."""

from __future__ import annotations

import os
import threading
from typing import Any

from docgen.converter.client import RemoteConverter
from docgen.converter.interface import Converter
from docgen.converter.pool import LocalPool
from docgen.converter.service import authkey_of, pool_args

_lock = threading.Lock()
# one local pool per process and per way of running LibreOffice
_local_pools: dict[tuple, LocalPool] = {}
_remotes: dict[tuple[str, bytes], RemoteConverter] = {}


def get_converter(settings: dict[str, Any] | None = None) -> Converter:
    """``CONVERTER_URL`` set → a client of the shared pool; empty → one pool in this process.

    The local pool is started lazily on the first conversion and closed at exit.
    """
    settings = settings or {}
    url = str(settings.get("CONVERTER_URL") or "").strip()
    args = pool_args(settings)
    with _lock:
        if url:
            key = (url, authkey_of(settings))
            if key not in _remotes:
                _remotes[key] = RemoteConverter(url, key[1], timeout=max(300.0, 5 * args["timeout"]))
            return _remotes[key]
        # a fork gets its own pool; the folder it works in is not part of the key,
        # so apps of one process over other data folders share the warm instances
        key = (os.getpid(), *sorted((k, str(v)) for k, v in args.items() if k != "work_dir"))
        pool = _local_pools.get(key)
        if pool is None or pool.closed:
            pool = _local_pools[key] = LocalPool(**args)
        return pool
