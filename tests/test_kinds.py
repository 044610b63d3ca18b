"""Schemas and templates agree; /kinds answers as DESIGN.md says."""

from __future__ import annotations

import shutil
from pathlib import Path

import docx
import pytest

from docgen.config import PROJECT_DIR
from docgen.kinds import COMMON_VARIABLES, KINDS
from docgen.services.render import PreparedTemplate
from docgen.services.templates import fields_printed

TEMPLATES = PROJECT_DIR / "templates_docx"


def allowed_and_required(kind):
    fields = set(kind.model.model_fields)
    allowed = fields | set(COMMON_VARIABLES) | set(kind.extra_variables)
    required = fields - set(kind.unprinted_fields) - {kind.signing_date_field} - {"issued_on"}
    return allowed, required


def template_variables(path: Path) -> set[str]:
    return PreparedTemplate.load(path).variables()


@pytest.mark.parametrize("kind_id", list(KINDS))
def test_template_variables_match_the_schema(kind_id):
    kind = KINDS[kind_id]
    allowed, required = allowed_and_required(kind)
    used = template_variables(TEMPLATES / kind.template)
    assert used <= allowed, f"{kind.template} uses names its schema lacks: {sorted(used - allowed)}"
    printed = fields_printed(kind, used)
    assert required <= printed, f"{kind.template} no longer prints: {sorted(required - printed)}"


def _edit_template(src: Path, dst: Path, old: str, new: str) -> None:
    document = docx.Document(src)
    runs = [r for p in document.paragraphs for r in p.runs] + [
        r for t in document.tables for row in t.rows for c in row.cells for p in c.paragraphs for r in p.runs
    ]
    hits = [r for r in runs if old in r.text]
    assert hits, f"{old!r} not found in {src.name}"
    for run in hits:
        run.text = run.text.replace(old, new)
    document.save(dst)


def test_a_misspelled_field_fails_loudly(tmp_path):
    kind = KINDS["supervision-prompt"]
    _edit_template(TEMPLATES / kind.template, tmp_path / kind.template, "{{ matter }}", "{{ mater }}")
    allowed, _ = allowed_and_required(kind)
    assert "mater" in template_variables(tmp_path / kind.template) - allowed


def test_a_dropped_field_fails_loudly(tmp_path):
    kind = KINDS["supervision-report"]
    _edit_template(TEMPLATES / kind.template, tmp_path / kind.template, "{{ reporter }}", "")
    _, required = allowed_and_required(kind)
    assert "reporter" in required - template_variables(tmp_path / kind.template)


def test_an_edited_template_is_picked_up_without_restart(tmp_path, data_dir):
    from docgen import create_app
    from tests.conftest import example
    from tests.docx_text import text

    for kind in KINDS.values():
        shutil.copy(TEMPLATES / kind.template, tmp_path / kind.template)
    client = create_app({"DATA_DIR": str(data_dir), "TEMPLATES_DIR": str(tmp_path)}).test_client()
    payload = example("supervision-prompt")
    assert "进行回复" in text(client.post("/api/v1/drafts/supervision-prompt", json=payload).data)
    _edit_template(tmp_path / "supervision-prompt.docx", tmp_path / "supervision-prompt.docx", "进行回复", "书面回复")
    assert "书面回复" in text(client.post("/api/v1/drafts/supervision-prompt", json=payload).data)


def test_kinds_list(client):
    response = client.get("/api/v1/kinds")
    assert response.status_code == 200
    assert [k["kind"] for k in response.json] == [
        "key-work-ledger", "supervision-ledger", "supervision-report", "supervision-prompt", "accountability-notice"
    ]
    titles = {k["kind"]: k["title"] for k in response.json}
    assert titles["supervision-prompt"] == "督办提示"
    assert titles["accountability-notice"] == "督查问责通知书"
    assert all(k["description"] for k in response.json)


@pytest.mark.parametrize("kind_id", list(KINDS))
def test_kind_detail_has_schema_with_chinese_titles_and_a_valid_example(client, kind_id):
    response = client.get(f"/api/v1/kinds/{kind_id}")
    assert response.status_code == 200
    body = response.json
    assert set(body) >= {"kind", "title", "schema", "example"}
    properties = body["schema"]["properties"]
    for name, prop in properties.items():
        assert name.isascii() and name.isidentifier()
        assert any("\u4e00" <= ch <= "\u9fff" for ch in prop["title"]), f"{name} has no Chinese title"
    draft = client.post(f"/api/v1/drafts/{kind_id}", json=body["example"])
    assert draft.status_code == 200


def test_unknown_kind_detail_is_404(client):
    assert client.get("/api/v1/kinds/nope").status_code == 404
