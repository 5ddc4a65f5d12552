"""The registration form's programme, rendered and built once per process.

When registration opens, almost every request is for the form of one event:
the empty page, then the submitted form, and in a rush most submissions are
refused (a workshop filled meanwhile). All of them depend on the event and
its programme, which change rarely, and on the seats, which change all the
time.

- The page (``page``) is rendered once, with markers where the request's own
  parts go (events/kept_pages.py), and kept in pieces in the process's
  memory; each request fills in its own security tokens, each workshop's
  seats left, "full", "checked" and "disabled", read for it, and what the
  member's filter hides (events/programme_filter.py).
- A refused submission (``form_again``) is answered from the same kept page:
  the member's choices are checked, the errors go into the error summary and
  the blocks' slots, the seats are read again, and only the part with the
  member's own answers (about them, the waitlist, the invoice) and the error
  summary are rendered for the request. A workshop the service refused as full
  is shown full, whatever the seats read afterwards say.
- A submitted form is checked against blocks and workshops built once
  (``blocks_to_check``); the service checks the choices again under its locks.

All are remembered by the event's row and its programme version, read with
the event for every request (``Event.objects.with_programme_version``): the
database counts up the version at every change of what the form shows of the
programme (events/triggers.py), so an edit in the admin gives another key at
once, and nothing has to be told to forget anything. The page's key has the
language and the path too (not the query string: the filter only fills in
slots); the empty answers' part, the language and whether the waitlist is
offered (a block or the event fully booked).

The version is read before anything the page is rendered from, in a
statement of its own: a page kept under a version shows that version of the
programme or a newer one, and a newer version is asked for by another key.
"""

import re
import uuid
from dataclasses import dataclass
from html import unescape

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms
from django.forms.utils import ErrorDict
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.translation import get_language

from events import programme_filter
from events.kept_pages import MARK, Kept, fill, kept_context, own_parts, slot, split
from events.models import Event, WorkshopBlock
from events.programme_filter import FilterIndex
from events.selectors import add_speakers, blocks_with_workshops, event_seats
from events.templatetags.programme import (
    description_html,
    is_online,
    place_html,
    speaker_lines_html,
)

from .forms import RegistrationForm
from .selectors import EventQuestions, event_is_fully_booked, event_questions
from .templatetags.registration_form import block_error_parts, option_parts

TEMPLATE = "registrations/register.html"
ATTENDEE_TEMPLATE = "registrations/_attendee_fields.html"
SUMMARY_TEMPLATE = "registrations/_error_summary.html"

# The request's own parts: "csrf", "token", "summary" (the error summary),
# "attendee" (the fields about the member, the waitlist and the invoice),
# "<part>:<workshop pk>" (``option_parts``), "<part>:b<block pk>" (``block_parts``)
# and the filter's (events/programme_filter.py).
CSRF, SUBMISSION_TOKEN, SUMMARY, ATTENDEE = "csrf", "token", "summary", "attendee"
__all__ = ["MARK", "blocks_to_check", "forget", "form_again", "page", "questions"]

# Positions in a row of ``event_seats``: each workshop's seats, and blocks without workshops.
BLOCK_PK, WORKSHOP_PK, CAPACITY, SEATS_TAKEN = range(4)


@dataclass(frozen=True)
class KeptPage:
    pieces: tuple[str, ...]
    index: FilterIndex


# Pages (an event in a language, as its programme is) and programmes kept per
# process: some events at once, each in two languages, a few versions each.
_pages = Kept(64)
_attendee_parts = Kept(64)
_blocks = Kept(64)
_questions = Kept(64)


def page(request, event: Event) -> HttpResponse:
    """The empty registration form of ``event`` (open for registration, read with
    ``with_programme_version``) for this request."""
    rows = event_seats(event.pk)
    language = get_language()
    block_full = _fully_booked_blocks(rows)
    offers_waitlist = bool(block_full) or event_is_fully_booked(event)
    kept = _kept_page(request, event, language)
    filled = programme_filter.fill(
        kept.index, programme_filter.Filter.from_query(request.GET, kept.index), keep_blocks=True
    )
    filled[CSRF] = get_token(request)
    filled.update(own_parts(request))
    filled[SUBMISSION_TOKEN] = str(uuid.uuid4())
    filled[ATTENDEE] = _attendee_part(request, event, offers_waitlist, language).empty
    _fill_options(filled, rows, block_full, language, chosen={})
    return HttpResponse(fill(kept.pieces, filled))


def form_again(
    request,
    event: Event,
    form: RegistrationForm,
    *,
    full_blocks=(),
    choice_errors=None,
    rows=None,
) -> HttpResponse:
    """The submitted ``form`` (bound and checked) again, with its errors and answers, and
    the seats as they are now, from the kept page.

    ``full_blocks``: blocks whose chosen workshop filled up meanwhile (shown full);
    ``choice_errors``: the service's errors by block id, 0 for the whole form;
    ``rows``: the seats just read (``event_seats``), if they were.
    """
    form.mark_full(full_blocks)
    choice_errors = choice_errors or {}
    for block in form.blocks:
        if block.pk in choice_errors:
            form.add_error(form.block_field_name(block), choice_errors[block.pk])
    if 0 in choice_errors:
        form.add_error(None, choice_errors[0])

    if rows is None:
        rows = event_seats(event.pk)
    language = get_language()
    chosen = {block.pk: _chosen(form, block) for block in form.blocks}
    refused_full = {chosen[block_pk] for block_pk in full_blocks if chosen.get(block_pk)}
    if refused_full:  # the service saw them full: so must the member
        rows = tuple(
            (row[0], row[1], row[2], max(row[2], row[3])) if row[1] in refused_full else row
            for row in rows
        )
    block_full = _fully_booked_blocks(rows)
    form.offers_waitlist = bool(block_full) or event_is_fully_booked(event)
    if not form.offers_waitlist:
        for name in ("waitlist", "accept_any_workshop"):
            form.fields.pop(name, None)

    # The member's own parts first (a test client's context lists the bound form first).
    summary = render_to_string(SUMMARY_TEMPLATE, {"form": form})
    attendee = _attendee_part(request, event, form.offers_waitlist, language).answered(form)
    kept = _kept_page(request, event, language)
    filled = programme_filter.fill(kept.index, programme_filter.Filter(), keep_blocks=True)
    filled[CSRF] = get_token(request)
    filled.update(own_parts(request))
    filled[SUBMISSION_TOKEN] = str(form["submission_token"].value() or uuid.uuid4())
    filled[SUMMARY] = summary
    filled[ATTENDEE] = attendee
    _fill_options(filled, rows, block_full, language, chosen=chosen)
    for block in form.blocks:
        field = form[form.block_field_name(block)]
        if field.errors:
            filled.update(_block_error_parts(block, field))
    return HttpResponse(fill(kept.pieces, filled))


def _chosen(form: RegistrationForm, block: WorkshopBlock) -> int | None:
    value = form[form.block_field_name(block)].value()
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _block_error_parts(block: WorkshopBlock, field) -> dict[str, str]:
    """A block's error, as register.html shows it: its class, ``aria-describedby`` and text."""
    return {f"{part}:b{block.pk}": value for part, value in enumerate(block_error_parts(field))}


def _fill_options(filled, rows, block_full, language, *, chosen) -> None:
    """Each workshop's parts that change with the seats and the member's choice."""
    for row in rows:
        workshop = row[WORKSHOP_PK]
        if workshop is None:
            continue
        parts = option_parts(
            language,
            seats_left=max(row[CAPACITY] - row[SEATS_TAKEN], 0),
            block_full=row[BLOCK_PK] in block_full,
            chosen=chosen.get(row[BLOCK_PK]) == workshop,
        )
        filled[f"0:{workshop}"], filled[f"1:{workshop}"], filled[f"2:{workshop}"] = parts


def _fully_booked_blocks(rows) -> frozenset[int]:
    """The blocks with workshops, none of them with a seat left."""
    open_blocks = {
        row[BLOCK_PK]
        for row in rows
        if row[WORKSHOP_PK] is None or row[SEATS_TAKEN] < row[CAPACITY]
    }
    return frozenset(row[BLOCK_PK] for row in rows) - open_blocks


def _kept_page(request, event: Event, language: str) -> KeptPage:
    key = (*_blocks_key(event), language, request.path)
    kept = _pages.get(key)
    if kept is None:
        kept = _render_page(request, event)
        _pages.put(key, kept)
    return kept


@dataclass(frozen=True)
class AttendeePart:
    """The fields about the member (and the waitlist's, when offered) and the invoice's,
    kept rendered: the part with a slot per field ("field:<name>"), and each field's
    markup with slots for the member's answer ("v:<name>" for a value, "c:<name>:<value>"
    for a "checked")."""

    pieces: tuple[str, ...]
    fields: dict[str, tuple[str, ...]]
    checks: frozenset[str]  # the fields answered by ticking (radio buttons, check boxes)
    empty: str  # as the empty form shows it

    def answered(self, form: RegistrationForm) -> str:
        """The part with ``form``'s answers; a field with errors is rendered for them,
        exactly as crispy renders it."""
        filled = {}
        for name, pieces in self.fields.items():
            field = form[name]
            if field.errors:
                filled[f"field:{name}"] = as_crispy_field(field)
            else:
                filled[f"field:{name}"] = fill(pieces, self._answer(field))
        return fill(self.pieces, filled)

    def _answer(self, field) -> dict[str, str]:
        value = field.value()
        if field.name not in self.checks:
            return {f"v:{field.name}": escape("" if value is None else value)}
        if isinstance(field.field.widget, forms.CheckboxInput):
            return {f"c:{field.name}:": " checked"} if value else {}
        values = value if isinstance(value, list | tuple) else [value]
        return {f"c:{field.name}:{item}": " checked" for item in values if item not in (None, "")}


CHECK_WIDGETS = (forms.RadioSelect, forms.CheckboxSelectMultiple, forms.CheckboxInput)
INPUT_TAG = re.compile(r"<input\b[^>]*>")
INPUT_VALUE = re.compile(r'\bvalue="([^"]*)"')


def _attendee_part(request, event: Event, offers_waitlist: bool, language: str) -> AttendeePart:
    key = (*_blocks_key(event), offers_waitlist, language)
    part = _attendee_parts.get(key)
    if part is None:
        part = _render_attendee_part(request, event, offers_waitlist)
        _attendee_parts.put(key, part)
    return part


def _render_attendee_part(request, event: Event, offers_waitlist: bool) -> AttendeePart:
    """Rendered from a form whose answers are markers, shown without errors."""
    form = RegistrationForm(
        {},
        event=event,
        blocks=blocks_to_check(event),
        questions=questions(event),
        offers_waitlist=offers_waitlist,
    )
    names = [
        field.name
        for field in form.attendee_fields()
        if field.name not in ("submission_token", "website")  # outside the part
    ]
    checks = frozenset(
        name for name in names if isinstance(form.fields[name].widget, CHECK_WIDGETS)
    )
    form.data = {name: slot(f"v:{name}") for name in names if name not in checks}
    form._errors = ErrorDict()  # the markers are no answers to check
    fields = {}
    for name in names:
        html = as_crispy_field(form[name])
        if name in checks:
            html = INPUT_TAG.sub(lambda tag, name=name: _check_slot(tag.group(0), name), html)
        fields[name] = split(html)
    pieces = split(
        render_to_string(
            ATTENDEE_TEMPLATE,
            {"form": form, "event": event, "field_slot": lambda name: slot(f"field:{name}")},
            request,
        )
    )
    empty = fill(pieces, {f"field:{name}": fill(fields[name], {}) for name in names})
    return AttendeePart(pieces, fields, checks, empty)


def _check_slot(tag: str, name: str) -> str:
    """An ``<input>`` of the field ``name`` with a slot for its "checked" before its end."""
    if f'name="{name}"' not in tag:
        return tag
    value = INPUT_VALUE.search(tag)
    checked = slot(f"c:{name}:{unescape(value.group(1)) if value else ''}")
    return f"{tag[:-1]}{checked}>"


def _render_page(request, event: Event) -> KeptPage:
    """The page rendered with markers, split at them, with its filter's index."""
    blocks = blocks_with_workshops(event, descriptions=True)
    add_speakers(blocks)
    language = get_language()
    index = FilterIndex()
    for block in blocks:
        index.add_block(block)
        for workshop in block.workshop_list:
            workshop.description_html = description_html(language, workshop.description)
            index.add_workshop(
                workshop,
                block,
                " ".join(
                    (
                        workshop.title,
                        speaker_lines_html(language, workshop.speaker_key),
                        place_html(
                            language, is_online(workshop, event), workshop.room, workshop.theme
                        ),
                        workshop.description_html,
                    )
                ),
            )
    index.finish()
    form = RegistrationForm(
        event=event,
        blocks=blocks,
        questions=questions(event),
        offers_waitlist=False,
        initial={"submission_token": slot(SUBMISSION_TOKEN)},
    )
    html = render_to_string(
        TEMPLATE,
        {
            "event": event,
            "form": form,
            "csrf_token": slot(CSRF),
            "summary_slot": slot(SUMMARY),
            "attendee_slot": slot(ATTENDEE),
            "filter": programme_filter.form_slots(index, blocks),
            "option_slots": lambda workshop: tuple(
                slot(f"{part}:{workshop.pk}") for part in range(3)
            ),
            "block_slots": lambda block: tuple(slot(f"{part}:b{block.pk}") for part in range(3)),
            **kept_context(),
        },
        request,
    )
    return KeptPage(split(html), index)


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
    _attendee_parts.clear()
    _blocks.clear()
    _questions.clear()
