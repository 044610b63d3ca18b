"""Every operation of openapi.json, called with generated requests: no server error, no answer off the contract.

The operations are enumerated from the served schema (``schema.parametrize``
makes one test per operation), so an endpoint added later is checked too.
The number of examples per operation is bounded to keep the run short.
"""

from __future__ import annotations

import tempfile

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import allow_header_conformance, positive_data_acceptance

from docgen import create_app

_DATA_DIR = tempfile.TemporaryDirectory(prefix="docgen-contract-")
app = create_app({"DATA_DIR": _DATA_DIR.name, "TESTING": True, "SECRET_KEY": "contract"})
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
# the API denies every request without a credential: the contract is checked as an administrator
AUTH = {"Authorization": "Bearer " + app.extensions["docgen"].accounts.create_token("接口契约测试", "admin")}


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_keeps_the_contract(case):
    case.call_and_validate(
        headers=AUTH,
        excluded_checks=[
            # Rules beyond a schema answer 422 to schema-valid requests, as they should: an
            # accountability notice must follow a registered, overdue reminder; working days
            # need holiday data for the year.
            positive_data_acceptance,
            # POST /documents/{kind} and GET /documents/{id} share one URL shape, so the
            # URL's Allow lists both methods while OpenAPI keeps the two paths apart.
            # (405 answers carry Allow: tests/test_errormap.py.)
            allow_header_conformance,
        ]
    )


def test_live_answers_of_every_operation_match_the_description():
    """Real ids and valid bodies, so the success answers (a paper, a batch, its numbers) are checked too."""
    import time

    from tests.conftest import example

    client = app.test_client()
    paper = client.post("/api/v1/documents/supervision-prompt", json=example("supervision-prompt")).get_json()
    batch = client.post("/api/v1/batches", json={"kind": "supervision-prompt", "items": [example("supervision-prompt")], "issue": True}).get_json()
    for _ in range(600):
        if client.get(f"/api/v1/batches/{batch['id']}").get_json()["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    matter_body = {"title": "院感防控专项整治", "source": "局长办公会", "department": "医政科", "deadline": "2100-12-31",
                   "milestones": [{"due_on": "2100-06-30", "measure": "中期评估"}, {"measure": "每季度检查一次"}]}
    matter = client.post("/api/v1/matters", json=matter_body).get_json()
    values = {"kind": "supervision-prompt", "document_id": paper["id"], "batch_id": batch["id"], "version": 1, "matter_id": matter["id"]}
    bodies = {
        "POST /api/v1/documents/{kind}": example("supervision-prompt"),
        "POST /api/v1/drafts/{kind}": example("supervision-prompt"),
        "POST /api/v1/batches": {"kind": "supervision-prompt", "items": [example("supervision-prompt")]},
        "POST /api/v1/documents/{document_id}/void": {"reason": "核对契约"},
        "POST /api/v1/matters": matter_body,
        "POST /api/v1/matters/{matter_id}/progress": {"period": "weekly", "progress": "按计划推进", "milestones_done": [0]},
    }
    statuses = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        params = {name: values.get(name, "x") for name in _path_names(operation.path)}
        kwargs = {"path_parameters": params} if params else {}
        if operation.label in bodies:
            kwargs.update(body=bodies[operation.label], media_type="application/json")
        case = operation.Case(**kwargs)
        response = case.call_and_validate(headers=AUTH, excluded_checks=[positive_data_acceptance, allow_header_conformance])
        statuses[operation.label] = response.status_code
    for label in ("GET /api/v1/documents/{document_id}", "GET /api/v1/documents", "GET /api/v1/batches/{batch_id}",
                  "GET /api/v1/batches/{batch_id}/documents", "POST /api/v1/documents/{kind}", "POST /api/v1/batches",
                  "GET /api/v1/kinds/{kind}", "GET /healthz", "GET /api/v1/matters", "GET /api/v1/matters/{matter_id}",
                  "POST /api/v1/matters"):
        assert 200 <= statuses[label] < 300, (label, statuses[label])


def _path_names(path: str) -> list[str]:
    import re

    return re.findall(r"{([^}]+)}", path)
