"""Dates and times written the way the seeds write them ("1.–2. november 2017", "09.30–10.45")."""

import datetime
from functools import lru_cache

from django import template
from django.utils.dateformat import format as format_date
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language, ngettext, pgettext
from django.utils.translation import gettext as _

from events.models import VENUE_TZ, SpeakerLink

register = template.Library()

SPEAKER, FACILITATOR = SpeakerLink.Role.SPEAKER, SpeakerLink.Role.FACILITATOR


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
def deadline(moment: datetime.datetime | None) -> str:
    """A deadline nobody misreads: "til og med 30. december 2026" for one at midnight
    (which is the start of 31 December, but read as its end), otherwise
    "til 31. december 2026 kl. 12.00". In the venue's time zone."""
    if moment is None:
        return ""
    local = moment.astimezone(VENUE_TZ)
    full = pgettext("date format, day month year", "j F Y")
    if local.time() == datetime.time.min:
        last_day = local.date() - datetime.timedelta(days=1)
        return _("until and including %(day)s") % {"day": format_date(last_day, full)}
    return _("until %(day)s at %(time)s") % {
        "day": format_date(local, full),
        "time": format_date(local, pgettext("time format", "H:i")),
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
    return _speakers_text(speaker_key(links))


def speaker_key(links) -> tuple[tuple[str, str], ...]:
    """What the speaker lines show of an item's speaker links: (role, "Navn, rolle, org")."""
    return tuple((link.role, str(link.speaker)) for link in links)  # as add_speakers gives


def _speakers_text(key: tuple[tuple[str, str], ...]) -> str:
    names = [name for role, name in key if role == SPEAKER]
    if not names:
        return ""
    return pgettext("before the speakers of a programme item", "with %(speakers)s") % {
        "speakers": _join(names)
    }


def _facilitators_text(key: tuple[tuple[str, str], ...]) -> str:
    names = [name for role, name in key if role == FACILITATOR]
    if not names:
        return ""
    return _("Facilitator: %(facilitators)s") % {"facilitators": _join(names)}


# The workshops of a big event's programme (some ninety) are rendered in
# Python: through template includes they took most of the page's time. What
# does not change from one request to the next (a workshop's title, speakers,
# room, description) is rendered once per process and language, remembered by
# its content, so an edit shows at once; only the seats left are new each time.

MEMORY = 8192  # rendered pieces kept per process, each a few hundred bytes

# The ``*_html`` functions below take the active language (``get_language()``)
# as their first argument: it is part of what they are remembered by.


@register.simple_tag
def seats_left(workshop) -> SafeString:
    """ "12 ledige pladser" or "Fuldt booket"."""
    return seats_left_html(get_language(), workshop.seats_left)


@lru_cache(maxsize=MEMORY)
def seats_left_html(language: str, seats: int) -> SafeString:
    if seats <= 0:
        return format_html('<span class="seats-full">{}</span>', _("Fully booked"))
    return format_html(
        '<span class="seats-left">{}</span>',
        ngettext("%(seats)s seat left", "%(seats)s seats left", seats) % {"seats": seats},
    )


@register.simple_tag
def speaker_lines(links) -> SafeString:
    """The speakers line ("v/ …") and the facilitators line of a programme item."""
    return speaker_lines_html(get_language(), speaker_key(links))


@lru_cache(maxsize=MEMORY)
def speaker_lines_html(language: str, key: tuple[tuple[str, str], ...]) -> SafeString:
    return format_html_join(
        "",
        '<p class="{} mb-1">{}</p>',
        (
            (css, line)
            for css, line in (
                ("speakers", _speakers_text(key)),
                ("facilitators", _facilitators_text(key)),
            )
            if line
        ),
    )


def is_online(workshop, event) -> bool:
    return bool(event.is_online or workshop.online_link)


@lru_cache(maxsize=MEMORY)
def place_html(language: str, online: bool, room: str, theme: str) -> SafeString:
    """ "Lokale 2 · forskning · ": "Online" or the room, then the theme, before the seats left."""
    place = _("Online") if online else room
    if theme:
        return format_html("{} · {} · ", place, theme)
    return format_html("{} · ", place)


@lru_cache(maxsize=MEMORY)
def programme_item_html(
    language: str, title: str, speakers: SafeString, place: SafeString, description: str
) -> tuple[SafeString, SafeString]:
    """A programme workshop's markup (inside its list item) before and after its seats left."""
    before = format_html(
        '<h5 class="h6">{}</h5>{}<p class="workshop-meta mb-1">{}',
        title,
        speakers,
        place,
    )
    return before, format_html("</p>{}", description_html(language, description))


@lru_cache(maxsize=MEMORY)
def description_html(language: str, description: str) -> SafeString:
    """A workshop's description, opened in place ("Read more"); nothing without one."""
    if not description:
        return SafeString("")
    return format_html(
        '<details class="workshop-description"><summary>{}</summary>'
        '<div class="description">{}</div></details>',
        _("Read more"),
        description,
    )
