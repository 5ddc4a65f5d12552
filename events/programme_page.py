"""The programme page, rendered once per programme version and language, filled in per request.

While registration is open everyone reloads the programme to see the seats.
Everything on the page but the seats, the registration state and the filter
changes only when the programme does, so the page is rendered once with
markers (events/kept_pages.py) and kept by:

- the event's row and its programme version, read with the event in one
  statement: the database counts the version up at every change of the
  programme, plenary items and their speakers included (events/triggers.py);
- the registration state of the moment (opening and closing are times, not
  changes);
- the language and the path.

Each request reads the event and the seats (two queries, however big the
programme) and fills in each workshop's seats left, a "fully booked,
waitlist open" line on each block without a seat, and what the member's
filter hides (events/programme_filter.py). The page so filled is kept too, by
the seats and the filter: while nobody registers, every request gets the same
page, with its own way back for the language switcher. It has no form that needs a CSRF token (the language switcher is a GET
form, fagdag.views.switch_language), so a browser without cookies gets none.
"""

from dataclasses import dataclass
from functools import lru_cache

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from . import programme_filter
from .kept_pages import LANGUAGE_NEXT, Kept, fill, kept_context, own_parts, slot, split
from .models import Event
from .programme_filter import FilterIndex, hide_slot
from .selectors import BLOCK_PK, CAPACITY, SEATS_TAKEN, WORKSHOP_PK, event_seats, get_programme
from .templatetags.programme import (
    is_online,
    place_html,
    programme_item_html,
    seats_left_html,
    speaker_key,
    speaker_lines_html,
    time_range,
)

TEMPLATE = "events/event_detail.html"

_pages = Kept(64)
_filled = Kept(64)


@dataclass(frozen=True)
class KeptPage:
    pieces: tuple[str, ...]
    index: FilterIndex


def page(request, event: Event) -> HttpResponse:
    """The programme page of ``event`` (read with its ``programme_version``)."""
    rows = event_seats(event.pk)
    state = event.registration_state()
    language = get_language()
    key = (event_key(event), state, language, request.path)
    kept = _pages.get(key)
    if kept is None:
        kept = _render(request, event, state)
        _pages.put(key, kept)
    chosen = programme_filter.Filter.from_query(request.GET, kept.index)
    # The page filled in for these seats and this filter, split where the language
    # switcher's way back goes: while nobody registers, every request gets the same
    # but for that.
    filled_key = (key, rows, chosen)
    parts = _filled.get(filled_key)
    if parts is None:
        parts = _fill(kept, rows, chosen, state, language).split(slot(LANGUAGE_NEXT))
        _filled.put(filled_key, parts)
    return HttpResponse(own_parts(request)[LANGUAGE_NEXT].join(parts))


def _fill(kept: KeptPage, rows, chosen, state: str, language: str) -> str:
    """The kept page with the seats and the filter filled in (the switcher's way back
    left a slot)."""
    filled = programme_filter.fill(kept.index, chosen)
    filled[LANGUAGE_NEXT] = slot(LANGUAGE_NEXT)
    open_for_registration = state == Event.RegistrationState.OPEN
    for block_pk in fully_booked_blocks(rows):
        filled[f"block-full:{block_pk}"] = block_full_html(language, open_for_registration)
    for row in rows:
        if row[WORKSHOP_PK] is not None:
            filled[f"seats:{row[WORKSHOP_PK]}"] = seats_left_html(
                language, row[CAPACITY] - row[SEATS_TAKEN]
            )
    return fill(kept.pieces, filled)


def event_key(event: Event) -> tuple:
    """The event's row and its programme version: what its programme is rendered from."""
    return (
        tuple(getattr(event, field.attname) for field in Event._meta.concrete_fields),
        event.programme_version,
    )


def fully_booked_blocks(rows) -> frozenset[int]:
    """The blocks with workshops, none of them with a seat left (rows of ``event_seats``)."""
    open_blocks = {
        row[BLOCK_PK]
        for row in rows
        if row[WORKSHOP_PK] is None or row[SEATS_TAKEN] < row[CAPACITY]
    }
    return frozenset(row[BLOCK_PK] for row in rows) - open_blocks


@lru_cache(maxsize=8)
def block_full_html(language: str, open_for_registration: bool) -> SafeString:
    if open_for_registration:
        text = _(
            "Every workshop in this block is fully booked. "
            "When you register, you can join the waitlist."
        )
    else:
        text = _("Every workshop in this block is fully booked.")
    return format_html('<p class="block-full mb-2">{}</p>', text)


def _render(request, event: Event, state: str) -> KeptPage:
    programme = get_programme(event)
    index = FilterIndex()
    language = get_language()
    for programme_day in programme:
        programme_day.hide_slot = hide_slot("d", programme_day.day.isoformat())
        for item in programme_day.items:
            if item.is_workshop_block:
                index.add_block(item)
                item.hide_slot = hide_slot("b", item.pk)
                item.full_slot = slot(f"block-full:{item.pk}")
                item.workshops_html = _workshops_html(language, item, event, index)
            else:
                item.hide_slot = hide_slot("s", item.pk)
                index.add_session(item, _session_text(item))
    index.finish()
    html = render_to_string(
        TEMPLATE,
        {
            "event": event,
            "programme": programme,
            "registration_state": state,
            "RegistrationState": Event.RegistrationState,
            "filter": programme_filter.form_slots(
                index, [item for day in programme for item in day.items if item.is_workshop_block]
            ),
            **kept_context(),
        },
        request,
    )
    return KeptPage(split(html), index)


def _workshops_html(language: str, block, event: Event, index: FilterIndex) -> SafeString:
    """The list items of a block's workshops, with slots for their seats and ``hidden``."""
    items = []
    for workshop in block.workshop_list:
        before, after = programme_item_html(
            language,
            workshop.title,
            speaker_lines_html(language, workshop.speaker_key),
            place_html(language, is_online(workshop, event), workshop.room, workshop.theme),
            workshop.description,
        )
        index.add_workshop(workshop, block, before + after)
        opening = format_html(
            '<li class="workshop" data-day="{}" data-block="{}" data-theme="{}"{}>',
            block.day.isoformat(),
            block.pk,
            workshop.theme,
            SafeString(hide_slot("w", workshop.pk)),
        )
        items.append(opening + before + slot(f"seats:{workshop.pk}") + after + "</li>")
    return SafeString("\n".join(items))


def _session_text(session) -> str:
    return " ".join(
        (
            time_range(session),
            session.title,
            speaker_lines_html(get_language(), speaker_key(session.speaker_link_list)),
            session.description,
        )
    )


def forget() -> None:
    """Drop every kept page (tests; the keys make it needless otherwise)."""
    _pages.clear()
    _filled.clear()
