"""``docgen serve``: gunicorn with several workers over one converter pool.

The pool of LibreOffice instances is started once, in its own process, before
the workers; each worker reaches it through ``DOCGEN_CONVERTER_URL``.
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication

from docgen.config import load_settings


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from docgen import create_app

        return create_app()


def run(host: str, port: int, workers: int, threads: int = 4) -> None:
    settings = load_settings()
    os.makedirs(settings["DATA_DIR"], exist_ok=True)
    check_profile(settings)
    prepare_database(settings)
    announce_first_admin(settings)
    pool = start_converter_pool(settings)
    try:
        _Gunicorn(
            {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "timeout": 120,
                "graceful_timeout": 10,
                "accesslog": "-",
            }
        ).run()
    finally:
        if pool is not None:
            pool.terminate()


def check_profile(settings: dict[str, Any]) -> None:
    """Read the profile and its kinds once before anything starts: a bad one stops start-up."""
    from docgen.kinds import BUNDLED
    from docgen.profile import load_profile

    profile = load_profile(settings.get("PROFILE") or None)
    if profile.kinds_dir:
        BUNDLED.with_folder(profile.kinds_dir)


def prepare_database(settings: dict[str, Any]) -> None:
    """Bring the database schema up to date once, before any worker starts."""
    try:
        from docgen.services.db import upgrade_database
    except ImportError:
        return
    upgrade_database(settings["DATABASE_URL"], settings["DATA_DIR"])


def announce_first_admin(settings: dict[str, Any]) -> None:
    """With no user yet, create ``admin`` and print its password once on the console."""
    from docgen.services.accounts import Accounts
    from docgen.services.register import Register

    password = Accounts(Register(settings["DATABASE_URL"])).ensure_first_admin()
    if password:
        print("=" * 60, flush=True)
        print("首次启动：已创建管理员用户 admin，初始密码（只显示这一次）：", flush=True)
        print(f"  {password}", flush=True)
        print("请登录后妥善保管；用 docgen user add 添加其他用户，docgen token create 创建接口令牌。", flush=True)
        print("=" * 60, flush=True)


def start_converter_pool(settings: dict[str, Any]):
    """Start the shared LibreOffice pool unless one is configured already."""
    if settings.get("CONVERTER_URL"):
        return None
    try:
        from docgen.services.convert import run_pool_process
    except ImportError:
        return None
    process, address = run_pool_process(settings)
    os.environ["DOCGEN_CONVERTER_URL"] = address
    return process
