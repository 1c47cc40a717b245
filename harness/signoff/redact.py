"""Redaction: no secret reaches a report, a log or the console.

Known secret values (registered by whoever learns them: the stack fixtures) are
replaced wherever they appear; patterns catch the shapes secrets come in even when
the value was never registered (URL passwords, conninfo passwords, PEM keys).
"""

from __future__ import annotations

import re
import threading
from typing import Any

MASK = "***"
_PATTERNS = (
    (re.compile(r"(?P<pre>[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s/]+(?P<post>@)", re.I), r"\g<pre>***\g<post>"),
    (re.compile(r"(?P<pre>\bpassword\s*=\s*)('[^']*'|\S+)", re.I), r"\g<pre>***"),
    (re.compile(r"(?P<pre>\brequirepass\s+)\S+", re.I), r"\g<pre>***"),
    (re.compile(r"-----BEGIN ([A-Z ]*)PRIVATE KEY-----.*?-----END \1PRIVATE KEY-----", re.S), "[private key redacted]"),
)
_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(*values: str | None) -> None:
    """Remember values that must never be written anywhere (short ones are ignored)."""
    with _lock:
        _secrets.update(v for v in values if v and len(v) >= 4)


def registered() -> frozenset[str]:
    return frozenset(_secrets)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    for value in sorted(_secrets, key=len, reverse=True):
        text = text.replace(value, MASK)
    return text


def redact_obj(obj: Any) -> Any:
    """Redact every string inside a JSON-like structure."""
    if isinstance(obj, str):
        return redact(obj)
    if isinstance(obj, dict):
        return {redact(str(k)): redact_obj(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [redact_obj(v) for v in obj]
    return obj
