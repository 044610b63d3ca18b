"""PDF through the interfaces users have: the draft API, an issued paper, the
CLI, /healthz — from a real warm LibreOffice — and 503 when it is missing."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from urllib.parse import unquote

import pdfplumber
import pytest
from pypdf import PdfReader

from docgen import create_app
from tests.conftest import example

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pdf_app(tmp_path_factory):
    data = tmp_path_factory.mktemp("pdf")
    return create_app({"DATA_DIR": str(data), "CONVERTER_INSTANCES": 1})


@pytest.fixture
def pdf_client(pdf_app):
    return pdf_app.test_client()


def pdf_text(content: bytes) -> str:
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def flat(text: str) -> str:
    """The text without the line breaks and spaces that layout put in."""
    return "".join(text.split())


def chinese_fonts(content: bytes) -> set[str]:
    """The embedded fonts that Chinese characters are drawn with."""
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        return {
            ch["fontname"].split("+")[-1]
            for page in pdf.pages
            for ch in page.chars
            if "\u4e00" <= ch["text"] <= "\u9fff"
        }


def test_draft_pdf_has_the_text_and_chinese_fonts(pdf_client):
    response = pdf_client.post("/api/v1/drafts/supervision-prompt?format=pdf", json=example("supervision-prompt"))
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "application/pdf"
    assert unquote(response.headers["Content-Disposition"].split("filename*=UTF-8''")[1]) == "督办提示-区人民医院-草稿.pdf"
    text = flat(pdf_text(response.data))
    assert "东丽区卫生局督办提示" in text
    assert "现要求你单位（科室）接到本通知后5个工作日内进行回复" in text
    assert "—1—" in text
    # Every Chinese character is set in a CJK face (FandolFang for 仿宋, Noto Serif
    # CJK Bold for 小标宋, Noto Sans CJK for the draft's 黑体 草稿 mark, as fonts.conf maps them),
    # never in a Latin fallback; symbols like ☑ may
    # come from DejaVu. Noto CJK names every language face "…CJKjp…" inside its
    # .ttc; that the SC glyphs are used is checked glyph by glyph in test_convert.py.
    fonts = chinese_fonts(response.data)
    assert fonts == {"FandolFang-Regular", "NotoSerifCJKjp-Bold-VKana", "NotoSansCJKjp-Regular-VKana"}, fonts


def test_issued_paper_pdf_carries_its_number_and_is_kept(pdf_client, pdf_app):
    issued = pdf_client.post("/api/v1/documents/supervision-prompt", json=dict(example("supervision-prompt"), issued_on="2026-11-20")).json
    first = pdf_client.get(issued["links"]["pdf"])
    assert first.status_code == 200
    text = flat(pdf_text(first.data))
    assert issued["number"] in text and "2026年11月20日" in text
    again = pdf_client.get(issued["links"]["pdf"])
    assert again.data == first.data  # made once, then served from storage


def test_every_kind_converts(pdf_client):
    from docgen.kinds import KINDS

    for kind in KINDS:
        response = pdf_client.post(f"/api/v1/drafts/{kind}?format=pdf", json=example(kind))
        assert response.status_code == 200, kind
        assert PdfReader(io.BytesIO(response.data)).pages


def test_healthz_shows_the_converter(pdf_client):
    pdf_client.post("/api/v1/drafts/supervision-prompt?format=pdf", json=example("supervision-prompt"))
    health = pdf_client.get("/healthz").json
    assert health["status"] == "ok"
    assert health["converter"]["instances"]


def test_cli_render_pdf(tmp_path, data_dir):
    payload = tmp_path / "p.json"
    payload.write_text(json.dumps(example("supervision-report"), ensure_ascii=False), encoding="utf-8")
    env = dict(os.environ, DOCGEN_DATA_DIR=str(data_dir), DOCGEN_CONVERTER_INSTANCES="1")
    result = subprocess.run(
        [sys.executable, "-m", "docgen.cli", "render", "supervision-report", str(payload), "-o", str(tmp_path / "out.pdf")],
        env=env, capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert "东丽区卫生局督查报告" in flat(pdf_text((tmp_path / "out.pdf").read_bytes()))


def test_without_libreoffice_pdf_is_503_and_docx_still_works(data_dir):
    client = create_app({"DATA_DIR": str(data_dir), "SOFFICE": "/nonexistent/soffice"}).test_client()
    pdf = client.post("/api/v1/drafts/supervision-prompt?format=pdf", json=example("supervision-prompt"))
    assert pdf.status_code == 503
    assert pdf.json["error"] == "converter_unavailable"
    assert "LibreOffice" in pdf.json["message"]
    docx = client.post("/api/v1/drafts/supervision-prompt", json=example("supervision-prompt"))
    assert docx.status_code == 200
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("kind", ["supervision-prompt", "accountability-notice"])
def test_a_long_notice_runs_on_from_the_title_page_with_the_signature_under_its_text(pdf_client, kind):
    # a body too long for the first page starts under the title and runs on;
    # the signature is never stranded on a page of its own
    payload = dict(example("supervision-prompt"), matter="院感防控工作中的手卫生依从性、消毒隔离制度落实和医疗废物分类处置" * 12)
    if kind == "accountability-notice":
        payload = {"recipient": "区人民医院", "matter": payload["matter"], "findings": payload["findings"],
                   "prompt_number": "东卫督办〔2026〕1号", "prompt_issued_on": "2026-11-02"}
    response = pdf_client.post(f"/api/v1/drafts/{kind}?format=pdf", json=payload)
    assert response.status_code == 200, response.data[:300]
    with pdfplumber.open(io.BytesIO(response.data)) as pdf:
        pages = [flat(page.extract_text() or "") for page in pdf.pages]
    assert len(pages) == 2, pages
    assert "通过督查发现你单位（科室）院感防控" in pages[0]
    ending = "内进行回复。" if kind == "supervision-prompt" else "说明情况。"
    # the body's last lines come before the signature on the last page
    assert ending in pages[1] and "行政办公室" in pages[1]
    assert "你单位（科室）" in pages[1][: pages[1].index(ending)]
