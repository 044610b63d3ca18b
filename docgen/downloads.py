"""A rendered file as an HTTP download, for the API and the web form alike."""

from __future__ import annotations

import io
import re
from urllib.parse import quote

from flask import Response, send_file

from docgen.services.office import RenderedFile
from docgen.services.untrusted import safe_filename


def ascii_fallback(file: RenderedFile) -> str:
    """The file's ASCII name: the one it was given, else the ASCII words of its Chinese name."""
    if file.ascii_name:
        return file.ascii_name
    stem, dot, ext = file.filename.rpartition(".")
    words = re.findall(r"[A-Za-z0-9]+", stem if dot else file.filename)
    return "-".join(words or ["docgen"]) + (f".{ext}" if dot and ext.isascii() else "")


def send_file_response(file: RenderedFile) -> Response:
    """The file as an attachment: a meaningful ASCII ``filename`` and the Chinese ``filename*`` (RFC 6266 / 5987)."""
    # no control character (DEL included) ever reaches the header, whatever the register holds
    file = RenderedFile(file.content, safe_filename(file.filename), file.mimetype, file.ascii_name and safe_filename(file.ascii_name))
    response = send_file(io.BytesIO(file.content), mimetype=file.mimetype, as_attachment=True, download_name=file.filename)
    # Werkzeug's own ASCII fallback drops every Chinese character (督办提示-…〔2026〕7号 -> "-20267");
    # keep its RFC 5987 name and put a name that says what the file is beside it.
    response.headers.set("Content-Disposition", "attachment", filename=ascii_fallback(file), **{"filename*": _rfc5987(file.filename)})
    return response


def _rfc5987(name: str) -> str:
    return "UTF-8''" + quote(name, safe="!#$&+^`|~")
