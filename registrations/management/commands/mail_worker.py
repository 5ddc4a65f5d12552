"""``manage.py mail_worker``: send the outbox's e-mails, for as long as it runs.

The loop (``registrations.outbox`` has the guarantees): claim a due mail,
send it, record the outcome; when none is due, sleep ``--interval`` seconds.
Every round starts with ``close_old_connections``, and a lost or refused
database connection (PostgreSQL restarted, a failover, the network) is
logged and waited out with a growing pause, never the end of the worker.
Once an hour it prunes finished outbox rows and task results.

Stopping: the first SIGTERM (or Ctrl-C) lets the mail being sent finish,
then the worker exits; a second one exits at once, and the mail being sent
is sent again by a worker after its lease (``EMAIL_LEASE_SECONDS``), under
the same Message-ID. Run as many workers as you like, on any servers: each
mail is claimed by one.

In production it refuses to start without ``EMAIL_HOST`` and ``SITE_URL``.
"""

import logging
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections, connection
from django_scopes import scopes_disabled

from registrations import outbox

logger = logging.getLogger("registrations.outbox")

PRUNE_EVERY = 3600  # seconds
MAX_PAUSE = 30  # seconds between tries while the database is away


class Command(BaseCommand):
    help = "Send the e-mails of the outbox (run it as a service; see docs/deployment.md)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds to sleep when nothing is due"
        )
        parser.add_argument(
            "--batch", action="store_true", help="send what is due now, then exit (for cron, tests)"
        )

    def handle(self, *args, interval: float, batch: bool, **options):
        if not settings.DEBUG and not (settings.EMAIL_HOST and settings.SITE_URL):
            raise CommandError(
                "Set EMAIL_HOST and SITE_URL: without them no mail can be sent "
                "(manage.py check --deploy says more)."
            )
        self.stopping = False
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        with scopes_disabled():
            if batch:
                outbox.send_due(should_stop=lambda: self.stopping)
                return
            self.run(interval)

    def stop(self, signum, frame):
        if self.stopping:  # the second time: now
            raise SystemExit(128 + signum)
        self.stopping = True
        logger.info("Mail worker stopping after the mail being sent.")

    def run(self, interval: float) -> None:
        logger.info("Mail worker started.")
        pause = interval
        last_prune = 0.0
        while not self.stopping:
            try:
                close_old_connections()
                if time.monotonic() - last_prune > PRUNE_EVERY:
                    outbox.prune()
                    last_prune = time.monotonic()
                sent = outbox.send_due(limit=100, should_stop=lambda: self.stopping)
                pause = interval
            except DatabaseError as error:
                # Gone or refusing: drop the connection, wait, connect afresh.
                logger.warning(
                    "Mail worker lost the database (%s); trying again in %s s.",
                    type(error).__name__,
                    pause,
                )
                self._close_quietly()
                sent = 0
                self._sleep(pause)
                pause = min(pause * 2 or 1, MAX_PAUSE)
                continue
            if not sent:
                self._sleep(interval)
        logger.info("Mail worker stopped.")

    def _close_quietly(self) -> None:
        try:
            connection.close()
        except DatabaseError:
            pass

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.1, seconds))
