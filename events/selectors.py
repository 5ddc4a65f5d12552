"""Reads of the programme, each in a fixed number of queries."""

import datetime
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Prefetch
from django.http import Http404

from .models import (
    Event,
    Session,
    SessionSpeaker,
    WorkshopBlock,
    add_speakers,
    blocks_with_workshops,
)


@dataclass
class ProgrammeDay:
    day: datetime.date
    items: list = field(default_factory=list)  # Sessions and WorkshopBlocks in time order


def get_visible_event(*, slug: str, user) -> Event:
    """The event members may see; drafts only for staff (preview). 404 otherwise."""
    event = Event.objects.filter(slug=slug).first()
    if event is None:
        raise Http404
    if event.status == Event.Status.DRAFT and not (user.is_authenticated and user.is_staff):
        raise Http404
    return event


def get_programme(event: Event) -> list[ProgrammeDay]:
    """The programme grouped by day, plenary sessions and blocks in time order.

    Five queries however many workshops and speakers: sessions, their speakers,
    blocks, workshops with their seats taken, and the workshops' speakers.
    """
    sessions = event.sessions.prefetch_related(
        Prefetch(
            "speaker_links",
            queryset=SessionSpeaker.objects.select_related("speaker"),
            to_attr="speaker_link_list",
        )
    )
    blocks = blocks_with_workshops(event, descriptions=True)
    add_speakers(blocks)
    days = {day: ProgrammeDay(day) for day in event.days}
    items = sorted(
        [*sessions, *blocks], key=lambda item: (item.day, item.starts, isinstance(item, Session))
    )
    for item in items:
        days.setdefault(item.day, ProgrammeDay(item.day)).items.append(item)
    return [programme_day for programme_day in days.values() if programme_day.items]


class CompiledRead:
    """A read of one event's rows whose SQL the ORM compiles once per process.

    ``build(event_id)`` gives the queryset; its SQL, with the event's id as its
    only parameter, is kept and run with each event's id. The rows are the
    database's own values (on SQLite dates and times as text): enough for ids
    and for a key.
    """

    PROBE = -7_000_000_001  # an id no event has, to find the parameter

    def __init__(self, build):
        self.build = build
        self.sql = None

    def __call__(self, event_id: int) -> tuple:
        if self.sql is None:
            sql, params = self.build(self.PROBE).query.sql_with_params()
            if tuple(params) != (self.PROBE,):
                raise ValueError(f"expected the event's id as the only parameter: {params!r}")
            self.sql = sql
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [event_id])
            return tuple(tuple(row) for row in cursor.fetchall())


# The ids of an event's blocks (registrations.services checks the choices against them).
event_block_ids = CompiledRead(
    lambda event_id: WorkshopBlock.objects.filter(event_id=event_id).values_list("pk")
)
