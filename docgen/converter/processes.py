"""Process facts and process ends, through psutil; where LibreOffice and uno are."""

from __future__ import annotations

import os
import shutil
import sys

import psutil

#: interpreters that usually have the ``uno`` module (Debian: python3-uno)
UNO_PYTHON_CANDIDATES = ("/usr/bin/python3", "/usr/lib/libreoffice/program/python")
#: where soffice usually is, after $PATH
SOFFICE_CANDIDATES = (
    "/usr/lib/libreoffice/program/soffice",
    "/opt/libreoffice/program/soffice",
    "/usr/local/bin/soffice",
)


def find_soffice(soffice: str | None) -> str | None:
    """The soffice program to run, or None when LibreOffice is not installed."""
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


def find_uno_python(python: str | None) -> str:
    """The interpreter that runs the worker: one that can ``import uno``."""
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


def alive(pid: int | None) -> bool:
    """True when ``pid`` runs (a zombie does not)."""
    if not pid:
        return False
    try:
        return psutil.Process(pid).status() not in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)
    except psutil.Error:
        return False


def descendants(pid: int) -> list[psutil.Process]:
    """Every live process below ``pid`` (for a worker: oosplash and soffice.bin)."""
    try:
        kids = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []
    return [k for k in kids if alive(k.pid)]


def tree_alive(pid: int | None, members: list[int]) -> bool:
    """The process ``pid`` and every one of ``members`` still run."""
    return alive(pid) and all(alive(m) for m in members)


def kill_tree(pid: int, members: list[int] = (), timeout: float = 5) -> None:  # type: ignore[assignment]
    """SIGKILL ``pid``, everything below it and ``members``, leaves first, and wait for them.

    Leaves first, so that each is reaped by its own parent (soffice.bin by
    oosplash, oosplash by the worker): nothing is left as an orphan or a zombie.
    """
    try:
        root = psutil.Process(pid)
        procs = root.children(recursive=True)
    except psutil.Error:
        root, procs = None, []
    known = {p.pid for p in procs}
    for m in members:
        if m not in known:
            try:
                procs.append(psutil.Process(m))
            except psutil.Error:
                pass
    for proc in reversed(procs):  # children(recursive) lists parents before their children
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(procs, timeout=timeout)
    if root is not None:
        try:
            root.kill()
        except psutil.Error:
            pass
    try:
        os.killpg(pid, 9)  # whatever else runs in the worker's own session
    except (ProcessLookupError, PermissionError):
        pass


def memory_bytes(pids: list[int]) -> int:
    """Resident memory of these processes together (0 for the ones gone)."""
    total = 0
    for pid in pids:
        try:
            total += psutil.Process(pid).memory_info().rss
        except psutil.Error:
            pass
    return total
