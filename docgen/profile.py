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
class MatterSettings:
    """How the organisation registers matters (督查事项): ``[matters]`` in the profile.

    ``prefix`` starts each matter's register code (``督项〔2026〕1号``);
    a deadline or milestone within ``warning_days`` days shows a yellow light.
    """

    prefix: str = "督查事项"
    warning_days: int = 7


WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
EVERY = {"week": "每周", "month": "每月", "quarter": "每季度", "year": "每年"}


@dataclass(frozen=True)
class Duty:
    """A recurring duty of the reporting calendar (``[[duties]]`` in the profile).

    ``every`` is "week" (on ``weekday``, 1 = 周一 … 7 = 周日), "month" (on
    ``day``), "quarter" (on ``day`` of the quarter's ``month``-th month, 1–3)
    or "year" (on ``month``/``day``). A day past the month's end is its last
    day. ``rule`` is how people say it ("每月27日前"); a duty that falls on a
    weekend or public holiday is due on the working day before.
    """

    duty: str
    who: str
    every: str
    rule: str
    weekday: int | None = None
    day: int | None = None
    month: int | None = None


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
    # the reporting calendar: what is due when, and from whom
    duties: tuple[Duty, ...] = ()
    # a signing date further than this from today needs a date_reason
    date_window_days: int = 30
    # matters: their register code's prefix and the yellow light's warning days
    matters: MatterSettings = field(default_factory=MatterSettings)

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
        duties=parse_duties(path, raw.get("duties")),
        date_window_days=_date_window(path, raw.get("date_window_days", 30)),
        matters=_matter_settings(path, raw.get("matters")),
    )


def _matter_settings(path: Path, raw: object) -> MatterSettings:
    if raw is None:
        return MatterSettings()
    if not isinstance(raw, dict):
        raise ProfileError(f"机构配置文件 {path}：matters 应写成 [matters] 表格")
    unknown = sorted(set(raw) - {"prefix", "warning_days"})
    if unknown:
        raise ProfileError(f"机构配置文件 {path}：[matters] 有不认识的项：{'、'.join(unknown)}；可用 prefix、warning_days")
    prefix = raw.get("prefix", MatterSettings.prefix)
    if not isinstance(prefix, str) or not prefix.strip() or len(prefix) > 50:
        raise ProfileError(f"机构配置文件 {path}：matters.prefix 应为 1 到 50 个字的文字（事项编号的字头）")
    days = raw.get("warning_days", MatterSettings.warning_days)
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 365:
        raise ProfileError(f"机构配置文件 {path}：matters.warning_days 应为 0 到 365 的整数（天），现为 {days!r}")
    return MatterSettings(prefix=prefix.strip(), warning_days=days)


def _date_window(path: Path, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 3660:
        raise ProfileError(f"机构配置文件 {path}：date_window_days 应为 1 到 3660 的整数（天），现为 {value!r}")
    return value


def _duty_rule(every: str, weekday: int | None, day: int | None, month: int | None, by: bool) -> str:
    """How people say the rule: 每周四, 每月23日前, 每季度首月10日, 每年2月25日前."""
    before = "前" if by else ""
    if every == "week":
        return f"每{WEEKDAYS[(weekday or 1) - 1]}"
    if every == "month":
        return f"每月{day}日{before}"
    if every == "quarter":
        which = {1: "首月", 2: "第二个月", 3: "末月"}[month or 1]
        return f"每季度{which}{day}日{before}"
    return f"每年{month}月{day}日{before}"


def _check_whole(where: str, every: str, name: str, value: object, low: int, high: int, needed: bool) -> None:
    if value is None:
        if needed:
            raise ProfileError(f"{where}（every = \"{every}\"）缺少 {name}")
        return
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ProfileError(f"{where}：{name} 应为 {low} 到 {high} 的整数，现为 {value!r}")


def parse_duties(path: Path, raw: object) -> tuple[Duty, ...]:
    """The ``[[duties]]`` of a profile, each checked; a bad entry is a ProfileError naming it."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ProfileError(f"机构配置文件 {path}：duties 应写成 [[duties]] 表格数组")
    duties = []
    for i, spec in enumerate(raw, start=1):
        where = f"机构配置文件 {path}：第 {i} 项 [[duties]]"
        if not isinstance(spec, dict):
            raise ProfileError(f"{where} 应为一个表格")
        unknown = sorted(set(spec) - {"duty", "who", "every", "weekday", "day", "month", "by", "rule"})
        if unknown:
            raise ProfileError(f"{where} 有不认识的项：{'、'.join(unknown)}；可用 duty、who、every、weekday、day、month、by、rule")
        for name, title in (("duty", "事项"), ("who", "责任方")):
            if not isinstance(spec.get(name), str) or not spec[name].strip():
                raise ProfileError(f"{where} 缺少 {name}（{title}，文字）")
        every = spec.get("every")
        if every not in EVERY:
            raise ProfileError(f"{where}：every 只能是 {' / '.join(EVERY)}（每周 / 每月 / 每季度 / 每年），现为 {every!r}")
        weekday = spec.get("weekday")
        if isinstance(weekday, str) and weekday in WEEKDAYS:
            weekday = WEEKDAYS.index(weekday) + 1
        day, month = spec.get("day"), spec.get("month")

        if every != "week" and weekday is not None:
            raise ProfileError(f"{where}：weekday 只用于 every = \"week\"")
        if every in ("week", "month") and month is not None:
            raise ProfileError(f"{where}：month 只用于 every = \"quarter\"（季度中的第几个月）或 \"year\"")
        _check_whole(where, every, "weekday", weekday, 1, 7, every == "week")
        _check_whole(where, every, "day", day, 1, 31, every != "week")
        _check_whole(where, every, "month", month, 1, 3 if every == "quarter" else 12, every == "year")
        by = spec.get("by", False)
        if not isinstance(by, bool):
            raise ProfileError(f"{where}：by 应为 true 或 false（true：某日“前”，截止当日）")
        rule = spec.get("rule")
        if rule is not None and (not isinstance(rule, str) or not rule.strip()):
            raise ProfileError(f"{where}：rule 应为文字，如“每月27日前”")
        if every == "quarter" and month is None:
            month = 1
        duties.append(
            Duty(
                duty=spec["duty"].strip(),
                who=spec["who"].strip(),
                every=every,
                rule=(rule or "").strip() or _duty_rule(every, weekday, day, month, by),
                weekday=weekday if every == "week" else None,
                day=day if every != "week" else None,
                month=month if every in ("quarter", "year") else None,
            )
        )
    return tuple(duties)
