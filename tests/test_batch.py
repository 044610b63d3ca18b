"""Batches through the API, the CLI and a real multi-worker server: numbers in item order,
the signing packet, the zip of .docx files, and surviving a LibreOffice crash or a dead server.

Real LibreOffice, real SQLite, no mocks.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pdfplumber
import pytest
import requests
from click.testing import CliRunner
from pypdf import PdfReader

from docgen import create_app
from docgen.cli import main as docgen_cli
from tests.conftest import PROJECT, RESOURCES, LiveServer, token_for

RECIPIENTS = ["区人民医院", "区中医院", "区妇幼保健院", "区疾控中心", "卫生监督所", "金钟街社区卫生服务中心",
              "无瑕街社区卫生服务中心", "新立街社区卫生服务中心", "华明街社区卫生服务中心", "军粮城医院", "东丽医院", "区急救站"]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """One app (one database, one LibreOffice pool) for the module: a pool per test would cost seconds each."""
    return create_app({"DATA_DIR": str(tmp_path_factory.mktemp("batches")), "TESTING": True, "SECRET_KEY": "test"})


def register_size(client) -> int:
    return int(client.get("/api/v1/documents?per_page=1").headers["X-Total-Count"])


def prompts(n: int, long_at: int | None = None) -> list[dict]:
    items = []
    for i in range(n):
        matter = "医疗质量安全管理" * 36 if i == long_at else f"第{i + 1}项重点工作"
        items.append({"recipient": RECIPIENTS[i % len(RECIPIENTS)] + ("" if i < len(RECIPIENTS) else str(i)),
                      "matter": matter, "findings": ["落实进展缓慢"], "reply_days": 5})
    return items


def wait_done(get, batch_id: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = get(batch_id)
        if batch["status"] not in ("queued", "running"):
            return batch
        time.sleep(0.1)
    raise AssertionError(f"batch {batch_id} not done in {timeout}s: {batch}")


def client_get(client):
    return lambda batch_id: client.get(f"/api/v1/batches/{batch_id}").get_json()


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def sequence(number: str) -> int:
    return int(re.search(r"〕(\d+)号$", number).group(1))


def batch_documents(client, batch_id: str) -> list[dict]:
    documents = client.get("/api/v1/documents?per_page=500").get_json()
    return [d for d in documents if d["batch_id"] == batch_id]


def test_batch_of_12_prompts_issued_in_item_order(client, office) -> None:
    items = prompts(12, long_at=5)
    answer = client.post("/api/v1/batches", json={"kind": "supervision-prompt", "items": items, "issue": True})
    assert answer.status_code == 202, answer.get_json()
    batch = answer.get_json()
    assert answer.headers["Location"] == f"/api/v1/batches/{batch['id']}"
    assert {k: batch[k] for k in ("kind", "total", "issue", "duplex")} == {"kind": "supervision-prompt", "total": 12, "issue": True, "duplex": True}
    assert batch["links"]["packet"].endswith("/packet.pdf") and batch["links"]["documents"].endswith("/documents.zip")

    early = client.get(batch["links"]["packet"])  # still running
    assert early.status_code == 409
    assert early.get_json()["error"] == "not_ready" and "/12" in early.get_json()["message"]
    assert client.get(batch["links"]["documents"]).status_code == 409

    done = wait_done(client_get(client), batch["id"])
    assert done["status"] == "done" and done["done"] == 12, done

    # numbers consecutive, in item order
    by_recipient = {d["recipient"]: d for d in batch_documents(client, batch["id"])}
    numbers = [by_recipient[item["recipient"]]["number"] for item in items]
    first = sequence(numbers[0])
    assert [sequence(n) for n in numbers] == list(range(first, first + 12))

    # the packet: cover, a bookmark per paper, duplex, page numbers, signature fields, each paper's text
    packet = client.get(batch["links"]["packet"])
    assert packet.status_code == 200 and packet.mimetype == "application/pdf"
    assert quote("督办提示-签批包-") in packet.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(packet.data))
    outline = [(item.title, reader.get_destination_page_number(item)) for item in reader.outline]
    assert outline[0] == ("签批单", 0)
    assert [title for title, _ in outline[1:]] == [f"{n} {item['recipient']}" for n, item in zip(numbers, items, strict=True)]
    starts = [page for _, page in outline[1:]] + [len(reader.pages)]
    assert all(start % 2 == 0 for start in starts[:-1])  # each paper on an odd page side
    with pdfplumber.open(io.BytesIO(packet.data)) as pdf:
        texts = [page.extract_text() or "" for page in pdf.pages]
    cover = compact("".join(texts[:starts[0]]))
    for number in numbers:
        assert number in cover  # the cover lists them all
    fields = reader.get_fields()
    assert set(fields) == {"签批"} | {f"签章_{i}" for i in range(1, 13)}
    assert all(f.get("/V") is None for f in fields.values())
    field_pages = {}
    for index, page in enumerate(reader.pages):
        for annot in page.get("/Annots") or []:
            field_pages[annot.get_object()["/T"]] = index
    for i, (number, item) in enumerate(zip(numbers, items, strict=True)):
        pages = texts[starts[i]:starts[i + 1]]
        printed = [p for p in pages if p.strip()]
        assert "— 1 —" in printed[0] and number in compact(printed[0]) and item["recipient"] in "".join(printed)
        assert len(printed) + (len(printed) % 2) == len(pages)  # a blank page only after an odd count
        assert field_pages[f"签章_{i + 1}"] == starts[i] + len(printed) - 1
    assert len([p for p in texts[starts[5]:starts[6]] if p.strip()]) >= 2  # the long one runs over a page

    # every .docx, under its Chinese name
    archive = client.get(batch["links"]["documents"])
    assert archive.status_code == 200 and archive.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.data)) as z:
        assert z.namelist() == [f"督办提示-{n}.docx" for n in numbers]
        assert all(info.flag_bits & 0x800 for info in z.infolist())  # UTF-8 names
        xml = zipfile.ZipFile(io.BytesIO(z.read(z.namelist()[3]))).read("word/document.xml").decode()
        assert numbers[3] in xml and items[3]["recipient"] in xml

    # a paper's own PDF is its pages of the packet, cut from its run's conversion: no new one is made
    from docgen.converter import get_converter

    conversions = get_converter(office.settings).status()["jobs_done"]
    for i in (0, 5, 11):  # the first, the long one, the last
        own = client.get(by_recipient[items[i]["recipient"]]["links"]["pdf"])
        assert own.status_code == 200 and own.mimetype == "application/pdf"
        with pdfplumber.open(io.BytesIO(own.data)) as pdf:
            assert [page.extract_text() or "" for page in pdf.pages] == [p for p in texts[starts[i]:starts[i + 1]] if p.strip()]
    assert get_converter(office.settings).status()["jobs_done"] == conversions


def cover_of(client, batch: dict) -> tuple[str, int]:
    """The text of a batch packet's cover (the pages before the first paper), and its key in the register."""
    from docgen.services.db import Batch

    packet = client.get(batch["links"]["packet"])
    reader = PdfReader(io.BytesIO(packet.data))
    first_paper = reader.get_destination_page_number(reader.outline[1])
    with pdfplumber.open(io.BytesIO(packet.data)) as pdf:
        text = compact("".join(page.extract_text() or "" for page in pdf.pages[:first_paper]))
    with client.application.extensions["docgen"].register.reading() as session:
        key = session.get(Batch, batch["id"]).cover_key
    return text, key


def test_the_cover_is_converted_while_the_papers_are_made_and_lists_what_they_got(client) -> None:
    """The cover is made from the numbers the series will give, while the papers are issued; it
    is kept when they got those numbers. With the items' own signing dates the numbers cannot
    be foreseen, and the cover is made at the end: the packet lists the same either way."""
    items = prompts(6)
    batch = client.post("/api/v1/batches", json={"kind": "supervision-prompt", "items": items, "issue": True}).get_json()
    assert wait_done(client_get(client), batch["id"])["status"] == "done"
    numbers = [d["label"] for d in client.get(f"/api/v1/batches/{batch['id']}/documents").get_json()]
    cover, key = cover_of(client, batch)
    assert key is not None  # the cover converted early was used
    assert all(number in cover for number in numbers) and "共6份" in cover and "区人民医院" in cover

    today = client.application.extensions["docgen"].today().isoformat()
    dated = [{**item, "issued_on": today} for item in items]
    batch = client.post("/api/v1/batches", json={"kind": "supervision-prompt", "items": dated, "issue": True}).get_json()
    assert wait_done(client_get(client), batch["id"])["status"] == "done"
    numbers = [d["label"] for d in client.get(f"/api/v1/batches/{batch['id']}/documents").get_json()]
    cover, key = cover_of(client, batch)
    assert key is None
    assert all(number in cover for number in numbers) and "共6份" in cover


def test_a_bad_item_stops_the_whole_batch(client) -> None:
    before = register_size(client)
    items = prompts(12)
    del items[3]["recipient"]
    items[7]["findings"] = ["进展慢"]
    items[9]["reply_days"] = 0
    answer = client.post("/api/v1/batches", json={"kind": "supervision-prompt", "items": items, "issue": True})
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["error"] == "invalid_payload"
    assert {d["loc"] for d in body["details"]} == {"items.3.recipient", "items.7.findings.0", "items.9.reply_days"}
    assert register_size(client) == before  # nothing issued


@pytest.mark.parametrize(
    ("body", "status", "loc"),
    [
        ([], 422, "(body)"),
        ({"kind": "no-such-kind", "items": [{}]}, 422, "kind"),
        ({"kind": "supervision-prompt"}, 422, "items"),
        ({"kind": "supervision-prompt", "items": []}, 422, "items"),
        ({"kind": "supervision-prompt", "items": [1]}, 422, "items.0"),
    ],
)
def test_batch_request_errors(client, body, status, loc) -> None:
    answer = client.post("/api/v1/batches", json=body)
    assert answer.status_code == status
    assert loc in {d["loc"] for d in answer.get_json()["details"]}


def test_not_json_and_unknown_batch(client) -> None:
    assert client.post("/api/v1/batches", data="kind=x", content_type="text/plain").status_code == 415
    for path in ("", "/packet.pdf", "/documents.zip"):
        answer = client.get(f"/api/v1/batches/nosuchbatch{path}")
        assert answer.status_code == 404 and answer.get_json()["error"] == "not_found"


def test_a_token_revoked_from_the_command_line_is_refused_on_the_next_poll(app, client) -> None:
    """``docgen token revoke`` runs in another process; the poll after it must already be 401."""
    poller = app.test_client(token=token_for(app, "进度看板", "leader"))
    batch = client.post("/api/v1/batches", json={"kind": "supervision-prompt", "items": prompts(2)}).get_json()
    assert poller.get(batch["links"]["self"]).get_json()["id"] == batch["id"]
    revoked = subprocess.run(
        [sys.executable, "-m", "docgen.cli", "token", "revoke", "进度看板"], cwd=PROJECT, capture_output=True, text=True,
        env={**os.environ, "DOCGEN_DATA_DIR": app.config["DATA_DIR"]}, timeout=120,
    )
    assert revoked.returncode == 0, revoked.stderr
    answer = poller.get(batch["links"]["self"])
    assert answer.status_code == 401 and answer.get_json()["message"] == "访问令牌无效或已被吊销"
    assert wait_done(client_get(client), batch["id"])["status"] == "done"  # the batch itself goes on

def test_escalations_are_checked_against_the_register_before_anything_is_issued(client) -> None:
    before = register_size(client)
    notice = {"prompt_number": "东卫督办〔2026〕999号", "reply_days": 3}
    answer = client.post("/api/v1/batches", json={"kind": "accountability-notice", "items": [notice, notice], "issue": True})
    assert answer.status_code == 422
    assert {d["loc"] for d in answer.get_json()["details"]} >= {"items.0.prompt_number", "items.1.prompt_number"}
    assert register_size(client) == before


def test_a_batch_that_fails_says_why_and_has_no_packet(app, tmp_path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(app.config["TEMPLATES_DIR"], templates)
    (templates / "supervision-prompt.docx").write_bytes(b"not a word file")  # broken after the items were checked
    broken = create_app({"DATA_DIR": app.config["DATA_DIR"], "TESTING": True, "TEMPLATES_DIR": str(templates)}).test_client()
    before = register_size(broken)
    batch = broken.post("/api/v1/batches", json={"kind": "supervision-prompt", "items": prompts(3), "issue": True}).get_json()
    failed = wait_done(client_get(broken), batch["id"])
    assert failed["status"] == "failed" and failed["done"] == 0
    assert set(failed["error"]) == {"error", "message", "details"} and failed["error"]["message"]
    answer = broken.get(batch["links"]["packet"])
    assert answer.status_code == 409 and "失败" in answer.get_json()["message"]
    assert register_size(broken) == before  # the failed issue took no number


def test_batch_routes_are_in_the_openapi_document(client) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "202" in paths["/api/v1/batches"]["post"]["responses"]
    for path in ("/api/v1/batches/{batch_id}", "/api/v1/batches/{batch_id}/packet.pdf", "/api/v1/batches/{batch_id}/documents.zip"):
        assert "get" in paths[path]


def test_idempotency_key(client) -> None:
    body = {"kind": "supervision-prompt", "items": prompts(2), "issue": False}
    first = client.post("/api/v1/batches", json=body, headers={"Idempotency-Key": "monthly-2026-11"})
    again = client.post("/api/v1/batches", json=body, headers={"Idempotency-Key": "monthly-2026-11"})
    assert first.status_code == again.status_code == 202
    assert again.get_json()["id"] == first.get_json()["id"]
    other = client.post("/api/v1/batches", json={**body, "duplex": False}, headers={"Idempotency-Key": "monthly-2026-11"})
    assert other.status_code == 422 and other.get_json()["error"] == "idempotency_key_reused"
    wait_done(client_get(client), first.get_json()["id"])


def test_drafts_batch_numbers_nothing(client) -> None:
    before = register_size(client)
    items = prompts(3) + [prompts(1)[0]]  # the same recipient twice
    batch = client.post("/api/v1/batches", json={"kind": "supervision-prompt", "items": items, "duplex": False}).get_json()
    assert wait_done(client_get(client), batch["id"])["status"] == "done"
    assert register_size(client) == before
    with zipfile.ZipFile(io.BytesIO(client.get(batch["links"]["documents"]).data)) as z:
        assert z.namelist() == ["督办提示-001-区人民医院-草稿.docx", "督办提示-002-区中医院-草稿.docx",
                                "督办提示-003-区妇幼保健院-草稿.docx", "督办提示-004-区人民医院-草稿.docx"]
    reader = PdfReader(io.BytesIO(client.get(batch["links"]["packet"]).data))
    assert [o.title for o in reader.outline][1:] == ["草稿 1 区人民医院", "草稿 2 区中医院", "草稿 3 区妇幼保健院", "草稿 4 区人民医院"]


def test_queue_and_size_limits(app) -> None:
    limited = create_app({**{k: app.config[k] for k in ("DATA_DIR", "TESTING")}, "MAX_PENDING_BATCHES": 1, "MAX_BATCH_ITEMS": 5})
    client = limited.test_client()
    too_many = client.post("/api/v1/batches", json={"kind": "supervision-prompt", "items": prompts(6)})
    assert too_many.status_code == 422 and too_many.get_json()["details"][0]["loc"] == "items"
    first = client.post("/api/v1/batches", json={"kind": "supervision-prompt", "items": prompts(5)})
    assert first.status_code == 202
    full = client.post("/api/v1/batches", json={"kind": "supervision-prompt", "items": prompts(1)})
    assert full.status_code == 429 and full.get_json()["error"] == "queue_full"
    wait_done(client_get(client), first.get_json()["id"])
    later = client.post("/api/v1/batches", json={"kind": "supervision-prompt", "items": prompts(1)})
    assert later.status_code == 202
    wait_done(client_get(client), later.get_json()["id"])


def test_batch_survives_libreoffice_crash(client, office) -> None:
    items = prompts(40)
    batch = client.post("/api/v1/batches", json={"kind": "supervision-prompt", "items": items}).get_json()
    time.sleep(0.3)  # the first runs are being converted
    from docgen.converter import get_converter

    pids = [inst["pid"] for inst in get_converter(office.settings).process_ids() if inst["pid"]]  # soffice.bin of each instance
    assert pids
    for pid in pids:  # only this pool's LibreOffice processes
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    done = wait_done(client_get(client), batch["id"])
    assert done["status"] == "done" and done["done"] == 40, done
    assert office.converter_status()["restarts"] >= 1
    reader = PdfReader(io.BytesIO(client.get(batch["links"]["packet"]).data))
    assert len(reader.outline) == 41 and len(reader.get_fields()) == 41


def test_cli_batch_from_a_gbk_csv_and_the_monthly_report(tmp_path) -> None:
    env = {"DOCGEN_DATA_DIR": str(tmp_path / "instance")}
    runner = CliRunner()
    packet, archive = tmp_path / "packet.pdf", tmp_path / "docs.zip"
    result = runner.invoke(docgen_cli, ["batch", "supervision-prompt", str(RESOURCES / "prompts-gbk.csv"), "--issue",
                                        "-o", str(packet), "--zip", str(archive),
                                        "--set", "日期说明=补录（表中是固定的日期）"], env=env)
    assert result.exit_code == 0, result.output
    assert "3/3" in result.output  # the progress bar ran to the end
    reader = PdfReader(packet)
    titles = [o.title for o in reader.outline]
    assert titles[1:] == ["东卫督办〔2026〕1号 区人民医院", "东卫督办〔2026〕2号 区中医院", "东卫督办〔2026〕3号 卫生监督所"]
    assert len(zipfile.ZipFile(archive).namelist()) == 3

    bad = runner.invoke(docgen_cli, ["batch", "supervision-prompt", str(RESOURCES / "prompts-bad.csv"), "--issue",
                                     "-o", str(tmp_path / "bad.pdf")], env=env)
    assert bad.exit_code == 2
    assert "第3行.存在问题" in bad.output and "第4行.单位或科室" in bad.output
    assert not (tmp_path / "bad.pdf").exists()
    listed = runner.invoke(docgen_cli, ["register", "--json"], env=env)
    assert '"total": 3' in listed.output  # the bad file issued nothing

    ledger = runner.invoke(docgen_cli, ["batch", "supervision-ledger", str(RESOURCES / "supervision-ledger-2026-11.xlsx"),
                                        "-o", str(tmp_path / "ledger.pdf"), "--no-duplex"], env=env)
    assert ledger.exit_code == 0, ledger.output
    assert len(PdfReader(tmp_path / "ledger.pdf").outline) == 2  # one sheet, one ledger

    report = tmp_path / "report.pdf"
    monthly = runner.invoke(docgen_cli, ["monthly", "--year", "2026", "--month", "11", "-o", str(report)], env=env)
    assert monthly.exit_code == 0, monthly.output
    # `docgen monthly` is `docgen report monthly --pdf --with-papers`: the report, its appendix lists the month's papers
    with pdfplumber.open(report) as pdf:
        whole = compact("".join(page.extract_text() for page in pdf.pages))
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    in_november = [1, 2] + ([3] if (today.year, today.month) == (2026, 11) else [])  # the third row is dated today
    assert "关于2026年11月督查工作情况的报告" in whole and "2026年11月签发文件清单" in whole
    assert all(f"东卫督办〔2026〕{n}号" in whole for n in in_november)
    assert "8/8" in monthly.output  # the report's steps, to the end


@pytest.mark.slow
def test_progress_from_any_worker_of_a_real_server(live_server) -> None:
    url = live_server.url + "/api/v1/batches"
    answer = requests.post(url, json={"kind": "supervision-prompt", "items": prompts(12), "issue": True}, headers=live_server.headers,
                           timeout=30)
    assert answer.status_code == 202, answer.text
    batch_id = answer.json()["id"]
    workers: set[str] = set()

    def get(_: object = None) -> requests.Response:
        response = requests.get(f"{url}/{batch_id}", timeout=30, headers={"Connection": "close", **live_server.headers})
        assert response.status_code == 200
        workers.add(response.headers["X-Docgen-Worker"])
        return response

    done = wait_done(lambda _id: get().json(), batch_id)
    assert done["status"] == "done" and done["done"] == 12
    with ThreadPoolExecutor(8) as pool:  # concurrent requests spread over the workers
        answers = list(pool.map(get, range(48)))
    assert {(a.json()["status"], a.json()["done"]) for a in answers} == {("done", 12)}
    assert len(workers) >= 2, workers
    packet = requests.get(f"{url}/{batch_id}/packet.pdf", headers=live_server.headers, timeout=30)
    assert packet.status_code == 200 and len(PdfReader(io.BytesIO(packet.content)).outline) == 13


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def kill_web_processes(master: int) -> list[int]:
    """SIGKILL ``docgen serve`` and its gunicorn workers (a crash, no clean shutdown); the pids left: its converter pool."""
    pool = []
    for pid in children(master):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"docgen.converter" in cmdline:
            pool.append(pid)
        else:
            os.kill(pid, signal.SIGKILL)
    os.kill(master, signal.SIGKILL)
    return pool


def wait_gone(pids: list[int], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in pids):
        time.sleep(0.1)


@pytest.mark.slow
def test_a_batch_left_by_a_dead_server_is_finished_without_issuing_twice(tmp_path: Path) -> None:
    data_dir = tmp_path / "instance"
    data_dir.mkdir()
    server = LiveServer(data_dir, workers=2)
    try:
        url = server.url + "/api/v1"
        batch_id = requests.post(f"{url}/batches", json={"kind": "supervision-prompt", "items": prompts(60), "issue": True},
                                 headers=server.headers, timeout=30).json()["id"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # kill it once some papers are issued
            listed = requests.get(f"{url}/documents?per_page=500", headers=server.headers, timeout=30).json()
            issued = [d for d in listed if d["batch_id"] == batch_id]
            if len(issued) >= 5:
                break
            time.sleep(0.02)
    finally:
        pool = kill_web_processes(server.process.pid)
        server.process.wait()
        server.log.close()
        wait_gone(pool)  # the converter pool closes its LibreOffice instances when its parent dies
    with sqlite3.connect(data_dir / "docgen.sqlite3") as db:
        status, done = db.execute("SELECT status, done FROM batches WHERE id = ?", (batch_id,)).fetchone()
        assert status == "running" and done < 60, (status, done)

    server = LiveServer(data_dir, workers=2)  # the service comes back; nobody asks for the batch
    try:
        assert wait_in_database(data_dir, batch_id)[0] == "done"  # its queue worker took the batch up again
        finished = requests.get(f"{server.url}/api/v1/batches/{batch_id}", headers=server.headers, timeout=30).json()
        assert finished["status"] == "done" and finished["done"] == 60, finished
        listed = requests.get(f"{server.url}/api/v1/documents?per_page=500", headers=server.headers, timeout=30).json()
        documents = [d for d in listed if d["batch_id"] == batch_id]
        assert len(documents) == 60
        assert sorted(sequence(d["number"]) for d in documents) == list(range(1, 61))  # none twice, no gap
        packet = requests.get(f"{server.url}/api/v1/batches/{batch_id}/packet.pdf", headers=server.headers, timeout=30)
        reader = PdfReader(io.BytesIO(packet.content))
    finally:
        server.stop()
    with sqlite3.connect(data_dir / "docgen.sqlite3") as db:
        run_lengths = [n for (n,) in db.execute("SELECT COUNT(*) FROM batch_files WHERE batch_id = ? GROUP BY run_key", (batch_id,))]
    # docgen serve's own queue serves one machine: as few runs as keep its LibreOffice instances busy
    # (two of 30 on two cores), not the short runs a queue shared by several machines takes
    from docgen.services.batch import runs

    assert max(run_lengths) == max(len(r) for r in runs(list(range(60)), os.cpu_count() or 1)), run_lengths
    recipients = [p["recipient"] for p in prompts(60)]
    by_recipient = {d["recipient"]: d["number"] for d in documents}
    assert [o.title for o in reader.outline][1:] == [f"{by_recipient[r]} {r}" for r in recipients]
    assert [sequence(by_recipient[r]) for r in recipients] == list(range(1, 61))  # still in item order


def wait_in_database(data_dir: Path, batch_id: str, timeout: float = 120) -> tuple[str, int]:
    """The batch's status and progress once it is no longer pending, read from the SQLite file (no request to the service)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sqlite3.connect(data_dir / "docgen.sqlite3") as db:
            status, done = db.execute("SELECT status, done FROM batches WHERE id = ?", (batch_id,)).fetchone()
        if status not in ("queued", "running"):
            return status, done
        time.sleep(0.2)
    raise AssertionError(f"batch {batch_id} still {status} ({done} done) after {timeout}s")

