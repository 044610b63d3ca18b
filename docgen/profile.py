"""The organisation profile: name, issuing offices, number prefixes, date styles.

The built-in default (``profiles/default.toml``) is the seed organisation; a
TOML file named by ``DOCGEN_PROFILE`` replaces it whole. ``DOCGEN_PROFILE`` may
also name a bundled profile (``forestry``: ``profiles/forestry/profile.toml``).
A profile may bring a folder of its own kinds (``kinds_dir``, relative to the
profile file): TOML definitions with their .docx templates beside them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from docgen.errors import ProfileError

PROFILES_DIR = Path(__file__).resolve().parent / "profiles"
DEFAULT_PROFILE = PROFILES_DIR / "default.toml"
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
    # a folder of the organisation's own kinds (definitions and templates), if any
    kinds_dir: Path | None = None
    # escalation chains: name -> the kinds of its steps, in order
    chains: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def for_kind(self, kind: str) -> KindSettings:
        return self.kinds.get(kind, KindSettings())


def bundled_profiles() -> list[str]:
    """Names of the profiles that ship with docgen (``default``, ``forestry``)."""
    folders = [p.parent.name for p in PROFILES_DIR.glob("*/profile.toml")]
    return sorted({"default", *folders})


def profile_path(name_or_path: str | Path | None) -> Path:
    """The file a ``DOCGEN_PROFILE`` value means: a bundled profile's name or a path."""
    if not name_or_path:
        return DEFAULT_PROFILE
    text = str(name_or_path)
    if text == "default":
        return DEFAULT_PROFILE
    bundled = PROFILES_DIR / text / "profile.toml"
    if "/" not in text and "\\" not in text and not text.endswith(".toml") and bundled.is_file():
        return bundled
    path = Path(text)
    if path.is_dir():
        return path / "profile.toml"
    if "/" not in text and not text.endswith(".toml") and not path.exists():
        raise ProfileError(f"没有名为 {text} 的机构配置；内置的有 {', '.join(bundled_profiles())}，也可以写配置文件的路径")
    return path


def load_profile(path: str | Path | None = None) -> Profile:
    """Read a profile TOML file (the built-in default when ``path`` is empty, a bundled one by name)."""
    path = profile_path(path)
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
    kinds_dir = None
    if raw.get("kinds_dir"):
        kinds_dir = (path.parent / str(raw["kinds_dir"])).resolve()
        if not kinds_dir.is_dir():
            raise ProfileError(f"机构配置文件 {path}：kinds_dir 指向的文件夹不存在：{kinds_dir}")
    chains: dict[str, tuple[str, ...]] = {}
    for chain, spec in (raw.get("chains") or {}).items():
        steps = spec.get("steps") if isinstance(spec, dict) else None
        if not isinstance(steps, list) or len(steps) < 2 or not all(isinstance(s, str) and s for s in steps):
            raise ProfileError(f"机构配置文件 {path}：chains.{chain}.steps 应列出至少两种公文")
        chains[chain] = tuple(steps)
    return Profile(
        name=name,
        committee=str(raw.get("committee", "局党委")),
        issuing_offices=offices,
        timezone=str(raw.get("timezone", "")),
        kinds=kinds,
        kinds_dir=kinds_dir,
        chains=chains,
    )
