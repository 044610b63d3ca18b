"""Every paper the suite can make passes the GB/T 9704 preflight: every kind of
the default and the forestry profile, as a draft and issued, with its example
and with a long (stress) payload. First pages go to test-artifacts/ as PNGs."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pytest

from docgen import create_app
from docgen.kinds import BUNDLED, activate
from docgen.services.preflight import preflight_pdf

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
# Known open defects, named so that every other rule still guards the paper (none now).
KNOWN: dict[str, set[str]] = {}


def save_first_page(pdf: bytes, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    document = pdfium.PdfDocument(pdf)
    try:
        document[0].render(scale=1.5).to_pil().save(ARTIFACTS / f"{name}.png")
    finally:
        document.close()


def stretch(value, times: int = 6):
    """A long payload: every free text made several times longer."""
    if isinstance(value, str) and len(value) > 12 and not value[:4].isdigit():
        return (value + "，") * (times - 1) + value
    if isinstance(value, list):
        return [stretch(v, times) for v in value]
    if isinstance(value, dict):
        return {k: stretch(v, times) for k, v in value.items()}
    return value


@pytest.fixture(scope="module", params=["default", "forestry"])
def client(request, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("DOCGEN_PROFILE", request.param)
    app = create_app({"DATA_DIR": str(tmp_path_factory.mktemp(request.param)), "CONVERTER_INSTANCES": 1})
    yield request.param, app.test_client()
    mp.undo()
    activate(BUNDLED)


def check(pdf: bytes, name: str) -> None:
    save_first_page(pdf, name)
    problems = [p for p in preflight_pdf(pdf) if p.rule not in KNOWN.get(name, set())]
    assert not problems, (name, problems)


def test_every_kind_passes_the_preflight(client):
    profile, http = client
    kinds = [k["kind"] for k in http.get("/api/v1/kinds").json]
    failures = []
    for kind in kinds:
        example = http.get(f"/api/v1/kinds/{kind}").json["example"]
        for label, payload in (("example", example), ("stress", stretch(example))):
            draft = http.post(f"/api/v1/drafts/{kind}?format=pdf", json=payload)
            if draft.status_code != 200:  # a stretched text over a field's limit: the example stands
                assert label == "stress", draft.json
                continue
            try:
                check(draft.data, f"{profile}-{kind}-{label}-draft")
            except AssertionError as error:
                failures.append(str(error))
        issued = http.post(f"/api/v1/documents/{kind}", json={"date_reason": "补录", **example})
        if issued.status_code == 422:  # a follow-up whose example names a paper this register lacks: its draft stands
            continue
        assert issued.status_code == 201, issued.json
        pdf = http.get(issued.json["links"]["pdf"])
        try:
            check(pdf.data, f"{profile}-{kind}-issued")
        except AssertionError as error:
            failures.append(str(error))
    assert not failures, "\n".join(failures)
