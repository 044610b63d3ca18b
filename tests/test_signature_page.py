"""No page holds only the signature block (GB/T 9704: "此页无正文"), from a real
LibreOffice: notices of every matter length, one at a time and in batch runs,
issued papers (whose .docx stays as issued), and the 督查报告 whose 报告人 line
follows a table."""

from __future__ import annotations

import io

import pdfplumber
import pypdfium2 as pdfium
import pytest

from docgen import create_app
from docgen.kinds import BUNDLED, activate, get_kind
from docgen.services.batch import MAX_RUN, convert_papers
from docgen.services.preflight import preflight_pdf
from tests.conftest import example
from tests.test_batch import client_get, wait_done

pytestmark = pytest.mark.slow

MATTER = "院感防控工作中的手卫生依从性、消毒隔离制度落实和医疗废物分类处置"
OFFICES = "行政办公室"
BODY_START = "通过督查发现你单位（科室）"
ENDING = {"supervision-prompt": "内进行回复。", "accountability-notice": "说明情况。"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return create_app({"DATA_DIR": str(tmp_path_factory.mktemp("signature")), "TESTING": True, "SECRET_KEY": "test", "CONVERTER_INSTANCES": 1})


@pytest.fixture(scope="module")
def office(app):
    return app.extensions["docgen"]


@pytest.fixture
def client(app):
    return app.test_client()


def matter(length: int) -> str:
    return (MATTER * (length // len(MATTER) + 1))[:length]


def notice(kind: str, length: int) -> dict:
    payload = dict(example("supervision-prompt"), matter=matter(length))
    if kind == "accountability-notice":
        payload = {"recipient": "区人民医院", "matter": payload["matter"], "findings": payload["findings"],
                   "prompt_number": "东卫督办〔2026〕1号", "prompt_issued_on": "2026-11-02"}
    return payload


def page_texts(pdf: bytes) -> list[str]:
    """Each page's text without the spaces and line breaks of the layout (pdfium: a millisecond a page)."""
    document = pdfium.PdfDocument(pdf)
    try:
        texts = []
        for page in document:
            textpage = page.get_textpage()
            texts.append("".join(textpage.get_text_range().split()))
            textpage.close()
            page.close()
        return texts
    finally:
        document.close()


def alone_or_title(pdf: bytes) -> list:
    return [p for p in preflight_pdf(pdf) if p.rule in ("落款", "标题")]


@pytest.mark.parametrize("kind", ["supervision-prompt", "accountability-notice"])
def test_no_notice_leaves_its_signature_alone_whatever_the_length_of_its_matter(office, kind):
    # Matters of 1 to 1000 characters, every 13th: a line holds 28, so every count of body
    # lines is met at least twice, and with it every place a page can end. Over 500
    # characters (the field's limit) stands for the longer bodies of other templates.
    # Converted as a batch run converts them: MAX_RUN papers joined in one LibreOffice pass.
    lengths = list(range(1, 1001, 13))
    validated_kind, payload = office.validate(kind, notice(kind, 10))
    docxs = [office.renderer.render(validated_kind, payload.model_copy(update={"matter": matter(n)})) for n in lengths]
    papers = []
    for start in range(0, len(docxs), MAX_RUN):
        papers += convert_papers(office, docxs[start : start + MAX_RUN])
    failures = []
    for length, paper in zip(lengths, papers, strict=True):
        pages = page_texts(paper.pdf)
        if BODY_START not in pages[0]:
            failures.append((length, "正文没有从标题页开始", pages[0][-40:]))
        if ENDING[kind] not in pages[-1] or OFFICES not in pages[-1]:
            failures.append((length, "落款页没有正文", pages[-1][:60]))
        if any(OFFICES in page for page in pages[:-1]):
            failures.append((length, "落款不在最后一页", len(pages)))
    assert not failures, failures
    assert {paper.pages for paper in papers} == {1, 2, 3}
    # lengths that left the offices and the date alone on page 2 and on page 3 before
    for length in (287, 937):
        paper = papers[lengths.index(length)]
        assert alone_or_title(paper.pdf) == [], length
        last = page_texts(paper.pdf)[-1]
        assert len(last[: last.index(ENDING[kind])]) >= 28, length  # the body's last lines came along


def test_a_long_notice_issued_keeps_its_docx_and_its_pdf_carries_its_last_lines(client, office):
    issued = client.post("/api/v1/documents/supervision-prompt", json=dict(notice("supervision-prompt", 384), issued_on="2026-11-20"))
    assert issued.status_code == 201, issued.get_json()
    pdf = client.get(issued.get_json()["links"]["pdf"]).data
    pages = page_texts(pdf)
    assert len(pages) == 2 and BODY_START in pages[0]
    assert "你单位（科室）" in pages[1] and pages[1].index("内进行回复。") < pages[1].index("东丽区卫生局党办")
    assert "2026年11月20日" in pages[1]
    assert alone_or_title(pdf) == []
    # the .docx is the one issued: no page break put in, made again byte for byte
    docx = client.get(issued.get_json()["links"]["docx"]).data
    regenerated, same_template = office.regenerate(issued.get_json()["id"])
    assert same_template and regenerated == docx
    assert b'w:type="page"' not in docx


def test_a_batch_packet_has_no_page_with_only_a_signature(client):
    items = [notice("supervision-prompt", n) for n in (100, 300, 384, 460)]
    answer = client.post("/api/v1/batches", json={"kind": "supervision-prompt", "items": items, "issue": False})
    assert answer.status_code == 202, answer.get_json()
    done = wait_done(client_get(client), answer.get_json()["id"], timeout=180)
    assert done["status"] == "done", done
    packet = client.get(answer.get_json()["links"]["packet"])
    pages = page_texts(packet.data)
    signed = [page for page in pages if OFFICES in page]
    assert len(signed) == 4
    assert all("内进行回复。" in page for page in signed), signed


def report(length: int) -> dict:
    text = matter(length)
    return dict(example("supervision-report"), content=text, result=text, improvements=text)


def test_a_report_of_150_characters_starts_its_table_under_the_title(client):
    response = client.post("/api/v1/drafts/supervision-report?format=pdf", json=report(150))
    assert response.status_code == 200
    pages = page_texts(response.data)
    assert "督查内容：" + MATTER[:10] in pages[0]  # the table begins on the title's page
    assert len(pages) == 2 and "报告人：" in pages[-1]
    assert alone_or_title(response.data) == []


@pytest.mark.parametrize("length", [300, 500])
def test_the_reporter_line_never_stands_alone(client, length):
    # 300 and 500 characters a field used to put 报告人/报告日期 alone on page 3 and 4
    response = client.post("/api/v1/drafts/supervision-report?format=pdf", json=report(length))
    assert response.status_code == 200
    layout = [p for p in preflight_pdf(response.data) if p.rule in ("落款", "标题", "上边距", "左边距", "版心")]
    assert layout == []
    with pdfplumber.open(io.BytesIO(response.data)) as pdf:
        last = "".join((pdf.pages[-1].extract_text() or "").split())
    # the last lines of 改进措施 came along, above 报告人
    assert last.index(matter(length)[-8:]) < last.index("报告人：张明")


@pytest.fixture(scope="module")
def forestry(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("DOCGEN_PROFILE", "forestry")
    app = create_app({"DATA_DIR": str(tmp_path_factory.mktemp("forestry")), "TESTING": True, "SECRET_KEY": "test", "CONVERTER_INSTANCES": 1})
    yield app.extensions["docgen"]
    mp.undo()
    activate(BUNDLED)


@pytest.mark.parametrize(
    ("kind", "field", "lengths"),
    [
        # lengths of the free text that left the signature alone on page 2 or 3 before
        ("yellow-card-warning", "situation", (183, 261, 807)),  # the last of two paragraphs carried in part
        ("accountability-referral", "situation", (105, 716)),  # ends with 妥否，请批示。, a paragraph of one line
        ("supervision-notice", "requirements", (300, 508, 950)),  # a table, a paragraph, the signature
    ],
)
def test_the_forestry_papers_keep_their_signature_with_their_text(forestry, kind, field, lengths):
    validated_kind, payload = forestry.validate(kind, get_kind(kind).example)
    docxs = [forestry.renderer.render(validated_kind, payload.model_copy(update={field: matter(n)})) for n in lengths]
    for length, paper in zip(lengths, convert_papers(forestry, docxs), strict=True):
        assert paper.pages > 1, length
        assert [p for p in preflight_pdf(paper.pdf) if p.rule in ("落款", "标题", "上边距", "左边距")] == [], length
