"""A rendered file as an HTTP download, for the API and the web form alike."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response

from docgen.services.office import RenderedFile
from docgen.services.untrusted import safe_filename


def send_file_response(file: RenderedFile) -> Response:
    """The file, with its Chinese name in Content-Disposition (RFC 5987 / 6266)."""
    response = Response(file.content, mimetype=file.mimetype)
    name = safe_filename(file.filename)  # no control character (DEL included) ever reaches the header
    ascii_name = "".join(c if " " <= c < "\x7f" and c not in '"?\\' else "_" for c in name)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
    )
    response.headers["Content-Length"] = str(len(file.content))
    return response
