"""A kind's templates managed over the API: versions, checks, preview, activation, regeneration."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from docgen import create_app
from tests.conftest import example
from tests.docx_text import text
from tests.template_files import TEMPLATES, edited

PROMPT = "supervision-prompt.docx"
TEMPLATES_URL = "/api/v1/kinds/supervision-prompt/templates"


def upload(client, content: bytes, name: str = "督办提示.docx", kind: str = "supervision-prompt"):
    return client.post(
        f"/api/v1/kinds/{kind}/templates",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def messages(response) -> list[str]:
    return [d["msg"] for d in response.json["details"]]


def test_the_bundled_template_is_the_first_version_and_active(client):
    versions = client.get(TEMPLATES_URL).json
    assert len(versions) == 1
    first = versions[0]
    assert (first["version"], first["active"], first["source"], first["uploaded_by"]) == (1, True, "bundled", None)
    download = client.get(f"{TEMPLATES_URL}/1")
    assert download.status_code == 200
    assert download.data == (TEMPLATES / PROMPT).read_bytes()
    assert {"matter", "recipient", "findings_marked", "reply_period"} <= set(first["placeholders"])


def test_an_upload_is_kept_inactive_until_activated_and_papers_regenerate_byte_for_byte(client, office):
    first = client.post("/api/v1/documents/supervision-prompt", json=example("supervision-prompt") | {"issued_on": "2026-11-20"}).json
    assert first["template_version"] == 1

    new = edited(PROMPT, ("进行回复", "书面回复"))
    response = upload(client, new)
    assert response.status_code == 201, response.json
    assert response.headers["Location"].endswith(f"{TEMPLATES_URL}/2")
    body = response.json
    assert (body["version"], body["active"], body["source"], body["filename"]) == (2, False, "upload", "督办提示.docx")
    assert {"matter", "recipient", "findings_marked", "reply_period", "number", "issued_on"} <= set(body["placeholders"])

    # not active yet: drafts keep the old wording; the preview shows the new one with the kind's example
    assert "进行回复" in text(client.post("/api/v1/drafts/supervision-prompt", json=example("supervision-prompt")).data)
    preview = client.post(f"{TEMPLATES_URL}/2/preview?format=docx")
    assert preview.status_code == 200
    assert "书面回复" in text(preview.data) and "区人民医院" in text(preview.data)
    assert client.get("/api/v1/documents").json[0]["id"] == first["id"]  # the preview registered nothing

    activated = client.post(f"{TEMPLATES_URL}/2/activate")
    assert activated.status_code == 200 and activated.json["active"] is True
    assert [(v["version"], v["active"]) for v in client.get(TEMPLATES_URL).json] == [(1, False), (2, True)]

    second = client.post("/api/v1/documents/supervision-prompt", json=example("supervision-prompt") | {"issued_on": "2026-11-21"}).json
    assert second["template_version"] == 2
    assert "书面回复" in text(client.get(second["links"]["docx"]).data)

    for paper in (first, second):
        stored = client.get(paper["links"]["docx"]).data
        again, same = office.regenerate(paper["id"])
        assert same
        assert again == stored  # byte for byte, each with the template it was issued with
    assert "进行回复" in text(client.get(first["links"]["docx"]).data)

    # going back is activating the old version; nothing is lost
    assert client.post(f"{TEMPLATES_URL}/1/activate").status_code == 200
    assert "进行回复" in text(client.post("/api/v1/drafts/supervision-prompt", json=example("supervision-prompt")).data)
    assert client.get(f"{TEMPLATES_URL}/2").data == new


@pytest.mark.parametrize(
    ("replacement", "construct"),
    [
        (("{{ matter }}", "{{ matter.__class__ }}"), "matter.__class__"),
        (("{{ matter }}", "{{ matter.__class__.__mro__ }}"), "matter.__class__.__mro__"),
        (("{{ matter }}", "{{ matter }}{{ recipient['__class__'] }}"), "recipient['__class__']"),
        (("{{ matter }}", "{{ matter }}{% include 'word/styles.xml' %}"), "{% include %}"),
        (("{{ matter }}", "{{ matter }}{% import 'x' as x %}"), "{% import %}"),
        (("{{ matter }}", "{{ matter }}{% extends 'x' %}"), "{% extends %}"),
        (("{{ matter }}", "{{ matter|attr('__class__') }}"), "|attr(…)"),
    ],
)
def test_an_unsafe_template_is_refused_naming_the_construct(client, replacement, construct):
    response = upload(client, edited(PROMPT, replacement))
    assert response.status_code == 422
    assert response.json["error"] == "template_rejected"
    assert any(f"不允许的写法 {construct}（word/document.xml）" in m for m in messages(response)), messages(response)
    assert len(client.get(TEMPLATES_URL).json) == 1  # nothing kept


def test_unknown_placeholders_and_unprinted_fields_are_listed_by_name(client):
    response = upload(client, edited(PROMPT, ("{{ matter }}", "{{ mater }}"), ("{{ reply_period }}", "{{ deadline }}")))
    assert response.status_code == 422
    found = messages(response)
    assert "占位符 {{ deadline }} 不是“督办提示”的字段" in found
    assert "占位符 {{ mater }} 不是“督办提示”的字段" in found
    assert "字段 {{ matter }}（督查发现的工作）在模板中没有出现" in found
    assert "字段 {{ reply_days }}（回复期限（日））在模板中没有出现" in found
    assert all(d["loc"] == "file" for d in response.json["details"])


def test_a_template_that_fails_with_the_example_is_refused(client):
    response = upload(client, edited("key-work-ledger.docx", ("{{ row.work }}", "{{ row.wrok }}")), kind="key-work-ledger")
    assert response.status_code == 422
    assert any("用示例内容填充模板时出错" in m and "wrok" in m for m in messages(response)), messages(response)


def test_a_template_over_the_size_limit_is_413(data_dir):
    client = create_app({"DATA_DIR": str(data_dir), "TESTING": True, "SECRET_KEY": "test", "TEMPLATE_MAX_BYTES": 10_000}).test_client()
    response = upload(client, (TEMPLATES / PROMPT).read_bytes())
    assert response.status_code == 413
    assert response.json["details"][0]["loc"] == "file"


def test_a_file_that_is_not_a_docx_is_refused(client):
    not_zip = upload(client, "这不是 Word 文件".encode(), name="x.docx")
    assert not_zip.status_code == 415
    workbook = io.BytesIO()
    with zipfile.ZipFile(workbook, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    xlsx = upload(client, workbook.getvalue(), name="x.docx")
    assert xlsx.status_code == 422 and "word/document.xml" in messages(xlsx)[0]
    missing = client.post(TEMPLATES_URL, data={}, content_type="multipart/form-data")
    assert missing.status_code == 422 and missing.json["details"][0]["loc"] == "file"
    as_json = client.post(TEMPLATES_URL, json={"file": "x"})
    assert as_json.status_code == 415
    assert len(client.get(TEMPLATES_URL).json) == 1


def test_the_same_template_twice_is_a_conflict(client):
    new = edited(PROMPT, ("进行回复", "书面回复"))
    assert upload(client, new).status_code == 201
    again = upload(client, new)
    assert again.status_code == 409 and "第 2 版" in again.json["message"]


def test_unknown_versions_and_kinds_are_404(client):
    assert client.get(f"{TEMPLATES_URL}/9").status_code == 404
    assert client.post(f"{TEMPLATES_URL}/9/activate").status_code == 404
    assert client.get("/api/v1/kinds/nope/templates").status_code == 404


def test_the_admin_page_uploads_previews_and_activates(client):
    page = client.get("/kinds/supervision-prompt/templates")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "督办提示的模板" in html and "第 1 版" in html and "在用" in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    bad = client.post(
        "/kinds/supervision-prompt/templates",
        data={"csrf_token": token, "file": (io.BytesIO(edited(PROMPT, ("{{ matter }}", "{{ matter.__class__ }}"))), "坏模板.docx")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    assert "不允许的写法 matter.__class__" in bad.get_data(as_text=True)
    good = client.post(
        "/kinds/supervision-prompt/templates",
        data={"csrf_token": token, "file": (io.BytesIO(edited(PROMPT, ("进行回复", "书面回复"))), "新模板.docx")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 303
    page = client.get(good.headers["Location"]).get_data(as_text=True)
    assert "已上传第 2 版，尚未启用" in page and "新模板.docx" in page
    activated = client.post("/kinds/supervision-prompt/templates/2/activate", data={"csrf_token": token})
    assert activated.status_code == 303
    assert "已启用第 2 版" in client.get(activated.headers["Location"]).get_data(as_text=True)


def test_an_activation_reaches_every_worker_of_the_data_folder(client, data_dir):
    other = create_app({"DATA_DIR": str(data_dir), "TESTING": True, "SECRET_KEY": "test"}).test_client()
    draft = lambda c: text(c.post("/api/v1/drafts/supervision-prompt", json=example("supervision-prompt")).data)  # noqa: E731
    assert "进行回复" in draft(other)  # this worker has looked up what is active before
    assert upload(client, edited(PROMPT, ("进行回复", "书面回复"))).status_code == 201
    assert client.post(f"{TEMPLATES_URL}/2/activate").status_code == 200
    assert "书面回复" in draft(other)
    assert other.post(f"{TEMPLATES_URL}/1/activate").status_code == 200
    assert "进行回复" in draft(client)
