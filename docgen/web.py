"""The clerks' form (Chinese). Thin: every action calls the office's services."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("web", __name__)


@bp.get("/")
def index() -> str:
    return "<!doctype html><meta charset=utf-8><title>docgen 督查公文</title><h1>督查公文生成服务</h1><p>接口见 <a href=/api/v1/openapi.json>/api/v1/openapi.json</a></p>"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
