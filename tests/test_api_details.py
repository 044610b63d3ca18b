"""API details a client notices: docs page, batch numbers, unknown parameters, file names, Accept."""

from __future__ import annotations

import time
from urllib.parse import unquote

from tests.conftest import example


def test_docs_page_is_served_locally(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "/api/v1/openapi.json" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower() and "https://" not in html
    script = client.get("/api/docs/swagger-ui-bundle.js")
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.data


def test_unknown_query_parameter_is_422_naming_it(client):
    response = client.get("/api/v1/documents?yaer=2026")
    assert response.status_code == 422
    assert [d["loc"] for d in response.get_json()["details"]] == ["(query).yaer"]
    typo = client.post("/api/v1/drafts/supervision-prompt?fromat=pdf", json=example("supervision-prompt"))
    assert typo.status_code == 422 and typo.get_json()["details"][0]["loc"] == "(query).fromat"


def test_unknown_batch_field_is_422_and_makes_nothing(client):
    response = client.post("/api/v1/batches", json={"kind": "supervision-prompt", "items": [example("supervision-prompt")], "isue": True})
    assert response.status_code == 422
    assert [d["loc"] for d in response.get_json()["details"]] == ["isue"]
    assert client.get("/api/v1/documents").get_json() == []


def test_issued_file_has_a_meaningful_ascii_name_beside_the_chinese_one(client):
    issued = client.post("/api/v1/documents/supervision-prompt", json=example("supervision-prompt")).get_json()
    seq = issued["number"].split("〕")[1].rstrip("号")
    year = issued["issued_on"][:4]
    response = client.get(issued["links"]["docx"])
    disposition = response.headers["Content-Disposition"]
    assert f"filename=supervision-prompt-{year}-{seq}.docx" in disposition.replace('"', "")
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == f"督办提示-{issued['number']}.docx"


def test_an_unnumbered_paper_downloads_with_its_date_set_apart(client):
    """重点工作台帐-医政科-2026-11-23.docx: the department, then the issuing day."""
    issued = client.post("/api/v1/documents/key-work-ledger", json=example("key-work-ledger")).get_json()
    disposition = client.get(issued["links"]["docx"]).headers["Content-Disposition"]
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == f"重点工作台帐-医政科-{issued['issued_on']}.docx"


def test_accept_pdf_gives_a_pdf_draft(client):
    response = client.post("/api/v1/drafts/supervision-prompt", json=example("supervision-prompt"), headers={"Accept": "application/pdf"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    plain = client.post("/api/v1/drafts/supervision-prompt", json=example("supervision-prompt"))
    assert plain.mimetype.endswith("wordprocessingml.document")


def test_batch_lists_which_item_got_which_number(client):
    items = [dict(example("supervision-prompt"), recipient=name) for name in ("区人民医院", "区中医院", "卫生监督所")]
    batch = client.post("/api/v1/batches", json={"kind": "supervision-prompt", "items": items, "issue": True}).get_json()
    assert batch["duplex"] is True and batch["created_at"]
    for _ in range(600):
        state = client.get(batch["links"]["self"]).get_json()
        if state["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert state["status"] == "done", state
    listed = client.get(batch["links"]["document_list"]).get_json()
    assert [row["item"] for row in listed] == [0, 1, 2]
    assert [row["recipient"] for row in listed] == ["区人民医院", "区中医院", "卫生监督所"]
    numbers = [row["number"] for row in listed]
    for row in listed:
        assert client.get(row["document"]["links"]["self"]).get_json()["number"] == row["number"]
    assert len(set(numbers)) == 3 and all(n.startswith("东卫督办〔") for n in numbers)
    assert client.get("/api/v1/batches/nope/documents").status_code == 404
