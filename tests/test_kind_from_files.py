"""A kind added from files alone (tests/resources/office-kinds: a TOML definition and a .docx) is issued over the API."""

from __future__ import annotations

import pytest

from docgen import create_app
from docgen.kinds import BUNDLED, activate
from tests.conftest import RESOURCES
from tests.docx_text import paragraphs

PROFILE = RESOURCES / "office-kinds" / "profile.toml"


@pytest.fixture
def client(data_dir):
    app = create_app({"DATA_DIR": str(data_dir), "PROFILE": str(PROFILE), "TESTING": True, "SECRET_KEY": "test"})
    yield app.test_client()
    activate(BUNDLED)  # what this process serves goes back to the bundled kinds


def payload(**changes):
    data = {
        "recipient": "区疾控中心",
        "topic": "冬季传染病防控准备",
        "visit_on": "2026-12-03",
        "form": "实地查看",
        "materials": [{"item": "冬季防控工作方案"}, {"item": "物资储备台账"}],
        "issued_on": "2026-11-25",
    }
    return data | changes


def test_the_kind_from_files_is_listed_with_its_schema_and_example(client):
    kinds = {k["kind"]: k["title"] for k in client.get("/api/v1/kinds").json}
    assert kinds["inspection-notice"] == "督查调研通知"
    detail = client.get("/api/v1/kinds/inspection-notice").json
    properties = detail["schema"]["properties"]
    assert properties["form"]["enum"] == ["听取汇报", "实地查看", "查阅资料"]
    assert properties["topic"]["title"] == "督查调研事项"
    assert detail["schema"]["required"] == ["recipient", "topic", "visit_on", "form", "materials"]
    assert client.post("/api/v1/drafts/inspection-notice", json=detail["example"]).status_code == 200


def test_the_kind_from_files_is_issued_numbered_and_printed(client):
    response = client.post("/api/v1/documents/inspection-notice", json=payload())
    assert response.status_code == 201, response.json
    body = response.json
    assert body["number"] == "东卫督调〔2026〕1号"
    assert body["due_on"] == "2026-11-28"  # three calendar days, from the profile
    assert body["recipient"] == "区疾控中心"
    lines = paragraphs(client.get(body["links"]["docx"]).data)
    assert "东丽区卫生局督查调研通知" in lines
    assert "东卫督调〔2026〕1号" in lines
    assert "区疾控中心：" in lines
    assert "定于2026年12月3日对你单位冬季传染病防控准备工作进行督查调研，方式为实地查看。请准备以下材料，并于接到本通知后3日内报送：" in lines
    assert "冬季防控工作方案" in lines and "物资储备台账" in lines
    assert "2026年11月25日" in lines


def test_bad_input_to_the_kind_from_files_is_refused_field_by_field(client):
    response = client.post("/api/v1/documents/inspection-notice", json=payload(form="电话督查", materials=[{"item": " "}], reply_days=90))
    assert response.status_code == 422
    assert {d["loc"] for d in response.json["details"]} == {"form", "materials.0.item", "reply_days"}
    assert client.get("/api/v1/documents").json == []


def test_the_form_offers_the_kind_from_files(client):
    page = client.get("/kinds/inspection-notice")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for title in ("被督查单位", "督查调研事项", "督查方式", "材料名称", "实地查看"):
        assert title in html
