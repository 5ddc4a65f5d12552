"""The attendee's programme as an iCalendar file (.ics), attached to e-mails.

One VEVENT per item the attendee attends: every plenary session of the event
and the workshop they hold a seat in, in each block. Times carry the venue's
time zone (Europe/Copenhagen) with its VTIMEZONE, so calendars show 09.30 as
09.30 in Denmark whatever zone the reader's calendar is in.

UIDs are stable, so a calendar that imports a newer file updates its entries
instead of doubling them: a plenary session is ``session-<pk>@<site>``, and a
workshop seat is ``seat-<registration's calendar key>-<block pk>@<site>``
(the key is random, so the file says nothing of how many registered, or whether
the registration was saved at all: see views.confirmation_calendar). The seat's UID
names the block, not the workshop, so after a change of workshop the new file
replaces the old workshop in the calendar rather than adding a second one in
the same time slot.
"""

import datetime
from collections.abc import Iterable
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from events.models import Event, Session

from .models import Registration, Seat

CONTENT_TYPE = "text/calendar"
FILENAME = "program.ics"


def _uid_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "fagdag"


def session_uid(session: Session) -> str:
    return f"session-{session.pk}@{_uid_domain()}"


def seat_uid(seat: Seat) -> str:
    return f"seat-{seat.registration.calendar_key}-{seat.block_id}@{_uid_domain()}"


def _place(event: Event) -> str:
    if event.is_online:
        return _("Online")
    return ", ".join(part for part in (event.venue, event.address) if part)


def workshop_location(event: Event, workshop) -> str:
    """Where the workshop is: its online link, or its room at the venue."""
    if workshop.online_link:
        return workshop.online_link
    if event.is_online:
        return _("Online")
    return ", ".join(part for part in (workshop.room, _place(event)) if part)


def build_calendar(
    *, registration: Registration, seats: Iterable[Seat], sessions: Iterable[Session]
) -> bytes:
    """The .ics of the registration's programme: plenary ``sessions`` and the ``seats``' workshops."""
    event = registration.event
    stamp = timezone.now()
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//fagdag//fagdag//DA")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", event.title)
    organiser = icalendar.vCalAddress(f"mailto:{event.contact_email}")
    organiser.params["cn"] = icalendar.vText(event.contact_name)

    place = _place(event)
    items = [
        (session_uid(session), session, session.title, session.description, place)
        for session in sessions
    ] + [
        (
            seat_uid(seat),
            seat.block,
            seat.workshop.title,
            seat.workshop.description,
            workshop_location(event, seat.workshop),
        )
        for seat in seats
    ]
    for uid, item, title, description, location in sorted(items, key=lambda i: i[1].starts_at):
        vevent = icalendar.Event()
        vevent.add("uid", uid)
        vevent.add("dtstamp", stamp)
        vevent.add("dtstart", item.starts_at)
        vevent.add("dtend", item.ends_at)
        vevent.add("summary", f"{title} · {event.title}")
        if description:
            vevent.add("description", description)
        if location:
            vevent.add("location", location)
        vevent.add("organizer", organiser)
        calendar.add_component(vevent)
    # The zone's rules for the event's own years are enough, and keep the file small.
    calendar.add_missing_timezones(
        first_date=datetime.date(event.first_day.year, 1, 1),
        last_date=datetime.date(event.last_day.year + 1, 12, 31),
    )
    return calendar.to_ical()
