"""Settings: typed, one place for every default, DOCGEN_* variables, Chinese errors."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from docgen import create_app
from docgen.config import documented_variables, load_settings
from docgen.errors import ConfigError
from tests.conftest import PROJECT, example


def test_every_setting_is_documented_in_the_readme():
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    for name in documented_variables():
        assert f"`{name}`" in readme, f"{name} is not in the README's configuration table"


def test_environment_then_test_config(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCGEN_MAX_BATCH_ITEMS", "7")
    monkeypatch.setenv("DOCGEN_CONVERTER_TIMEOUT", "9")
    settings = load_settings({"DATA_DIR": str(tmp_path), "CONVERTER_TIMEOUT": 30, "TESTING": True})
    assert settings["MAX_BATCH_ITEMS"] == 7
    assert settings["CONVERTER_TIMEOUT"] == 30
    assert settings["TESTING"] is True
    assert settings["DATABASE_URL"] == "sqlite:///" + str(tmp_path / "docgen.sqlite3")


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("DOCGEN_MAX_BATCH_ITEMS", "很多", "DOCGEN_MAX_BATCH_ITEMS 应为整数"),
        ("DOCGEN_MAX_PENDING_BATCHES", "0", "DOCGEN_MAX_PENDING_BATCHES 应不小于 1"),
        ("DOCGEN_TIMEZONE", "Mars/Olympus", "DOCGEN_TIMEZONE 不是已知的时区名称"),
    ],
)
def test_a_bad_value_is_named_in_chinese(monkeypatch, tmp_path, variable, value, words):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        create_app({"DATA_DIR": str(tmp_path), "TESTING": True})
    assert words in caught.value.message and repr(value) in caught.value.message


def test_a_bad_timezone_stops_the_command_with_its_name(tmp_path, data_dir):
    env = dict(os.environ, DOCGEN_DATA_DIR=str(data_dir), DOCGEN_TIMEZONE="Asia/Beijing")
    result = subprocess.run([sys.executable, "-m", "docgen.cli", "register"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "DOCGEN_TIMEZONE 不是已知的时区名称" in result.stderr and "Traceback" not in result.stderr


def _issued_on(data_dir: Path, timezone: str) -> tuple[dt.date, dt.date, dt.date]:
    app = create_app({"DATA_DIR": str(data_dir), "TESTING": True, "SECRET_KEY": "t", "TIMEZONE": timezone})
    before = dt.datetime.now(ZoneInfo(timezone)).date()
    answer = app.test_client().post("/api/v1/documents/supervision-prompt", json=example("supervision-prompt"))
    after = dt.datetime.now(ZoneInfo(timezone)).date()
    assert answer.status_code == 201, answer.get_json()
    return dt.date.fromisoformat(answer.get_json()["issued_on"]), before, after


def test_the_timezone_decides_what_today_is(tmp_path, monkeypatch):
    # UTC+14 and UTC-12 are always on different dates
    east, before, after = _issued_on(tmp_path / "east", "Pacific/Kiritimati")
    assert east in (before, after)
    monkeypatch.setenv("DOCGEN_TIMEZONE", "Etc/GMT+12")
    app = create_app({"DATA_DIR": str(tmp_path / "west"), "TESTING": True, "SECRET_KEY": "t"})
    before = dt.datetime.now(ZoneInfo("Etc/GMT+12")).date()
    answer = app.test_client().post("/api/v1/documents/supervision-prompt", json=example("supervision-prompt"))
    after = dt.datetime.now(ZoneInfo("Etc/GMT+12")).date()
    west = dt.date.fromisoformat(answer.get_json()["issued_on"])
    assert west in (before, after)
    assert west < east
