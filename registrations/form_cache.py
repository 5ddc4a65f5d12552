"""The registration form's programme, rendered and built once per process.

When registration opens, almost every request is for the form of one event:
the empty page, then the submitted form. Both depend on the event and its
programme, which change rarely, and on the seats, which change all the time.

- The empty page (``page``) is rendered once, with markers where the
  request's own parts go, and kept in pieces in the process's memory; each
  request fills in its own security tokens and each workshop's seats left,
  "full" and "disabled", read for it.
- A submitted form is checked against blocks and workshops built once
  (``blocks_to_check``); the service checks the choices again under its locks.

Both are remembered by the event's row and its programme version, read with
the event for every request (``Event.objects.with_programme_version``): the
database counts up the version at every change of what the form shows of the
programme (events/triggers.py), so an edit in the admin gives another key at
once, and nothing has to be told to forget anything. The page's key has the
fully booked blocks too (they bring the waitlist's fields), the language and
the path.

The version is read before anything the page is rendered from, in a
statement of its own: a page kept under a version shows that version of the
programme or a newer one, and a newer version is asked for by another key.
"""

import secrets
import threading
import uuid
from collections import OrderedDict

from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.translation import get_language

from events.models import Event, WorkshopBlock
from events.selectors import add_speakers, blocks_with_workshops, event_seats

from .forms import RegistrationForm
from .selectors import EventQuestions, event_is_fully_booked, event_questions
from .templatetags.registration_form import option_parts

TEMPLATE = "registrations/register.html"

# Where a request's own parts go in the rendered page: "<MARK>name<MARK>",
# the name "csrf", "token", or "<part>:<workshop pk>" (``option_parts``).
# Random per process, so no text typed into the admin can look like one.
MARK = f"@@slot-{secrets.token_hex(8)}@@"
CSRF, SUBMISSION_TOKEN = "csrf", "token"

# Positions in a row of ``event_seats``: each workshop's seats, and blocks without workshops.
BLOCK_PK, WORKSHOP_PK, CAPACITY, SEATS_TAKEN = range(4)


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
_questions = Kept(64)


def page(request, event: Event) -> HttpResponse:
    """The empty registration form of ``event`` (open for registration, read with
    ``with_programme_version``) for this request."""
    rows = event_seats(event.pk)
    event_full = event_is_fully_booked(event)
    language = get_language()
    block_full = _fully_booked_blocks(rows)
    key = (
        *_blocks_key(event),
        block_full,
        event_full,
        language,
        request.get_full_path(),
    )
    pieces = _pages.get(key)
    if pieces is None:
        pieces = _render_pieces(request, event, rows)
        # A query string (the page takes none) is rendered but never kept, so
        # made-up ones cannot push the real page out.
        if not request.META.get("QUERY_STRING"):
            _pages.put(key, pieces)
    filled = {CSRF: get_token(request), SUBMISSION_TOKEN: str(uuid.uuid4())}
    parts = _option_parts(rows, block_full, language)
    return HttpResponse(
        "".join(
            piece if index % 2 == 0 else filled.get(piece) or parts[int(piece[2:])][int(piece[0])]
            for index, piece in enumerate(pieces)
        )
    )


def _option_parts(rows, block_full: frozenset[int], language: str) -> dict[int, tuple]:
    """Each workshop's parts that change with the seats, as ``option_parts`` gives them."""
    return {
        row[WORKSHOP_PK]: option_parts(
            language,
            seats_left=max(row[CAPACITY] - row[SEATS_TAKEN], 0),
            block_full=row[BLOCK_PK] in block_full,
        )
        for row in rows
        if row[WORKSHOP_PK] is not None
    }


def _fully_booked_blocks(rows) -> frozenset[int]:
    """The blocks with workshops, none of them with a seat left."""
    open_blocks = {
        row[BLOCK_PK]
        for row in rows
        if row[WORKSHOP_PK] is None or row[SEATS_TAKEN] < row[CAPACITY]
    }
    return frozenset(row[BLOCK_PK] for row in rows) - open_blocks


def _render_pieces(request, event: Event, rows) -> list[str]:
    """The page rendered with markers, split at them: text, slot name, text, …"""
    seats_taken = {
        row[WORKSHOP_PK]: row[SEATS_TAKEN] for row in rows if row[WORKSHOP_PK] is not None
    }
    blocks = blocks_with_workshops(event)
    for block in blocks:
        for workshop in block.workshop_list:
            # The seats the key was made of: fully booked blocks (and so the
            # waitlist's fields) as the key says.
            workshop.seats_taken = seats_taken.get(workshop.pk, workshop.seats_taken)
    add_speakers(blocks)
    form = RegistrationForm(
        event=event,
        blocks=blocks,
        questions=questions(event),
        initial={"submission_token": _slot(SUBMISSION_TOKEN)},
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


def blocks_to_check(event: Event) -> list[WorkshopBlock]:
    """The blocks of ``event`` (read with ``with_programme_version``) with their
    workshops (``block.workshop_list``), for checking a submitted form.

    They are shared by every request of this process: read them, never change
    them. Their seats are not those of now: to show the form again, fetch fresh
    blocks (``blocks_with_workshops``).
    """
    key = _blocks_key(event)
    blocks = _blocks.get(key)
    if blocks is None:
        blocks = blocks_with_workshops(event)
        _blocks.put(key, blocks)
    return blocks


def questions(event: Event) -> EventQuestions:
    """What ``event`` (read with ``with_programme_version``) asks, kept as its blocks are:
    its questions count up the programme version too (registrations/triggers.py)."""
    key = _blocks_key(event)
    asked = _questions.get(key)
    if asked is None:
        asked = event_questions(event)
        _questions.put(key, asked)
    return asked


def _blocks_key(event: Event) -> tuple:
    """The event's row and its programme version: what the blocks are built of."""
    return (
        tuple(getattr(event, field.attname) for field in Event._meta.concrete_fields),
        event.programme_version,
    )


def forget() -> None:
    """Drop every kept page and programme (tests; the keys make it needless otherwise)."""
    _pages.clear()
    _blocks.clear()
    _questions.clear()
