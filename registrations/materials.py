"""Who sees which materials (``events.Material``), and the one e-mail saying they are ready.

A confirmed attendee sees, from the event's ``materials_from`` on, the
materials of the workshops they hold a seat in, of the plenary sessions, and
those of the event as a whole. Nobody else does: not a cancelled or
waitlisted registration, not another event's attendee, not a stranger (the
personal link is the attendee's only key, and its page's download view asks
``visible_materials`` for the one material asked for).

Each such attendee gets ONE e-mail when their materials are ready, however
often the command runs, and however many materials are added later
(``Registration.materials_notified_at``, claimed under a row lock, as
``online_links`` does). Run by ``manage.py send_materials_notices``.
"""

import datetime

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from events.models import Event, Material

from .emails import queue_email
from .models import Registration


def visible_materials(registration: Registration, *, now: datetime.datetime | None = None):
    """The materials ``registration`` may see and download now, in programme order."""
    event = registration.event
    if (
        registration.status != Registration.Status.CONFIRMED
        or registration.anonymised_at is not None
        or not event.materials_are_shown(now)
    ):
        return Material.objects.none()
    return (
        Material.objects.filter(event=event)
        .filter(Q(workshop__isnull=True) | Q(workshop__in=registration.seats.values("workshop")))
        .select_related("workshop__block", "session")
        .order_by(
            # The workshops' first, in programme order, then the plenary sessions', then the
            # event's own (NULLs placed alike on SQLite and PostgreSQL).
            F("workshop__block__day").asc(nulls_last=True),
            F("workshop__block__starts").asc(nulls_last=True),
            F("workshop__position").asc(nulls_last=True),
            F("session__day").asc(nulls_last=True),
            F("session__starts").asc(nulls_last=True),
            "created_at",
            "pk",
        )
    )


def due_events(now: datetime.datetime) -> list[Event]:
    """Events whose materials are shown at ``now`` (and that still have attendees' data)."""
    return list(
        Event.objects.filter(materials_from__isnull=False, materials_from__lte=now)
        .filter(materials__isnull=False)
        .distinct()
    )


def claim_and_queue(registration_id: int, *, now: datetime.datetime) -> bool:
    """Mark the attendee as told and queue the e-mail, unless already done or nothing is
    theirs to see. The row is locked; a row another run holds is skipped, never waited for,
    so two runs at once send once. The mail goes out when the transaction commits."""
    with transaction.atomic():
        registration = (
            Registration.objects.select_for_update(skip_locked=True)
            .select_related("event")
            .filter(pk=registration_id, materials_notified_at__isnull=True)
            .first()
        )
        if registration is None or not visible_materials(registration, now=now).exists():
            return False
        registration.materials_notified_at = now
        registration.save(update_fields=["materials_notified_at"])
        queue_email(registration, "materials")
        return True


def send_notices(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Queue the "materials are ready" e-mail to each attendee not yet told; per event title,
    how many were."""
    now = now or timezone.now()
    sent = {}
    for event in due_events(now):
        waiting = event.registrations.confirmed().filter(
            materials_notified_at__isnull=True, anonymised_at__isnull=True
        )
        sent[event.title] = sum(
            claim_and_queue(pk, now=now)
            for pk in waiting.order_by("pk").values_list("pk", flat=True)
        )
    return sent
