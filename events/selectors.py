"""Reads of the programme, each in a fixed number of queries."""

import datetime
import itertools
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


class CompiledQuery:
    """A query whose SQL the ORM compiles once per process, for each shape of its arguments.

    ``build(*arguments)`` gives the queryset; each argument is an id, a text
    (a slug) or a list of ids. It is built once with made-up values
    ("probes") for each shape of the arguments (their kinds, the lengths of
    the lists), and its SQL kept with where each argument goes; the
    queryset's own parameters (``public()``'s statuses, say) are kept as they
    are. ``sql(*arguments)`` gives that SQL and the parameters in their
    places. Compiling takes longer than running the small queries of a
    registration.

    Each argument must reach the SQL as it is, once: a lookup that changes it
    (``icontains`` adds "%") is refused.
    """

    PROBE = -7_000_000_001  # ids no row has, counting down from here
    PROBE_TEXT = "\x1fprobe-"  # and texts no row has

    def __init__(self, build):
        self.build = build
        self.compiled: dict[tuple, tuple[str, list[tuple[bool, object]]]] = {}

    def sql(self, *arguments) -> tuple[str, list]:
        shape = tuple(
            len(a) if isinstance(a, list | tuple) else isinstance(a, str) for a in arguments
        )
        compiled = self.compiled.get(shape)
        if compiled is None:
            compiled = self.compiled[shape] = self._compile(arguments)
        sql, places = compiled
        values = _flat(arguments)
        return sql, [values[place] if is_argument else place for is_argument, place in places]

    def _compile(self, arguments) -> tuple[str, list[tuple[bool, object]]]:
        counter = itertools.count()

        def probe(value):
            n = next(counter)
            return f"{self.PROBE_TEXT}{n}" if isinstance(value, str) else self.PROBE - n

        probe_arguments = [
            [probe(v) for v in a] if isinstance(a, list | tuple) else probe(a) for a in arguments
        ]
        sql, params = self.build(*probe_arguments).query.sql_with_params()
        flat_probes = _flat(probe_arguments)
        found = [p for p in params if p in flat_probes]
        if sorted(map(str, found)) != sorted(map(str, flat_probes)):
            raise ValueError(f"expected each argument once among the parameters: {params!r}")
        return sql, [
            (True, flat_probes.index(p)) if p in flat_probes else (False, p) for p in params
        ]


def _flat(arguments) -> list:
    return [v for a in arguments for v in (a if isinstance(a, list | tuple) else [a])]


class CompiledRead:
    """A read of one event's rows with SQL compiled once per process (``CompiledQuery``).

    ``build(event_id)`` gives the queryset. The rows are the database's own
    values (on SQLite dates and times as text): enough for ids and for a key.
    """

    def __init__(self, build):
        self.query = CompiledQuery(build)

    def __call__(self, event_id: int) -> tuple:
        sql, params = self.query.sql(event_id)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return tuple(tuple(row) for row in cursor.fetchall())


# The ids of an event's blocks (registrations.services checks the choices against them).
event_block_ids = CompiledRead(
    lambda event_id: WorkshopBlock.objects.filter(event_id=event_id).values_list("pk")
)
