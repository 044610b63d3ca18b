"""The replies migration on a register made at the previous head, with papers in it: nothing is lost, and old papers take replies."""

from __future__ import annotations

import sqlite3

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from docgen import create_app
from docgen.services.db import MIGRATIONS_DIR, get_engine


def test_a_register_of_the_previous_head_upgrades_and_its_old_reminders_take_replies(tmp_path):
    data_dir = tmp_path / "instance"
    data_dir.mkdir()
    db_path = data_dir / "docgen.sqlite3"
    url = f"sqlite:///{db_path}"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["engine"] = get_engine(url)
    command.upgrade(config, "0004_matters")
    with sqlite3.connect(db_path) as db:
        assert "replies" not in {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        db.execute("INSERT INTO series (kind, organisation, year, last_seq) VALUES ('supervision-prompt', '东丽区卫生局', 2026, 3)")
        for seq in (1, 2, 3):
            db.execute(
                "INSERT INTO documents (id, kind, organisation, year, seq, number, status, issued_on, due_on, recipient, payload,"
                " search_text, template_sha256, file_key, file_sha256, created_at, issued_by) VALUES (?, 'supervision-prompt',"
                " '东丽区卫生局', 2026, ?, ?, 'issued', '2026-11-02', '2026-11-09', '区人民医院', ?, '院感防控', 'x', 'k', 's',"
                " '2026-11-02 08:00:00', '李干事')",
                (f"d{seq}", seq, f"东卫督办〔2026〕{seq}号", '{"recipient": "区人民医院", "matter": "院感防控", "reply_days": 5}'),
            )
    app = create_app({"DATA_DIR": str(data_dir), "TESTING": True, "SECRET_KEY": "t"})  # upgrades to head at start
    client = app.test_client()
    papers = {d["id"]: d for d in client.get("/api/v1/documents?year=2026").json}
    assert [papers[f"d{i}"]["number"] for i in (1, 2, 3)] == [f"东卫督办〔2026〕{i}号" for i in (1, 2, 3)]
    # long past their deadline all three are overdue, until one is answered on time
    assert {d["state"] for d in papers.values()} == {"overdue"}
    answer = client.post("/api/v1/documents/d2/reply", json={"received_on": "2026-11-06", "summary": "已整改"})
    assert answer.status_code == 201, answer.json
    assert answer.json["reply"]["on_time"] is True and answer.json["issued_by"] == "李干事"
    overdue = client.get("/api/v1/documents", query_string={"state": "overdue", "as_of": "2026-11-30"}).json
    assert sorted(d["id"] for d in overdue) == ["d1", "d3"]
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(ScriptDirectory.from_config(config).get_current_head(),)]
