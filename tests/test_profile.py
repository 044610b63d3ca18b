"""The organisation profile: the seed default, and a TOML file that replaces it."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from docgen import create_app
from docgen.errors import ProfileError
from docgen.profile import load_profile
from tests.conftest import RESOURCES, example
from tests.docx_text import text

PROJECT = Path(__file__).resolve().parent.parent


def test_default_is_the_seed_organisation():
    profile = load_profile()
    assert profile.name == "东丽区卫生局"
    assert profile.issuing_offices == ("东丽区卫生局党办", "东丽区卫生局行政办公室")
    assert profile.for_kind("supervision-prompt").prefix == "东卫督办"
    assert not profile.for_kind("key-work-ledger").numbered


def test_a_profile_file_replaces_the_default(monkeypatch, data_dir):
    monkeypatch.setenv("DOCGEN_PROFILE", str(RESOURCES / "other-profile.toml"))
    client = create_app({"DATA_DIR": str(data_dir)}).test_client()
    payload = dict(example("supervision-prompt"), issued_on="2026-11-22")
    payload.pop("reply_days")
    issued = client.post("/api/v1/documents/supervision-prompt", json=payload).json
    assert issued["number"] == "西卫督办〔2026〕1号"
    assert issued["due_on"] == "2026-11-29"  # seven calendar days
    printed = text(client.get(issued["links"]["docx"]).data)
    assert "河西区卫生健康委督办提示" in printed
    assert "河西区卫生健康委办公室" in printed
    assert "二〇二六年十一月二十二日" in printed
    assert "接到本通知后7日内进行回复" in printed
    assert "东丽" not in printed


def test_a_broken_profile_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n', encoding="utf-8")
    with pytest.raises(ProfileError, match="issuing_offices"):
        load_profile(bad)
    with pytest.raises(ProfileError, match="找不到"):
        load_profile(tmp_path / "missing.toml")


def test_nothing_about_the_seed_organisation_is_hard_coded_outside_the_profile():
    for template in (PROJECT / "templates_docx").glob("*.docx"):
        with zipfile.ZipFile(template) as docx:
            for name in docx.namelist():
                assert "东丽" not in docx.read(name).decode("utf-8", "replace"), f"{template.name}:{name}"
    found = subprocess.run(
        ["grep", "-rlE", "东丽|东卫", "docgen", "--include=*.py", "--include=*.html", "--include=*.js"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
    ).stdout.split()
    # kind modules carry examples (documentation of the payload), nothing else may name the seed
    allowed = {"docgen/kinds/accountability_notice.py"}
    assert set(found) <= allowed, found
