"""The list of upcoming events, rendered once per set of events and language, filled in per
request (events/kept_pages.py).

It is the site's front page, loaded by everyone on their way to a programme.
It shows the events' own rows and their registration states, nothing else:
those (and the language and the path) are its key, so an edit or an opening
registration gives another page at once. Each request reads the events' rows
(one query; models are made only when the page is rendered, by a second read)
and fills in the language switcher's way back to it (its path and query). The
page has no form that needs a CSRF token (the language switcher is a GET form,
fagdag.views.switch_language), so a browser without cookies gets none.
"""

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language

from .kept_pages import Kept, fill, kept_context, own_parts, split
from .models import Event
from .selectors import upcoming_public_event_rows, upcoming_public_events

TEMPLATE = "events/event_list.html"

# What the registration state is computed from (Event.registration_state_of).
STATE_COLUMNS = ("status", "registration_opens", "registration_closes", "first_day")

_pages = Kept(16)


def page(request) -> HttpResponse:
    columns, rows = upcoming_public_event_rows()
    state_columns = [columns.index(name) for name in STATE_COLUMNS]
    now = timezone.now()
    states = tuple(
        Event.registration_state_of(
            **{name: row[i] for name, i in zip(STATE_COLUMNS, state_columns, strict=True)},
            now=now,
        )
        for row in rows
    )
    key = (tuple(rows), states, get_language(), request.path)
    pieces = _pages.get(key)
    if pieces is None:
        events = upcoming_public_events()  # the models, only to render (a second read)
        for event in events:
            event.state_now = event.registration_state(now)
        html = render_to_string(TEMPLATE, {"events": events, **kept_context()}, request)
        pieces = split(html)
        _pages.put(key, pieces)
    return HttpResponse(fill(pieces, own_parts(request)))


def forget() -> None:
    """Drop every kept page (tests; the keys make it needless otherwise)."""
    _pages.clear()
