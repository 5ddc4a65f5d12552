"""Mail the confirmed attendees of online events the links of their workshops, days ahead.

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
by the task worker (``manage.py db_worker``), like every other mail.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from events.models import VENUE_TZ, Event
from registrations.emails import queue_email
from registrations.models import Registration


def links_key(seats) -> str:
    """The chosen workshops, as stored in ``Registration.online_links_sent_for``."""
    return ",".join(str(workshop_id) for workshop_id in sorted(s.workshop_id for s in seats))


def programme_starts_at(event: Event) -> datetime.datetime:
    """When the event's first programme item begins (midnight of its first day if it has none)."""
    items = [*event.sessions.all(), *event.blocks.all()]
    return min((item.starts_at for item in items), default=event.starts_at)


def is_due(event: Event, now: datetime.datetime) -> bool:
    today = timezone.localdate(now)
    sending_from = event.first_day - datetime.timedelta(days=event.online_links_days_before)
    return sending_from <= today and now < programme_starts_at(event)


def claim_and_queue(registration_id: int) -> bool:
    """Mark the registration's links as sent and queue the mail, unless already done.

    The row is locked first (PostgreSQL; SQLite runs write transactions one
    at a time), and a row another run holds is skipped rather than waited
    for, so that concurrent runs never both send. The mail goes out when the
    transaction commits.
    """
    with transaction.atomic():
        registration = (
            Registration.objects.select_for_update(skip_locked=True)
            .filter(pk=registration_id, status=Registration.Status.CONFIRMED)
            .first()
        )
        if registration is None:
            return False
        seats = list(registration.seats.select_related("workshop"))
        key = links_key(seats)
        if not seats or key == registration.online_links_sent_for:
            return False
        if any(not seat.workshop.online_link for seat in seats):
            return False
        registration.online_links_sent_for = key
        registration.save(update_fields=["online_links_sent_for"])
        queue_email(registration, "online_links")
        return True


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

    def handle(self, *args, now=None, **options):
        now = self.parse_now(now) if now else timezone.now()
        events = Event.objects.published().filter(
            is_online=True, last_day__gte=timezone.localdate(now)
        )
        for event in events:
            if not is_due(event, now):
                continue
            sent, missing = self.send_for_event(event)
            self.stdout.write(f"{event.title}: links sent to {sent} attendee(s).")
            if missing:
                self.stderr.write(
                    f"{event.title}: these workshops have no online link yet, so their "
                    f"attendees get their links on a later run: {', '.join(sorted(missing))}"
                )

    def send_for_event(self, event: Event) -> tuple[int, set[str]]:
        sent, missing = 0, set()
        registrations = event.registrations.filter(
            status=Registration.Status.CONFIRMED
        ).prefetch_related("seats__workshop")
        for registration in registrations:
            seats = list(registration.seats.all())
            if not seats or links_key(seats) == registration.online_links_sent_for:
                continue
            without_link = {seat.workshop.title for seat in seats if not seat.workshop.online_link}
            if without_link:
                missing |= without_link
                continue
            if claim_and_queue(registration.pk):
                sent += 1
        return sent, missing

    @staticmethod
    def parse_now(value: str) -> datetime.datetime:
        parsed = parse_datetime(value)
        if parsed is None:
            raise CommandError(f"--now: not a date and time: {value!r}")
        if timezone.is_naive(parsed):
            parsed = parsed.replace(tzinfo=VENUE_TZ)
        return parsed
