"""The kinds of paper docgen makes, by their stable ASCII id.

Each kind is a TOML definition plus a Word template (``definitions/`` here for
the bundled kinds, whose templates live in the templates folder). A profile may
bring a folder of its own kinds, each definition with its .docx beside it;
they are added to the bundled ones (or replace one of the same id).

``KINDS`` and ``get_kind`` answer for the kinds of the organisation this
process serves: the last :class:`KindRegistry` made active (``Office`` does it
when the service starts); until then, the bundled kinds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from docgen.errors import KindDefinitionError, NotFound
from docgen.kinds.base import COMMON_VARIABLES, Kind, Payload, Text
from docgen.kinds.definition import load_kind, load_kinds_folder, mark_choices

DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"


class KindRegistry(Mapping[str, Kind]):
    """The kinds one organisation issues, in their listed order."""

    def __init__(self, kinds: Iterable[Kind]) -> None:
        self._kinds: dict[str, Kind] = {}
        for kind in sorted(kinds, key=lambda k: k.order):
            self._kinds[kind.id] = kind
        for kind in self._kinds.values():
            if kind.follows_kind and kind.follows_kind not in self._kinds:
                raise KindDefinitionError(
                    f"公文种类定义 {kind.source}：follows.kind：没有这种公文 {kind.follows_kind}；可用的有 {', '.join(self._kinds)}"
                )
            if kind.follows_kind:
                followed = self._kinds[kind.follows_kind].model.model_fields
                for name in kind.follows_fill:
                    if name not in followed and name != kind.recipient_field:
                        raise KindDefinitionError(
                            f"公文种类定义 {kind.source}：follows.fill：所依据的 {kind.follows_kind} 没有字段 {name}"
                        )

    def __getitem__(self, kind_id: str) -> Kind:
        return self._kinds[kind_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)

    def get_kind(self, kind_id: str) -> Kind:
        """The kind with that id, or NotFound."""
        try:
            return self._kinds[kind_id]
        except KeyError:
            raise NotFound(f"没有这种公文：{kind_id}；可用的有 {', '.join(self._kinds)}") from None

    def with_folder(self, folder: str | Path) -> KindRegistry:
        """These kinds plus those of a profile's own folder (same id: the folder's wins)."""
        own = load_kinds_folder(folder)
        ids = {k.id for k in own}
        return KindRegistry([k for k in self._kinds.values() if k.id not in ids] + own)


BUNDLED = KindRegistry(load_kinds_folder(DEFINITIONS_DIR, templates_beside=False))
_active: KindRegistry = BUNDLED


def activate(registry: KindRegistry) -> None:
    """Make ``registry`` the kinds that ``KINDS`` and ``get_kind`` answer for."""
    global _active
    _active = registry


class _ActiveKinds(Mapping[str, Kind]):
    """A view of the active registry."""

    def __getitem__(self, kind_id: str) -> Kind:
        return _active[kind_id]

    def __iter__(self) -> Iterator[str]:
        return iter(_active)

    def __len__(self) -> int:
        return len(_active)


KINDS: Mapping[str, Kind] = _ActiveKinds()


def get_kind(kind_id: str) -> Kind:
    """The kind with that id, or NotFound."""
    return _active.get_kind(kind_id)


__all__ = [
    "BUNDLED",
    "COMMON_VARIABLES",
    "KINDS",
    "Kind",
    "KindRegistry",
    "Payload",
    "Text",
    "activate",
    "get_kind",
    "load_kind",
    "load_kinds_folder",
    "mark_choices",
]
