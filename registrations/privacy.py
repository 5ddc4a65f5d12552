"""Attendees' personal data: what they can download, and when it is erased.

Retention (GDPR art. 5(1)(e)): ``RETENTION_DAYS_AFTER_EVENT`` days after an
event's last day its attendees are anonymised: name, e-mail, phone, workplace,
job title, membership number, dietary needs and the answers to the event's own
questions go; status, employment sector,
seats and waitlist places stay, so counts and workshop statistics hold. The
event's materials (slides and the like, ``events.Material``) are deleted then
too, files and all. The
invoicing data of a paid event stays for the bookkeeping period
(``BOOKKEEPING_RETENTION_YEARS`` after the event) and is then erased too.

``anonymise`` and ``erase_invoice_data`` write only fields of the registration
itself; they never touch seats (an attendee who asks to be erased is cancelled
first, by ``services.erase``). Every step is idempotent: a registration already
done is left alone, so the daily command can run any number of times.
"""

import datetime

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from events.models import Event
from events.services import delete_materials

from . import outbox
from .models import ABOUT, INVOICE, Registration, attendee_fields, revoke_personal_links

ANONYMOUS_NAME = "Anonymiseret"

# What anonymisation clears (``models.attendee_data``): the attendee's data but
# what is kept for statistics; the name and address get stand-ins below.
PERSONAL_FIELDS = tuple(
    field.name
    for field in attendee_fields(ABOUT)
    if not field.kept_when_anonymised and field.name not in {"name", "email"}
)
INVOICE_FIELDS = tuple(field.name for field in attendee_fields(INVOICE))


def _blank(name: str):
    """What an erased field holds: empty text, or the field's default (None without one)."""
    field = Registration._meta.get_field(name)
    if field.empty_strings_allowed:
        return ""
    return field.get_default()


def anonymous_email(registration: Registration) -> str:
    """Unique per registration (the one-active-address-per-event rule holds), and never an address."""
    return f"anon-{registration.pk}@invalid"


def anonymise(registration: Registration, *, now: datetime.datetime | None = None) -> Registration:
    """Replace the attendee's personal data in place; keep status, seats and statistics.

    Every personal link is revoked too, so no old link opens anything. A
    free event has no invoicing data to keep, so it goes at once; a paid
    event's stays until ``erase_invoice_data``. The admin's history of the
    registration loses the name and address it showed; the outbox forgets the
    attendee's mails (``outbox.forget``). Does nothing to a
    registration that is already anonymised.
    """
    now = now or timezone.now()
    with transaction.atomic():
        registration = Registration.objects.locked().get(pk=registration.pk)
        if registration.anonymised_at is not None:
            return registration
        outbox.forget(registration)  # its mails, while the address is still known
        registration.name = ANONYMOUS_NAME
        registration.email = anonymous_email(registration)
        for field in PERSONAL_FIELDS:
            setattr(registration, field, _blank(field))
        revoke_personal_links(registration)
        registration.anonymised_at = now
        registration.answers.all().delete()
        update_fields = ["name", "email", *PERSONAL_FIELDS, "anonymised_at"]
        if registration.event.is_free and registration.invoice_data_erased_at is None:
            update_fields += _clear_invoice_data(registration, now)
        registration.save(update_fields=[*update_fields, "updated_at"])
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Registration),
            object_id=str(registration.pk),
        ).update(object_repr=str(registration)[:200])
        return registration


def erase_invoice_data(
    registration: Registration, *, now: datetime.datetime | None = None
) -> Registration:
    """Clear the invoicing data (payer, EAN/CVR, organisation, address, att., order number)."""
    now = now or timezone.now()
    with transaction.atomic():
        registration = Registration.objects.locked().get(pk=registration.pk)
        if registration.invoice_data_erased_at is not None:
            return registration
        update_fields = _clear_invoice_data(registration, now)
        registration.save(update_fields=[*update_fields, "updated_at"])
        return registration


def _clear_invoice_data(registration: Registration, now: datetime.datetime) -> list[str]:
    for field in INVOICE_FIELDS:
        setattr(registration, field, _blank(field))
    registration.invoice_data_erased_at = now
    return [*INVOICE_FIELDS, "invoice_data_erased_at"]


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def due_for_anonymisation(today: datetime.date):
    """Registrations of events whose last day is ``RETENTION_DAYS_AFTER_EVENT`` or more days ago."""
    cutoff = today - datetime.timedelta(days=settings.RETENTION_DAYS_AFTER_EVENT)
    return Registration.objects.filter(anonymised_at__isnull=True, event__last_day__lte=cutoff)


def events_due_for_anonymisation(today: datetime.date):
    """Events whose last day is ``RETENTION_DAYS_AFTER_EVENT`` or more days ago: their
    attendees are anonymised and their materials (``events.Material``) deleted."""
    cutoff = today - datetime.timedelta(days=settings.RETENTION_DAYS_AFTER_EVENT)
    return Event.objects.filter(last_day__lte=cutoff)


def due_for_invoice_erasure(today: datetime.date):
    """Registrations of events whose last day is ``BOOKKEEPING_RETENTION_YEARS`` or more ago."""
    cutoff = _years_before(today, settings.BOOKKEEPING_RETENTION_YEARS)
    return Registration.objects.filter(
        invoice_data_erased_at__isnull=True, event__last_day__lte=cutoff
    )


def apply_retention(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Anonymise and erase whatever is due today (in Copenhagen); returns how many of each.

    Each registration is its own short transaction, so a long run never holds
    locks that registrations for other events wait on.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    anonymised = 0
    for registration in due_for_anonymisation(today).select_related("event").order_by("pk"):
        anonymise(registration, now=now)
        anonymised += 1
    invoices = 0
    for registration in due_for_invoice_erasure(today).select_related("event").order_by("pk"):
        anonymise(registration, now=now)  # if the periods are configured the other way round
        erase_invoice_data(registration, now=now)
        invoices += 1
    materials = delete_materials(events=events_due_for_anonymisation(today))
    return {
        "anonymised": anonymised,
        "invoice_data_erased": invoices,
        "materials_deleted": materials,
    }


def personal_data(registration: Registration) -> dict:
    """Everything fagdag holds about the attendee, as the JSON download of their personal page."""
    event = registration.event
    seats = registration.seats.select_related("block", "workshop").order_by(
        "block__day", "block__starts", "block__pk"
    )
    waits = registration.waitlist_entries.select_related("block", "workshop").order_by(
        "block__day", "block__starts", "block__pk"
    )
    return {
        "event": {
            "title": event.title,
            "organiser": event.organiser,
            "contact_name": event.contact_name,
            "contact_email": event.contact_email,
            "first_day": event.first_day,
            "last_day": event.last_day,
            "venue": "" if event.is_online else event.venue,
            "online": event.is_online,
        },
        "registration": {
            "status": registration.status,
            **{
                field.name: getattr(registration, field.attname) for field in attendee_fields(ABOUT)
            },
            "accept_any_workshop": registration.accept_any_workshop,
            "language": registration.language,
            "consent_given_at": registration.consent_given_at,
            "registered_at": registration.created_at,
            "updated_at": registration.updated_at,
            "email_failed_at": registration.email_failed_at,
        },
        "invoice": {field: getattr(registration, field) for field in INVOICE_FIELDS},
        "answers": [
            {"question": answer.question.label, "answer": answer.value}
            for answer in registration.answers.select_related("question")
        ],
        "seats": [
            {
                "block": seat.block.title,
                "day": seat.block.day,
                "starts": seat.block.starts,
                "ends": seat.block.ends,
                "workshop": seat.workshop.title,
                "room": seat.workshop.room,
                "taken_at": seat.created_at,
            }
            for seat in seats
        ],
        "waitlist_entries": [
            {
                "block": entry.block.title,
                "day": entry.block.day,
                "workshop": entry.workshop.title,
                "joined_at": entry.created_at,
            }
            for entry in waits
        ],
        # Seats by preference (registrations.draws): the wishes, kept after the draw.
        "rankings": [
            {"block": ranking.block.title, "rank": ranking.rank, "workshop": ranking.workshop.title}
            for ranking in registration.rankings.select_related("block", "workshop").order_by(
                "block__day", "block__starts", "block__pk", "rank"
            )
        ],
        "retention": {
            "personal_data_erased_after_days": settings.RETENTION_DAYS_AFTER_EVENT,
            "invoice_data_erased_after_years": settings.BOOKKEEPING_RETENTION_YEARS,
        },
    }
