"""The registration form's programme, read for every request but rendered and built once per process.

When registration opens, almost every request is for the form of one event:
the empty page, then the submitted form. Both depend on the event and its
programme, which change rarely, and on the seats, which change all the time.

- The empty page (``page``) is rendered once, with markers where the
  request's own parts go, and kept in pieces in the process's memory; each
  request fills in its own security tokens and each workshop's seats left,
  "full" and "disabled" of that moment.
- A submitted form is checked against blocks and workshops built once
  (``blocks_to_check``); the service checks the choices again under its locks.

Both are remembered by what they show, as read for every request (the
event's row, the programme's rows and speakers, the fully booked blocks, the
language, the path): an edit in the admin gives another key at once, and
nothing has to be told to forget anything. The reads that make the keys run
SQL that the ORM compiles once per process (``CompiledRead``): compiling
took more time than running them.
"""

import secrets
import threading
import uuid
from collections import OrderedDict

from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.translation import get_language

from events.models import Event, WorkshopBlock, WorkshopSpeaker, add_speakers, blocks_with_workshops
from events.selectors import CompiledRead

from .forms import RegistrationForm
from .templatetags.registration_form import option_parts

TEMPLATE = "registrations/register.html"

# Where a request's own parts go in the rendered page: "<MARK>name<MARK>",
# the name "csrf", "token", or "<part>:<workshop pk>" (``option_parts``).
# Random per process, so no text typed into the admin can look like one.
MARK = f"@@slot-{secrets.token_hex(8)}@@"
CSRF, SUBMISSION_TOKEN = "csrf", "token"

# What the form shows of each workshop, in the form's order; blocks without
# workshops too (a LEFT JOIN: their workshop columns are None).
BLOCK_COLUMNS = ("pk", "day", "starts", "ends", "title")
WORKSHOP_COLUMNS = (
    "workshops__pk",
    "workshops__title",
    "workshops__room",
    "workshops__online_link",
    "workshops__theme",
    "workshops__capacity",
    "workshops__seats_taken",
)
WORKSHOP_PK, CAPACITY, SEATS_TAKEN = len(BLOCK_COLUMNS), -2, -1  # positions in a row


class Kept:
    """Things built for a key, kept in this process's memory; the least recently used go first.

    A plain dict rather than a Django cache: nothing is pickled, and what is
    kept is shared as is by the requests of this process (never changed).
    """

    def __init__(self, size: int):
        self.size = size
        self.items: OrderedDict = OrderedDict()
        self.lock = threading.Lock()  # threaded servers (runserver, gthread)

    def get(self, key):
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


# Pages (an event in a language, as its programme is) and programmes kept per
# process: some events at once, each in two languages, a few versions each.
_pages = Kept(64)
_blocks = Kept(64)


def page(request, event: Event) -> HttpResponse:
    """The empty registration form of ``event`` (open for registration) for this request."""
    rows, speakers, event_full = _programme(event)
    language = get_language()
    key = _cache_key(event, rows, speakers, event_full, language, request.get_full_path())
    pieces = _pages.get(key)
    if pieces is None:
        pieces = _render_pieces(request, event, rows)
        # Kept only if the programme read again afterwards still gives the key:
        # an edit saved meanwhile must not be remembered under the old one. A
        # query string (the page takes none) is rendered but never kept, so
        # made-up ones cannot push the real page out.
        if not request.META.get("QUERY_STRING") and _same_key(key, event, language, request):
            _pages.put(key, pieces)
    filled = {CSRF: get_token(request), SUBMISSION_TOKEN: str(uuid.uuid4())}
    parts = _option_parts(rows, language)
    return HttpResponse(
        "".join(
            piece if index % 2 == 0 else filled.get(piece) or parts[int(piece[2:])][int(piece[0])]
            for index, piece in enumerate(pieces)
        )
    )


def _option_parts(rows, language: str) -> dict[int, tuple]:
    """Each workshop's parts that change with the seats, as ``option_parts`` gives them."""
    block_full = _fully_booked_blocks(rows)
    return {
        row[WORKSHOP_PK]: option_parts(
            language,
            seats_left=max(row[CAPACITY] - row[SEATS_TAKEN], 0),
            block_full=row[0] in block_full,
        )
        for row in rows
        if row[WORKSHOP_PK] is not None
    }


def _fully_booked_blocks(rows) -> frozenset[int]:
    """The blocks with workshops, none of them with a seat left."""
    open_blocks = {
        row[0] for row in rows if row[WORKSHOP_PK] is None or row[SEATS_TAKEN] < row[CAPACITY]
    }
    return frozenset(row[0] for row in rows) - open_blocks


programme_rows = CompiledRead(
    lambda event_id: (
        WorkshopBlock.objects.filter(event_id=event_id)
        .order_by("day", "starts", "pk", "workshops__position", "workshops__pk")
        .values_list(*BLOCK_COLUMNS, *WORKSHOP_COLUMNS)
    )
)
speaker_rows = CompiledRead(
    lambda event_id: (
        WorkshopSpeaker.objects.filter(workshop__block__event_id=event_id)
        .order_by("workshop", "position", "pk")
        .values_list("workshop", "role", "speaker__name", "speaker__role", "speaker__organisation")
    )
)


def _programme(event: Event) -> tuple[tuple, tuple, bool]:
    """The event's blocks and workshops, their speakers, and whether the event is full."""
    event_full = event.attendee_limit is not None and event.is_fully_booked
    return programme_rows(event.pk), speaker_rows(event.pk), event_full


def _same_key(key, event, language, request) -> bool:
    rows, speakers, event_full = _programme(event)
    return key == _cache_key(event, rows, speakers, event_full, language, request.get_full_path())


def _cache_key(event, rows, speakers, event_full, language, path) -> tuple:
    """A key for everything the page shows but the tokens and each workshop's seats:
    those things themselves (a dict compares them, so no two can be mistaken)."""
    return (
        *_blocks_key(event, rows),
        speakers,
        _fully_booked_blocks(rows),
        event_full,
        language,
        path,
    )


def _render_pieces(request, event: Event, rows) -> list[str]:
    """The page rendered with markers, split at them: text, slot name, text, …"""
    seats_taken = {
        row[WORKSHOP_PK]: row[SEATS_TAKEN] for row in rows if row[WORKSHOP_PK] is not None
    }
    blocks = blocks_with_workshops(event)
    for block in blocks:
        for workshop in block.workshop_list:
            # The seats of the rows the key was made of: fully booked blocks
            # (and so the waitlist's fields) as the key says.
            workshop.seats_taken = seats_taken.get(workshop.pk, workshop.seats_taken)
    add_speakers(blocks)
    form = RegistrationForm(
        event=event, blocks=blocks, initial={"submission_token": _slot(SUBMISSION_TOKEN)}
    )
    html = render_to_string(
        TEMPLATE,
        {
            "event": event,
            "form": form,
            "csrf_token": _slot(CSRF),
            "option_slots": lambda workshop: tuple(
                _slot(f"{part}:{workshop.pk}") for part in range(3)
            ),
        },
        request,
    )
    return html.split(MARK)


def _slot(name: str) -> str:
    return f"{MARK}{name}{MARK}"


# --- A submitted form --------------------------------------------------------------------


def blocks_to_check(event: Event) -> tuple[list[WorkshopBlock], frozenset[int]]:
    """The event's blocks with their workshops (``block.workshop_list``), for checking a
    submitted form, and the ids of the blocks fully booked now.

    The blocks are shared by every request of this process: read them, never
    change them. Their seats are not those of now; the fully booked blocks are.
    To show the form again, fetch fresh blocks (``blocks_with_workshops``).
    """
    rows = programme_rows(event.pk)
    key = _blocks_key(event, rows)
    blocks = _blocks.get(key)
    if blocks is None:
        blocks = blocks_with_workshops(event)
        if _blocks_key(event, programme_rows(event.pk)) == key:
            _blocks.put(key, blocks)
    return blocks, _fully_booked_blocks(rows)


def _blocks_key(event: Event, rows) -> tuple:
    """The event's row and its programme's rows without the seats: what the blocks are built of."""
    return (
        tuple(getattr(event, field.attname) for field in Event._meta.concrete_fields),
        tuple(row[:CAPACITY] for row in rows),
    )


def forget() -> None:
    """Drop every kept page and programme (tests; the keys make it needless otherwise)."""
    _pages.clear()
    _blocks.clear()
