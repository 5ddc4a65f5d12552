"""The workshop options of the registration form's blocks.

Each option is rendered by the partial ``workshop-option`` of
registrations/register.html from what ``workshop_options`` gives. The parts
of an option that change with the seats (``option_parts``: its "full" class,
its "checked" or "disabled", and its seats left) are computed here, or, when
the page is rendered once to be kept (registrations.form_cache), are markers
that each request fills in with ``option_parts`` of its own seats.
"""

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from events.programme_filter import hide_slot
from events.templatetags.programme import (
    is_online,
    place_html,
    seats_left_html,
    speaker_lines_html,
)

register = template.Library()


@register.simple_tag(takes_context=True)
def workshop_options(context, field, event) -> list[dict]:
    """One option per workshop of the block field ``field``.

    A full workshop is shown disabled, unless the whole block is full (then
    it can be chosen for the waitlist). A submitted choice stays checked.
    With ``option_slots`` in the context (registrations.form_cache), the
    parts that change with the seats are markers.
    """
    option_slots = context.get("option_slots")
    block_full = field.field.block.is_fully_booked
    chosen = field.value()
    chosen = "" if chosen is None else str(chosen)
    language = get_language()
    day = field.field.block.day.isoformat()
    options = []
    for index, workshop in enumerate(field.field.workshops):
        if option_slots:
            full_class, state, seats = option_slots(workshop)  # markers: nothing to escape
        else:
            full_class, state, seats = option_parts(
                language,
                seats_left=workshop.seats_left,
                block_full=block_full,
                chosen=chosen == str(workshop.pk),
            )
        options.append(
            {
                "id": f"{field.auto_id}_{index}",
                "workshop": workshop,
                "speakers": speaker_lines_html(language, workshop.speaker_key),
                "place": place_html(
                    language, is_online(workshop, event), workshop.room, workshop.theme
                ),
                "full_class": full_class,
                "state": state,
                "seats": seats,
                "day": day,
                "hide": hide_slot("w", workshop.pk) if option_slots else "",
                # Set where the page is rendered with the descriptions (form_cache).
                "description": getattr(workshop, "description_html", ""),
            }
        )
    return options


@register.simple_tag(takes_context=True)
def block_parts(context, field) -> dict:
    """The parts of a block's fieldset that show its errors: a "has-error" class, its
    ``aria-describedby`` and the error text; with ``block_slots`` in the context
    (registrations.form_cache), markers, and the slot of its ``hidden`` (the filter)."""
    block_slots = context.get("block_slots")
    if block_slots:
        css, describedby, errors = block_slots(field.field.block)
        return {
            "css": css,
            "describedby": describedby,
            "errors": errors,
            "hide": hide_slot("b", field.field.block.pk),
        }
    css, describedby, errors = block_error_parts(field)
    return {"css": css, "describedby": describedby, "errors": errors, "hide": ""}


def block_error_parts(field) -> tuple[str, str, str]:
    """A block field's "has-error" class, ``aria-describedby`` and error text (or nothing)."""
    if not field.errors:
        return "", "", ""
    error_id = f"{field.auto_id}_error"
    return (
        " has-error",
        format_html(' aria-describedby="{}"', error_id),
        format_html(
            '<div class="invalid-feedback d-block fw-bold" id="{}">{}</div>',
            error_id,
            format_html_join("", '<p class="mb-1">{}</p>', ((error,) for error in field.errors)),
        ),
    )


def option_parts(
    language: str, *, seats_left: int, block_full: bool, chosen: bool = False
) -> tuple[str, str, SafeString]:
    """The parts of an option that change with the seats: its "full" class,
    its "checked" or "disabled" (plain attribute text, which escaping leaves
    as it is), and its seats left."""
    full = seats_left <= 0
    selectable = not full or block_full
    return (
        " is-full" if full else "",
        (" checked" if selectable and chosen else "") + ("" if selectable else " disabled"),
        seats_left_html(language, seats_left),
    )


@register.simple_tag(takes_context=True)
def attendee_field(context, field) -> SafeString:
    """A field about the member as crispy renders it; with ``field_slot`` in the
    context (registrations.form_cache), the marker of its slot."""
    field_slot = context.get("field_slot")
    if field_slot:
        return SafeString(field_slot(field.name))
    return as_crispy_field(field)
