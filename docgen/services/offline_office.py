"""LibreOffice settings that keep a converter instance from fetching anything.

A .docx may link a picture by address; LibreOffice fetches such links when it
opens the file (two requests per conversion). docgen removes links before a
file reaches the converter (``external_links``); these settings make sure the
office would not fetch even if one slipped through:

- ``BlockUntrustedRefererLinks``: linked content of a document from outside
  the trusted locations is not loaded (LibreOffice's own switch for this);
- a manual HTTP/HTTPS proxy at 127.0.0.1:9 (the discard port, nothing
  listens) with no exceptions, so any request the office still makes goes
  nowhere instead of to the address in the document.

They are written into the instance's user profile before it starts.
"""

from __future__ import annotations

from pathlib import Path

_SETTINGS = {
    ("/org.openoffice.Office.Common/Security/Scripting", "BlockUntrustedRefererLinks"): ("boolean", "true"),
    ("/org.openoffice.Inet/Settings", "ooInetProxyType"): ("int", "1"),
    ("/org.openoffice.Inet/Settings", "ooInetHTTPProxyName"): ("string", "127.0.0.1"),
    ("/org.openoffice.Inet/Settings", "ooInetHTTPProxyPort"): ("int", "9"),
    ("/org.openoffice.Inet/Settings", "ooInetHTTPSProxyName"): ("string", "127.0.0.1"),
    ("/org.openoffice.Inet/Settings", "ooInetHTTPSProxyPort"): ("int", "9"),
    ("/org.openoffice.Inet/Settings", "ooInetNoProxy"): ("string", ""),
}
_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
)
_TAIL = "</oor:items>\n"


def _items() -> str:
    return "".join(
        f'<item oor:path="{path}"><prop oor:name="{name}" oor:op="fuse"><value>{value}</value></prop></item>\n'
        for (path, name), (_, value) in _SETTINGS.items()
    )


def keep_office_offline(profile: str | Path) -> Path:
    """Write the settings into a LibreOffice user profile (``-env:UserInstallation``); returns the file.

    An existing settings file (LibreOffice rewrites it on exit) keeps its
    other entries; ours are added once.
    """
    path = Path(profile) / "user" / "registrymodifications.xcu"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        if "BlockUntrustedRefererLinks" in text and "ooInetHTTPProxyName" in text:
            return path
        if _TAIL.strip() in text:
            head, _, _ = text.rpartition(_TAIL.strip())
            path.write_text(head + _items() + _TAIL, encoding="utf-8")
            return path
    path.write_text(_HEAD + _items() + _TAIL, encoding="utf-8")
    return path
