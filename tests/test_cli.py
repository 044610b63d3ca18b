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
