"""The radio buttons of the registration form's workshop blocks, rendered in Python.

The form of a big event holds some ninety workshops; rendering each option
through template includes took most of the page's time under a registration
rush (bench/rush.py). The markup is the same as a template would give. The
parts of an option that stay the same between requests (its name, title,
speakers and room) are rendered once per process and language, remembered by
their content (events.templatetags.programme); the seats left, "full",
"checked" and "disabled" are put in for each request.
"""

from functools import lru_cache

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from events.templatetags.programme import (
    MEMORY,
    is_online,
    place_html,
    seats_left_html,
    speaker_lines_html,
)

register = template.Library()


@register.simple_tag(takes_context=True)
def workshop_options(context, field, event) -> SafeString:
    """One radio button per workshop of the block field ``field``.

    A full workshop is shown disabled, unless the whole block is full (then
    it can be chosen for the waitlist). A submitted choice stays checked.
    With ``option_slots`` in the context (registrations.form_cache), the
    parts that change with the seats (``option_parts``) are markers that
    each request fills in.
    """
    option_slots = context.get("option_slots")
    block = field.field.block
    block_full = block.is_fully_booked
    chosen = field.value()
    chosen = "" if chosen is None else str(chosen)
    language = get_language()
    options = []
    for index, workshop in enumerate(field.field.workshops):
        head, middle = _option(
            language,
            field.html_name,
            f"{field.auto_id}_{index}",
            workshop.pk,
            workshop.title,
            speaker_lines_html(language, workshop.speaker_key),
            place_html(language, is_online(workshop, event), workshop.room, workshop.theme),
        )
        if option_slots:
            full_class, state, seats = option_slots(workshop)
        else:
            full_class, state, seats = option_parts(
                language,
                seats_left=workshop.seats_left,
                block_full=block_full,
                chosen=chosen == str(workshop.pk),
            )
        options.append(
            '<div class="form-check workshop-option'
            + full_class
            + head
            + state
            + middle
            + seats
            + "</span></div></div>\n"
        )
    return SafeString("".join(options))


def option_parts(
    language: str, *, seats_left: int, block_full: bool, chosen: bool = False
) -> tuple[str, str, SafeString]:
    """The parts of an option that change with the seats: its "full" class,
    its "checked" or "disabled", and its seats left."""
    full = seats_left <= 0
    selectable = not full or block_full
    return (
        " is-full" if full else "",
        (" checked" if selectable and chosen else "") + ("" if selectable else " disabled"),
        seats_left_html(language, seats_left),
    )


@lru_cache(maxsize=MEMORY)
def _option(
    language: str,
    name: str,
    option_id: str,
    pk: int,
    title: str,
    speakers: SafeString,
    place: SafeString,
) -> tuple[SafeString, SafeString]:
    """An option's markup around "checked"/"disabled" and up to its seats left."""
    head = format_html(
        '"><input class="form-check-input" type="radio" name="{}" value="{}" id="{}"',
        name,
        pk,
        option_id,
    )
    middle = format_html(
        ' aria-describedby="{}_meta"><label class="form-check-label" for="{}">'
        '<span class="workshop-title fw-semibold">{}</span></label>'
        '<div class="workshop-meta" id="{}_meta">{}<span>{}',
        option_id,
        option_id,
        title,
        option_id,
        speakers,
        place,
    )
    return head, middle
