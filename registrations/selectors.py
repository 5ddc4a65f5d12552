"""Reads of registrations."""

import datetime
import re
from dataclasses import dataclass

from django.db.models import Prefetch

from events.models import Event, Session, WorkshopBlock, WorkshopSpeaker

from .models import (
    DEFAULT_ASK,
    Question,
    Registration,
    Seat,
    StandardQuestion,
    secret_digest,
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
    # Only the digest is stored (models.PersonalLink): the secret is looked up by
    # its own digest, which tells a guesser nothing about the digests stored.
    return (
        Registration.objects.select_related("event")
        .prefetch_related(Prefetch("seats", queryset=seats))
        .filter(personal_links__digest=secret_digest(secret))
        .first()
    )


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


def day_hours(event: Event) -> list[tuple[datetime.date, datetime.time, datetime.time]]:
    """Each day of the event with its programme's first start and last end (two queries);
    a day with nothing on the programme is left out."""
    hours: dict[datetime.date, tuple[datetime.time, datetime.time]] = {}
    for model in (Session, WorkshopBlock):
        for day, starts, ends in model.objects.filter(event=event).values_list(
            "day", "starts", "ends"
        ):
            first, last = hours.get(day, (starts, ends))
            hours[day] = (min(first, starts), max(last, ends))
    return [(day, *hours[day]) for day in sorted(hours)]
