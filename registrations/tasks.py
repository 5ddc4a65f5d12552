"""Background tasks, run by the worker (``python manage.py db_worker``)."""

import datetime
import logging
import smtplib

from django.conf import settings
from django.utils import timezone
from django_scopes import scopes_disabled
from django_tasks import task

from . import emails
from .models import Registration

logger = logging.getLogger(__name__)


def retry_delay(attempt: int) -> datetime.timedelta:
    """How long to wait after the ``attempt``-th failed try: 1 min, 5 min, 30 min, 2 h, 2 h …"""
    delays = settings.EMAIL_RETRY_DELAYS
    return datetime.timedelta(seconds=delays[min(attempt, len(delays)) - 1])


@task()
@scopes_disabled()  # the worker, not a person: every organisation
def send_registration_email(registration_id: int, kind: str, attempt: int = 1) -> str:
    """Render and send one mail to an attendee; on a mail server failure, try again later.

    A failed try queues the next one after a growing delay (``retry_delay``),
    up to ``EMAIL_MAX_ATTEMPTS`` tries in all; after the last it sets the
    registration's ``email_failed_at`` so the organisers see it in the admin.
    The registration itself is never touched otherwise. The failure is raised
    again, so the task's own result records it.

    Returns what happened: "sent", or "skipped" when the registration is gone
    or has changed so that the mail no longer fits (see ``emails.KINDS``).
    """
    registration = emails.load_registration(registration_id)
    if registration is None or not emails.is_still_due(registration, kind):
        return "skipped"
    message = emails.build_message(registration, kind)
    try:
        message.send()
    except (smtplib.SMTPException, OSError):
        max_attempts = settings.EMAIL_MAX_ATTEMPTS
        if attempt < max_attempts:
            logger.warning(
                "E-mail %r to registration %s failed (try %s of %s); trying again later.",
                kind,
                registration_id,
                attempt,
                max_attempts,
            )
            retry = send_registration_email
            if retry.get_backend().supports_defer:
                retry = retry.using(run_after=timezone.now() + retry_delay(attempt))
            # A backend that cannot defer (the immediate one, in tests) tries at once.
            retry.enqueue(registration_id, kind, attempt + 1)
        else:
            logger.error(
                "E-mail %r to registration %s failed %s times; flagged for the organisers.",
                kind,
                registration_id,
                attempt,
            )
            Registration.objects.filter(pk=registration_id).update(email_failed_at=timezone.now())
        raise
    return "sent"
