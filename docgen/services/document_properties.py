"""The properties (File > Properties) of a paper made from a template.

A paper says what it is, who issued it and when: the title, the number as
subject, the organisation as author and company, the issuing date as created
and modified. Nothing of the template's making stays: not its description,
not its keywords, not the day it was built. A draft has no date and says
草稿 as its category. Written whole when the paper is made, so the same
paper made again gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from xml.sax.saxutils import escape

CORE_PART = "docProps/core.xml"
APP_PART = "docProps/app.xml"


@dataclass(frozen=True)
class DocumentProperties:
    """What a paper's properties say about it."""

    title: str
    organisation: str
    number: str = ""
    issued_on: dt.date | None = None
    draft: bool = False

    def core_xml(self) -> str:
        date = ""
        if self.issued_on is not None:
            stamp = f"{self.issued_on.isoformat()}T00:00:00Z"
            date = (
                f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
                f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
            )
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
            ' xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{escape(self.title)}</dc:title>"
            f"<dc:subject>{escape(self.number)}</dc:subject>"
            f"<dc:creator>{escape(self.organisation)}</dc:creator>"
            "<cp:keywords>GB/T 9704-2012</cp:keywords>"
            f"<cp:lastModifiedBy>{escape(self.organisation)}</cp:lastModifiedBy>"
            "<cp:revision>1</cp:revision>"
            f"{date}"
            f"<cp:category>{'草稿' if self.draft else ''}</cp:category>"
            "<dc:language>zh-CN</dc:language>"
            "</cp:coreProperties>"
        )

    def app_xml(self) -> str:
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"'
            ' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
            "<Application>docgen</Application>"
            f"<Company>{escape(self.organisation)}</Company>"
            "</Properties>"
        )
