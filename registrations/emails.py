"""E-mails to attendees: recorded with the change they report, rendered and sent by the worker.

The services call ``queue_email(registration, kind)`` inside their
transaction; it writes an outbox row (``OutgoingEmail``) in that same
transaction, so a rolled-back change sends nothing and a committed one is
never lost, and a slow or failing mail server never delays or breaks a
registration. The mail worker (``manage.py mail_worker``, machinery in
``registrations.outbox``) renders the mail when it sends it, from the
registration as it is then, in the language the attendee registered in
(``Registration.language``; its links too, with the language's prefix), as
plain text and HTML, with the attendee's programme as an .ics file where the
mail lists their workshops, and a cancelling .ics (METHOD:CANCEL) for what a
cancellation removed from a calendar we gave them before. Online links are
shown only from the event's ``online_links_from``; before that the mail says
when they come. Each mail carries the Message-ID of its row, the same at every
try, so a repeated delivery is recognisable.

Subjects and plain-text parts are rendered without HTML escaping
(``render_plain``): "Børn & unge" stays "Børn & unge"; only the HTML part
escapes.

Templates, per kind: ``emails/<kind>_subject.txt``, ``emails/<kind>.txt`` and
``emails/<kind>.html``, on the shared ``emails/base.txt`` and ``base.html``.

Each mail carries a personal link of its own, made when it is rendered
(``models.PersonalLink``: only the link's digest is stored, the secret is
in the mail alone). The outbox renders a mail when it sends it, so no row
holds the secret; a retry renders again and makes another link (both work).

Each mail comes from the event's organisation: its sender name on the site's
address (``DEFAULT_FROM_EMAIL``, the one the mail server may send from), and
replies go to the organisation's reply-to address or else the event's contact.
"""

import datetime
import secrets
from dataclasses import dataclass
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Prefetch
from django.template import Context, engines
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from events.models import Event, Organisation, WorkshopSpeaker

from . import calendar
from .models import (
    INVOICE,
    OutgoingEmail,
    Registration,
    Seat,
    WaitlistEntry,
    issue_personal_link,
    normalise_email,
    revoke_personal_links,
)
from .selectors import has_online_links

# Each kind of mail, and the status the registration must still have when the
# task runs for the mail to make sense (None: any but cancelled). A mail whose
# moment has passed (a confirmation for a registration cancelled since) is
# dropped: the mail about the later change is on its way.
KINDS = {
    "confirmation": Registration.Status.CONFIRMED,
    "changed": Registration.Status.CONFIRMED,
    "cancelled": Registration.Status.CANCELLED,
    "promoted": Registration.Status.CONFIRMED,
    "waitlisted": Registration.Status.WAITLISTED,
    "online_links": Registration.Status.CONFIRMED,
    "reminder": Registration.Status.CONFIRMED,
    "personal_link": None,
    "register_again": None,
    "ranked": Registration.Status.RANKED,  # by preference: wishes received (registrations.draws)
    "drawn": None,  # by preference: the draw's result, seats or waitlist
    "materials": Registration.Status.CONFIRMED,
}
# Kinds that list the attendee's workshops, and so carry them as a calendar file.
CALENDAR_KINDS = {"confirmation", "changed", "promoted", "online_links", "reminder", "drawn"}


def queue_email(registration: Registration, kind: str) -> OutgoingEmail:
    """Record a mail of ``kind`` to the attendee, in the current transaction; the worker sends it.

    Kinds: "confirmation", "changed", "cancelled", "promoted" (moved from a
    waitlist into a workshop, or confirmed from the event's waitlist),
    "waitlisted" (registered on the event's waitlist), "online_links",
    "reminder", "personal_link", "register_again" (someone tried to register
    the address again; nothing was changed) and "materials" (the event's
    materials are ready).

    The row commits or rolls back with the change it reports. With
    ``EMAIL_DELIVER_ON_COMMIT`` (tests) the mail is also sent in this process
    right after the commit, through the same claim as the worker's.
    """
    if kind not in KINDS:
        raise ValueError(f"Unknown kind of e-mail: {kind!r}")
    outgoing = OutgoingEmail.objects.create(
        registration=registration, kind=kind, message_id=new_message_id(registration, kind)
    )
    if settings.EMAIL_DELIVER_ON_COMMIT:
        from . import outbox  # the outbox imports this module

        transaction.on_commit(lambda: outbox.deliver_now(outgoing.pk))
    return outgoing


def new_message_id(registration: Registration, kind: str) -> str:
    """A Message-ID for one mail: the registration and kind, and a random part per mail queued.

    Stored on the outbox row and sent at every try, so a second copy after a
    lost answer from the mail server is recognisably the same mail. The domain
    is the sender address's (``DEFAULT_FROM_EMAIL``).
    """
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "fagdag.invalid"
    return f"<{kind}.{registration.pk}.{secrets.token_hex(8)}@{domain}>"


def send_personal_link(*, event: Event, email: str, request=None) -> None:
    """Mail a fresh personal link to the address if it holds an active registration;
    otherwise nothing. Every earlier link stops working (``renew_personal_link``).

    The link is built from ``SITE_URL``, never from the request's host, so a
    forged Host header cannot put another site's address into the mail.
    """
    registration = event.registrations.active().filter(email=normalise_email(email)).first()
    if registration is not None:
        renew_personal_link(registration)


def renew_personal_link(registration: Registration) -> None:
    """Revoke every personal link of the registration and mail a fresh one, in one transaction.

    Between the two the attendee has no working link for as long as the mail
    takes; an old link, lost or leaked, never works again.
    """
    with transaction.atomic():
        revoke_personal_links(registration)
        queue_email(registration, "personal_link")


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def personal_url(secret: str) -> str:
    return absolute_url(reverse("registrations:personal", kwargs={"secret": secret}))


def sender(organisation: Organisation) -> str:
    """The From header: the organisation's sender name (or else its name) on the address
    of ``DEFAULT_FROM_EMAIL``.

    The name is an organiser's free text: line breaks and other control characters
    become spaces, so it can never start a header of its own, and ``formataddr``
    quotes or encodes the rest (commas, quotes, Danish letters) as one display name.
    """
    name = organisation.sender_name or organisation.name
    name = " ".join("".join(c if c.isprintable() else " " for c in name).split())
    return formataddr((name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))


def reply_to(event: Event) -> list[str]:
    """The Reply-To header: the organisation's reply-to address, or else the event's contact."""
    return [event.organisation.reply_to or event.contact_email]


def load_registration(registration_id: int) -> Registration | None:
    """The registration with everything its mails show, or None if it is gone."""
    seats = Seat.objects.select_related("workshop", "block").prefetch_related(
        Prefetch(
            "workshop__speaker_links", queryset=WorkshopSpeaker.objects.select_related("speaker")
        )
    )
    waits = WaitlistEntry.objects.select_related("workshop", "block")
    return (
        Registration.objects.select_related("event__organisation")
        .prefetch_related(
            Prefetch("seats", queryset=seats.order_by("block__day", "block__starts", "block__pk")),
            Prefetch(
                "waitlist_entries",
                queryset=waits.order_by("block__day", "block__starts", "block__pk"),
            ),
        )
        .filter(pk=registration_id)
        .first()
    )


def is_still_due(registration: Registration, kind: str) -> bool:
    """Whether the mail still fits the registration as it is now.

    An attendee whose personal data has been erased gets nothing more: the
    address is gone (``registrations.privacy``).
    """
    if registration.anonymised_at is not None:
        return False
    status = KINDS[kind]
    if status is None:
        return registration.status != Registration.Status.CANCELLED
    return registration.status == status


def language_of(registration: Registration) -> str:
    """The language of everything sent to the attendee: the one they registered in."""
    languages = {code for code, _name in settings.LANGUAGES}
    return registration.language if registration.language in languages else settings.LANGUAGE_CODE


@dataclass(frozen=True)
class ProgrammeDay:
    """One day of the event, from its first programme item's start to its last one's end."""

    day: datetime.date
    starts: datetime.time
    ends: datetime.time


def programme_days(event: Event) -> list[ProgrammeDay]:
    """The event's days with their start and end times (days without items are left out)."""
    items = [*event.sessions.all(), *event.blocks.all()]
    days = []
    for day in event.days:
        on_day = [item for item in items if item.day == day]
        if on_day:
            days.append(
                ProgrammeDay(
                    day=day,
                    starts=min(item.starts for item in on_day),
                    ends=max(item.ends for item in on_day),
                )
            )
    return days


def render_plain(template_name: str, context: dict) -> str:
    """A template rendered as plain text: nothing HTML-escaped (subjects and text parts)."""
    template = engines["django"].get_template(template_name).template
    return template.render(Context(context, autoescape=False))


def build_message(
    registration: Registration, kind: str, *, message_id: str | None = None
) -> EmailMultiAlternatives:
    """The mail of ``kind`` to the attendee, in their language (``language_of``), with
    a personal link made for it (``models.issue_personal_link``).

    ``message_id``: the Message-ID header (the outbox row's); without it the
    mail gets a new one when it is sent.
    """
    event = registration.event
    seats = list(registration.seats.all())
    secret = issue_personal_link(registration)
    links_shown = event.online_links_shown()
    with translation.override(language_of(registration)):
        context = {
            "kind": kind,
            "registration": registration,
            "event": event,
            "seats": seats,
            "waitlist_entries": list(registration.waitlist_entries.all()),
            "changes_close": event.changes_close or event.starts_at,
            "changes_open": event.changes_are_open(),
            "personal_url": personal_url(secret),
            "letter_url": absolute_url(reverse("registrations:letter", kwargs={"secret": secret})),
            "cancel_url": absolute_url(reverse("registrations:cancel", kwargs={"secret": secret})),
            "with_calendar": kind in CALENDAR_KINDS and bool(seats),
            "programme_days": programme_days(event),
            "links_shown": links_shown,
            "has_online_links": has_online_links(event, seats),
            "invoice_details": [] if event.is_free else registration.attendee_answers(part=INVOICE),
        }
        # A cancellation takes back what an earlier calendar file put in the calendar.
        context["with_cancellation"] = kind == "cancelled" and registration.calendar_sequence > 0
        context["cancel_filename"] = calendar.CANCEL_FILENAME
        subject = " ".join(render_plain(f"emails/{kind}_subject.txt", context).split())
        text = render_plain(f"emails/{kind}.txt", context)
        html = render_to_string(f"emails/{kind}.html", context)
        message = EmailMultiAlternatives(
            subject=subject,
            body=text,
            from_email=sender(event.organisation),
            to=[registration.email],
            reply_to=reply_to(event),
            headers={
                "Auto-Submitted": "auto-generated",
                **({"Message-ID": message_id} if message_id else {}),
            },
        )
        message.attach_alternative(html, "text/html")
        sessions = event.sessions.order_by("day", "starts", "pk")
        if context["with_calendar"]:
            message.attach(
                calendar.FILENAME,
                calendar.build_calendar(
                    registration=registration,
                    seats=seats,
                    sessions=sessions,
                    sequence=calendar.next_sequence(registration),
                ),
                calendar.CONTENT_TYPE,
            )
        if context["with_cancellation"]:
            message.attach(
                calendar.CANCEL_FILENAME,
                calendar.build_cancellation(
                    registration=registration,
                    sessions=sessions,
                    blocks=event.blocks.order_by("day", "starts", "pk"),
                    sequence=calendar.next_sequence(registration),
                ),
                calendar.CONTENT_TYPE,
            )
    return message
