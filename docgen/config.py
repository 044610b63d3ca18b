"""Every setting in one place: a typed model with a working default for each.

Order of precedence: the defaults below, then ``DOCGEN_*`` environment
variables, then the ``test_config`` mapping given to ``create_app``. A new
setting is one line in ``Settings`` (name, type, default, description); its
``DOCGEN_`` variable, its type check and its Chinese error come with it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from docgen.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
ENV_PREFIX = "DOCGEN_"


def default_data_dir() -> str:
    """One stable place, whatever the working directory: ``/var/lib/docgen`` for root,
    else the user's data folder (``~/.local/share/docgen`` on Linux)."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return "/var/lib/docgen"
    return platformdirs.user_data_dir("docgen", appauthor=False)


class Settings(BaseSettings):
    """docgen's settings; each field is read from ``DOCGEN_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_ignore_empty=True, case_sensitive=False, extra="ignore")

    DATA_DIR: str = Field(default_factory=default_data_dir, description="SQLite 文件和已签发文件所在的数据目录")
    DATABASE_URL: str = Field("", description="数据库地址，替代数据目录中的 SQLite 文件，如 postgresql+psycopg://user@host/docgen")
    PROFILE: str = Field("", description="机构配置：内置机构的名称（default、forestry）或配置文件（TOML）的路径；空 = 内置的默认机构")
    TEMPLATES_DIR: str = Field(str(PROJECT_DIR / "templates_docx"), description="Word 模板目录")
    MAX_CONTENT_LENGTH: int = Field(16 * 1024 * 1024, ge=1, description="请求体上限（字节）")
    TEMPLATE_MAX_BYTES: int = Field(5 * 1024 * 1024, ge=1, description="上传的 Word 模板上限（字节）")
    HOLIDAYS: str = Field("", description="节假日文件（TOML）：补充节假日库尚未收录的年份的法定节假日和调休上班日，并注明国务院办公厅通知（source）；文件中的年份以文件为准；空 = 只用节假日库")
    TIMEZONE: str = Field("Asia/Shanghai", description="决定“今天”是哪一天的时区（机构配置未写 timezone 时）")
    CONVERTER_URL: str = Field("", description="共享 PDF 转换池的地址（docgen serve 自动设置）；空 = 本进程首次使用时自起一个")
    FONTS_DIR: str = Field("", description="授权字体目录（如方正小标宋简体、仿宋_GB2312）：放在这里的字体优先于免费替代字体；空 = 只用免费字体")
    SOFFICE: str = Field("", description="soffice 程序；空 = 在 PATH 中查找")
    CONVERTER_INSTANCES: int = Field(0, ge=0, description="转换池中 LibreOffice 实例数（0 = 每核一个）")
    CONVERTER_TIMEOUT: int = Field(60, ge=1, description="单次转换的时限（秒），超时则重启该实例")
    CONVERTER_MAX_JOBS: int = Field(200, ge=1, description="实例转换多少次后重启")
    CONVERTER_AUTHKEY: str = Field("", description="转换池与其客户端共用的密钥；空 = docgen serve 每次启动时生成")
    CONVERTER_QUEUE_LIMIT: int = Field(8, ge=0, description="等待转换实例的请求上限，超出回 429 并带 Retry-After（批量任务只等待、不被拒绝；0 = 不限）")
    CONVERTER_MAX_BYTES: int = Field(4 * 1024 * 1024, ge=0, description="单次转换的文档正文上限（.docx 解压后正文的字节数），超出回 413（0 = 不限）")
    CONVERTER_MAX_PAGES: int = Field(500, ge=0, description="单次转换的页数上限，超出回 422（0 = 不限）")
    CONVERTER_LARGE_BYTES: int = Field(256 * 1024, ge=1, description="正文达到此字节数即为大文档：不占用最后一个空闲实例，小文档优先")
    MAX_PENDING_BATCHES: int = Field(20, ge=1, description="同时排队或运行的批量任务上限，超出回 429")
    MAX_BATCH_ITEMS: int = Field(2000, ge=1, description="一个批量任务的最多项数")
    BATCH_STALE_SECONDS: int = Field(6, ge=1, description="批量任务多少秒无人处理（没有心跳，队列中也没有它的任务）即视为其工作进程已中断，由其他工作进程接续")
    QUEUE_URL: str = Field("", description="批量任务的任务队列：空 = docgen serve 的内置 SQLite 队列（数据目录中的 queue.sqlite3）；多台机器用 redis://主机:6379/0")
    QUEUE_WORKERS: int = Field(0, ge=0, description="每个队列工作进程的线程数（0 = 每个 LibreOffice 实例一个，再加一个）")
    SECRET_KEY: str = Field("", description="表单会话和 CSRF 令牌的密钥；空 = 首次生成并保存在数据目录的 secret_key 中")
    ALLOWED_HOSTS: str = Field("localhost,127.0.0.1,::1", description="本服务应答的主机名（逗号分隔；.example.gov.cn 含其子域名；* 为任意），其他主机名回 400，以防 DNS 重绑定")
    SESSION_HOURS: int = Field(8, ge=1, le=24 * 30, description="网页登录的有效时长（小时）")

    @field_validator("TIMEZONE")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("不是已知的时区名称，应如 Asia/Shanghai") from None
        return value


_TYPE_WORDS = {
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "bool_parsing": "应为 true 或 false",
    "float_parsing": "应为数字",
    "greater_than_equal": "应不小于 {ge}",
    "less_than_equal": "应不大于 {le}",
}


def _config_error(exc: ValidationError, given: dict[str, Any]) -> ConfigError:
    """A Chinese message naming each bad variable: ``DOCGEN_CONVERTER_TIMEOUT 应为整数，现为 '一分钟'``."""
    lines = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "?"
        template = _TYPE_WORDS.get(error["type"])
        if template is not None:
            why = template.format(**(error.get("ctx") or {}))
        else:
            why = str(error.get("msg", "")).removeprefix("Value error, ")
        source = "" if name in given else ENV_PREFIX
        lines.append(f"{source}{name} {why}，现为 {error.get('input')!r}")
    return ConfigError("配置有误：" + "；".join(lines))


def load_settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then ``DOCGEN_*`` variables, then ``overrides``; as a plain mapping.

    Keys of ``overrides`` that are no setting (``TESTING``, ``WTF_CSRF_ENABLED``)
    are passed through for Flask. Raises ConfigError naming each bad value.
    """
    overrides = dict(overrides or {})
    known = {k: v for k, v in overrides.items() if k in Settings.model_fields}
    try:
        typed = Settings(**known)
    except ValidationError as exc:
        raise _config_error(exc, known) from None
    settings: dict[str, Any] = {**overrides, **typed.model_dump()}
    settings["DATA_DIR"] = str(Path(settings["DATA_DIR"]).expanduser().resolve())
    if not settings["DATABASE_URL"]:
        settings["DATABASE_URL"] = "sqlite:///" + str(Path(settings["DATA_DIR"]) / "docgen.sqlite3")
    if not settings["CONVERTER_INSTANCES"]:
        settings["CONVERTER_INSTANCES"] = max(1, os.cpu_count() or 1)
    return settings


def documented_variables() -> dict[str, str]:
    """``DOCGEN_<NAME>`` -> its description, for the README check and ``docgen --help``."""
    return {ENV_PREFIX + name: field.description or "" for name, field in Settings.model_fields.items()}
