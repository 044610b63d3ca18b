"""What the app needs from a PDF converter; other backends can be swapped in."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Converter(Protocol):
    """A DOCX → PDF converter: a pool in this process or a client of a shared one."""

    def to_pdf(self, docx: bytes, *, background: bool = False) -> bytes:
        """Convert one DOCX into a checked PDF; thread-safe.

        ``background`` work (batches) waits for room instead of being refused and
        is not held to the per-request size and page limits.
        """
        ...

    def status(self) -> dict[str, Any]:
        """A JSON-able health report (for /healthz, so no paths or process ids); never raises."""
        ...

    def close(self) -> None:
        """Release everything (processes, connections)."""
        ...
