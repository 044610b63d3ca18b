"""docgen: the official papers of a supervision office, from JSON."""

from __future__ import annotations

from typing import Any

from flask import Flask

from docgen.config import load_settings


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Wire the service: settings, the office, the API and the form."""
    from docgen import (
        access,
        api,
        api_escalations,
        api_matters,
        api_replies,
        api_reports,
        calendar_api,
        dashboard,
        errormap,
        preflight_api,
        web,
        web_matters,
        web_reports,
    )
    from docgen.services.office import Office

    settings = load_settings(test_config)
    app = Flask(__name__, instance_path=settings["DATA_DIR"], instance_relative_config=False)
    app.config.update(settings)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.extensions["docgen"] = Office(settings)
    access.init_app(app)
    api.init_app(app)
    calendar_api.init_app(app)
    preflight_api.init_app(app)
    web.init_app(app)
    dashboard.init_app(app)
    api_matters.init_app(app)
    api_replies.init_app(app)
    api_escalations.init_app(app)
    api_reports.init_app(app)
    web_reports.init_app(app)
    web_matters.init_app(app)
    errormap.init_app(app)
    web.exempt_api_from_csrf(app)
    return app
