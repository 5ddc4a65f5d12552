"""Online links: each confirmed attendee gets the links of their plenary sessions and
workshops, once per choice, from the moment the organiser chose.

An event has online links when it is held online, or has a link of its own
for the plenary sessions (``Event.online_link``). From its
``online_links_from`` (by default 7 days before its first day; the event's
"online links shown (days before)") and until its programme begins, each
confirmed attendee gets one mail with the plenary link (if any) and the links
of the workshops they hold seats in. Before that moment no mail, page or
calendar file shows a link (``Event.online_links_shown``). Each attendee gets
it once per set of links: running twice, or twice at once, sends once; after
a change of workshop, or when the plenary link is added, it sends again. At
an online event, an attendee whose workshops do not all have a link yet is
left for a later run. Run daily by ``manage.py send_online_links``.
"""

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from events.models import Event

from .emails import queue_email
from .models import Registration
from .selectors import has_online_links

PLENARY = "plenary"


def links_key(seats, *, event: Event | None = None) -> str:
    """The links sent, as stored in ``Registration.online_links_sent_for``: the chosen
    workshops, and "plenary" when the event has a plenary link."""
    parts = [str(workshop_id) for workshop_id in sorted(s.workshop_id for s in seats)]
    if event is not None and event.online_link:
        parts.append(PLENARY)
    return ",".join(parts)


def missing_links(event: Event, seats) -> set[str]:
    """The titles of the attendee's workshops still without the link they need: at an
    online event every workshop needs one; elsewhere a workshop without one is in a room."""
    if not event.is_online:
        return set()
    return {seat.workshop.title for seat in seats if not seat.workshop.online_link}


def programme_starts_at(event: Event) -> datetime.datetime:
    """When the event's first programme item begins (midnight of its first day if it has none)."""
    items = [*event.sessions.all(), *event.blocks.all()]
    return min((item.starts_at for item in items), default=event.starts_at)


def is_due(event: Event, now: datetime.datetime) -> bool:
    return event.online_links_shown(now) and now < programme_starts_at(event)


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
        event = registration.event
        seats = list(registration.seats.select_related("workshop"))
        key = links_key(seats, event=event)
        if not has_online_links(event, seats) or key == registration.online_links_sent_for:
            return False
        if missing_links(event, seats):
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
        if not has_online_links(event, seats):
            continue
        if links_key(seats, event=event) == registration.online_links_sent_for:
            continue
        without_link = missing_links(event, seats)
        if without_link:
            missing |= without_link
            continue
        if claim_and_queue(registration.pk):
            sent += 1
    return sent, missing


def due_events(now: datetime.datetime) -> list[Event]:
    """The published events with online links (held online, a plenary link, or a workshop
    with a link) whose links are due at ``now``."""
    events = (
        Event.objects.published()
        .filter(last_day__gte=timezone.localdate(now))
        .filter(Q(is_online=True) | ~Q(online_link="") | Q(blocks__workshops__online_link__gt=""))
        .distinct()
    )
    return [event for event in events if is_due(event, now)]
