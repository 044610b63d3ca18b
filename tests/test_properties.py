"""Property test: any Unicode in any text field of any kind gets 201 or 422,
never a 500, and what is issued is always a .docx that opens."""

from __future__ import annotations

import copy
import io
import zipfile

import pytest
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docgen import create_app
from docgen.kinds import KINDS


def _resolve(schema: dict, node: dict) -> dict:
    while True:
        if "$ref" in node:
            node = schema.get("$defs", {}).get(node["$ref"].rsplit("/", 1)[-1], {})
            continue
        options = [o for o in node.get("anyOf", []) if o.get("type") != "null"]
        if len(options) == 1:
            node = options[0]
            continue
        return node


def text_fields(kind) -> list[tuple[str, ...]]:
    """Paths of every free-text field: top-level ones, and those of the first row of a table."""
    schema = kind.schema()
    paths: list[tuple[str, ...]] = []
    for name, raw in schema.get("properties", {}).items():
        spec = _resolve(schema, raw)
        if spec.get("type") == "string" and "format" not in spec and "enum" not in spec:
            paths.append((name,))
        elif spec.get("type") == "array":
            items = _resolve(schema, spec.get("items", {}))
            for column, sub in items.get("properties", {}).items():
                sub = _resolve(schema, sub)
                if sub.get("type") == "string" and "format" not in sub and "enum" not in sub:
                    paths.append((name, "0", column))
    return paths


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app({"DATA_DIR": str(tmp_path_factory.mktemp("properties")), "TESTING": True, "SECRET_KEY": "test"})
    return app.test_client()


@pytest.mark.parametrize("kind_id", list(KINDS))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_any_unicode_in_any_text_field_is_201_or_422_and_a_valid_docx(client, kind_id, data):
    kind = KINDS[kind_id]
    payload = copy.deepcopy(kind.example)
    fields = text_fields(kind)
    assert fields, f"{kind_id} has text fields"
    for path in fields:
        target = payload
        for part in path[:-1]:
            target = target[int(part)] if part.isdigit() else target.setdefault(part, [{}])
        target[path[-1]] = data.draw(st.text(max_size=300), label=".".join(path))
    answer = client.post(f"/api/v1/documents/{kind_id}", json=payload)
    assert answer.status_code in (201, 422), answer.get_data(as_text=True)[:500]
    body = answer.json
    if answer.status_code == 422:
        assert body["error"] and body["details"], body
        return
    docx = client.get(body["links"]["docx"])
    assert docx.status_code == 200
    with zipfile.ZipFile(io.BytesIO(docx.data)) as archive:
        assert archive.testzip() is None
    Document(io.BytesIO(docx.data))  # opens: the XML is well-formed
