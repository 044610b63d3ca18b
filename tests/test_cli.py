"""The docgen command, run as a user runs it: a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import example
from tests.docx_text import text


def docgen(*args: str, data_dir: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, DOCGEN_DATA_DIR=str(data_dir))
    return subprocess.run([sys.executable, "-m", "docgen.cli", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_render_writes_a_draft_docx(tmp_path, data_dir):
    payload = tmp_path / "prompt.json"
    payload.write_text(json.dumps(example("supervision-prompt"), ensure_ascii=False), encoding="utf-8")
    result = docgen("render", "supervision-prompt", str(payload), "-o", str(tmp_path / "out.docx"), data_dir=data_dir, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "区人民医院" in text((tmp_path / "out.docx").read_bytes())


def test_render_reports_bad_fields_and_writes_nothing(tmp_path, data_dir):
    payload = tmp_path / "bad.json"
    payload.write_text(json.dumps({"recipient": "x", "findings": []}), encoding="utf-8")
    result = docgen("render", "supervision-prompt", str(payload), "-o", str(tmp_path / "out.docx"), data_dir=data_dir, cwd=tmp_path)
    assert result.returncode == 2
    assert "matter: 必填" in result.stderr and "findings: 至少需要 1 项" in result.stderr
    assert not (tmp_path / "out.docx").exists()


def test_render_rejects_unknown_output_type(tmp_path, data_dir):
    payload = tmp_path / "p.json"
    payload.write_text(json.dumps(example("supervision-prompt")), encoding="utf-8")
    result = docgen("render", "supervision-prompt", str(payload), "-o", str(tmp_path / "out.txt"), data_dir=data_dir, cwd=tmp_path)
    assert result.returncode != 0 and ".docx" in result.stderr


def test_issue_prints_the_number_and_register_lists_it(tmp_path, data_dir):
    payload = tmp_path / "prompt.json"
    payload.write_text(json.dumps(dict(example("supervision-prompt"), issued_on="2026-11-20"), ensure_ascii=False), encoding="utf-8")
    first = docgen("issue", "supervision-prompt", str(payload), "-o", str(tmp_path / "issued.docx"), data_dir=data_dir, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "东卫督办〔2026〕1号"
    assert "东卫督办〔2026〕1号" in text((tmp_path / "issued.docx").read_bytes())
    second = docgen("issue", "supervision-prompt", str(payload), data_dir=data_dir, cwd=tmp_path)
    assert second.stdout.strip() == "东卫督办〔2026〕2号"
    listing = docgen("register", "--kind", "supervision-prompt", data_dir=data_dir, cwd=tmp_path)
    assert "东卫督办〔2026〕1号" in listing.stdout and "东卫督办〔2026〕2号" in listing.stdout
    assert "共 2 份" in listing.stderr
    found = json.loads(docgen("register", "-q", "区人民医院", "--json", data_dir=data_dir, cwd=tmp_path).stdout)
    assert found["total"] == 2


def test_help_lists_the_commands(tmp_path, data_dir):
    result = docgen("--help", data_dir=data_dir, cwd=tmp_path)
    for command in ("serve", "render", "issue", "register"):
        assert command in result.stdout


def test_a_setting_that_is_not_a_number_is_named(tmp_path, data_dir, monkeypatch):
    payload = tmp_path / "p.json"
    payload.write_text(json.dumps(example("supervision-prompt")), encoding="utf-8")
    monkeypatch.setenv("DOCGEN_CONVERTER_TIMEOUT", "一分钟")
    result = docgen("render", "supervision-prompt", str(payload), "-o", str(tmp_path / "out.docx"), data_dir=data_dir, cwd=tmp_path)
    assert result.returncode != 0
    assert "DOCGEN_CONVERTER_TIMEOUT 应为整数" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out.docx").exists()


# -- a new user's hazards ----------------------------------------------------------------------
def test_version_and_chinese_help(tmp_path, data_dir):
    version = docgen("--version", data_dir=data_dir, cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("docgen ")
    helped = docgen("register", "--help", data_dir=data_dir, cwd=tmp_path)
    assert "用法：" in helped.stdout and "选项" in helped.stdout and "显示本帮助并退出" in helped.stdout
    assert "Show this message" not in helped.stdout and "Usage" not in helped.stdout


def test_click_errors_are_chinese(tmp_path, data_dir):
    unknown = docgen("register", "--bogus", data_dir=data_dir, cwd=tmp_path)
    assert unknown.returncode == 2
    assert "没有这个选项" in unknown.stderr and "--bogus" in unknown.stderr and "No such option" not in unknown.stderr
    missing = docgen("render", data_dir=data_dir, cwd=tmp_path)
    assert missing.returncode == 2 and "缺少参数" in missing.stderr and "Missing argument" not in missing.stderr
    bad_int = docgen("serve", "--port", "八千", data_dir=data_dir, cwd=tmp_path)
    assert bad_int.returncode == 2 and "不是有效的数值" in bad_int.stderr and "docgen serve --help" in bad_int.stderr


def test_register_validates_kind_and_month(tmp_path, data_dir):
    kind = docgen("register", "--kind", "supervision-promt", data_dir=data_dir, cwd=tmp_path)
    assert kind.returncode == 2 and "没有这种公文" in kind.stderr and "supervision-prompt" in kind.stderr
    month = docgen("register", "--month", "13", data_dir=data_dir, cwd=tmp_path)
    assert month.returncode == 2 and "不是月份" in month.stderr


def test_register_table_shows_state_and_deadline_aligned(tmp_path, data_dir):
    from wcwidth import wcswidth

    for recipient, day in (("区人民医院", "2026-11-02"), ("卫生监督所", "2026-11-20")):
        payload = tmp_path / f"{recipient}.json"
        payload.write_text(json.dumps(dict(example("supervision-prompt"), recipient=recipient, issued_on=day, date_reason="补录"),
                                      ensure_ascii=False))
        assert docgen("issue", "supervision-prompt", str(payload), data_dir=data_dir, cwd=tmp_path).returncode == 0
    ledger = tmp_path / "ledger.json"
    ledger.write_text(json.dumps(example("supervision-ledger"), ensure_ascii=False))
    assert docgen("issue", "supervision-ledger", str(ledger), data_dir=data_dir, cwd=tmp_path).returncode == 0
    listing = docgen("register", data_dir=data_dir, cwd=tmp_path)
    lines = listing.stdout.splitlines()
    header = lines[0]
    assert "状态" in header and "回复期限" in header
    # every column starts at the same display column on every line
    column = wcswidth(header[: header.index("状态")])
    for line in lines[1:]:
        cells = line.split()
        state = next(c for c in cells if c in ("已签发", "已回复", "已逾期", "已升级", "已作废"))
        assert wcswidth(line[: line.index(state)]) == column, listing.stdout
    late = next(line for line in lines if "区人民医院" in line)
    assert "已逾期" in late and "2026-11-09" in late  # 5 working days after 11月2日
    assert "—" in next(line for line in lines if "督查工作台帐" in line)  # a ledger has no deadline


def test_the_data_folder_does_not_follow_the_working_directory(tmp_path, monkeypatch):
    from docgen.config import load_settings

    monkeypatch.delenv("DOCGEN_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    first = load_settings()["DATA_DIR"]
    monkeypatch.chdir(tmp_path / "b")
    assert load_settings()["DATA_DIR"] == first
    expected = "/var/lib/docgen" if os.geteuid() == 0 else str(tmp_path / "xdg" / "docgen")
    assert first == expected


def test_serve_prints_its_data_folder(live_server):
    log = (live_server.data_dir / "server.log").read_text(encoding="utf-8", errors="replace")
    assert f"数据目录：{live_server.data_dir.resolve()}" in log


def test_batch_checks_the_output_before_numbering(tmp_path, data_dir):
    rows = Path(__file__).parent / "resources" / "prompts.json"
    result = docgen("batch", "supervision-prompt", str(rows), "--issue", "-o", "missing-dir/x.pdf", data_dir=data_dir, cwd=tmp_path)
    assert result.returncode == 2
    assert "missing-dir" in result.stderr and "不存在" in result.stderr and "Traceback" not in result.stderr
    listing = json.loads(docgen("register", "--json", data_dir=data_dir, cwd=tmp_path).stdout)
    assert listing["total"] == 0  # no number taken


def test_a_batch_that_fails_after_numbering_is_named_and_shown(tmp_path, data_dir):
    rows = Path(__file__).parent / "resources" / "prompts.json"
    env_broken = dict(os.environ, DOCGEN_DATA_DIR=str(data_dir), DOCGEN_SOFFICE=str(tmp_path / "no-soffice"))
    failed = subprocess.run([sys.executable, "-m", "docgen.cli", "batch", "supervision-prompt", str(rows), "--issue", "-o", "p.pdf"],
                            env=env_broken, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    batch_id = failed.stderr.split("批量任务 ", 1)[1].split(" ", 1)[0]
    assert f"docgen batch show {batch_id}" in failed.stderr
    shown = docgen("batch", "show", batch_id, data_dir=data_dir, cwd=tmp_path)
    assert "已失败" in shown.stderr
    assert "东卫督办〔2026〕1号" in shown.stdout and "东卫督办〔2026〕2号" in shown.stdout


def test_batch_show_fetches_the_packet_again(tmp_path, data_dir):
    from pypdf import PdfReader

    rows = Path(__file__).parent / "resources" / "prompts.json"
    made = docgen("batch", "supervision-prompt", str(rows), "--issue", "-o", "first.pdf", data_dir=data_dir, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    batch_id = made.stderr.split("批量任务 ", 1)[1].split()[0]
    again = docgen("batch", "show", batch_id, "-o", "again.pdf", data_dir=data_dir, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "已完成" in again.stderr
    assert [o.title for o in PdfReader(tmp_path / "again.pdf").outline] == [o.title for o in PdfReader(tmp_path / "first.pdf").outline]
    unknown = docgen("batch", "show", "no-such-batch", data_dir=data_dir, cwd=tmp_path)
    assert unknown.returncode == 2 and "没有这个批量任务" in unknown.stderr
