"""Dates and times written the way the seeds write them ("1.–2. november 2017", "09.30–10.45")."""

import datetime

from django import template
from django.utils.dateformat import format as format_date
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

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


# The workshops of a big event's programme (some ninety) are rendered in
# Python: through template includes they took most of the page's time.


@register.simple_tag
def seats_left(workshop) -> SafeString:
    """ "12 ledige pladser" or "Fuldt booket"."""
    if workshop.is_full:
        return format_html('<span class="seats-full">{}</span>', _("Fully booked"))
    seats = workshop.seats_left
    return format_html(
        '<span class="seats-left">{}</span>',
        ngettext("%(seats)s seat left", "%(seats)s seats left", seats) % {"seats": seats},
    )


@register.simple_tag
def speaker_lines(links) -> SafeString:
    """The speakers line ("v/ …") and the facilitators line of a programme item."""
    return format_html_join(
        "",
        '<p class="{} mb-1">{}</p>',
        (
            (css, line)
            for css, line in (
                ("speakers", speakers_line(links)),
                ("facilitators", facilitators_line(links)),
            )
            if line
        ),
    )


def workshop_place(workshop, event) -> SafeString:
    """ "Online" or the room, then the theme, then the seats left: "Lokale 2 · forskning · …"."""
    place = _("Online") if event.is_online or workshop.online_link else workshop.room
    theme = format_html(" · {}", workshop.theme) if workshop.theme else ""
    return format_html("{}{} · {}", place, theme, seats_left(workshop))


@register.simple_tag
def programme_workshops(block, event) -> SafeString:
    """The list items of a block's workshops on the programme page."""
    return format_html_join(
        "\n",
        '<li class="workshop"><h5 class="h6">{}</h5>{}<p class="workshop-meta mb-1">{}</p>{}</li>',
        (
            (
                workshop.title,
                speaker_lines(workshop.speaker_links.all()),
                workshop_place(workshop, event),
                format_html(
                    '<details><summary>{}</summary><div class="description">{}</div></details>',
                    _("Read more"),
                    workshop.description,
                )
                if workshop.description
                else "",
            )
            for workshop in block.workshops.all()
        ),
    )
