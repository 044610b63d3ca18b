"""Kinds are TOML definitions; a bad one stops start-up naming the file, the field and why."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from docgen import create_app
from docgen.errors import KindDefinitionError
from docgen.kinds import BUNDLED, DEFINITIONS_DIR, KindRegistry, load_kind
from docgen.profile import DEFAULT_PROFILE

PROMPT = (DEFINITIONS_DIR / "supervision-prompt.toml").read_text(encoding="utf-8")


def definition(tmp_path: Path, text: str, name: str = "broken.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_five_seed_kinds_are_definitions_with_a_template_each():
    files = sorted(p.stem for p in DEFINITIONS_DIR.glob("*.toml"))
    assert files == sorted(BUNDLED)
    assert list(BUNDLED) == ["key-work-ledger", "supervision-ledger", "supervision-report", "supervision-prompt", "accountability-notice"]
    notice = BUNDLED["accountability-notice"]
    assert (notice.follows_kind, notice.follows_field, notice.follows_date_field) == ("supervision-prompt", "prompt_number", "prompt_issued_on")
    assert notice.follows_fill == ("recipient", "matter", "findings")


def test_a_multi_choice_with_marks_ticks_the_chosen_options():
    prompt = BUNDLED["supervision-prompt"]
    payload = prompt.model.model_validate(prompt.example)
    assert prompt.extra_context(payload) == {
        "findings_marked": "☐工作未落实、☐落实不彻底、☑落实进展缓慢、☐没有完成阶段性目标、☑可能完不成任务"
    }


@pytest.mark.parametrize(
    ("old", "new", "where", "reason"),
    [
        ('type = "multi-choice"', 'type = "checkbox"', "字段 findings.type", "不认识的类型 checkbox"),
        ('min = 1\nmax = 365', 'min = 400\nmax = 365', "字段 reply_days", "min 大于 max"),
        ('max_length = 500', 'max_length = "五百"', "字段 matter.max_length", "应为非负整数"),
        ('options = ["工作未落实", "落实不彻底", "落实进展缓慢", "没有完成阶段性目标", "可能完不成任务"]', "options = []", "字段 findings.options", "至少一个选项"),
        ('recipient_field = "recipient"', 'recipient_field = "receiver"', "recipient_field", "没有名为 receiver 的字段"),
        ('reply_days_field = "reply_days"', 'reply_days_field = "matter"', "reply_days_field", "应为 integer"),
        ('recipient = "区人民医院"', 'recipient = "区人民医院"\ncolour = "红"', "example", "示例不符合字段定义"),
        ('name = "matter"', 'name = "Matter"', "字段 Matter", "小写英文字母"),
        ('name = "matter"', 'name = "number"', "字段 number", "已由系统使用"),
        ('title = "督查发现的工作"\n', "", "字段 matter", "缺少 title"),
    ],
)
def test_a_definition_error_names_the_file_the_field_and_the_reason(tmp_path, old, new, where, reason):
    assert old in PROMPT
    path = definition(tmp_path, PROMPT.replace(old, new, 1))
    with pytest.raises(KindDefinitionError) as caught:
        load_kind(path)
    message = str(caught.value)
    assert str(path) in message
    assert where in message
    assert reason in message


def test_a_definition_that_is_not_toml_names_the_file(tmp_path):
    path = definition(tmp_path, "id = \n")
    with pytest.raises(KindDefinitionError, match="不是有效的 TOML") as caught:
        load_kind(path)
    assert str(path) in str(caught.value)


def test_a_kind_following_an_unknown_kind_is_refused(tmp_path):
    notice = (DEFINITIONS_DIR / "accountability-notice.toml").read_text(encoding="utf-8")
    path = definition(tmp_path, notice.replace('kind = "supervision-prompt"', 'kind = "reminder"'))
    with pytest.raises(KindDefinitionError, match="follows.kind：没有这种公文 reminder"):
        KindRegistry([*BUNDLED.values(), load_kind(path)])


def profile_with_kinds(tmp_path: Path, kinds: dict[str, str], templates: dict[str, Path]) -> Path:
    folder = tmp_path / "kinds"
    folder.mkdir()
    for name, text in kinds.items():
        (folder / name).write_text(text, encoding="utf-8")
    for name, src in templates.items():
        shutil.copy(src, folder / name)
    profile = tmp_path / "profile.toml"
    # a top-level key: before the first [table] of the default profile
    profile.write_text('kinds_dir = "kinds"\n' + DEFAULT_PROFILE.read_text(encoding="utf-8"), encoding="utf-8")
    return profile


def test_a_bad_definition_in_a_profile_folder_stops_start_up(tmp_path, data_dir):
    bad = PROMPT.replace('id = "supervision-prompt"', 'id = "other-prompt"').replace('type = "date"', 'type = "day"', 1)
    profile = profile_with_kinds(tmp_path, {"other-prompt.toml": bad}, {})
    with pytest.raises(KindDefinitionError) as caught:
        create_app({"DATA_DIR": str(data_dir), "PROFILE": str(profile)})
    assert "other-prompt.toml" in str(caught.value)
    assert "字段 issued_on.type" in str(caught.value)


def test_a_profile_kind_without_its_template_stops_start_up(tmp_path, data_dir):
    other = PROMPT.replace('id = "supervision-prompt"', 'id = "other-prompt"')
    profile = profile_with_kinds(tmp_path, {"other-prompt.toml": other}, {})
    with pytest.raises(KindDefinitionError, match="找不到模板文件"):
        create_app({"DATA_DIR": str(data_dir), "PROFILE": str(profile)})


def test_the_cli_reports_a_bad_definition_in_chinese(tmp_path, data_dir):
    import os
    import subprocess
    import sys

    bad = PROMPT.replace('id = "supervision-prompt"', 'id = "other-prompt"').replace("min_items = 1", "min_items = -1")
    profile = profile_with_kinds(tmp_path, {"other-prompt.toml": bad}, {})
    env = dict(os.environ, DOCGEN_PROFILE=str(profile), DOCGEN_DATA_DIR=str(data_dir))
    done = subprocess.run([sys.executable, "-m", "docgen.cli", "serve", "--port", "1"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "other-prompt.toml" in done.stderr and "min_items" in done.stderr and "非负整数" in done.stderr
    assert "Traceback" not in done.stderr
