"""Reads of the programme, each in a fixed number of queries."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.http import Http404

from .models import Event, Session, SessionSpeaker, add_speakers, blocks_with_workshops


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
