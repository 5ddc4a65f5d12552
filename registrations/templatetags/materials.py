"""``{% materials_for registration as materials %}``: what the attendee may download now."""

from django import template

from registrations.materials import visible_materials

register = template.Library()


@register.simple_tag
def materials_for(registration):
    """The materials ``registration`` sees now (``registrations.materials``)."""
    return list(visible_materials(registration))
