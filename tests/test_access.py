"""Who may do what: tokens, roles, sign-in, the audit log, the Host allow-list."""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import subprocess
import sys

import pytest
import requests
from click.testing import CliRunner

from docgen import create_app
from docgen.cli import main as cli_main
from docgen.services.db import MIGRATIONS_DIR, get_engine
from tests.conftest import PROJECT, example, token_for

PUBLIC = {"/healthz", "/api/v1/openapi.json", "/api/docs", "/login", "/api/v1/login"}


def concrete(rule) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", "x", rule.rule)


def issue(client, **fields) -> dict:
    response = client.post("/api/v1/documents/supervision-prompt", json=dict(example("supervision-prompt"), **fields))
    assert response.status_code == 201, response.json
    return response.json


# -- deny by default ------------------------------------------------------------------------------
def test_every_route_but_the_public_ones_answers_401_without_a_credential(app, anonymous):
    """Enumerates the URL map, so a route added later is covered too."""
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = concrete(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = anonymous.open(path, method=method, json={}, headers={"Accept": "application/json"})
            if rule.rule in PUBLIC or rule.endpoint.startswith("api_docs."):  # Swagger UI's page and files
                assert response.status_code != 401, f"{method} {rule.rule} is public"
                continue
            assert response.status_code == 401, f"{method} {rule.rule} answered {response.status_code} without a credential"
            body = response.json
            assert body["error"] == "unauthorized" and body["message"] and body["details"] == []
            checked += 1
    assert checked >= 20


def test_a_browser_without_a_session_is_sent_to_the_login_page(anonymous):
    response = anonymous.get("/register?q=x", headers={"Accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login?next=/register")
    page = anonymous.get(response.headers["Location"]).get_data(as_text=True)
    assert "用户名" in page and "密码" in page and "登录" in page


def test_public_routes_answer_without_a_credential(anonymous):
    assert anonymous.get("/healthz").status_code == 200
    assert anonymous.get("/api/v1/openapi.json").status_code == 200
    assert anonymous.get("/login").status_code == 200


def test_a_wrong_revoked_or_expired_token_is_401(app, anonymous, runner):
    office = app.extensions["docgen"]
    bad = anonymous.get("/api/v1/documents", headers={"Authorization": "Bearer dg_not-a-token"})
    assert bad.status_code == 401 and bad.json["error"] == "unauthorized"
    basic = anonymous.get("/api/v1/documents", headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
    assert basic.status_code == 401 and basic.json["details"][0]["loc"] == "(header).Authorization"
    expired = office.accounts.create_token("旧系统", "clerk", lifetime=dt.timedelta(seconds=-1))
    answer = anonymous.get("/api/v1/documents", headers={"Authorization": f"Bearer {expired}"})
    assert answer.status_code == 401 and "过期" in answer.json["message"]
    live = office.accounts.create_token("OA系统", "clerk")
    assert anonymous.get("/api/v1/documents", headers={"Authorization": f"Bearer {live}"}).status_code == 200
    office.accounts.revoke_tokens("OA系统")
    assert anonymous.get("/api/v1/documents", headers={"Authorization": f"Bearer {live}"}).status_code == 401


def test_tokens_are_kept_only_as_hashes(app, data_dir):
    token = app.extensions["docgen"].accounts.create_token("OA系统", "clerk")
    with sqlite3.connect(data_dir / "docgen.sqlite3") as db:
        stored = db.execute("SELECT token_sha256 FROM api_tokens WHERE name = 'OA系统'").fetchone()[0]
    assert token not in stored and len(stored) == 64
    assert token.encode() not in (data_dir / "docgen.sqlite3").read_bytes()


# -- roles ------------------------------------------------------------------------------------------
def test_a_leader_reads_everything_but_cannot_issue_or_void(app, client):
    doc = issue(client, recipient="区人民医院")
    leader = app.test_client(token=token_for(app, "王局长", "leader"))
    assert leader.get("/api/v1/documents").json[0]["id"] == doc["id"]
    assert leader.get(f"/api/v1/documents/{doc['id']}/docx").status_code == 200
    assert leader.get("/api/v1/audit").status_code == 200
    refused = leader.post("/api/v1/documents/supervision-prompt", json=example("supervision-prompt"))
    assert refused.status_code == 403
    assert refused.json["error"] == "forbidden" and "局领导" in refused.json["message"]
    assert leader.post(f"/api/v1/documents/{doc['id']}/void", json={"reason": "误发"}).status_code == 403
    assert client.get(f"/api/v1/documents/{doc['id']}").json["status"] == "issued"  # changed nothing


def test_a_clerk_issues_but_cannot_read_the_audit_log(app):
    clerk = app.test_client(token=token_for(app, "李干事", "clerk"))
    doc = issue(clerk, recipient="区疾控中心")
    assert doc["issued_by"] == "李干事"
    assert clerk.get("/api/v1/audit").status_code == 403


def test_a_department_sees_and_downloads_only_its_own_papers(app, client):
    mine = issue(client, recipient="医政科")
    other = issue(client, recipient="区人民医院")
    department = app.test_client(token=token_for(app, "医政科", "department", "医政科"))
    listed = department.get("/api/v1/documents").json
    assert [d["id"] for d in listed] == [mine["id"]]
    assert department.get("/api/v1/documents?q=区人民医院").json == []
    assert department.get(f"/api/v1/documents/{mine['id']}/docx").status_code == 200
    for path in (f"/api/v1/documents/{other['id']}", f"/api/v1/documents/{other['id']}/docx"):
        assert department.get(path).status_code == 404
    assert department.post(f"/api/v1/documents/{mine['id']}/void", json={"reason": "x"}).status_code == 403
    assert department.post("/api/v1/documents/supervision-prompt", json=example("supervision-prompt")).status_code == 403
    page = department.get("/register").get_data(as_text=True)
    assert mine["number"] in page and other["number"] not in page


def test_a_department_token_must_name_its_department(app):
    with pytest.raises(Exception) as error:
        app.extensions["docgen"].accounts.create_token("医政科", "department")
    assert getattr(error.value, "status", None) == 422


# -- who did what --------------------------------------------------------------------------------
def test_issued_by_and_voided_by_on_the_register_and_the_form(app):
    clerk = app.test_client(token=token_for(app, "李干事", "clerk"))
    other = app.test_client(token=token_for(app, "张主任", "clerk"))
    doc = issue(clerk, recipient="区人民医院")
    voided = other.post(f"/api/v1/documents/{doc['id']}/void", json={"reason": "收文单位写错"}).json
    assert (voided["issued_by"], voided["voided_by"]) == ("李干事", "张主任")
    listed = clerk.get("/api/v1/documents").json[0]
    assert (listed["issued_by"], listed["voided_by"]) == ("李干事", "张主任")
    page = clerk.get(f"/documents/{doc['id']}").get_data(as_text=True)
    assert "签发人" in page and "李干事" in page and "作废人" in page and "张主任" in page
    register = clerk.get("/register").get_data(as_text=True)
    assert "李干事" in register and "作废：张主任" in register


def test_the_audit_log_records_issue_void_and_logins(app, client, anonymous):
    office = app.extensions["docgen"]
    office.accounts.add_user("李干事", "clerk", "正确的密码123")
    clerk = app.test_client(token=token_for(app, "李干事", "clerk"))
    doc = issue(clerk, recipient="区人民医院")
    clerk.post(f"/api/v1/documents/{doc['id']}/void", json={"reason": "重发"})
    assert anonymous.post("/api/v1/login", json={"name": "李干事", "password": "错的"}).status_code == 401
    assert anonymous.post("/api/v1/login", json={"name": "李干事", "password": "正确的密码123"}).status_code == 200
    entries = client.get("/api/v1/audit").json
    seen = [(e["actor"], e["action"], e["target"]) for e in reversed(entries)]
    assert ("李干事", "issue", doc["number"]) in seen
    assert ("李干事", "void", doc["number"]) in seen
    assert ("李干事", "login_failed", None) in seen and ("李干事", "login", None) in seen
    assert seen.index(("李干事", "issue", doc["number"])) < seen.index(("李干事", "void", doc["number"]))
    only_voids = client.get("/api/v1/audit?action=void").json
    assert [e["action_title"] for e in only_voids] == ["作废"]
    assert client.get("/api/v1/audit?since=20261301").status_code == 422


# -- sign-in on the web ----------------------------------------------------------------------------
def csrf(client, url: str = "/login") -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True))
    assert match
    return match.group(1)


def test_sign_in_with_a_password_opens_a_session_that_expires(app, anonymous):
    app.extensions["docgen"].accounts.add_user("李干事", "clerk", "正确的密码123")
    wrong = anonymous.post("/login", data={"csrf_token": csrf(anonymous), "name": "李干事", "password": "不对"})
    assert wrong.status_code == 401 and "用户名或密码不正确" in wrong.get_data(as_text=True)
    right = anonymous.post("/login?next=/register", data={"csrf_token": csrf(anonymous), "name": "李干事", "password": "正确的密码123"})
    assert right.status_code == 303 and right.headers["Location"] == "/register"
    cookie = right.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = anonymous.get("/register")
    assert page.status_code == 200 and "李干事（两办工作人员）" in page.get_data(as_text=True)
    # the session reads the API but does not change anything through it
    assert anonymous.get("/api/v1/documents").status_code == 200
    assert anonymous.post("/api/v1/documents/supervision-prompt", json=example("supervision-prompt")).status_code == 401
    # nine hours later the session has expired
    with anonymous.session_transaction() as session:
        session["signed_in_at"] -= 9 * 3600
    assert anonymous.get("/register", headers={"Accept": "text/html"}).status_code == 303


def test_the_login_form_needs_its_csrf_token_and_goes_back_only_to_this_site(app, anonymous):
    app.extensions["docgen"].accounts.add_user("李干事", "clerk", "正确的密码123")
    assert anonymous.post("/login", data={"name": "李干事", "password": "正确的密码123"}).status_code == 400
    answer = anonymous.post("/login?next=//evil.example/x", data={"csrf_token": csrf(anonymous), "name": "李干事",
                                                                  "password": "正确的密码123"})
    assert answer.headers["Location"] == "/"


def test_passwords_are_hashed_with_argon2(app, data_dir):
    app.extensions["docgen"].accounts.add_user("李干事", "clerk", "正确的密码123")
    with sqlite3.connect(data_dir / "docgen.sqlite3") as db:
        stored = db.execute("SELECT password_hash FROM users WHERE name = '李干事'").fetchone()[0]
    assert stored.startswith("$argon2id$") and "正确的密码123" not in stored


# -- the CLI ------------------------------------------------------------------------------------------
def test_cli_adds_users_and_creates_and_revokes_tokens(app, data_dir, anonymous, monkeypatch):
    monkeypatch.setenv("DOCGEN_DATA_DIR", str(data_dir))
    runner = CliRunner()
    added = runner.invoke(cli_main, ["user", "add", "医政科小王", "--role", "department", "--department", "医政科"],
                          input="一个足够长的新密码\n一个足够长的新密码\n")
    assert added.exit_code == 0, added.output
    assert "已添加用户 医政科小王" in added.output
    made = runner.invoke(cli_main, ["token", "create", "OA系统", "--role", "clerk"])
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"dg_[A-Za-z0-9_-]{40,}", token)
    auth = {"Authorization": f"Bearer {token}"}
    assert anonymous.post("/api/v1/documents/supervision-prompt", json=example("supervision-prompt"), headers=auth).status_code == 201
    assert runner.invoke(cli_main, ["token", "revoke", "OA系统"]).exit_code == 0
    assert anonymous.get("/api/v1/documents", headers=auth).status_code == 401
    missing = runner.invoke(cli_main, ["token", "revoke", "OA系统"])
    assert missing.exit_code == 2 and "没有名为 OA系统 的有效令牌" in missing.output
    bad = runner.invoke(cli_main, ["token", "create", "科室", "--role", "department"])
    assert bad.exit_code == 2 and "department" in bad.output


def test_first_start_of_docgen_serve_prints_the_admin_password_once(live_server):
    password = live_server.admin_password()
    assert password and len(password) >= 12
    answer = requests.post(f"{live_server.url}/api/v1/login", json={"name": "admin", "password": password}, timeout=30)
    assert answer.status_code == 200 and answer.json()["role"] == "admin"
    token = answer.json()["token"]
    me = requests.get(f"{live_server.url}/api/v1/whoami", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert me.json()["name"] == "admin"
    assert requests.get(f"{live_server.url}/api/v1/documents", timeout=30).status_code == 401
    # the token the fixture made with `docgen token create` works too
    assert requests.get(f"{live_server.url}/api/v1/documents", headers=live_server.headers, timeout=30).status_code == 200


def test_a_second_start_makes_no_new_admin(tmp_path):
    from docgen.server import announce_first_admin

    env = dict(os.environ, DOCGEN_DATA_DIR=str(tmp_path))
    script = "from docgen.config import load_settings; from docgen.server import announce_first_admin, prepare_database; " \
             "s = load_settings(); prepare_database(s); announce_first_admin(s)"
    first = subprocess.run([sys.executable, "-c", script], env=env, cwd=PROJECT, capture_output=True, text=True, timeout=120)
    second = subprocess.run([sys.executable, "-c", script], env=env, cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert "初始密码" in first.stdout, first.stderr
    assert second.stdout == ""
    assert announce_first_admin  # the same function docgen serve calls


# -- the web side's hardening --------------------------------------------------------------------------
def test_a_request_for_another_host_name_is_400(client):
    answer = client.get("/api/v1/documents", headers={"Host": "attacker.example:8000"})
    assert answer.status_code == 400
    assert answer.json["error"] == "host_not_allowed" and answer.json["details"][0]["loc"] == "(header).Host"
    assert client.get("/api/v1/documents", headers={"Host": "127.0.0.1:8000"}).status_code == 200
    assert client.get("/api/v1/documents", headers={"Host": "[::1]:8000"}).status_code == 200


def test_the_host_allow_list_is_a_setting(data_dir):
    app = create_app({"DATA_DIR": str(data_dir), "TESTING": True, "ALLOWED_HOSTS": "docgen.example.gov.cn"})
    client = app.test_client()
    assert client.get("/api/v1/kinds", headers={"Host": "docgen.example.gov.cn"}).status_code == 200
    assert client.get("/api/v1/kinds", headers={"Host": "localhost"}).status_code == 400


def test_healthz_shows_no_paths_or_process_ids(client, data_dir):
    answer = client.get("/healthz")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200 and answer.json["status"] == "ok"
    assert str(os.getpid()) not in re.findall(r"\d+", text)
    assert str(data_dir) not in text and "/usr/" not in text and "soffice" not in text

    def keys(value):
        if isinstance(value, dict):
            for k, v in value.items():
                yield k
                yield from keys(v)
        elif isinstance(value, list):
            for v in value:
                yield from keys(v)

    assert not [k for k in keys(answer.json) if "pid" in k or "path" in k]


# -- the schema ----------------------------------------------------------------------------------------------
def test_an_existing_register_upgrades_with_nothing_lost(tmp_path):
    from alembic import command
    from alembic.config import Config

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["engine"] = get_engine(url)
    command.upgrade(config, "0001")
    with sqlite3.connect(tmp_path / "old.sqlite3") as db:
        db.execute(
            "INSERT INTO documents (id, kind, organisation, year, seq, number, status, issued_on, payload, search_text,"
            " template_sha256, file_key, file_sha256, created_at) VALUES ('d1', 'supervision-prompt', '东丽区卫生局', 2026, 7,"
            " '东卫督办〔2026〕7号', 'issued', '2026-11-20', '{}', '', 'x', 'k', 's', '2026-11-20 08:00:00')"
        )
    command.upgrade(config, "head")
    with sqlite3.connect(tmp_path / "old.sqlite3") as db:
        row = db.execute("SELECT number, status, issued_by, voided_by FROM documents WHERE id = 'd1'").fetchone()
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert row == ("东卫督办〔2026〕7号", "issued", None, None)
    assert {"users", "api_tokens", "audit_log"} <= tables
