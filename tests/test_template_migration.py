"""A register made before template versions were kept upgrades with nothing lost."""

from __future__ import annotations

import datetime as dt
import json

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text

from docgen import create_app
from docgen.services.db import MIGRATIONS_DIR, get_engine
from tests.conftest import example


def test_an_old_register_gains_template_versions_and_keeps_its_papers(data_dir):
    url = "sqlite:///" + str(data_dir / "docgen.sqlite3")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url)
    engine = get_engine(url)
    config.attributes["engine"] = engine
    command.upgrade(config, "0001")  # the register as it was first released
    assert "template_versions" not in inspect(engine).get_table_names()
    payload = example("supervision-prompt") | {"issued_on": "2026-11-02", "reply_days": 5}
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO series (kind, organisation, year, last_seq) VALUES ('supervision-prompt', '东丽区卫生局', 2026, 1)")
        )
        connection.execute(
            text(
                "INSERT INTO documents (id, kind, organisation, year, seq, number, status, issued_on, due_on, recipient, payload,"
                " search_text, template_sha256, file_key, file_sha256, created_at)"
                " VALUES ('old1', 'supervision-prompt', '东丽区卫生局', 2026, 1, '东卫督办〔2026〕1号', 'issued', :issued, :due,"
                " '区人民医院', :payload, '督办提示 东卫督办〔2026〕1号', :sha, 'none.docx', :sha, :now)"
            ),
            {
                "issued": dt.date(2026, 11, 2),
                "due": dt.date(2026, 11, 9),
                "payload": json.dumps(payload, ensure_ascii=False),
                "sha": "0" * 64,
                "now": dt.datetime(2026, 11, 2, 8, 0),
            },
        )

    app = create_app({"DATA_DIR": str(data_dir), "TESTING": True, "SECRET_KEY": "test"})  # upgrades to head
    client = app.test_client()
    assert "template_versions" in inspect(engine).get_table_names()
    old = client.get("/api/v1/documents/old1").json
    assert (old["number"], old["recipient"], old["template_version"]) == ("东卫督办〔2026〕1号", "区人民医院", None)
    assert old["payload"]["matter"] == payload["matter"]
    again, _ = app.extensions["docgen"].regenerate("old1")  # no version recorded: the current template
    assert again.startswith(b"PK")

    issued = client.post("/api/v1/documents/supervision-prompt", json=example("supervision-prompt") | {"issued_on": "2026-11-20"}).json
    assert issued["number"] == "东卫督办〔2026〕2号"  # the series goes on
    assert issued["template_version"] == 1
    assert [v["version"] for v in client.get("/api/v1/kinds/supervision-prompt/templates").json] == [1]
