"""The GB/T 9704 preflight: a clean paper passes; each doctored paper fails
on its rule, named in Chinese with its page — through the service, the CLI
and POST /api/v1/preflight, on real PDFs from the real converter."""

from __future__ import annotations

import io
import json

import pytest
from click.testing import CliRunner
from docx import Document
from docx.enum.text import WD_BREAK
from docx.shared import Mm, Pt

from docgen import create_app
from docgen.cli import main
from docgen.services.preflight import preflight_docx, preflight_pdf
from tests.conftest import admin_token, example

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pf_app(tmp_path_factory):
    data = tmp_path_factory.mktemp("preflight")
    return create_app({"DATA_DIR": str(data), "CONVERTER_INSTANCES": 1})


@pytest.fixture(scope="module")
def office(pf_app):
    return pf_app.extensions["docgen"]


@pytest.fixture(scope="module")
def prompt_docx(office) -> bytes:
    return office.draft("supervision-prompt", example("supervision-prompt"), "docx").content


def doctored(docx: bytes, change) -> bytes:
    document = Document(io.BytesIO(docx))
    change(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def rules(problems) -> set[str]:
    return {p.rule for p in problems}


def replace_text(document, old: str, new: str) -> None:
    for paragraph in document.paragraphs:
        for run in paragraph.runs:
            if old in run.text:
                run.text = run.text.replace(old, new)


def add_line(text: str):
    def change(document):
        document.paragraphs[2].add_run(text)

    return change


def test_a_clean_paper_passes_on_layout(office, prompt_docx):
    problems = preflight_pdf(office.to_pdf(prompt_docx))
    assert problems == []


def set_margins(document):
    for section in document.sections:
        section.top_margin = Mm(20)
        section.left_margin = Mm(15)


def letter(document):
    for section in document.sections:
        section.page_width, section.page_height = Mm(215.9), Mm(279.4)


def small_body(document):
    for paragraph in document.paragraphs[1:]:
        for run in paragraph.runs:
            run.font.size = Pt(10)


def small_title(document):
    for run in document.paragraphs[0].runs:
        run.font.size = Pt(16)


def lone_signature(document):
    signature = next(p for p in document.paragraphs if "党办" in p.text)
    signature.insert_paragraph_before().add_run().add_break(WD_BREAK.PAGE)


def character_spacing(twips: int):
    """Every character wider or narrower by ``twips``/20 pt (the defaults' condensing replaced)."""

    def change(document):
        from docx.oxml.ns import qn

        rpr = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
        rpr.find(qn("w:spacing")).set(qn("w:val"), str(twips))

    return change


def loose_lines(document):
    for style in ("Normal", "公文正文"):
        document.styles[style].paragraph_format.line_spacing = Pt(33)


def narrow_right_margin(document):
    for section in document.sections:
        section.right_margin = Mm(12)


def title_alone(document):
    document.paragraphs[0].add_run().add_break(WD_BREAK.PAGE)


def fangsong_title(document):
    from docx.oxml.ns import qn

    for run in document.paragraphs[0].runs:
        run.font.name = "仿宋_GB2312"
        run._element.rPr.rFonts.set(qn("w:eastAsia"), "仿宋_GB2312")


@pytest.mark.parametrize(
    ("change", "rule", "words"),
    [
        (set_margins, "上边距", "上边距"),
        (set_margins, "左边距", "左边距"),
        (letter, "A4", "A4"),
        (small_body, "正文字号", "10 磅"),
        (small_title, "标题字号", "22 磅"),
        (lone_signature, "落款", "此页无正文"),
        (add_line("（东卫督办[2026]7号）"), "发文字号", "六角括号"),
        (add_line("（东卫督办〔2026〕07号）"), "发文字号", "虚位"),
        (add_line("（东卫督办〔2026〕第7号）"), "发文字号", "第"),
        (add_line("于2026-11-23前"), "日期", "2026年11月23日"),
        (add_line("于2026年03月05日前"), "日期", "虚位"),
        (character_spacing(0), "行字数", "应为每行 28 字"),
        (character_spacing(-30), "行字数", "应为每行 28 字"),
        (loose_lines, "行数", "应为 22 行"),
        (narrow_right_margin, "版心", "超出版心"),
        (title_alone, "标题", "只有标题"),
        (fangsong_title, "标题字体", "小标宋"),
    ],
    ids=[
        "top", "left", "letter", "body10pt", "title16pt", "lone-signature", "bracket", "zero", "di", "iso-date", "padded-date",
        "27-a-line", "30-a-line", "loose-lines", "text-block", "title-alone", "fangsong-title",
    ],
)
def test_each_doctored_paper_fails_its_rule(office, prompt_docx, change, rule, words):
    problems = preflight_docx(doctored(prompt_docx, change), office.to_pdf)
    found = [p for p in problems if p.rule == rule]
    assert found, problems
    assert any(words in p.message for p in found), found
    assert all(p.message and any("\u4e00" <= ch <= "\u9fff" for ch in p.message) for p in found)


def test_the_lone_signature_page_is_named(office, prompt_docx):
    problems = preflight_docx(doctored(prompt_docx, lone_signature), office.to_pdf)
    lone = [p for p in problems if p.rule == "落款"]
    assert [p.page for p in lone] == [2]
    assert lone[0].message.startswith("第2页")


def test_page_numbers_odd_right_even_left_none_on_a_blank_page(office, prompt_docx):
    def two_pages_and_a_blank(document):
        body = document.paragraphs[2]
        body.add_run().add_break(WD_BREAK.PAGE)
        body.add_run("第二页的正文。")

    pdf = office.to_pdf(doctored(prompt_docx, two_pages_and_a_blank))
    assert "页码" not in rules(preflight_pdf(pdf))

    # the same paper with the page number on the left of page 1 (mirrored footers swapped)
    def left_number(document):
        two_pages_and_a_blank(document)
        for section in document.sections:
            for paragraph in section.footer.paragraphs:
                paragraph.alignment = 0

    problems = preflight_pdf(office.to_pdf(doctored(prompt_docx, left_number)))
    assert any(p.rule == "页码" and p.page == 1 and "居右" in p.message for p in problems), problems


def test_a_song_body_is_not_fangsong(office, prompt_docx):
    """The face is judged by its strokes: a Song face named 仿宋 still fails; a 黑体 body fails."""

    def hei(document):
        for paragraph in document.paragraphs[1:]:
            for run in paragraph.runs:
                run.font.name = "黑体"
                run._element.rPr.rFonts.set("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia", "黑体")

    problems = preflight_docx(doctored(prompt_docx, hei), office.to_pdf)
    assert any(p.rule == "正文字体" and "仿宋" in p.message for p in problems), problems


def test_cli_exit_codes_and_json(office, prompt_docx, tmp_path, pf_app, monkeypatch):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(office.to_pdf(doctored(prompt_docx, letter)))
    runner = CliRunner()
    monkeypatch.setenv("DOCGEN_DATA_DIR", pf_app.config["DATA_DIR"])
    result = runner.invoke(main, ["preflight", str(bad), "--json"])
    assert result.exit_code == 1, result.output
    rows = json.loads(result.stdout)
    assert {"rule", "page", "message"} <= set(rows[0])
    assert any(r["rule"] == "A4" and r["page"] == 1 for r in rows)
    result = runner.invoke(main, ["preflight", str(bad)])
    assert result.exit_code == 1 and "A4" in result.stdout
    garbage = tmp_path / "x.pdf"
    garbage.write_bytes(b"hello")
    assert runner.invoke(main, ["preflight", str(garbage)]).exit_code == 2


def test_cli_exit_zero_on_a_clean_ledger(office, tmp_path, pf_app, monkeypatch):
    pdf = tmp_path / "ledger.pdf"
    pdf.write_bytes(office.draft("key-work-ledger", example("key-work-ledger"), "pdf").content)
    monkeypatch.setenv("DOCGEN_DATA_DIR", pf_app.config["DATA_DIR"])
    result = CliRunner().invoke(main, ["preflight", str(pdf)])
    assert result.exit_code == 0, result.output


def test_api_preflight(pf_app, office, prompt_docx):
    client = pf_app.test_client()
    auth = {"Authorization": f"Bearer {admin_token(pf_app)}"}
    pdf = office.to_pdf(doctored(prompt_docx, lone_signature))
    response = client.post("/api/v1/preflight", data={"file": (io.BytesIO(pdf), "x.pdf")}, headers=auth)
    assert response.status_code == 200, response.data
    body = response.get_json()
    assert body["ok"] is False
    assert any(p["rule"] == "落款" and p["page"] == 2 for p in body["problems"])
    response = client.post("/api/v1/preflight", data={"file": (io.BytesIO(prompt_docx), "x.docx")}, headers=auth)
    assert response.status_code == 200
    assert "落款" not in {p["rule"] for p in response.get_json()["problems"]}
    missing = client.post("/api/v1/preflight", data={"other": "x"}, content_type="multipart/form-data", headers=auth)
    assert missing.status_code == 422 and missing.get_json()["details"][0]["loc"] == "file"
    junk = client.post("/api/v1/preflight", data={"file": (io.BytesIO(b"%PDF-broken"), "x.pdf")}, headers=auth)
    assert junk.status_code == 422
    anonymous = pf_app.test_client(token=None)
    assert anonymous.post("/api/v1/preflight", data={"file": (io.BytesIO(pdf), "x.pdf")}).status_code == 401


def test_a_docx_is_checked_as_docgen_prints_it(pf_app, office, tmp_path, monkeypatch):
    # a matter whose last lines would leave the signature alone on page 2 in a plain conversion
    long = dict(example("supervision-prompt"), matter="院感防控工作中的手卫生依从性、消毒隔离制度落实和医疗废物分类处置" * 12)
    docx = office.draft("supervision-prompt", long, "docx").content
    assert "落款" in rules(preflight_pdf(office.to_pdf(docx)))  # what a plain conversion would show
    auth = {"Authorization": f"Bearer {admin_token(pf_app)}"}
    answer = pf_app.test_client().post("/api/v1/preflight", data={"file": (io.BytesIO(docx), "x.docx")}, headers=auth)
    assert answer.status_code == 200 and "落款" not in {p["rule"] for p in answer.get_json()["problems"]}, answer.get_json()
    paper = tmp_path / "督办提示.docx"
    paper.write_bytes(docx)
    monkeypatch.setenv("DOCGEN_DATA_DIR", pf_app.config["DATA_DIR"])
    result = CliRunner().invoke(main, ["preflight", str(paper), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == [], result.output
