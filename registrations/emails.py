"""E-mails to attendees: queued after the transaction commits, rendered and sent by a task.

The services call ``queue_email(registration, kind)`` inside their
transaction; the mail is put on the task queue only when it commits, so a
rolled-back change sends nothing, and a slow or failing mail server never
delays or breaks a registration. The task (``tasks.send_registration_email``)
renders the mail when it runs, from the registration as it is then, in Danish
(the site's default language), as plain text and HTML, with the attendee's
programme as an .ics file where the mail lists their workshops.

Templates, per kind: ``emails/<kind>_subject.txt``, ``emails/<kind>.txt`` and
``emails/<kind>.html``, on the shared ``emails/base.txt`` and ``base.html``.

Each mail comes from the event's organisation: its sender name on the site's
address (``DEFAULT_FROM_EMAIL``, the one the mail server may send from), and
replies go to the organisation's reply-to address or else the event's contact.
"""

from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from events.models import Event, Organisation, WorkshopSpeaker

from . import calendar
from .models import Registration, Seat, WaitlistEntry, normalise_email

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
    "materials": Registration.Status.CONFIRMED,
}
# Kinds that list the attendee's workshops, and so carry them as a calendar file.
CALENDAR_KINDS = {"confirmation", "changed", "promoted", "online_links", "reminder"}


def queue_email(registration: Registration, kind: str) -> None:
    """Queue a mail of ``kind`` to the attendee, sent once the current transaction commits.

    Kinds: "confirmation", "changed", "cancelled", "promoted" (moved from a
    waitlist into a workshop, or confirmed from the event's waitlist),
    "waitlisted" (registered on the event's waitlist), "online_links",
    "reminder", "personal_link" and "materials" (the event's materials are ready).
    """
    if kind not in KINDS:
        raise ValueError(f"Unknown kind of e-mail: {kind!r}")
    from .tasks import send_registration_email  # the task module imports this one

    registration_id = registration.pk
    transaction.on_commit(lambda: send_registration_email.enqueue(registration_id, kind))


def send_personal_link(*, event: Event, email: str, request=None) -> None:
    """Mail the personal link to the address if it holds an active registration; otherwise nothing.

    The link is built from ``SITE_URL``, never from the request's host, so a
    forged Host header cannot put another site's address into the mail.
    """
    registration = event.registrations.active().filter(email=normalise_email(email)).first()
    if registration is not None:
        queue_email(registration, "personal_link")


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def personal_url(registration: Registration) -> str:
    return absolute_url(reverse("registrations:personal", kwargs={"secret": registration.secret}))


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


def build_message(registration: Registration, kind: str) -> EmailMultiAlternatives:
    """The mail of ``kind`` to the attendee, in the site's default language."""
    event = registration.event
    seats = list(registration.seats.all())
    context = {
        "kind": kind,
        "registration": registration,
        "event": event,
        "seats": seats,
        "waitlist_entries": list(registration.waitlist_entries.all()),
        "changes_close": event.changes_close or event.starts_at,
        "changes_open": event.changes_are_open(),
        "personal_url": personal_url(registration),
        "letter_url": absolute_url(
            reverse("registrations:letter", kwargs={"secret": registration.secret})
        ),
        "with_calendar": kind in CALENDAR_KINDS and bool(seats),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"emails/{kind}_subject.txt", context).split())
        text = render_to_string(f"emails/{kind}.txt", context)
        html = render_to_string(f"emails/{kind}.html", context)
        message = EmailMultiAlternatives(
            subject=subject,
            body=text,
            from_email=sender(event.organisation),
            to=[registration.email],
            reply_to=reply_to(event),
            headers={"Auto-Submitted": "auto-generated"},
        )
        message.attach_alternative(html, "text/html")
        if context["with_calendar"]:
            message.attach(
                calendar.FILENAME,
                calendar.build_calendar(
                    registration=registration,
                    seats=seats,
                    sessions=event.sessions.order_by("day", "starts", "pk"),
                ),
                calendar.CONTENT_TYPE,
            )
    return message
