"""The radio buttons of the registration form's workshop blocks, rendered in Python.

The form of a big event holds some ninety workshops; rendering each option
through template includes took most of the page's time under a registration
rush (bench/rush.py). The markup is the same as a template would give.
"""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from events.templatetags.programme import speaker_lines, workshop_place

register = template.Library()


def _meta(workshop, event) -> SafeString:
    links = workshop.speaker_links.all()
    return format_html("{}<span>{}</span>", speaker_lines(links), workshop_place(workshop, event))


@register.simple_tag
def workshop_options(field, event) -> SafeString:
    """One radio button per workshop of the block field ``field``.

    A full workshop is shown disabled, unless the whole block is full (then
    it can be chosen for the waitlist). A submitted choice stays checked.
    """
    block = field.field.block
    block_full = block.is_fully_booked
    chosen = field.value()
    chosen = "" if chosen is None else str(chosen)
    options = []
    for index, workshop in enumerate(field.field.workshops):
        option_id = f"{field.auto_id}_{index}"
        selectable = not workshop.is_full or block_full
        options.append(
            format_html(
                '<div class="form-check workshop-option{}">'
                '<input class="form-check-input" type="radio" name="{}" value="{}" id="{}"{}{}'
                ' aria-describedby="{}_meta">'
                '<label class="form-check-label" for="{}">'
                '<span class="workshop-title fw-semibold">{}</span></label>'
                '<div class="workshop-meta" id="{}_meta">{}</div></div>\n',
                " is-full" if workshop.is_full else "",
                field.html_name,
                workshop.pk,
                option_id,
                " checked" if selectable and chosen == str(workshop.pk) else "",
                "" if selectable else " disabled",
                option_id,
                option_id,
                workshop.title,
                option_id,
                _meta(workshop, event),
            )
        )
    return SafeString("".join(options))
