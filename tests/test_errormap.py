"""One error map: every error in the one shape, JSON for the API, a Chinese page for the form."""

from __future__ import annotations


def page_text(response) -> str:
    return response.get_data(as_text=True)


def test_wrong_method_on_the_api_is_405_with_allow(client):
    response = client.put("/api/v1/kinds")
    assert response.status_code == 405
    assert response.is_json
    body = response.get_json()
    assert body["error"] == "method_not_allowed" and "PUT" in body["message"] and body["details"] == []
    assert "GET" in [m.strip() for m in response.headers["Allow"].split(",")]


def test_wrong_method_on_a_page_is_a_chinese_page_with_allow(client):
    response = client.delete("/register")
    assert response.status_code == 405
    assert response.mimetype == "text/html"
    assert "不支持这种操作" in page_text(response)
    assert "GET" in response.headers["Allow"]


def test_a_client_asking_for_json_gets_the_error_shape_on_a_page(client):
    response = client.get("/kinds/no-such-kind", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json() == {"error": "not_found", "message": response.get_json()["message"], "details": []}
    assert "没有这种公文" in response.get_json()["message"]


def test_api_errors_keep_their_status_and_code(client):
    response = client.post("/api/v1/documents/supervision-prompt", data="{", content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"] == "malformed_request"
    response = client.post("/api/v1/documents/supervision-prompt", data="x", content_type="text/plain")
    assert response.status_code == 415 and response.get_json()["error"] == "unsupported_media_type"
    response = client.get("/api/v1/documents/nothing-here")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"
