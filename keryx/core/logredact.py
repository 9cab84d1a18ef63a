"""Mask the secrets that travel in URL paths before a log record is written.

The calendar feed (/calendar/feed/<token>.ics), invitations (/invite/<token>/) and public
media links (/m/<token>/) are capabilities: whoever reads the path can use it. Access logs
(runserver's django.server, uvicorn.access) and request error logs carry the path, so the
filter below rewrites every record's message and arguments with the token replaced.
"""

from __future__ import annotations

import logging
import re
from typing import Any

# Password-reset links (/account/reset/<uid>/<token>/) and report share links too.
SECRET_PATHS = re.compile(
    r"(/calendar/feed/|/invite/|/m/|/analytics/shared/|/account/reset/[^/\s?\"']+/)"
    r"([^/\s?\"'.]+)"
)
MASK = "[redacted]"


def redact(text: str) -> str:
    return SECRET_PATHS.sub(lambda m: m.group(1) + MASK, text)


def _redact_value(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactSecretPaths(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_value(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redact_value(val) for key, val in record.args.items()}
        return True
