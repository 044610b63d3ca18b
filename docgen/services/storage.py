"""Where issued files live: under generated ids, never under a user's name.

``FileStore`` is the filesystem backend (the embedded default); another
backend needs only ``put``, ``get``, ``delete`` and ``exists``.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path
from typing import Protocol


class Store(Protocol):
    def put(self, content: bytes, ext: str) -> str: ...
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

    def put(self, content: bytes, ext: str) -> str:
        key = f"{uuid.uuid4().hex}.{ext}"
        path = self._path(key)
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_name(f".{key}.tmp")
        with open(tmp, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        return key

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).exists()
