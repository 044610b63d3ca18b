"""A rendered file as an HTTP download, for the API and the web form alike."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response

from docgen.services.office import RenderedFile


def send_file_response(file: RenderedFile) -> Response:
    """The file, with its Chinese name in Content-Disposition (RFC 5987 / 6266)."""
    response = Response(file.content, mimetype=file.mimetype)
    ascii_name = file.filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file.filename, safe='')}"
    )
    response.headers["Content-Length"] = str(len(file.content))
    return response
