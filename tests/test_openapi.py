"""The OpenAPI document describes every endpoint, from the same models."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from docgen.kinds import KINDS


def test_openapi_lists_every_api_route(app, client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    validate(spec)
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not (rule.rule.startswith("/api/v1") or rule.rule == "/healthz"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, f"{method} {path} is not in openapi.json"


def test_payload_schemas_come_from_the_kind_models(client):
    spec = client.get("/api/v1/openapi.json").json
    schemas = spec["components"]["schemas"]
    for kind in KINDS.values():
        name = kind.model.__name__
        assert schemas[name]["properties"].keys() == kind.model.model_json_schema()["properties"].keys()
    body = spec["paths"]["/api/v1/documents/{kind}"]["post"]
    assert "201" in body["responses"] and "422" in body["responses"]
    assert body["parameters"][0]["schema"]["enum"] == list(KINDS)
