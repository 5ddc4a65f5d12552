"""Hold the draw of every event by preference whose ranking has closed (``registrations.draws``).

Meant for a scheduler that runs it every few minutes: the draw then follows
the closing time within minutes. It is safe to run twice, or twice at once on
two servers: each event's draw is held once (the event's row is locked and
``drawn_at`` checked under the lock; the second run finds it held and skips
it). Members who send their wishes while it runs are either in the draw or
told that the ranking has closed.

Every 5 minutes from cron (``crontab -e`` as the user that runs fagdag)::

    */5 * * * *  cd /srv/fagdag/app && .venv/bin/python manage.py run_due_draws

or with the systemd timer ``fagdag-draws.timer`` of docs/deployment.md. The
e-mails go out through the task worker (``manage.py db_worker``), like every
other mail.
"""

from django.core.management.base import BaseCommand

from registrations import draws

from .send_online_links import Command as OnlineLinksCommand


class Command(BaseCommand):
    help = "Hold the draw of every event by preference whose ranking has closed."

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            help="Act as if it were this time (ISO 8601, venue time if no zone), for testing.",
        )

    def handle(self, *args, now=None, **options):
        now = OnlineLinksCommand.parse_now(now) if now else None
        for outcome in draws.run_due_draws(now=now):
            self.stdout.write(
                f"{outcome.run.event.title}: draw held with seed {outcome.seed}: "
                f"{len(outcome.placed)} placed, {len(outcome.waitlisted)} on the waitlist."
            )
