"""The list of upcoming events, rendered once per set of events and language, filled in per
request (events/kept_pages.py).

It is the site's front page, loaded by everyone on their way to a programme.
It shows the events' own rows and their registration states, nothing else:
those (and the language and the path) are its key, so an edit or an opening
registration gives another page at once. Each request reads the events (one
query) and fills in its CSRF token (the language switcher's form).
"""

from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.translation import get_language

from .kept_pages import Kept, fill, slot, split
from .models import Event
from .selectors import upcoming_public_events

TEMPLATE = "events/event_list.html"
CSRF = "csrf"

_pages = Kept(16)


def page(request) -> HttpResponse:
    events = upcoming_public_events()
    states = [event.registration_state() for event in events]
    key = (
        tuple(
            (tuple(getattr(event, field.attname) for field in Event._meta.concrete_fields), state)
            for event, state in zip(events, states, strict=True)
        ),
        get_language(),
        request.path,
    )
    pieces = _pages.get(key)
    if pieces is None:
        for event, state in zip(events, states, strict=True):
            event.state_now = state
        html = render_to_string(TEMPLATE, {"events": events, "csrf_token": slot(CSRF)}, request)
        pieces = split(html)
        _pages.put(key, pieces)
    return HttpResponse(fill(pieces, {CSRF: get_token(request)}))


def forget() -> None:
    """Drop every kept page (tests; the keys make it needless otherwise)."""
    _pages.clear()
