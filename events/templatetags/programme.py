"""Dates and times written the way the seeds write them ("1.–2. november 2017", "09.30–10.45")."""

import datetime

from django import template
from django.utils.dateformat import format as format_date
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

register = template.Library()


@register.filter
def date_range(event) -> str:
    """The event's days: "1.–2. november 2017", "30. oktober–2. november 2017", "4. maj 2027"."""
    first, last = event.first_day, event.last_day
    full = pgettext("date format, day month year", "j F Y")
    if first == last:
        return format_date(first, full)
    if (first.year, first.month) == (last.year, last.month):
        return _("%(first)s–%(last)s") % {
            "first": format_date(first, pgettext("date format, day only", "j")),
            "last": format_date(last, full),
        }
    if first.year == last.year:
        return _("%(first)s–%(last)s") % {
            "first": format_date(first, pgettext("date format, day month", "j F")),
            "last": format_date(last, full),
        }
    return _("%(first)s–%(last)s") % {
        "first": format_date(first, full),
        "last": format_date(last, full),
    }


@register.filter
def weekday_date(day: datetime.date) -> str:
    """A programme day's heading: "tirsdag 1. november"."""
    return format_date(day, pgettext("date format, weekday day month", "l j F"))


@register.filter
def clock(value: datetime.time) -> str:
    return format_date(
        datetime.datetime.combine(datetime.date.min, value), pgettext("time format", "H:i")
    )


@register.simple_tag
def time_range(item) -> str:
    """ "09.30–10.45" for anything with ``starts`` and ``ends``."""
    return f"{clock(item.starts)}–{clock(item.ends)}"


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return _("%(first)s and %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


@register.filter
def speakers_line(links) -> str:
    """ "v/ Navn, rolle, organisation og Navn, rolle" for the speakers of an item."""
    names = [str(link.speaker) for link in links if link.role == link.Role.SPEAKER]
    if not names:
        return ""
    return pgettext("before the speakers of a programme item", "with %(speakers)s") % {
        "speakers": _join(names)
    }


@register.filter
def facilitators_line(links) -> str:
    names = [str(link.speaker) for link in links if link.role == link.Role.FACILITATOR]
    if not names:
        return ""
    return _("Facilitator: %(facilitators)s") % {"facilitators": _join(names)}
