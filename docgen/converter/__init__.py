"""DOCX → PDF: the one PDF converter of docgen, LibreOffice kept warm.

One concept per module:

* ``worker.py`` — the program one LibreOffice instance runs, under the Python
  that has ``uno`` (``/usr/bin/python3``); a lost UNO bridge is known from its
  ``disposing`` event;
* ``supervisor.py`` — one pool entry: its states and restart reasons (enums),
  start, convert, stop;
* ``pool.py`` — N entries in one process: scheduling (a lane kept for small
  documents, small ones first), the one layer of retries, per-request limits,
  a bounded queue;
* ``limits.py`` — size and page limits, what counts as large;
* ``output.py`` — the check every PDF passes;
* ``transport.py`` / ``client.py`` — one pool shared by processes over
  ``multiprocessing.connection`` with an authkey;
* ``service.py`` — the pool as a process of its own, restarted by
  ``docgen serve`` when it dies;
* ``processes.py`` — process facts through psutil;
* ``factory.py`` — :func:`get_converter`, what the app calls.
"""

from __future__ import annotations

from docgen.converter.client import RemoteConverter
from docgen.converter.factory import get_converter
from docgen.converter.interface import Converter
from docgen.converter.output import check_pdf
from docgen.converter.pool import FONTS_CONF, LocalPool
from docgen.converter.service import PoolProcess, run_pool_process
from docgen.converter.supervisor import InstanceState, RestartReason
from docgen.converter.transport import serve_pool

__all__ = [
    "FONTS_CONF",
    "Converter",
    "InstanceState",
    "LocalPool",
    "PoolProcess",
    "RemoteConverter",
    "RestartReason",
    "check_pdf",
    "get_converter",
    "run_pool_process",
    "serve_pool",
]
