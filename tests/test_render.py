"""A paper renders to the same bytes as papers were issued with: an issued paper made again is its own copy."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from docgen.kinds import get_kind
from docgen.services.signature_block import lay_out_signature
from docgen.services.table_fit import fit_date_columns
from tests.conftest import example


def test_a_paper_has_the_bytes_of_the_template_zip_with_its_filled_parts_appended(office) -> None:
    kind = get_kind("supervision-prompt")
    payload = kind.model.model_validate(example(kind.id))
    template = office.renderer.template(kind)
    day = dt.date(2026, 11, 22)
    context = office.renderer.context(kind, payload, "东卫督办〔2026〕7号", day)
    properties = office.renderer.properties(kind, payload, "东卫督办〔2026〕7号", day)

    # how papers were made when the first were issued: the parts appended to the template's untouched files
    expected = io.BytesIO(template.prefix)
    expected.seek(0, io.SEEK_END)
    with zipfile.ZipFile(expected, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for name, (entry, _) in template.properties.items():
            out.writestr(entry, properties.core_xml() if name == "docProps/core.xml" else properties.app_xml())
        for name, (entry, part) in template.parts.items():
            xml = part.render(context)
            if name == "word/document.xml":
                xml = fit_date_columns(lay_out_signature(xml))
            out.writestr(entry, xml, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)

    paper = template.render(context, properties)
    assert paper == expected.getvalue()
    assert template.render(context, properties) == paper  # and again, from the same prepared template
