"""Every paper the suite can make passes the GB/T 9704 preflight: every kind of
the default and the forestry profile, as a draft and issued, with its example
and with a long (stress) payload; each paper of a batch packet; the reports for
the leaders (monthly report with its listing, quarterly bulletin, the forestry
月通报), as drafts and issued. First pages go to test-artifacts/ as PNGs.

A packet's cover (签批单, the list of papers) is no 公文 and is left out by
design; its papers are checked one by one, cut where their page numbers start
again at — 1 —, the blank pages put in for duplex printing dropped."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium
import pytest

from docgen import create_app
from docgen.kinds import BUNDLED, activate
from docgen.services.packet import extract_pages, read_pages
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
    broken = [line for line in table_lines(pdf) if "〔" in line and not WHOLE_NUMBER.search(line)]
    assert not broken, (name, "表格中的文号断在两行", broken)


WHOLE_NUMBER = re.compile(r"[\u4e00-\u9fff]+〔\d{4}〕\d+号")


def table_lines(pdf: bytes) -> list[str]:
    """The text lines inside tables (a number in running text may break like any words)."""
    out = []
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            boxes = [table.bbox for table in page.find_tables()]
            for line in page.extract_text_lines():
                x, y = (line["x0"] + line["x1"]) / 2, (line["top"] + line["bottom"]) / 2
                if any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes):
                    out.append("".join(line["text"].split()))
    return out


def packet_papers(packet: bytes) -> list[bytes]:
    """The papers of a packet, each its own PDF: the cover (before the first — 1 —) and the blank duplex pages left out."""
    pages = read_pages(packet)
    starts = [i for i, page in enumerate(pages) if page.number == 1]
    ranges = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(pages)
        ranges.append([i for i in range(start, end) if pages[i].lines])
    return extract_pages(packet, ranges)


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


def test_every_paper_of_a_batch_packet_passes_the_preflight(client):
    """Papers converted together (one joined LibreOffice pass) and cut apart, as the leader signs them."""
    profile, http = client
    kind = {"default": "supervision-prompt", "forestry": "rectification-notice"}[profile]
    example = http.get(f"/api/v1/kinds/{kind}").json["example"]
    items = [example, stretch(example)]
    batch = http.post("/api/v1/batches", json={"kind": kind, "items": items, "issue": False}).json
    deadline = time.monotonic() + 120
    while batch["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        batch = http.get(f"/api/v1/batches/{batch['id']}").json
    assert batch["status"] == "done", batch
    packet = http.get(f"/api/v1/batches/{batch['id']}/packet.pdf")
    assert packet.status_code == 200
    papers = packet_papers(packet.data)
    assert len(papers) == len(items)
    failures = []
    for n, paper in enumerate(papers, start=1):
        try:
            check(paper, f"{profile}-{kind}-packet-{n}")
        except AssertionError as error:
            failures.append(str(error))
    assert not failures, "\n".join(failures)


def test_the_reports_for_the_leaders_pass_the_preflight(client):
    """The month's and the quarter's reports over the papers issued above, as drafts and issued."""
    profile, http = client
    papers = http.get("/api/v1/documents").json
    papers = papers["items"] if isinstance(papers, dict) else papers
    day = max(dt.date.fromisoformat(p["issued_on"]) for p in papers)
    reports = {
        "monthly": ("/api/v1/reports/monthly", {"year": day.year, "month": day.month, "with_papers": True}),
        "quarterly": ("/api/v1/reports/quarterly", {"year": day.year, "quarter": (day.month - 1) // 3 + 1}),
        "bulletin": ("/api/v1/reports/bulletin", {"year": day.year, "month": day.month}),
    }
    if profile == "default":
        del reports["bulletin"]  # the 月通报 is the forestry profile's
    failures = []
    for name, (url, body) in reports.items():
        for issue in (False, True):
            answer = http.post(f"{url}?format=pdf", json={**body, "issue": issue})
            assert answer.status_code == (201 if issue else 200), (name, answer.json)
            try:
                check(answer.data, f"{profile}-report-{name}-{'issued' if issue else 'draft'}")
            except AssertionError as error:
                failures.append(str(error))
    assert not failures, "\n".join(failures)
