"""Matters on a real PostgreSQL server: codes gapless under concurrency, progress, a paper naming a matter."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from docgen import create_app
from tests.test_postgres import postgres_url  # noqa: F401  (the server fixture)

pytestmark = pytest.mark.slow


def test_matters_on_postgresql(postgres_url, data_dir):  # noqa: F811
    app = create_app({"DATA_DIR": str(data_dir), "DATABASE_URL": postgres_url})
    matters = app.extensions["docgen"].matters

    def register(i: int) -> str:
        return matters.register_matter({"title": f"事项{i}", "source": "局长办公会", "department": "医政科", "deadline": "2100-12-31",
                                        "milestones": [{"due_on": "2100-06-30", "measure": "中期评估"}]}).code

    with ThreadPoolExecutor(6) as pool:
        codes = list(pool.map(register, range(30)))
    assert sorted(int(c.split("〕")[1][:-1]) for c in codes) == list(range(1, 31))
    client = app.test_client()
    first = client.get("/api/v1/matters?q=事项7").json[0]
    assert client.post(first["links"]["progress"], json={"period": "weekly", "progress": "推进中", "milestones_done": [0]}).status_code == 201
    paper = client.post("/api/v1/documents/supervision-prompt", json={"matter_id": first["code"], "findings": ["落实进展缓慢"]})
    assert paper.status_code == 201, paper.json
    shown = client.get(first["links"]["self"]).json
    assert [e["type"] for e in shown["timeline"]] == ["opened", "paper", "progress", "milestone"]
    assert shown["milestones"][0]["done_on"] is not None
    assert len(client.get("/api/v1/matters?department=医政科&per_page=500").json) == 30
