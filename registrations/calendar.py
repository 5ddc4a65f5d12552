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

Each file carries the registration's ``calendar_sequence`` as the SEQUENCE of
its entries, one higher for every file the attendee is given
(``next_sequence``), so a calendar that already holds an entry takes the newer
version in its place. What is removed (a cancelled registration) goes out as a
file of its own with METHOD:CANCEL (``build_cancellation``): calendars then
delete the entries instead of keeping them.

Online links are the location of an entry only from the event's
``online_links_from``; before that the entry says "Online".
"""

import datetime
from collections.abc import Iterable
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from events.models import Event, Session

from .models import Registration, Seat

CONTENT_TYPE = "text/calendar"
FILENAME = "program.ics"
CANCEL_FILENAME = "afmelding.ics"


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


def workshop_location(event: Event, workshop, *, links_shown: bool = True) -> str:
    """Where the workshop is: its online link (once links are shown), or its room at the venue."""
    if workshop.online_link:
        return workshop.online_link if links_shown else _("Online")
    if event.is_online:
        return _("Online")
    return ", ".join(part for part in (workshop.room, _place(event)) if part)


def plenary_location(event: Event, *, links_shown: bool = True) -> str:
    """Where the plenary sessions are: the event's online link (once links are shown), or the venue."""
    if event.online_link and links_shown:
        return event.online_link
    return _place(event)


def next_sequence(registration: Registration) -> int:
    """Count up the registration's calendar version, in the database, and return the new one.

    Every calendar file given to the attendee gets its own, higher number, so
    the latest file always replaces what an earlier one put in the calendar.
    """
    Registration.objects.filter(pk=registration.pk).update(
        calendar_sequence=F("calendar_sequence") + 1
    )
    registration.calendar_sequence = (
        Registration.objects.filter(pk=registration.pk)
        .values_list("calendar_sequence", flat=True)
        .get()
    )
    return registration.calendar_sequence


def _new_calendar(event: Event, method: str) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//fagdag//fagdag//DA")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    calendar.add("x-wr-calname", event.title)
    return calendar


def _organiser(event: Event) -> icalendar.vCalAddress:
    organiser = icalendar.vCalAddress(f"mailto:{event.contact_email}")
    organiser.params["cn"] = icalendar.vText(event.contact_name)
    return organiser


def _finish(calendar: icalendar.Calendar, event: Event) -> bytes:
    # The zone's rules for the event's own years are enough, and keep the file small.
    calendar.add_missing_timezones(
        first_date=datetime.date(event.first_day.year, 1, 1),
        last_date=datetime.date(event.last_day.year + 1, 12, 31),
    )
    return calendar.to_ical()


def build_calendar(
    *,
    registration: Registration,
    seats: Iterable[Seat],
    sessions: Iterable[Session],
    sequence: int | None = None,
    now: datetime.datetime | None = None,
) -> bytes:
    """The .ics of the registration's programme: plenary ``sessions`` and the ``seats``' workshops.

    ``sequence``: the SEQUENCE of every entry (default: the registration's
    ``calendar_sequence`` as it is; pass ``next_sequence(registration)`` for a
    file that must replace an earlier one). Online links are the entries'
    location only once the event shows them at ``now``.
    """
    event = registration.event
    stamp = timezone.now()
    links_shown = event.online_links_shown(now)
    sequence = registration.calendar_sequence if sequence is None else sequence
    calendar = _new_calendar(event, "PUBLISH")
    organiser = _organiser(event)

    place = plenary_location(event, links_shown=links_shown)
    items = [
        (session_uid(session), session, session.title, session.description, place)
        for session in sessions
    ] + [
        (
            seat_uid(seat),
            seat.block,
            seat.workshop.title,
            seat.workshop.description,
            workshop_location(event, seat.workshop, links_shown=links_shown),
        )
        for seat in seats
    ]
    for uid, item, title, description, location in sorted(items, key=lambda i: i[1].starts_at):
        vevent = icalendar.Event()
        vevent.add("uid", uid)
        vevent.add("dtstamp", stamp)
        vevent.add("sequence", sequence)
        vevent.add("dtstart", item.starts_at)
        vevent.add("dtend", item.ends_at)
        vevent.add("summary", f"{title} · {event.title}")
        if description:
            vevent.add("description", description)
        if location:
            vevent.add("location", location)
        vevent.add("organizer", organiser)
        calendar.add_component(vevent)
    return _finish(calendar, event)


def build_cancellation(
    *,
    registration: Registration,
    sessions: Iterable[Session] = (),
    blocks: Iterable = (),
    sequence: int,
) -> bytes:
    """An .ics with METHOD:CANCEL that removes entries an earlier file put in the calendar:
    the plenary ``sessions`` and the registration's workshop seats in ``blocks``.

    The UIDs are those of ``build_calendar``; ``sequence`` must be higher than
    that of the file being cancelled (``next_sequence``).
    """
    event = registration.event
    stamp = timezone.now()
    calendar = _new_calendar(event, "CANCEL")
    organiser = _organiser(event)
    attendee = icalendar.vCalAddress(f"mailto:{registration.email}")
    attendee.params["cn"] = icalendar.vText(registration.name)
    items = [(session_uid(session), session, session.title) for session in sessions] + [
        (seat_uid(Seat(registration=registration, block_id=block.pk)), block, block.title)
        for block in blocks
    ]
    for uid, item, title in sorted(items, key=lambda i: i[1].starts_at):
        vevent = icalendar.Event()
        vevent.add("uid", uid)
        vevent.add("dtstamp", stamp)
        vevent.add("sequence", sequence)
        vevent.add("status", "CANCELLED")
        vevent.add("dtstart", item.starts_at)
        vevent.add("dtend", item.ends_at)
        vevent.add("summary", f"{title} · {event.title}")
        vevent.add("organizer", organiser)
        vevent.add("attendee", attendee)
        calendar.add_component(vevent)
    return _finish(calendar, event)


def registration_calendar(registration: Registration) -> bytes:
    """The registration's programme as an .ics to download ("Add to calendar"), a new
    version (``next_sequence``) of what its e-mails carried. Its seats are read as they
    are now; a registration without seats gets the plenary sessions only."""
    seats = (
        Seat.objects.filter(registration=registration)
        .select_related("workshop", "block")
        .order_by("block__day", "block__starts", "block__pk")
    )
    return build_calendar(
        registration=registration,
        seats=seats,
        sessions=registration.event.sessions.order_by("day", "starts", "pk"),
        sequence=next_sequence(registration),
    )
