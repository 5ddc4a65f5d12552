"""Delivering the outbox: claim a due mail, send it, record what the mail server said.

``emails.queue_email`` writes an ``OutgoingEmail`` row in the transaction of
the change the mail reports; this module sends those rows, and the mail
worker (``manage.py mail_worker``) runs it in a loop. Why a worker of our
own and not a django-tasks task per mail: a task's row in django-tasks-db is
not leased, so a SIGKILLed worker leaves it RUNNING for ever and a second
SIGTERM leaves it FAILED, with nothing that tries again; it has no periodic
sweep that could find such mails; and its results keep arguments and
tracebacks (with addresses in them) until someone deletes them. The outbox
row is the one record of the mail, and a lease makes every interruption
retryable.

Delivery: at least once, never silently none.

- ``claim`` takes the next due row in a short transaction of its own
  (``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers
  never take the same row; on SQLite the transaction holds the write lock
  from its start, ``transaction_mode = "IMMEDIATE"``, which serialises the
  claims) and moves the row's ``due_at`` to the end of a lease
  (``EMAIL_LEASE_SECONDS``) and counts the try. A worker that dies mid-send
  (SIGKILL, a second SIGTERM, a lost machine) leaves the row pending: it is
  due again when the lease ends, and any worker sends it then.
- The mail carries the row's Message-ID at every try. SMTP cannot promise
  exactly once: when the connection breaks after the server took the
  message but before its "250" reached us, the server may deliver it and we
  cannot know. We then send it again under the same Message-ID, so the
  second copy is recognisably the same mail (mail programs and many servers
  drop a repeated Message-ID). To make that rare, the reply to the end of a
  message is awaited up to ``EMAIL_DATA_TIMEOUT`` (RFC 5321 4.5.3.2.6 asks
  for 10 minutes), not the 20 seconds of the other commands: a slow server
  that accepts after 25 seconds gets one copy, not two.
- What the server says decides what happens (``classify``): a permanent
  refusal of the recipient or the message (5xx) marks the row refused and
  flags the registration "e-mail not delivered" at once, never retried; a
  temporary refusal (4xx) or an unreachable server is retried after a
  growing delay (``retry_delay``), and flagged after ``EMAIL_MAX_ATTEMPTS``
  tries; a timeout or broken connection (the mail may have arrived) is
  retried the same way but never flagged: after the last try the row is
  "uncertain" and an error is logged.
- A row records no address and no server text, only the reply code or the
  kind of failure; logs say the row's number and kind. ``forget`` deletes an
  attendee's rows (and mail files) when they are anonymised; ``prune``
  deletes finished rows, and finished django-tasks results, after
  ``EMAIL_OUTBOX_KEEP_DAYS``.
"""

import datetime
import logging
import smtplib
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends import filebased, smtp
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_scopes import scopes_disabled

from . import emails
from .models import OutgoingEmail, Registration

logger = logging.getLogger(__name__)

PERMANENT = "permanent"  # refused for good (5xx): flag now, never retry
TEMPORARY = "temporary"  # certainly not delivered (4xx, no connection): retry, flag at the end
UNCERTAIN = "uncertain"  # timeout or broken connection, may have arrived: retry, never flag


def retry_delay(attempt: int) -> datetime.timedelta:
    """How long to wait after the ``attempt``-th failed try: 1 min, 5 min, 30 min, 2 h, 2 h …"""
    delays = settings.EMAIL_RETRY_DELAYS
    return datetime.timedelta(seconds=delays[min(attempt, len(delays)) - 1])


def lease() -> datetime.timedelta:
    """How long a claimed mail is left to its worker before another may try it."""
    return datetime.timedelta(seconds=settings.EMAIL_LEASE_SECONDS)


def claim(*, pk: int | None = None, now: datetime.datetime | None = None) -> OutgoingEmail | None:
    """Take the next due mail (or mail ``pk``, if it is due) for this process, or None.

    Its own short transaction: the row is locked (skipping rows another
    worker holds), its lease starts and its try is counted, and the lock ends
    before anything is sent. A mail whose every try ended with its worker
    dead (each lease ran out) is not tried again: it is "uncertain".
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = OutgoingEmail.objects.filter(status=OutgoingEmail.Status.PENDING, due_at__lte=now)
        if pk is not None:
            due = due.filter(pk=pk)
        due = due.select_for_update(skip_locked=True).order_by("due_at", "pk")
        while (outgoing := due.first()) is not None:
            if outgoing.attempts < settings.EMAIL_MAX_ATTEMPTS:
                outgoing.attempts += 1
                outgoing.due_at = now + lease()
                outgoing.save(update_fields=["attempts", "due_at"])
                return outgoing
            _finish(outgoing, OutgoingEmail.Status.UNCERTAIN, now=now, error="lease expired")
            logger.error(
                "E-mail %s (%s): its worker stopped during each of %s tries; "
                "it may or may not have arrived.",
                outgoing.pk,
                outgoing.kind,
                outgoing.attempts,
            )
    return None


def classify(error: BaseException) -> tuple[str, str]:
    """What a failure to send means (PERMANENT, TEMPORARY or UNCERTAIN), and a short code for it.

    The code is a reply code or the kind of failure, never the server's text:
    that names the address.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _reply in error.recipients.values()})
        kind = PERMANENT if codes and all(500 <= code < 600 for code in codes) else TEMPORARY
        return kind, "RCPT " + ",".join(str(code) for code in codes)
    if isinstance(error, smtplib.SMTPDataError):
        kind = PERMANENT if 500 <= error.smtp_code < 600 else TEMPORARY
        return kind, f"DATA {error.smtp_code}"
    if isinstance(error, smtplib.SMTPResponseException):
        # The sender, the login or the greeting refused: our configuration or
        # the server's state, not this attendee's address. Tried again.
        return TEMPORARY, f"{type(error).__name__} {error.smtp_code}"
    if isinstance(error, TimeoutError | smtplib.SMTPServerDisconnected):
        return UNCERTAIN, type(error).__name__
    return TEMPORARY, type(error).__name__


def _finish(outgoing: OutgoingEmail, status: str, *, now, error: str = "") -> bool:
    """Record the end of this try, if the lease is still ours; whether it was."""
    return bool(
        OutgoingEmail.objects.filter(
            pk=outgoing.pk, status=OutgoingEmail.Status.PENDING, attempts=outgoing.attempts
        ).update(status=status, finished_at=now, last_error=error)
    )


def _flag(outgoing: OutgoingEmail, now) -> None:
    Registration.objects.filter(pk=outgoing.registration_id).update(email_failed_at=now)


@scopes_disabled()  # the worker, not a person: every organisation
def send(outgoing: OutgoingEmail) -> str:
    """Send one claimed mail and record the outcome; returns the row's status afterwards.

    A mail whose moment has passed (``emails.is_still_due``: a confirmation
    of a registration cancelled since, or an attendee erased since) is
    dropped unsent.
    """
    registration = emails.load_registration(outgoing.registration_id)
    now = timezone.now()
    if registration is None or not emails.is_still_due(registration, outgoing.kind):
        _finish(outgoing, OutgoingEmail.Status.DROPPED, now=now)
        return OutgoingEmail.Status.DROPPED
    try:
        message = emails.build_message(registration, outgoing.kind, message_id=outgoing.message_id)
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        return _failed(outgoing, *classify(error))
    except Exception as error:
        # Our own fault (a template, the configuration): logged with its
        # traceback, tried again like a temporary failure.
        logger.exception("E-mail %s (%s) could not be sent.", outgoing.pk, outgoing.kind)
        return _failed(outgoing, TEMPORARY, type(error).__name__)
    _finish(outgoing, OutgoingEmail.Status.SENT, now=timezone.now())
    return OutgoingEmail.Status.SENT


def _failed(outgoing: OutgoingEmail, kind: str, code: str) -> str:
    now = timezone.now()
    max_attempts = settings.EMAIL_MAX_ATTEMPTS
    if kind == PERMANENT:
        if _finish(outgoing, OutgoingEmail.Status.REFUSED, now=now, error=code):
            _flag(outgoing, now)
        logger.warning(
            "E-mail %s (%s) refused by the mail server (%s); flagged for the organisers.",
            outgoing.pk,
            outgoing.kind,
            code,
        )
        return OutgoingEmail.Status.REFUSED
    if outgoing.attempts < max_attempts:
        OutgoingEmail.objects.filter(
            pk=outgoing.pk, status=OutgoingEmail.Status.PENDING, attempts=outgoing.attempts
        ).update(due_at=now + retry_delay(outgoing.attempts), last_error=code)
        logger.warning(
            "E-mail %s (%s) failed (%s, try %s of %s); trying again later.",
            outgoing.pk,
            outgoing.kind,
            code,
            outgoing.attempts,
            max_attempts,
        )
        return OutgoingEmail.Status.PENDING
    if kind == UNCERTAIN:
        # The server may have taken it: "not delivered" would be a guess.
        _finish(outgoing, OutgoingEmail.Status.UNCERTAIN, now=now, error=code)
        logger.error(
            "E-mail %s (%s) got no answer from the mail server in %s tries (%s); "
            "it may or may not have arrived.",
            outgoing.pk,
            outgoing.kind,
            outgoing.attempts,
            code,
        )
        return OutgoingEmail.Status.UNCERTAIN
    if _finish(outgoing, OutgoingEmail.Status.FAILED, now=now, error=code):
        _flag(outgoing, now)
    logger.error(
        "E-mail %s (%s) failed %s times (%s); flagged for the organisers.",
        outgoing.pk,
        outgoing.kind,
        outgoing.attempts,
        code,
    )
    return OutgoingEmail.Status.FAILED


def send_due(*, limit: int | None = None, should_stop=lambda: False) -> int:
    """Claim and send due mails one by one until none is due (or ``limit``); how many were tried."""
    tried = 0
    while (limit is None or tried < limit) and not should_stop():
        outgoing = claim()
        if outgoing is None:
            break
        send(outgoing)
        tried += 1
    return tried


def deliver_now(pk: int) -> None:
    """Send mail ``pk`` in this process, if no one else has it (``EMAIL_DELIVER_ON_COMMIT``)."""
    outgoing = claim(pk=pk)
    if outgoing is not None:
        send(outgoing)


def forget(registration: Registration) -> None:
    """Delete what the outbox holds of an attendee being anonymised (``privacy.anonymise``).

    Their outbox rows, and (development) their mails in the mail folder, after
    the commit. Call it before the address is replaced, inside the
    anonymisation's transaction.
    """
    OutgoingEmail.objects.filter(registration=registration).delete()
    _forget_task_results(registration)
    folder = getattr(settings, "EMAIL_FILE_PATH", None)
    if settings.EMAIL_BACKEND == MAIL_FOLDER_BACKEND and folder:
        pattern = f"*.{registration.pk}.*.eml"
        transaction.on_commit(lambda: _delete_files(Path(folder), pattern))


def _delete_files(folder: Path, pattern: str) -> None:
    for path in folder.glob(pattern):
        path.unlink(missing_ok=True)


def _forget_task_results(registration: Registration) -> None:
    """Results of the mail task of earlier versions that name the attendee: arguments or traceback."""
    from django_tasks_db.models import DBTaskResult

    naming = Q(task_path=OLD_MAIL_TASK, args_kwargs__args__0=registration.pk)
    if registration.email:
        naming |= Q(traceback__contains=registration.email)
    DBTaskResult.objects.filter(naming).delete()


OLD_MAIL_TASK = "registrations.tasks.send_registration_email"


def prune(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete finished outbox rows and finished task results older than ``EMAIL_OUTBOX_KEEP_DAYS``."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.EMAIL_OUTBOX_KEEP_DAYS)
    mails, _ = (
        OutgoingEmail.objects.exclude(status=OutgoingEmail.Status.PENDING)
        .filter(finished_at__lt=cutoff)
        .delete()
    )
    results, _ = DBTaskResult.objects.filter(
        status__in=["SUCCESSFUL", "FAILED"], finished_at__lt=cutoff
    ).delete()
    return {"emails": mails, "task_results": results}


# Mail backends -----------------------------------------------------------------------------


class _DataTimeout:
    """smtplib's client, waiting ``data_timeout`` for the reply to the end of a message."""

    _in_data = False

    @property
    def data_timeout(self) -> float:
        return settings.EMAIL_DATA_TIMEOUT

    def data(self, msg):
        self._in_data = True
        try:
            return super().data(msg)
        finally:
            self._in_data = False
            if self.sock is not None:
                self.sock.settimeout(self.timeout)

    def send(self, s):
        super().send(s)
        # In DATA, the command is sent as text, the message (ending in ".") as bytes.
        if self._in_data and isinstance(s, bytes) and self.data_timeout and self.sock is not None:
            self.sock.settimeout(self.data_timeout)


class _SMTP(_DataTimeout, smtplib.SMTP):
    pass


class _SMTP_SSL(_DataTimeout, smtplib.SMTP_SSL):
    pass


class SMTPBackend(smtp.EmailBackend):
    """Django's SMTP backend, but the end of a message waits ``EMAIL_DATA_TIMEOUT`` for its reply.

    A server that takes 25 seconds to accept a message has accepted it: with
    one timeout for everything (``EMAIL_TIMEOUT``) we gave up first and sent
    it again.
    """

    @property
    def connection_class(self):
        return _SMTP_SSL if self.use_ssl else _SMTP


MAIL_FOLDER_BACKEND = "registrations.outbox.MailFolderBackend"


class MailFolderBackend(filebased.EmailBackend):
    """Development only: each mail as a file of its own in ``EMAIL_FILE_PATH``.

    Named after its Message-ID (``<kind>.<registration>.<random>.eml``), so
    that ``forget`` finds an anonymised attendee's mails and deletes them.
    Production never writes mails to disk (settings: without ``EMAIL_HOST``
    it has ``NoMailServerBackend``).
    """

    def send_messages(self, email_messages):
        folder = Path(self.file_path)
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            mime = message.message()
            name = mime["Message-ID"].strip("<>").partition("@")[0].replace("/", "_")
            (folder / f"{name}.eml").write_bytes(mime.as_bytes())
        return len(email_messages)


class NoMailServerBackend:
    """Production without ``EMAIL_HOST``: refuses to send rather than write mails to disk."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, email_messages):
        raise ImproperlyConfigured("EMAIL_HOST is not set: no mail server to send through.")
