"""The forestry profile (seed 002): its own organisation, numbers and papers, selected by name."""

from __future__ import annotations

import pytest

from docgen import create_app
from docgen.errors import ProfileError
from docgen.kinds import BUNDLED, activate
from docgen.profile import PROFILES_DIR, load_profile
from tests.docx_text import paragraphs, table_rows, text

FORESTRY_KINDS = ["rectification-notice", "yellow-card-warning", "accountability-referral", "supervision-notice", "implementation-feedback"]


@pytest.fixture
def forestry(data_dir, monkeypatch):
    monkeypatch.setenv("DOCGEN_PROFILE", "forestry")
    app = create_app({"DATA_DIR": str(data_dir), "TESTING": True, "SECRET_KEY": "test"})
    yield app.test_client()
    activate(BUNDLED)  # what this process serves goes back to the bundled kinds


def example(client, kind: str) -> dict:
    return client.get(f"/api/v1/kinds/{kind}").json["example"]


def issue(client, kind: str, payload: dict):
    # fixed days, however far from today (tests/test_date_rules.py checks the rule)
    payload = {"date_reason": "补录", **payload}
    response = client.post(f"/api/v1/documents/{kind}", json=payload)
    assert response.status_code == 201, response.json
    return response.json


def test_forestry_is_selected_by_name_and_lists_the_seed_002_papers(forestry):
    kinds = {k["kind"]: k["title"] for k in forestry.get("/api/v1/kinds").json}
    assert [kinds[k] for k in FORESTRY_KINDS] == ["整改通知书", "黄牌警告", "提请追究责任", "督查通知单", "落实情况反馈表"]
    assert "supervision-prompt" in kinds  # the bundled kinds stay available


def test_the_profile_names_the_bureau_as_the_seed_does_and_keeps_the_default_apart():
    forestry = load_profile("forestry")
    assert forestry.name == "xx林业局"
    assert forestry.issuing_offices == ("xx林业局党政办督查室",)
    assert forestry.committee == "局党委、林业局"
    assert forestry.chains["three-rounds"] == ("rectification-notice", "yellow-card-warning", "accountability-referral")
    assert load_profile(PROFILES_DIR / "forestry" / "profile.toml") == forestry  # a path still works
    default = load_profile(None)
    assert default.name == "东丽区卫生局"
    assert default.chains["reminder"] == ("supervision-prompt", "accountability-notice")
    assert {forestry.for_kind(k).prefix for k in ("supervision-prompt", "rectification-notice")}.isdisjoint(
        {default.for_kind(k).prefix for k in ("supervision-prompt", "accountability-notice")}
    )


def test_an_unknown_profile_name_is_a_chinese_error():
    with pytest.raises(ProfileError, match="没有名为 forest 的机构配置；内置的有 default, forestry"):
        load_profile("forest")


def test_the_three_rounds_follow_one_another_with_the_seed_wording(forestry):
    first = example(forestry, "rectification-notice") | {"issued_on": "2026-04-01"}
    notice = issue(forestry, "rectification-notice", first)
    assert notice["number"] == "林督整〔2026〕1号"
    body = text(forestry.get(notice["links"]["docx"]).data)
    assert "xx林业局整改通知书" in body
    assert "第一林场：" in body
    assert "存在（☑不按时传达贯彻、☐没有切实可行的措施、☑行动迟缓、☐任务完成不好）的问题" in body
    assert "现对你单位予以通报批评" in body
    assert "请于接到本通知书后10个工作日内将整改情况书面报送党政办督查室。" in body
    assert "xx林业局党政办督查室" in body and "2026年4月1日" in body

    second = {"notice_number": notice["number"], "situation": "整改期满，造林面积仍只完成计划的四成。", "issued_on": "2026-05-06"}
    warning = issue(forestry, "yellow-card-warning", second)
    assert warning["number"] == "林督警〔2026〕1号"
    body = text(forestry.get(warning["links"]["docx"]).data)
    assert "xx林业局黄牌警告" in body
    assert "第一林场：" in body  # taken from the 整改通知书
    assert "你单位春季造林绿化任务工作经第一次督查，已于2026年4月1日下发《整改通知书》（林督整〔2026〕1号）" in body
    assert "现对你单位予以黄牌警告" in body
    assert "将提请局党委、林业局追究领导班子及有关班子成员的责任" in body

    third = {
        "warning_number": warning["number"],
        "conduct": ["有令不行"],
        "situation": "造林季结束仍未完成任务。",
        "persons": "场长张某",
        "issued_on": "2026-06-10",
    }
    referral = issue(forestry, "accountability-referral", third)
    assert referral["number"] == "林督请〔2026〕1号"
    lines = paragraphs(forestry.get(referral["links"]["docx"]).data)
    assert "关于提请追究第一林场领导班子及有关班子成员责任的请示" in lines
    assert "局党委、林业局：" in lines
    body = "\n".join(lines)
    assert "又于2026年5月6日被给予黄牌警告（林督警〔2026〕1号）" in body
    assert "☑有令不行、☐有禁不止、☐我行我素、☐不能尽职尽责完成任务" in body
    assert "提请局党委、林业局追究该单位领导班子及有关班子成员的责任。责任人员：场长张某" in body
    entry = forestry.get(referral["links"]["self"]).json
    assert entry["recipient"] == "第一林场"


def test_a_warning_must_follow_a_rectification_notice_in_the_register(forestry):
    response = forestry.post("/api/v1/documents/yellow-card-warning", json={"notice_number": "林督整〔2026〕99号", "situation": "仍未完成。"})
    assert response.status_code == 422
    assert response.json["details"][0]["loc"] == "notice_number"
    assert "没有文号为 林督整〔2026〕99号 的整改通知书" in response.json["details"][0]["msg"]
    assert forestry.get("/api/v1/documents").json == []


def test_the_supervision_notice_and_the_feedback_form_read_as_the_seed_forms(forestry):
    notice = issue(forestry, "supervision-notice", example(forestry, "supervision-notice") | {"issued_on": "2026-08-03"})
    assert notice["number"] == "林督通〔2026〕1号"
    content = forestry.get(notice["links"]["docx"]).data
    assert "xx林业局领导批示件督查通知单" in paragraphs(content)
    rows = table_rows(content)
    assert [r[0] for r in rows] == ["承办单位", "事项来源", "督办事项", "批示意见或办理要求", "办理时限"]
    assert rows[0][1] == "营林科"
    assert rows[4][1] == "接到本通知单后10个工作日内上报办理结果"

    feedback = issue(forestry, "implementation-feedback", example(forestry, "implementation-feedback") | {"filled_on": "2026-08-12"})
    assert feedback["number"] is None  # filled in by the unit: not numbered
    content = forestry.get(feedback["links"]["docx"]).data
    assert "落实情况反馈表" in paragraphs(content)
    assert "填报单位：营林科\t填报日期：2026年8月12日" in paragraphs(content)
    labels = [r[0] for r in table_rows(content)]
    assert labels == ["督办事项", "督查通知单文号", "落实情况", "存在问题", "下一步措施", "主要领导签字"]


def test_a_forestry_draft_is_refused_with_the_field_path(forestry):
    payload = example(forestry, "rectification-notice") | {"findings": ["工作未落实"]}
    response = forestry.post("/api/v1/drafts/rectification-notice", json=payload)
    assert response.status_code == 422
    assert response.json["details"][0]["loc"].startswith("findings.0")


def test_the_default_profile_does_not_offer_the_forestry_papers(client):
    assert client.post("/api/v1/drafts/rectification-notice", json={}).status_code == 404


@pytest.mark.parametrize("kind", FORESTRY_KINDS)
def test_the_forestry_templates_share_the_gbt9704_page_and_styles_of_the_seed_templates(kind):
    import docx

    from docgen.config import PROJECT_DIR

    seed = docx.Document(PROJECT_DIR / "templates_docx" / "supervision-prompt.docx")
    paper = docx.Document(PROFILES_DIR / "forestry" / "kinds" / f"{kind}.docx")
    page = lambda d: [(s.page_width, s.page_height, s.top_margin, s.bottom_margin, s.left_margin, s.right_margin) for s in d.sections]  # noqa: E731
    assert page(paper) == page(seed)  # A4, 37/35/28/26 mm
    assert paper.paragraphs[0].style.name == "公文标题"
    styles = {s.name for s in paper.styles}
    assert {"公文标题", "发文字号", "公文正文", "成文日期", "表格文字"} <= styles


def test_a_forestry_paper_converts_to_pdf_with_its_title(forestry):
    from io import BytesIO

    from pypdf import PdfReader

    payload = example(forestry, "rectification-notice") | {"issued_on": "2026-04-01"}
    pdf = forestry.post("/api/v1/drafts/rectification-notice?format=pdf", json=payload)
    assert pdf.status_code == 200
    words = "".join(PdfReader(BytesIO(pdf.data)).pages[0].extract_text().split())
    assert "xx林业局整改通知书" in words
    assert "现对你单位予以通报批评" in words
