"""The organisation profile: name, issuing offices, number prefixes, date styles.

The built-in default (``profiles/default.toml``) is the seed organisation; a
TOML file named by ``DOCGEN_PROFILE`` replaces it whole.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from docgen.errors import ProfileError

DEFAULT_PROFILE = Path(__file__).resolve().parent / "profiles" / "default.toml"
DATE_STYLES = ("arabic", "chinese")
DAY_TYPES = ("calendar", "working")


@dataclass(frozen=True)
class KindSettings:
    """How one organisation issues one kind of paper."""

    prefix: str = ""
    date_style: str = "arabic"
    reply_days: int | None = None
    reply_day_type: str = "calendar"

    @property
    def numbered(self) -> bool:
        return bool(self.prefix)


@dataclass(frozen=True)
class Profile:
    """The issuing organisation."""

    name: str
    committee: str
    issuing_offices: tuple[str, ...]
    timezone: str = ""  # empty: the service's DOCGEN_TIMEZONE decides what "today" is
    kinds: dict[str, KindSettings] = field(default_factory=dict)

    def for_kind(self, kind: str) -> KindSettings:
        return self.kinds.get(kind, KindSettings())


def load_profile(path: str | Path | None = None) -> Profile:
    """Read a profile TOML file (the built-in default when ``path`` is empty)."""
    path = Path(path) if path else DEFAULT_PROFILE
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ProfileError(f"找不到机构配置文件：{path}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(f"机构配置文件 {path} 格式有误：{exc}") from exc
    try:
        name = str(raw["name"]).strip()
        offices = tuple(str(o).strip() for o in raw["issuing_offices"])
    except KeyError as exc:
        raise ProfileError(f"机构配置文件 {path} 缺少 {exc.args[0]}") from exc
    if not name or not offices or not all(offices):
        raise ProfileError(f"机构配置文件 {path}：name 和 issuing_offices 不能为空")
    kinds: dict[str, KindSettings] = {}
    for kind, spec in (raw.get("kinds") or {}).items():
        settings = KindSettings(
            prefix=str(spec.get("prefix", "")),
            date_style=str(spec.get("date_style", "arabic")),
            reply_days=spec.get("reply_days"),
            reply_day_type=str(spec.get("reply_day_type", "calendar")),
        )
        if settings.date_style not in DATE_STYLES:
            raise ProfileError(f"机构配置文件 {path}：{kind}.date_style 只能是 {' / '.join(DATE_STYLES)}")
        if settings.reply_day_type not in DAY_TYPES:
            raise ProfileError(f"机构配置文件 {path}：{kind}.reply_day_type 只能是 {' / '.join(DAY_TYPES)}")
        kinds[kind] = settings
    return Profile(
        name=name,
        committee=str(raw.get("committee", "局党委")),
        issuing_offices=offices,
        timezone=str(raw.get("timezone", "")),
        kinds=kinds,
    )
