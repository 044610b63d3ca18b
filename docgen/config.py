"""Every setting in one place, with a working default.

Order of precedence: these defaults, then ``DOCGEN_*`` environment variables,
then the ``test_config`` mapping given to ``create_app``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from docgen.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent

DEFAULTS: dict[str, Any] = {
    # where the SQLite file and the issued files live
    "DATA_DIR": "instance",
    # overrides the SQLite file, e.g. postgresql+psycopg://user@host/docgen
    "DATABASE_URL": "",
    # path of an organisation profile TOML file; empty = the built-in default
    "PROFILE": "",
    # Word templates; the project's templates_docx/ unless set
    "TEMPLATES_DIR": str(PROJECT_DIR / "templates_docx"),
    # largest request body, in bytes
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    # time zone that decides what "today" is for issuing dates
    "TIMEZONE": "Asia/Shanghai",
    # PDF converter: address of a shared pool (set by `docgen serve`), or empty
    # to start a pool inside this process on first use
    "CONVERTER_URL": "",
    # the soffice program; empty = found on PATH
    "SOFFICE": "",
    # LibreOffice instances in a pool (0 = one per core)
    "CONVERTER_INSTANCES": 0,
    # seconds one conversion may take before its instance is restarted
    "CONVERTER_TIMEOUT": 60,
    # conversions after which an instance is restarted anyway
    "CONVERTER_MAX_JOBS": 200,
    # batches queued or running at once before new ones get 429
    "MAX_PENDING_BATCHES": 20,
    # items in one batch
    "MAX_BATCH_ITEMS": 2000,
    # seconds without a heartbeat after which a batch's runner counts as dead
    # and another process resumes the batch
    "BATCH_STALE_SECONDS": 120,
    # signs the web form's sessions and CSRF tokens; empty = one made once and
    # kept in the data folder (secret_key), shared by every worker
    "SECRET_KEY": "",
    # host names this service answers for (comma-separated); a request naming
    # another host gets 400, which defeats DNS rebinding. "*" allows any.
    "ALLOWED_HOSTS": "localhost,127.0.0.1,::1",
    # hours a web sign-in lasts
    "SESSION_HOURS": 8,
}

INT_KEYS = {
    "MAX_CONTENT_LENGTH",
    "CONVERTER_INSTANCES",
    "CONVERTER_TIMEOUT",
    "CONVERTER_MAX_JOBS",
    "MAX_PENDING_BATCHES",
    "MAX_BATCH_ITEMS",
    "BATCH_STALE_SECONDS",
    "SESSION_HOURS",
}


def load_settings(overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Defaults, then ``DOCGEN_*`` variables, then ``overrides``."""
    environ = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    for key in DEFAULTS:
        value = environ.get(f"DOCGEN_{key}")
        if value is None or value == "":
            continue
        if key in INT_KEYS:
            try:
                value = int(value)
            except ValueError:
                raise ConfigError(f"DOCGEN_{key} 应为整数，现为 {value!r}") from None
        settings[key] = value
    if overrides:
        settings.update(overrides)
    settings["DATA_DIR"] = str(Path(settings["DATA_DIR"]).resolve())
    if not settings["DATABASE_URL"]:
        settings["DATABASE_URL"] = "sqlite:///" + str(Path(settings["DATA_DIR"]) / "docgen.sqlite3")
    if not settings["CONVERTER_INSTANCES"]:
        settings["CONVERTER_INSTANCES"] = max(1, os.cpu_count() or 1)
    return settings
