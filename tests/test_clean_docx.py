"""A paper's .docx carries no leftovers of how it was made: only the styles it uses
or docgen defines (python-docx's default template brings 164), no template
description or docxtpl keyword, no fixed build date; its properties say its
title, the organisation and the issuing date. Word lays punctuation out as the
PDF does (no compression)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from docgen import create_app
from docgen.services.official_docx import OfficialDocx
from tests.conftest import example

TEMPLATES = sorted(Path(__file__).resolve().parent.parent.glob("templates_docx/*.docx")) + sorted(
    Path(__file__).resolve().parent.parent.glob("docgen/profiles/forestry/kinds/*.docx")
)
LEFTOVERS = {"Heading1", "Title", "ListBullet", "TableGrid", "LightShading", "MediumGrid3-Accent6", "Quote", "Caption"}


def style_ids(document) -> set[str]:
    return {s.get(qn("w:styleId")) for s in document.styles.element.iterchildren(qn("w:style"))}


def assert_clean(content: bytes) -> docx.document.Document:
    document = docx.Document(io.BytesIO(content))
    ids = style_ids(document)
    assert len(ids) <= 25 and not ids & LEFTOVERS, sorted(ids)
    assert document.settings.element.find(qn("w:characterSpacingControl")).get(qn("w:val")) == "doNotCompress"
    core = document.core_properties
    assert "docxtpl" not in (core.keywords or "").lower() and not core.comments
    return document


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.stem)
def test_a_template_holds_only_its_own_styles(path) -> None:
    assert_clean(path.read_bytes())


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    return create_app({"DATA_DIR": str(tmp_path_factory.mktemp("clean"))}).extensions["docgen"]


def test_an_issued_paper_says_its_title_organisation_and_date(office) -> None:
    day = office.today() - dt.timedelta(days=1)
    paper = office.issue("supervision-prompt", {**example("supervision-prompt"), "issued_on": day.isoformat()}).document
    core = assert_clean(office.document_file(paper.id, "docx").content).core_properties
    assert core.title == "督办提示" and core.subject == paper.number
    assert core.author == "东丽区卫生局" and core.last_modified_by == "东丽区卫生局"
    assert core.created.date() == day and core.modified.date() == day
    assert core.category == ""


def test_a_draft_has_no_date_and_says_it_is_a_draft(office) -> None:
    core = assert_clean(office.draft("supervision-prompt", example("supervision-prompt")).content).core_properties
    assert core.title == "督办提示" and core.author == "东丽区卫生局" and core.category == "草稿"
    assert core.created is None and core.modified is None


def test_a_report_says_its_title_organisation_and_date() -> None:
    writer = OfficialDocx("2026年11月督查工作情况报告", "东丽区卫生局", dt.date(2026, 11, 26), "东卫督月报〔2026〕3号")
    writer.title("2026年11月督查工作情况报告")
    writer.text("正文。")
    writer.signature(["东丽区卫生局党办"], "2026年11月26日")
    core = assert_clean(writer.to_bytes()).core_properties
    assert (core.title, core.author, core.subject) == ("2026年11月督查工作情况报告", "东丽区卫生局", "东卫督月报〔2026〕3号")
    assert core.created == dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
