"""Nothing a template or paper links to is ever fetched: a canary server on 127.0.0.1 hears no request."""

from __future__ import annotations

import io
import shutil
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from pypdf import PdfReader

from docgen import create_app
from docgen.services.external_links import find_external_links, strip_external_links
from tests.conftest import example
from tests.docx_text import text
from tests.template_files import TEMPLATES, with_links

PROMPT = "supervision-prompt.docx"
# a 1×1 PNG, so that a fetch would succeed and show in the paper
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000100"
    "05fe02fea7d6a40000000049454e44ae426082"
)


class Canary:
    """An HTTP server that notes every request it gets."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        heard = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                heard.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(PNG)))
                self.end_headers()
                self.wfile.write(PNG)

            do_HEAD = do_GET  # noqa: N815

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def canary():
    server = Canary()
    yield server
    server.stop()


def test_the_canary_hears_what_is_fetched(canary):
    assert requests.get(canary.url + "/logo.png", timeout=5).content == PNG
    assert canary.requests == ["/logo.png"]


def test_a_linked_picture_and_an_includepicture_field_are_found_and_removed(canary):
    linked = with_links((TEMPLATES / PROMPT).read_bytes(), canary.url)
    found = [link.describe() for link in find_external_links(linked)]
    assert f"word/_rels/document.xml.rels：外部链接的图片 {canary.url}/logo.png" in found
    assert "word/document.xml：会联网取内容的域 INCLUDEPICTURE" in found
    clean = strip_external_links(linked)
    assert find_external_links(clean) == []
    with zipfile.ZipFile(io.BytesIO(clean)) as archive:
        assert not any(canary.url.encode() in archive.read(name) for name in archive.namelist())
    assert "进行回复" in text(clean)  # the rest of the document is untouched
    assert strip_external_links(TEMPLATES.joinpath(PROMPT).read_bytes()) == TEMPLATES.joinpath(PROMPT).read_bytes()


def test_an_upload_that_links_outside_is_refused_and_nothing_is_fetched(client, canary):
    linked = with_links((TEMPLATES / PROMPT).read_bytes(), canary.url)
    response = client.post(
        "/api/v1/kinds/supervision-prompt/templates",
        data={"file": (io.BytesIO(linked), "带外链.docx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    found = " ".join(d["msg"] for d in response.json["details"])
    assert f"外部链接的图片 {canary.url}/logo.png" in found
    assert "会联网取内容的域 INCLUDEPICTURE" in found
    assert canary.requests == []


def test_a_linking_template_renders_converts_and_issues_without_a_fetch(tmp_path, data_dir, canary):
    for name in TEMPLATES.glob("*.docx"):
        shutil.copy(name, tmp_path / name.name)
    linked = with_links((TEMPLATES / PROMPT).read_bytes(), canary.url)
    (tmp_path / PROMPT).write_bytes(linked)
    app = create_app({"DATA_DIR": str(data_dir), "TEMPLATES_DIR": str(tmp_path), "TESTING": True, "SECRET_KEY": "test"})
    client = app.test_client()
    payload = example("supervision-prompt")

    draft = client.post("/api/v1/drafts/supervision-prompt", json=payload)
    assert draft.status_code == 200
    assert find_external_links(draft.data) == []
    pdf = client.post("/api/v1/drafts/supervision-prompt?format=pdf", json=payload)
    assert pdf.status_code == 200
    assert "区人民医院" in PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()

    issued = client.post("/api/v1/documents/supervision-prompt", json=payload).json
    assert client.get(issued["links"]["pdf"]).status_code == 200
    # a file that still links (one stored before, say) is cleaned on its way to the converter
    assert app.extensions["docgen"].to_pdf(linked).startswith(b"%PDF")
    assert canary.requests == []


def test_the_office_itself_does_not_fetch_a_link_it_is_given(office, canary):
    """Below the cleaning: the converter's LibreOffice is set up never to fetch (issue 13, point 5)."""
    from docgen.services.convert import get_converter

    linked = with_links((TEMPLATES / PROMPT).read_bytes(), canary.url)
    assert find_external_links(linked)  # the link is really there when the office gets the file
    pdf = get_converter(office.settings).to_pdf(linked)
    assert pdf.startswith(b"%PDF")
    assert canary.requests == []


def test_the_offline_settings_are_written_into_a_profile_once(tmp_path):
    from docgen.services.offline_office import keep_office_offline

    path = keep_office_offline(tmp_path / "profile")
    text = path.read_text(encoding="utf-8")
    assert "BlockUntrustedRefererLinks" in text and "<value>127.0.0.1</value>" in text
    # LibreOffice rewrites the file on exit with its own entries: ours are kept, not doubled
    path.write_text(text.replace("</oor:items>", '<item oor:path="/x"><prop oor:name="y"><value>1</value></prop></item></oor:items>'))
    keep_office_offline(tmp_path / "profile")
    again = path.read_text(encoding="utf-8")
    assert again.count("BlockUntrustedRefererLinks") == 1 and 'oor:path="/x"' in again
