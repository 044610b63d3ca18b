"""What every kind of paper has: a payload model, a template, a title.

Payload models are pydantic, made from the kind's TOML definition
(``docgen.kinds.definition``); their field titles and descriptions are Chinese
because clerks read them in the form and in error messages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict

# XML 1.0 forbids these; a .docx containing one will not open. Tab and newline
# are fine (a newline becomes a line break in the document).
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _reject_control_characters(value: str) -> str:
    match = _FORBIDDEN.search(value)
    if match:
        raise ValueError(f"含有不允许的控制字符 U+{ord(match.group()):04X}（第 {match.start() + 1} 个字符）")
    return value


def _strip_nonblank(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("不能为空")
    return value


# Plain text that goes into a paper: no control characters, not blank.
Text = Annotated[str, AfterValidator(_reject_control_characters), AfterValidator(_strip_nonblank)]


class Payload(BaseModel):
    """Base of every kind's payload: unknown fields are an error, not ignored."""

    model_config = ConfigDict(extra="forbid", str_max_length=20000)


@dataclass(frozen=True)
class Kind:
    """One kind of paper."""

    id: str
    title: str
    description: str
    model: type[Payload]
    template: str
    example: dict[str, Any]
    # names a template may use besides the payload's own fields
    extra_variables: tuple[str, ...] = ()
    # computes those extra variables from the validated payload
    extra_context: Callable[[Payload], dict[str, Any]] | None = None
    # the payload field that holds the signing day, if the kind has one
    signing_date_field: str | None = None
    # the payload field that holds the reply period in days, if any
    reply_days_field: str | None = None
    # the payload field naming the recipient, for the register
    recipient_field: str | None = None
    # rows per item for tabular kinds (ledgers): the list field
    rows_field: str | None = None
    # escalation: the kind of paper this one follows, and the field naming its number
    follows_kind: str | None = None
    follows_field: str | None = None
    # the field that receives the followed paper's issuing day
    follows_date_field: str | None = None
    # fields that, left empty, are taken from the followed paper
    follows_fill: tuple[str, ...] = ()
    # payload fields the template does not print (recorded in the register only)
    unprinted_fields: tuple[str, ...] = ()
    # place in the list of kinds
    order: int = 1000
    # the definition file
    source: Path | None = None
    # the folder holding the .docx (a profile's own kinds); None = the templates folder
    template_dir: Path | None = None

    def schema(self) -> dict[str, Any]:
        return self.model.model_json_schema()

    def template_path(self, templates_dir: Path) -> Path:
        """Where the bundled .docx of this kind lives."""
        return (self.template_dir or templates_dir) / self.template


# Variables every template may use: filled from the profile and the issue. reply_period is
# the reply period as the paper words it, counted as the register counts it: "5个工作日" or "3日".
COMMON_VARIABLES = ("org_name", "committee", "issuing_offices", "number", "issued_on", "kind_title", "reply_period")
