"""Mail the confirmed attendees the online links of the plenary sessions and of their
workshops, from the moment the event's organiser chose (``registrations.online_links``
says who gets what, and when).

Meant for a daily scheduler. For each published event with online links (held
online, a link for its plenary sessions, or workshops with links), from its
"online links shown (days before)" (default 7) and until its programme
begins, each confirmed attendee gets one mail with the plenary link and the
links of the workshops they hold seats in. Each attendee gets it once per set
of links: running the command twice, or twice at once, sends once; after a
change of workshop, or a plenary link added later, it sends again. At an
online event, an attendee whose workshops do not all have a link yet is left
for a later run, and the workshops without a link are named on standard
error (cron mails it).

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
        "Mail the confirmed attendees the online links of the plenary sessions and their "
        "workshops, once per set of links, from the event's 'days before'."
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
