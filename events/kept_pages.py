"""Pages rendered once and kept in pieces in the process's memory, filled in per request.

A kept page is rendered with markers (``slot``) where a request's own parts
go (its CSRF token, each workshop's seats left, the filter's choices, …),
split at them (``split``) and put together again for each request from its
own values (``fill``). The programme page (events/programme_page.py) and the
registration form (registrations/form_cache.py) are kept this way; each keys
its pages by what they are rendered from, so nothing is ever told to forget.
"""

import secrets
import threading
from collections import OrderedDict

from .templatetags.languages import KEPT_SLOT, language_next

# The slot of the language switcher's way back to the page, which holds the request's
# own query string (events/templatetags/languages.py): in every kept page.
LANGUAGE_NEXT = "language-next"

# Where a request's own parts go in the rendered page: "<MARK>name<MARK>".
# Random per process, so no text typed into the admin can look like one.
MARK = f"@@slot-{secrets.token_hex(8)}@@"


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


def slot(name: str) -> str:
    """The marker of the slot ``name`` (no markup-special characters: escaping leaves it)."""
    return f"{MARK}{name}{MARK}"


def kept_context() -> dict[str, str]:
    """What every kept page's template context needs: the switcher's slot."""
    return {KEPT_SLOT: slot(LANGUAGE_NEXT)}


def own_parts(request) -> dict[str, str]:
    """What every kept page fills in for each request: the switcher's way back."""
    return {LANGUAGE_NEXT: language_next(request)}


def split(html: str) -> tuple[str, ...]:
    """The rendered page in pieces: text, slot name, text, slot name, …, text."""
    return tuple(html.split(MARK))


def fill(pieces: tuple[str, ...], filled: dict[str, str]) -> str:
    """The page with each slot's value from ``filled``; a slot not there is left empty."""
    get = filled.get
    return "".join(
        piece if index % 2 == 0 else get(piece, "") for index, piece in enumerate(pieces)
    )
