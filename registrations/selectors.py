"""Reads of registrations."""

import hmac
import re
from dataclasses import dataclass

from django.db.models import Prefetch
from django.db.models.functions import Substr

from events.models import Event, WorkshopSpeaker

from .models import (
    DEFAULT_ASK,
    SECRET_LOOKUP_LENGTH,
    Question,
    Registration,
    Seat,
    StandardQuestion,
)

# What new_secret() makes: URL-safe base64. Anything else is refused before the
# database sees it (PostgreSQL refuses a NUL byte in a query with an error).
SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,64}")


def find_by_secret(secret: str) -> Registration | None:
    """The registration behind a personal link, with its seats, or None."""
    if not SECRET_SHAPE.fullmatch(secret):
        return None
    seats = (
        Seat.objects.select_related("workshop", "block")
        .prefetch_related(
            Prefetch(
                "workshop__speaker_links",
                queryset=WorkshopSpeaker.objects.select_related("speaker"),
            )
        )
        .order_by("block__day", "block__starts")
    )
    candidates = (
        Registration.objects.select_related("event")
        .prefetch_related(Prefetch("seats", queryset=seats))
        .annotate(secret_lookup=Substr("secret", 1, SECRET_LOOKUP_LENGTH))
        .filter(secret_lookup=secret[:SECRET_LOOKUP_LENGTH])
    )
    # The index narrows by 48 bits at most; the rest is compared in constant time.
    for registration in candidates:
        if hmac.compare_digest(registration.secret.encode(), secret.encode()):
            return registration
    return None


def has_online_links(event: Event, seats) -> bool:
    """Whether an attendee holding ``seats`` gets online links: at an online event always,
    elsewhere when the plenary sessions or one of their workshops has a link."""
    return bool(
        event.is_online or event.online_link or any(seat.workshop.online_link for seat in seats)
    )


def event_is_fully_booked(event: Event) -> bool:
    """The event's attendee limit is reached (one query, only for events with a limit)."""
    if event.attendee_limit is None:
        return False
    return event.registrations.confirmed().count() >= event.attendee_limit


@dataclass(frozen=True)
class EventQuestions:
    """What an event's registration form asks besides the name, address and workshops."""

    ask: dict[str, str]  # each standard question -> StandardQuestion.Ask
    custom: list[Question]  # the event's own questions, in their order
    membership_number_label: str  # the organisation's word for it ("" for the default)


def event_questions(event: Event) -> EventQuestions:
    """The questions ``event`` asks (three queries): its standard questions, as it chose
    them or by default (``DEFAULT_ASK``), and its own."""
    chosen = dict(StandardQuestion.objects.filter(event=event).values_list("field", "ask"))
    label = event.organisation.membership_number_label
    return EventQuestions(
        ask={field: chosen.get(field, default) for field, default in DEFAULT_ASK.items()},
        custom=list(Question.objects.filter(event=event)),
        membership_number_label=label,
    )
