"""Where issued files live: under generated ids, never under a user's name.

``FileStore`` is the filesystem backend (the embedded default); another
backend needs only ``put``, ``put_many``, ``sync``, ``get``, ``delete`` and
``exists`` (where a write is durable when it returns, ``sync`` does nothing).
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol


class Store(Protocol):
    def put(self, content: bytes, ext: str, *, durable: bool = True) -> str: ...
    def put_many(self, files: Sequence[tuple[bytes, str]]) -> list[str]: ...
    def sync(self, keys: Iterable[str]) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class FileStore:
    """Files under ``root/ab/<uuid>.<ext>``, each written atomically (temp file, fsync, rename)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        if not key or "/" in key or "\\" in key or key.startswith("."):
            raise ValueError(f"bad file key {key!r}")
        return self.root / key[:2] / key

    def put(self, content: bytes, ext: str, *, durable: bool = True) -> str:
        """Store ``content``; its key. ``durable=False`` leaves out the fsync: the caller
        ``sync``s the keys before anything that names them is committed (files synced
        together cost about one disk flush, one by one a flush each)."""
        key = f"{uuid.uuid4().hex}.{ext}"
        folder = self.root / key[:2]
        path, tmp = f"{folder}/{key}", f"{folder}/.{key}.tmp"
        try:
            fd = os.open(tmp, _CREATE, 0o666)
        except FileNotFoundError:  # the folder's first file (a batch writes many: no mkdir each)
            folder.mkdir(exist_ok=True)
            fd = os.open(tmp, _CREATE, 0o666)
        try:
            with memoryview(content) as view:
                written = 0
                while written < len(view):
                    written += os.write(fd, view[written:])
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        return key

    def put_many(self, files: Sequence[tuple[bytes, str]]) -> list[str]:
        """Store several ``(content, ext)``, durable when it returns; their keys in order."""
        keys: list[str] = []
        try:
            for content, ext in files:
                keys.append(self.put(content, ext, durable=False))
            self.sync(keys)
        except BaseException:
            for key in keys:
                self.delete(key)
            raise
        return keys

    def sync(self, keys: Iterable[str]) -> None:
        """Make the files of ``keys`` durable (fsync), side by side: the file system
        commits concurrent fsyncs together."""
        paths = [self._path(key) for key in keys]
        if len(paths) <= 1:
            for path in paths:
                _fsync(path)
            return
        with ThreadPoolExecutor(min(16, len(paths)), thread_name_prefix="docgen-fsync") as pool:
            list(pool.map(_fsync, paths))

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).exists()


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
