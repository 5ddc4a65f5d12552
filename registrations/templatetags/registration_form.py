"""The workshop options of the registration form's blocks.

Each option is rendered by the partial ``workshop-option`` of
registrations/register.html from what ``workshop_options`` gives. The parts
of an option that change with the seats (``option_parts``: its "full" class,
its "checked" or "disabled", and its seats left) are computed here, or, when
the page is rendered once to be kept (registrations.form_cache), are markers
that each request fills in with ``option_parts`` of its own seats.
"""

from django import template
from django.utils.safestring import SafeString
from django.utils.translation import get_language

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
            }
        )
    return options


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
