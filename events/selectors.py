"""Reads of the programme, each in a fixed number of queries."""

import datetime
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone

from .models import (
    Event,
    Session,
    SessionSpeaker,
    Speaker,
    Workshop,
    WorkshopBlock,
    WorkshopSpeaker,
)


@dataclass
class ProgrammeDay:
    day: datetime.date
    items: list = field(default_factory=list)  # Sessions and WorkshopBlocks in time order


def get_visible_event(*, slug: str, user) -> Event:
    """The event members may see; a draft only for the people of its organisation (their
    preview) and superusers. 404 otherwise."""
    event = Event.objects.filter(slug=slug).first()
    if event is None:
        raise Http404
    if event.status == Event.Status.DRAFT and not previews_drafts_of(user, event.organisation_id):
        raise Http404
    return event


def previews_drafts_of(user, organisation_id: int) -> bool:
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.is_superuser or user.memberships.filter(organisation_id=organisation_id).exists()


# Reads that every request of the registration form makes in a rush, written out once
# by hand. The ORM builds and compiles a query anew for each request: 0.3 – 0.7 ms of
# CPU per read on this machine, against about 0.1 ms for these; together they were
# about a sixth of a registration's CPU (bench/rush.py). Each gives what the queryset
# in its docstring gives (tests/events/test_selectors.py). The lock the seat service
# takes stays a queryset, so Django checks it.
PUBLIC_EVENT_WITH_PROGRAMME_VERSION = """
    SELECT e.*, v.number AS programme_version
    FROM events_event e LEFT JOIN events_programmeversion v ON v.event_id = e.id
    WHERE e.slug = %s AND e.status IN (%s, %s)
"""
# Positions in a row of ``event_seats``.
BLOCK_PK, WORKSHOP_PK, CAPACITY, SEATS_TAKEN = range(4)
EVENT_SEATS = """
    SELECT b.id, w.id, w.capacity, w.seats_taken
    FROM events_workshopblock b LEFT JOIN events_workshop w ON w.block_id = b.id
    WHERE b.event_id = %s
"""


def read_rows(sql: str, params: list) -> list[tuple]:
    """The rows of a hand-written read (the reads below, and the registrations' own)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def event_seats(event_id: int) -> tuple[tuple[int, int | None, int | None, int | None], ...]:
    """(block id, workshop id, capacity, seats taken) for each workshop of the event, and
    (block id, None, None, None) for a block without workshops:
    ``WorkshopBlock.objects.filter(event_id=event_id).values_list("pk", "workshops__pk",
    "workshops__capacity", "workshops__seats_taken")``, in no particular order."""
    return tuple(read_rows(EVENT_SEATS, [event_id]))


def get_public_event_with_programme_version(*, slug: str) -> Event:
    """The public event ``slug`` with ``programme_version``, as
    ``Event.objects.public().with_programme_version()`` gives it; 404 otherwise."""
    for event in Event.objects.raw(
        PUBLIC_EVENT_WITH_PROGRAMME_VERSION, [slug, *Event.PUBLIC_STATUSES]
    ):
        return event
    raise Http404


VISIBLE_EVENT_WITH_PROGRAMME_VERSION = """
    SELECT e.*, v.number AS programme_version
    FROM events_event e LEFT JOIN events_programmeversion v ON v.event_id = e.id
    WHERE e.slug = %s
"""


def get_visible_event_with_programme_version(*, slug: str, user) -> Event:
    """``get_visible_event`` with ``programme_version``, as
    ``Event.objects.with_programme_version()`` gives it, in one statement."""
    for event in Event.objects.raw(VISIBLE_EVENT_WITH_PROGRAMME_VERSION, [slug]):
        if event.status == Event.Status.DRAFT and not previews_drafts_of(
            user, event.organisation_id
        ):
            raise Http404
        return event
    raise Http404


UPCOMING_PUBLIC_EVENTS = """
    SELECT e.* FROM events_event e
    WHERE e.status IN (%s, %s) AND e.last_day >= %s
    ORDER BY e.first_day, e.title
"""


def upcoming_public_event_rows() -> tuple[tuple[str, ...], list[tuple]]:
    """The rows (column names, value tuples) of ``upcoming_public_events``, as the
    database gives them: enough to key the event list's kept page, without the
    cost of making models (events.event_list_page)."""
    with connection.cursor() as cursor:
        cursor.execute(
            UPCOMING_PUBLIC_EVENTS, [*Event.PUBLIC_STATUSES, timezone.localdate().isoformat()]
        )
        columns = tuple(column[0] for column in cursor.description)
        rows = cursor.fetchall()
    if connection.vendor == "sqlite":  # stores UTC without the zone: give it back
        rows = [
            tuple(
                value.replace(tzinfo=datetime.UTC)
                if isinstance(value, datetime.datetime) and value.tzinfo is None
                else value
                for value in row
            )
            for row in rows
        ]
    return columns, rows


def upcoming_public_events() -> list[Event]:
    """``Event.objects.public().upcoming()``, written out once (the event list's one read)."""
    return list(
        Event.objects.raw(
            UPCOMING_PUBLIC_EVENTS, [*Event.PUBLIC_STATUSES, timezone.localdate().isoformat()]
        )
    )


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


# The programme's reads put what they fetch in plain lists (``to_attr``):
# a prefetched related manager clones a queryset for every object and on
# every ``.all()``, which took most of the registration form's time for an
# event with some ninety workshops (bench/rush.py).


def blocks_with_workshops(event, *, descriptions: bool = False) -> list["WorkshopBlock"]:
    """The event's blocks in time order, each with its workshops in ``block.workshop_list``
    (in their order, with their seats taken): two queries however big the programme.

    Without ``descriptions`` the workshops' descriptions are left out: enough to
    check a choice or offer it on the form. ``add_speakers`` adds the speakers.
    Grouped here rather than by ``prefetch_related``, whose bookkeeping for
    each object cost as much as the queries for an event of ninety workshops.
    """
    blocks = list(WorkshopBlock.objects.filter(event=event))
    by_pk = {block.pk: block for block in blocks}
    for block in blocks:
        block.workshop_list = []
    workshops = Workshop.objects.filter(block_id__in=list(by_pk)).order_by("position", "pk")
    if not descriptions:
        workshops = workshops.defer("description")
    for workshop in workshops:
        block = by_pk[workshop.block_id]
        Workshop.block.field.set_cached_value(workshop, block)
        block.workshop_list.append(workshop)
    return blocks


def add_speakers(blocks) -> None:
    """Give each workshop of ``blocks`` (from ``blocks_with_workshops``)
    its ``speaker_key``:
    (role, "Navn, rolle, organisation") for each of its speakers, in order. One query.

    Plain values rather than speaker objects: the form of a big event shows
    some ninety workshops and a hundred and fifty speakers, and only as text.
    """
    workshops = {workshop.pk: workshop for block in blocks for workshop in block.workshop_list}
    keys: dict[int, list[tuple[str, str]]] = {pk: [] for pk in workshops}
    links = (
        WorkshopSpeaker.objects.filter(workshop__in=list(workshops))
        .order_by("workshop", "position", "pk")
        .values_list("workshop", "role", "speaker__name", "speaker__role", "speaker__organisation")
    )
    for workshop, role, name, speaker_role, organisation in links:
        keys[workshop].append((role, Speaker.label(name, speaker_role, organisation)))
    for pk, workshop in workshops.items():
        workshop.speaker_key = tuple(keys[pk])
