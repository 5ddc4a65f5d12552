"""Online events: each confirmed attendee gets the links of their workshops, once per choice.

For each published online event whose first day is at most its "send online
links (days before)" away (default 7) and whose programme has not begun,
each confirmed attendee gets one mail with the links of the workshops they
hold seats in. Each attendee gets it once per set of workshops: running
twice, or twice at once, sends once; after a change of workshop it sends
again, with the new links. An attendee whose workshops do not all have a link
yet is left for a later run. Run daily by ``manage.py send_online_links``.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from events.models import Event

from .emails import queue_email
from .models import Registration


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


def send_for_event(event: Event) -> tuple[int, set[str]]:
    """Queue the links mail to each confirmed attendee of ``event`` who has not had it for
    their workshops; returns how many, and the titles of workshops still without a link."""
    sent, missing = 0, set()
    registrations = event.registrations.confirmed().prefetch_related("seats__workshop")
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


def due_events(now: datetime.datetime) -> list[Event]:
    """The published online events whose links are due at ``now``."""
    events = Event.objects.published().filter(is_online=True, last_day__gte=timezone.localdate(now))
    return [event for event in events if is_due(event, now)]
