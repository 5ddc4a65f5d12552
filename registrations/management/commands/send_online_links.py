"""Mail the confirmed attendees of online events the links of their workshops, days ahead
(``registrations.online_links`` says who gets what, and when).

Meant for a daily scheduler. For each published online event whose first day
is at most its "send online links (days before)" away (default 7) and whose
programme has not begun, each confirmed attendee gets one mail with the links
of the workshops they hold seats in. Each attendee gets it once per set of
workshops: running the command twice, or twice at once, sends once; after a
change of workshop it sends again, with the new links. An attendee whose
workshops do not all have a link yet is left for a later run, and the
workshops without a link are named on standard error (cron mails it).

Every day at 07:00 from cron (``crontab -e`` as the user that runs fagdag)::

    0 7 * * *  cd /srv/fagdag && .venv/bin/python manage.py send_online_links

Or with a systemd timer, ``/etc/systemd/system/fagdag-online-links.service``::

    [Unit]
    Description=fagdag: mail online links to attendees

    [Service]
    Type=oneshot
    User=fagdag
    WorkingDirectory=/srv/fagdag
    EnvironmentFile=/etc/fagdag/env
    ExecStart=/srv/fagdag/.venv/bin/python manage.py send_online_links

and ``/etc/systemd/system/fagdag-online-links.timer``::

    [Unit]
    Description=fagdag: mail online links every morning

    [Timer]
    OnCalendar=*-*-* 07:00
    Persistent=true

    [Install]
    WantedBy=timers.target

then ``systemctl enable --now fagdag-online-links.timer``. The mails are sent
by the mail worker (``manage.py mail_worker``), like every other mail.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_scopes import scopes_disabled

from events.models import VENUE_TZ
from registrations import online_links


class Command(BaseCommand):
    help = (
        "Mail the confirmed attendees of online events the links of their workshops, "
        "once per choice of workshops, when the event is its 'days before' away."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            help="Act as if it were this time (ISO 8601, venue time if no zone), for testing.",
        )

    @scopes_disabled()  # a command, not a person: every organisation
    def handle(self, *args, now=None, **options):
        now = self.parse_now(now) if now else timezone.now()
        for event in online_links.due_events(now):
            sent, missing = online_links.send_for_event(event)
            self.stdout.write(f"{event.title}: links sent to {sent} attendee(s).")
            if missing:
                self.stderr.write(
                    f"{event.title}: these workshops have no online link yet, so their "
                    f"attendees get their links on a later run: {', '.join(sorted(missing))}"
                )

    @staticmethod
    def parse_now(value: str) -> datetime.datetime:
        parsed = parse_datetime(value)
        if parsed is None:
            raise CommandError(f"--now: not a date and time: {value!r}")
        if timezone.is_naive(parsed):
            parsed = parsed.replace(tzinfo=VENUE_TZ)
        return parsed
