"""``python -m docgen.converter serve|convert|status``: the pool process and two tools."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from docgen.converter.client import RemoteConverter
from docgen.converter.pool import LocalPool
from docgen.converter.service import AUTHKEY_VARIABLE, serve_forever
from docgen.errors import DocgenError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m docgen.converter")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("serve", help="run a shared LibreOffice pool on a local socket (key in $DOCGEN_CONVERTER_AUTHKEY)")
    p.add_argument("--address", required=True)
    p.add_argument("--instances", type=int, default=0)
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--max-jobs", type=int, default=200)
    p.add_argument("--work-dir", default=None)
    p.add_argument("--soffice", default="")
    p.add_argument("--queue-limit", type=int, default=0)
    p.add_argument("--max-bytes", type=int, default=0)
    p.add_argument("--max-pages", type=int, default=0)
    p.add_argument("--large-bytes", type=int, default=1 << 62)
    p = sub.add_parser("convert", help="convert one file (through --address, or a one-instance pool)")
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--address", default="")
    p = sub.add_parser("status", help="print the status of a served pool")
    p.add_argument("--address", required=True)
    ns = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    authkey = os.environ.get(AUTHKEY_VARIABLE, "").encode()
    if ns.cmd == "serve":
        if not authkey:
            print(f"需要设置 {AUTHKEY_VARIABLE}", file=sys.stderr)
            return 2
        pool = LocalPool(
            instances=ns.instances or None, timeout=ns.timeout, max_jobs=ns.max_jobs, work_dir=ns.work_dir,
            soffice=ns.soffice or None, queue_limit=ns.queue_limit, max_bytes=ns.max_bytes,
            max_pages=ns.max_pages, large_bytes=ns.large_bytes,
        )  # fmt: skip
        return serve_forever(pool, ns.address, authkey)
    if ns.cmd == "status":
        print(json.dumps(RemoteConverter(ns.address, authkey).status(), ensure_ascii=False, indent=2))
        return 0
    conv = RemoteConverter(ns.address, authkey) if ns.address else LocalPool(instances=1)
    try:
        Path(ns.dst).write_bytes(conv.to_pdf(Path(ns.src).read_bytes()))
    except DocgenError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    finally:
        conv.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
