"""Issuing: numbers, dates, deadlines, escalation, the register, voiding, audit."""

from __future__ import annotations

import datetime as dt
import hashlib
import os

from tests.conftest import example
from tests.docx_text import text


def issue(client, kind, payload, **kw):
    return client.post(f"/api/v1/documents/{kind}", json=payload, **kw)


def prompt(recipient="区人民医院", issued_on=None, **extra):
    payload = dict(example("supervision-prompt"), recipient=recipient, **extra)
    if issued_on:
        payload["issued_on"] = issued_on
        # these tests date papers on fixed days, however far from today (tests/test_date_rules.py checks the rule)
        payload.setdefault("date_reason", "补录")
    return payload


def test_issue_answers_201_with_number_date_location_and_the_file_carries_them(client, office):
    response = issue(client, "supervision-prompt", prompt(issued_on="2026-11-20"))
    assert response.status_code == 201
    body = response.json
    assert body["number"] == "东卫督办〔2026〕1号"
    assert body["issued_on"] == "2026-11-20"
    assert body["due_on"] == "2026-11-27"  # five working days: Mon 23 .. Fri 27
    assert response.headers["Location"] == f"/api/v1/documents/{body['id']}"
    assert set(body["links"]) == {"self", "docx", "pdf"}
    stored = client.get(body["links"]["docx"])
    assert stored.status_code == 200
    printed = text(stored.data)
    assert "东卫督办〔2026〕1号" in printed
    assert "2026年11月20日" in printed


def test_numbers_count_per_series_and_restart_each_year(client):
    numbers = [issue(client, "supervision-prompt", prompt(issued_on=f"2026-11-0{d}")).json["number"] for d in (2, 3, 4)]
    assert numbers == ["东卫督办〔2026〕1号", "东卫督办〔2026〕2号", "东卫督办〔2026〕3号"]
    report = issue(client, "supervision-report", example("supervision-report")).json
    assert report["number"] == "东卫督报〔2026〕1号"
    assert issue(client, "supervision-prompt", prompt(issued_on="2025-12-30")).json["number"] == "东卫督办〔2025〕1号"


def test_ledgers_have_no_number_but_are_registered_and_dated(client, office):
    body = issue(client, "key-work-ledger", example("key-work-ledger")).json
    assert body["number"] is None
    assert body["issued_on"] == office.today().isoformat()
    listed = client.get("/api/v1/documents?kind=key-work-ledger").json
    assert [d["id"] for d in listed] == [body["id"]]


def test_issuing_date_defaults_to_today_in_shanghai(client, office):
    body = issue(client, "supervision-prompt", prompt()).json
    assert body["issued_on"] == office.today().isoformat()
    assert office.profile.timezone == "Asia/Shanghai"


def test_the_number_is_never_taken_from_the_payload(client):
    payload = dict(prompt(), number="东卫督办〔2026〕99号")
    response = issue(client, "supervision-prompt", payload)
    assert response.status_code == 422
    assert response.json["details"][0]["loc"] == "number"


def test_invalid_payload_consumes_no_number(client):
    assert issue(client, "supervision-prompt", {"recipient": "x"}).status_code == 422
    assert issue(client, "supervision-prompt", prompt()).json["number"] == "东卫督办〔2026〕1号"


def test_failure_after_the_number_is_taken_leaves_no_gap_and_no_file(client, office, data_dir):
    files = data_dir / "files"
    before = sorted(p for p in files.rglob("*") if p.is_file())
    # make every file shard a plain file, so storing the paper fails for real
    blockers = []
    for i in range(256):
        shard = files / f"{i:02x}"
        if not shard.exists():
            shard.write_text("")
            blockers.append(shard)
    response = issue(client, "supervision-prompt", prompt())
    assert response.status_code == 500
    assert response.json["error"] == "internal_error"
    for blocker in blockers:
        blocker.unlink()
    assert sorted(p for p in files.rglob("*") if p.is_file()) == before
    assert client.get("/api/v1/documents").json == []
    assert issue(client, "supervision-prompt", prompt()).json["number"] == "东卫督办〔2026〕1号"


def test_failure_while_rendering_leaves_no_gap(client, office, monkeypatch):
    # a template that breaks at render time: the real renderer raises inside the transaction
    original = office.renderer.context

    def broken(kind, payload, number="", issued_on=None):
        context = original(kind, payload, number, issued_on)
        del context["recipient"]
        return context

    monkeypatch.setattr(office.renderer, "context", broken)
    assert issue(client, "supervision-prompt", prompt()).status_code == 500
    monkeypatch.undo()
    assert issue(client, "supervision-prompt", prompt()).json["number"] == "东卫督办〔2026〕1号"


def test_idempotency_key_same_body_same_answer_other_body_422(client):
    headers = {"Idempotency-Key": "oa-4711"}
    first = issue(client, "supervision-prompt", prompt(), headers=headers)
    again = issue(client, "supervision-prompt", prompt(), headers=headers)
    assert first.status_code == 201
    assert again.json == first.json
    other = issue(client, "supervision-prompt", prompt(recipient="区中医院"), headers=headers)
    assert other.status_code == 422
    assert other.json["details"][0]["loc"] == "(header).Idempotency-Key"
    assert len(client.get("/api/v1/documents").json) == 1


def test_void_keeps_the_number_with_the_reason_and_never_reuses_it(client):
    first = issue(client, "supervision-prompt", prompt()).json
    voided = client.post(f"/api/v1/documents/{first['id']}/void", json={"reason": "收文单位写错"})
    assert voided.status_code == 200
    assert voided.json["status"] == "voided" and voided.json["void_reason"] == "收文单位写错"
    assert client.post(f"/api/v1/documents/{first['id']}/void", json={"reason": "again"}).status_code == 409
    assert client.post(f"/api/v1/documents/{first['id']}/void", json={}).status_code == 422
    assert issue(client, "supervision-prompt", prompt()).json["number"] == "东卫督办〔2026〕2号"
    entry = client.get(f"/api/v1/documents/{first['id']}").json
    assert entry["number"] == "东卫督办〔2026〕1号" and entry["status"] == "voided"
    assert [d["number"] for d in client.get("/api/v1/documents?status=voided").json] == ["东卫督办〔2026〕1号"]


def test_escalation_fills_the_prompt_from_the_register(client):
    earlier = issue(client, "supervision-prompt", prompt(issued_on="2026-10-09", matter="疫苗冷链")).json
    response = issue(client, "accountability-notice", {"prompt_number": earlier["number"]})
    assert response.status_code == 201, response.json
    notice = response.json
    assert notice["number"] == "东卫督问〔2026〕1号"
    assert notice["recipient"] == "区人民医院"
    assert notice["follows"] == earlier["id"]
    printed = text(client.get(notice["links"]["docx"]).data)
    assert "疫苗冷链工作存在" in printed
    assert "并于2026年10月9日下发《督办提示》（东卫督办〔2026〕1号）" in printed
    assert "区人民医院：" in printed


def test_escalation_refuses_unknown_voided_and_not_yet_due_prompts(client, office):
    unknown = issue(client, "accountability-notice", {"prompt_number": "东卫督办〔2026〕404号"})
    assert unknown.status_code == 422 and unknown.json["details"][0]["loc"] == "prompt_number"

    fresh = issue(client, "supervision-prompt", prompt()).json  # due in five working days
    early = issue(client, "accountability-notice", {"prompt_number": fresh["number"]})
    assert early.status_code == 422
    assert fresh["due_on"] in early.json["details"][0]["msg"]

    forced = issue(client, "accountability-notice", {"prompt_number": fresh["number"], "force_reason": "局长办公会决定提前问责"})
    assert forced.status_code == 201
    assert client.get(forced.json["links"]["self"]).json["force_reason"] == "局长办公会决定提前问责"

    old = issue(client, "supervision-prompt", prompt(issued_on="2026-09-01")).json
    client.post(f"/api/v1/documents/{old['id']}/void", json={"reason": "重复下发"})
    voided = issue(client, "accountability-notice", {"prompt_number": old["number"]})
    assert voided.status_code == 422 and "作废" in voided.json["message"]


def test_register_filters_and_paging(client):
    for i, who in enumerate(["区人民医院", "区中医院", "张贵庄社区卫生服务中心"]):
        issue(client, "supervision-prompt", prompt(recipient=who, issued_on=f"2026-0{i + 7}-01"))
    issue(client, "supervision-report", example("supervision-report"))
    assert client.get("/api/v1/documents").headers["X-Total-Count"] == "4"
    assert [d["recipient"] for d in client.get("/api/v1/documents?recipient=中医院").json] == ["区中医院"]
    assert [d["recipient"] for d in client.get("/api/v1/documents?q=张贵庄").json] == ["张贵庄社区卫生服务中心"]
    assert len(client.get("/api/v1/documents?kind=supervision-prompt&year=2026").json) == 3
    assert [d["issued_on"] for d in client.get("/api/v1/documents?kind=supervision-prompt&month=8").json] == ["2026-08-01"]
    page2 = client.get("/api/v1/documents?kind=supervision-prompt&per_page=2&page=2")
    assert len(page2.json) == 1 and page2.headers["X-Total-Count"] == "3"
    overdue = client.get("/api/v1/documents?overdue=true").json
    assert {d["recipient"] for d in overdue} == {"区人民医院", "区中医院", "张贵庄社区卫生服务中心"}
    bad = client.get("/api/v1/documents?year=abc&status=lost")
    assert bad.status_code == 422
    assert {d["loc"] for d in bad.json["details"]} == {"(query).year", "(query).status"}


def test_register_keeps_payload_and_hashes_for_audit(client, office):
    body = issue(client, "supervision-prompt", prompt(issued_on="2026-11-20")).json
    stored = client.get(body["links"]["docx"]).data
    assert hashlib.sha256(stored).hexdigest() == body["file_sha256"]
    template = office.renderer.template(office.validate("supervision-prompt", prompt())[0])
    assert body["template_sha256"] == template.sha256
    assert body["payload"]["recipient"] == "区人民医院" and body["payload"]["reply_days"] == 5
    again, same_template = office.regenerate(body["id"])
    assert same_template
    assert text(again) == text(stored)


def test_files_are_stored_under_generated_ids(client, data_dir):
    issue(client, "supervision-prompt", prompt())
    names = [p.name for p in (data_dir / "files").rglob("*.docx")]
    assert len(names) == 1 and names[0].isascii() and "督" not in names[0]


def test_unknown_document_is_404(client):
    assert client.get("/api/v1/documents/nope").status_code == 404
    assert client.get("/api/v1/documents/nope/docx").status_code == 404


def test_database_url_switches_database(tmp_path):
    from docgen import create_app

    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    client = create_app({"DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": url}).test_client()
    assert client.post("/api/v1/documents/supervision-prompt", json=prompt()).status_code == 201
    assert os.path.getsize(tmp_path / "elsewhere.db") > 0
    assert not (tmp_path / "data" / "docgen.sqlite3").exists()


def test_today_is_not_a_fixed_date(office):
    assert abs((office.today() - dt.date.today()).days) <= 1


def test_a_deadline_in_a_year_without_holiday_data_is_422_and_takes_no_number(client):
    from docgen.services.dates import holiday_years

    last = holiday_years()[1]
    late = issue(client, "supervision-prompt", prompt(issued_on=f"{last}-12-29", reply_days=10))
    assert late.status_code == 422
    assert late.json["error"] == "holiday_data_missing" and str(last + 1) in late.json["message"]
    assert late.json["details"][0]["loc"] == "reply_days"
    assert client.get("/api/v1/documents").json == []
    first = issue(client, "supervision-prompt", prompt(issued_on=f"{last}-11-02"))
    assert first.json["number"] == f"东卫督办〔{last}〕1号"
