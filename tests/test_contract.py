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


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_keeps_the_contract(case):
    case.call_and_validate(
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
