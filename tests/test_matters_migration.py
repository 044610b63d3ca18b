"""The matters migration on a register made at the previous head, with papers in it: nothing is lost."""

from __future__ import annotations

import importlib.util
import sqlite3

from alembic import command
from alembic.config import Config

from docgen import create_app
from docgen.services.db import MIGRATIONS_DIR, get_engine
from tests.conftest import example


def previous_head() -> str:
    spec = importlib.util.spec_from_file_location("m0004", MIGRATIONS_DIR / "versions" / "0004_matters.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.down_revision


def test_a_register_of_the_previous_head_upgrades_with_its_papers_and_numbers(tmp_path):
    data_dir = tmp_path / "instance"
    data_dir.mkdir()
    db_path = data_dir / "docgen.sqlite3"
    url = f"sqlite:///{db_path}"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["engine"] = get_engine(url)
    command.upgrade(config, previous_head())
    with sqlite3.connect(db_path) as db:
        assert "matters" not in {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        db.execute("INSERT INTO series (kind, organisation, year, last_seq) VALUES ('supervision-prompt', '东丽区卫生局', 2026, 7)")
        for seq in (6, 7):
            db.execute(
                "INSERT INTO documents (id, kind, organisation, year, seq, number, status, issued_on, due_on, recipient, payload,"
                " search_text, template_sha256, file_key, file_sha256, created_at, issued_by) VALUES (?, 'supervision-prompt',"
                " '东丽区卫生局', 2026, ?, ?, 'issued', '2026-11-20', '2026-11-27', '区人民医院', ?, '院感防控', 'x', 'k', 's',"
                " '2026-11-20 08:00:00', '李干事')",
                (f"d{seq}", seq, f"东卫督办〔2026〕{seq}号",
                 '{"recipient": "区人民医院", "matter": "院感防控", "findings": ["落实进展缓慢"], "reply_days": 5}'),
            )
    app = create_app({"DATA_DIR": str(data_dir), "TESTING": True, "SECRET_KEY": "t"})  # upgrades to head at start
    client = app.test_client()
    old = client.get("/api/v1/documents/d7").json
    assert old["number"] == "东卫督办〔2026〕7号" and old["recipient"] == "区人民医院" and old["issued_by"] == "李干事"
    assert old["payload"]["findings"] == ["落实进展缓慢"] and old["due_on"] == "2026-11-27"
    assert {d["id"] for d in client.get("/api/v1/documents?year=2026").json} >= {"d6", "d7"}
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT matter_id FROM documents WHERE id = 'd6'").fetchone() == (None,)
        heads = db.execute("SELECT version_num FROM alembic_version").fetchall()
    assert len(heads) == 1
    # the series goes on, and a matter can now be registered and named by a paper
    matter = client.post("/api/v1/matters", json={"title": "院感防控", "source": "局长办公会", "department": "区人民医院",
                                                  "deadline": "2100-12-31"}).json
    paper = client.post("/api/v1/documents/supervision-prompt", json=example("supervision-prompt") | {"matter_id": matter["id"]})
    assert paper.status_code == 201, paper.json
    if paper.json["issued_on"].startswith("2026"):
        assert paper.json["number"] == "东卫督办〔2026〕8号"
    assert client.get(f"/api/v1/matters/{matter['id']}").json["papers"][0]["id"] == paper.json["id"]


def test_there_is_exactly_one_head():
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
