"""Logs as one JSON object per line, with personal links' secrets and e-mail addresses blanked out.

``JsonFormatter`` is the formatter of every log line (``LOGGING`` in the
settings). Each line has time, level, logger and message, then the record's
own fields given through ``extra=`` (numbers, strings, booleans; objects such
as Django's ``request`` are left out), then the traceback if there is one.

Never put personal data (names, e-mail addresses, client addresses) into a
log line: the request lines of ``fagdag.middleware.RequestLogMiddleware`` hold
method, path, status and duration only, and the tasks name a registration by
its id. Other people's code does not know our rule: a mail server's refusal
names the refused address in its exception (the task queue logs it with the
traceback), a database error names the duplicate key, and Django's SQL log
(``DEBUG``) holds every value written. ``PersonalDataFilter``, the filter of
the site's log handler, blanks those out of each record before any handler
writes it: e-mail addresses everywhere (message, traceback, extra fields), and
every string literal of a logged SQL statement, with its parameters. A name
cannot be told from other words, so names are kept out at the source (there
is no log call that writes one).
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

# Anything shaped like an e-mail address: generous on purpose (a log line is
# no place for an address, even a malformed one). A match starts where a word
# starts, so a long run of text without one costs one pass, not one per letter.
_NOT_IN_ADDRESS = r"\s@<>()\[\]{}\"'`,;:/\\="
_EMAIL_ADDRESS = re.compile(
    rf"(?<![^{_NOT_IN_ADDRESS}])[^{_NOT_IN_ADDRESS}]+@[^{_NOT_IN_ADDRESS}]+\.[^\W\d_]{{2,}}"
)
EMAIL_REDACTED = "<e-mail>"

# A string literal in SQL as the database backends log it: 'it''s' (a backslash is
# no escape in it), and PostgreSQL's E'it\'s' (where it is).
_SQL_STRING = re.compile(r"\b[Ee]'(?:[^'\\]|''|\\.)*'|'(?:[^']|'')*'")
SQL_REDACTED = "'…'"
# Django's loggers of SQL statements (executed queries; schema changes).
SQL_LOGGERS = frozenset({"django.db.backends", "django.db.backends.schema"})

# Attributes every LogRecord has; anything else on a record came through extra=.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def redact(text: str) -> str:
    """The text with every personal-link secret and e-mail address in it replaced by a placeholder."""
    text = _SECRET_IN_PATH.sub(rf"\g<1>{REDACTED}", text)
    return _EMAIL_ADDRESS.sub(EMAIL_REDACTED, text) if "@" in text else text


def redact_sql(sql: str) -> str:
    """The SQL statement with every string literal (names, addresses, answers) blanked out."""
    return _SQL_STRING.sub(SQL_REDACTED, sql)


class PersonalDataFilter(logging.Filter):
    """Blank personal data out of each record in place, before any handler formats it.

    The filter of the site's log handler (``LOGGING``). It changes the record
    itself, so every handler after it on the way (and pytest's capture in the
    tests) gets the blanked record: the message is formatted once and
    redacted (``redact``), the traceback is formatted into ``exc_text``
    (which formatters use instead of formatting ``exc_info`` again) and
    redacted, string fields given through ``extra=`` are redacted, and a
    logged SQL statement loses its string literals and its parameters.
    Never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what it said, unformatted
            message = f"{record.msg} {record.args!r}"
        if record.name in SQL_LOGGERS:
            message = self._statement_without_values(record, message)
            for name in ("sql", "params"):
                if name in vars(record):
                    setattr(record, name, redact_sql(str(getattr(record, name))))
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for name, value in vars(record).items():
            if name not in _RECORD_ATTRIBUTES and isinstance(value, str):
                setattr(record, name, redact(value))
        return True

    @staticmethod
    def _statement_without_values(record: logging.LogRecord, message: str) -> str:
        # Django logs "(duration) <statement>; args=<parameters>; alias=<alias>".
        statement = vars(record).get("sql")
        if isinstance(statement, str):
            return "(%s) %s; alias=%s" % (  # noqa: UP031
                vars(record).get("duration", "?"),
                redact_sql(statement),
                vars(record).get("alias", "?"),
            )
        return redact_sql(message)


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
        if record.exc_info or record.exc_text:
            # exc_text: the traceback as PersonalDataFilter left it, already redacted.
            entry["exception"] = redact(record.exc_text or self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)
