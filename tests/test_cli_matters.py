"""``docgen matters``: import a ledger, list with lights, show the timeline, report progress — Chinese throughout."""

from __future__ import annotations

import os
import subprocess
import sys

from click.testing import CliRunner

from docgen.cli import main as docgen_cli
from tests.conftest import PROJECT, xlsx


def run(data_dir, *args: str):
    return CliRunner().invoke(docgen_cli, list(args), env={"DOCGEN_DATA_DIR": str(data_dir)}, catch_exceptions=False)


def test_import_list_show_and_progress(tmp_path, data_dir, office):
    year = office.today().year
    sheet = tmp_path / "台帐.xlsx"
    sheet.write_bytes(xlsx([["重点工作", "具体措施"], ["家庭医生签约", "12月：签约率达到40%"], ["慢病管理", "全年随访"]]))
    made = run(data_dir, "matters", "import", str(sheet), "--year", str(year), "--department", "基层卫生科")
    assert made.exit_code == 0, made.output
    assert f"东卫督项〔{year}〕1号  家庭医生签约（基层卫生科，节点 1 个，其中定时 1 个）" in made.stdout
    listed = run(data_dir, "matters", "list", "--department", "基层卫生科")
    assert listed.exit_code == 0 and "家庭医生签约" in listed.stdout and "慢病管理" in listed.stdout
    assert "共 2 项" in listed.stderr
    code = f"东卫督项〔{year}〕1号"
    reported = run(data_dir, "matters", "progress", code, "--period", "weekly", "--progress", "签约方案已印发", "--done", "1")
    assert reported.exit_code == 0, reported.output
    shown = run(data_dir, "matters", "show", code)
    assert shown.exit_code == 0 and "周报：签约方案已印发" in shown.stdout and "完成节点：签约率达到40%" in shown.stdout
    bad = run(data_dir, "matters", "progress", code, "--period", "weekly")
    assert bad.exit_code == 2 and "progress: 必填" in bad.stderr
    missing = run(data_dir, "matters", "show", "东卫督项〔1999〕1号")
    assert missing.exit_code == 2 and "没有这个督查事项" in missing.stderr
    again = run(data_dir, "matters", "import", str(sheet), "--year", str(year), "--department", "基层卫生科")
    assert again.exit_code == 2 and "已立项为" in again.stderr


def test_the_help_is_chinese(tmp_path, data_dir):
    env = dict(os.environ, DOCGEN_DATA_DIR=str(data_dir))
    result = subprocess.run([sys.executable, "-m", "docgen.cli", "matters", "--help"], env=env, cwd=PROJECT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "督查事项" in result.stdout and "list" in result.stdout and "progress" in result.stdout
