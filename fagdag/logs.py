"""Logs as one JSON object per line, with the secrets of personal links blanked out.

``JsonFormatter`` is the formatter of every log line (``LOGGING`` in the
settings). Each line has time, level, logger and message, then the record's
own fields given through ``extra=`` (numbers, strings, booleans; objects such
as Django's ``request`` are left out), then the traceback if there is one.
Never put personal data (names, e-mail addresses, client addresses) into a
log line: the request lines of ``fagdag.middleware.RequestLogMiddleware`` hold
method, path, status and duration only.
"""

import datetime
import json
import logging
import re

# The secret of a personal link, in the paths /tilmelding/min/<secret>/... and
# /tilmelding/<event>/bekraeftelse/<secret>/ (with or without a language prefix);
# /tilmelding/min/slettet/ is the page after erasing, with no secret in it.
_SECRET_IN_PATH = re.compile(r"(/tilmelding/min/(?!slettet(?:/|$))|/bekraeftelse/)[^/\s?#\"']+")
REDACTED = "<secret>"

# Attributes every LogRecord has; anything else on a record came through extra=.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def redact(text: str) -> str:
    """The text with every personal-link secret in it replaced by a placeholder."""
    return _SECRET_IN_PATH.sub(rf"\g<1>{REDACTED}", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for name, value in vars(record).items():
            if name in _RECORD_ATTRIBUTES or name.startswith("_") or name in entry:
                continue
            if isinstance(value, str):
                entry[name] = redact(value)
            elif value is None or isinstance(value, bool | int | float):
                entry[name] = value
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)
