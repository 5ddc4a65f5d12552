"""Every change of registrations and seats, each in one database transaction.

This module is the only writer of seats. What it guarantees, whatever arrives
at once (two members clicking for the last seat, a double submit, many app
processes on many hosts): no workshop ever holds more seats than its capacity,
no registration holds two seats in one block, an event never takes more
attendees than its limit, and a failed change leaves nothing behind.

Locking discipline (after pretix's): one ``transaction.atomic()`` per change,
locks taken once, as late as possible, right before the availability check,
and always by ``lock_event_and_workshops``, the one place the order is written:

1. SQLite: the transaction begins ``IMMEDIATE`` (settings), so it holds the
   database's write lock from its first statement; changes run one at a time
   even across gunicorn workers, and ``select_for_update`` is a no-op.
2. PostgreSQL: the event's row first (when the change depends on the event as
   a whole: its attendee limit, its waitlists, a freed seat), then the
   workshops' rows in primary-key order, ``SELECT ... FOR NO KEY UPDATE``
   (``models.ROW_LOCK``); a registration's own rows after those. Every change
   takes its locks in this same order, so two transactions never wait on each
   other in a circle (no deadlock). A transaction that gets the locks reads
   seats that are committed and cannot change under it.
3. Seats are checked after the locks, then written. Each e-mail is queued in
   the same transaction, to go out when it commits (``emails.queue_email``).
4. Behind all this, the database refuses an oversell even from code that
   skips this module (registrations/triggers.py and the workshop's CHECK
   constraint on its seat counter).

The admin and the spreadsheet import take the same locks through
``lock_event_and_workshops`` before they check a capacity against the seats
taken, and hand new seats to the waitlists through ``offer_new_seats``.
"""

import secrets
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import Event, Workshop
from events.selectors import BLOCK_PK, CAPACITY, SEATS_TAKEN, WORKSHOP_PK, event_seats, read_rows

from .emails import queue_email
from .exceptions import (
    AlreadyRegistered,
    ChangesClosed,
    EventFull,
    InvalidChoices,
    NotConfirmed,
    NotOnWaitlist,
    RegistrationClosed,
    RegistrationError,
    WaitlistedRegistration,
    WorkshopFull,
)
from .models import (
    ROW_LOCK,
    Answer,
    Registration,
    Seat,
    WaitlistEntry,
    attendee_fields,
    normalise_email,
)
from .privacy import anonymise
from .selectors import event_is_fully_booked

__all__ = [
    "AlreadyRegistered",
    "AttendeeDetails",
    "ChangesClosed",
    "EventFull",
    "InvalidChoices",
    "NotConfirmed",
    "NotOnWaitlist",
    "RegistrationClosed",
    "RegistrationError",
    "SeatMove",
    "WaitlistedRegistration",
    "WorkshopFull",
    "cancel",
    "change_seats",
    "earlier_registration",
    "erase",
    "explain_refusal",
    "fill_free_seats",
    "is_this_submitters",
    "leave_waitlist",
    "lock_event_and_workshops",
    "made_before",
    "move_seat",
    "offer_new_seats",
    "register",
    "set_language",
]


class AttendeeDetails(dict):
    """The attendee's answers, by the names of ``models.attendee_fields()``.

    A plain mapping that refuses a name the registration has no field for, so
    a typo fails at once rather than being dropped.
    """

    def __init__(self, **answers):
        unknown = set(answers) - {field.name for field in attendee_fields()}
        if unknown:
            raise TypeError(f"Not attendee data: {', '.join(sorted(unknown))}")
        super().__init__(answers)

    @classmethod
    def from_mapping(cls, data: Mapping) -> "AttendeeDetails":
        return cls(
            **{field.name: data[field.name] for field in attendee_fields() if field.name in data}
        )


def lock_event_and_workshops(
    event: Event, *, workshop_ids: Collection[int] | None = None, event_row: bool = True
) -> tuple[Event, dict[int, Workshop]]:
    """Lock the event's row, then its workshops' rows in primary-key order: the one lock order.

    ``workshop_ids``: only those of the event's workshops (None: all of them);
    ``event_row=False`` leaves the event's row unlocked, for a change that
    depends on the chosen workshops alone. Returns the event (read again
    under its lock) and the locked workshops by primary key, whose
    ``seats_taken`` is exact until the transaction ends: the triggers change
    it only in a transaction that changes a seat, which holds the workshop's
    row until it commits.

    Refuses to run outside ``transaction.atomic()``: the locks would end with
    the statement (Django refuses ``select_for_update`` there on PostgreSQL,
    but not on SQLite, where the check would pass unseen).
    """
    if not transaction.get_connection().in_atomic_block:
        raise TransactionManagementError(
            "lock_event_and_workshops() holds its locks until the transaction ends: "
            "call it inside transaction.atomic()."
        )
    if event_row:
        event = Event.objects.select_for_update(**ROW_LOCK).get(pk=event.pk)
    workshops = Workshop.objects.select_for_update(**ROW_LOCK).filter(block__event=event.pk)
    if workshop_ids is not None:
        workshops = workshops.filter(pk__in=sorted(set(workshop_ids)))
    return event, {workshop.pk: workshop for workshop in workshops.order_by("pk")}


def offer_new_seats(*, event: Event) -> None:
    """Seats may have been added (a new workshop, a higher capacity or attendee limit):
    once the current transaction commits, the waitlists move into them.

    The one rule for every place that adds seats (the admin, the import): after
    the commit and in a transaction of its own, so that ``fill_free_seats``
    takes its locks in their order, never after the caller's. When nothing
    was added, nobody moves.
    """
    transaction.on_commit(lambda: fill_free_seats(event=event), robust=True)


def register(
    *,
    event: Event,
    attendee: Mapping,
    choices: Mapping[int, int],
    answers: Mapping[int, str] | None = None,
    submission_token: uuid.UUID | None = None,
    waitlist: bool = False,
    accept_any_workshop: bool = False,
    language: str | None = None,
    registered_here: str | None = None,
) -> Registration:
    """Register an attendee with one workshop in each of the event's blocks.

    ``attendee``: the answers to the standard questions (``AttendeeDetails``);
    ``answers``: to the event's own questions, by question id. ``choices`` maps each
    block's id to the chosen workshop's id. Returns the confirmed
    registration; a repeated ``submission_token`` (a double click, a
    resubmitted form) returns the registration it already made.

    With ``waitlist``, an attendee whose choice is in a block with no free seat
    at all (or who meets the event's attendee limit) is registered as
    waitlisted, with the choices as the places they wait for; they are
    confirmed later by ``fill_free_seats`` in first-come order.

    Raises ``RegistrationClosed``, ``EventFull``, ``InvalidChoices`` or
    ``WorkshopFull``, in that order of precedence, and then, only when all
    those would have let a new registration through, ``AlreadyRegistered``
    for an address with an active registration (carrying the ``status`` the
    new one would have had): a repeat meets exactly the refusals a new
    registration meets, so the caller can answer both alike and never tell
    whether an address is registered (views.register). Then nothing is saved,
    but the address's owner is e-mailed ("register_again", in the language
    stored with their registration). Queues the confirmation (or waitlist)
    e-mail, in ``language`` (the one the attendee registered in; default the
    site's), which all later mails to them use too.

    ``registered_here``: the calendar key of the registration this browser made
    a moment ago (``submitted.registered_here``, from a cookie only we can
    sign). A repeat of that registration is this submitter's own, as a repeated
    ``submission_token`` is (the form loaded again after going back has a new
    token): it is returned, marked ``made_before``, and nobody is e-mailed.

    The earlier registration is looked up before inserting, never provoked
    from the unique constraints (their refusal would put the address into
    PostgreSQL's log); the constraints stay as the last guard against a
    repeat committed between the look and the insert.

    Locks (``lock_event_and_workshops``): the event row with an attendee limit
    or when waitlisting; then the chosen workshops, or all the event's
    workshops when waitlisting, so that no seat frees unseen. Before any lock
    or transaction the seats are read once (they give the event's blocks too):
    a chosen workshop they show full is refused right there, without waiting
    for its lock (``_full_before_locking``).
    """
    email = normalise_email(attendee["email"])
    status = None
    try:
        if event.registration_state() != Event.RegistrationState.OPEN:
            raise RegistrationClosed
        # Read before the transaction: each statement sees what is committed when
        # it runs, inside a transaction or not, and a refusal then opens none.
        seats = event_seats(event.pk)
        block_ids = {row[BLOCK_PK] for row in seats}
        if not waitlist and event.attendee_limit is None:
            # In a rush most submissions are for a workshop that filled meanwhile:
            # refused before the lock, not queued for it behind everyone else.
            if full := _full_before_locking(seats, block_ids, choices):
                raise WorkshopFull(full, seats=seats)
        with transaction.atomic():
            wanted = {pk: choices[pk] for pk in block_ids & set(choices)}
            _, locked = lock_event_and_workshops(
                event,
                workshop_ids=None if waitlist else wanted.values(),
                event_row=event.attendee_limit is not None or waitlist,
            )
            event_full = event_is_fully_booked(event)
            if event_full and not waitlist:
                raise EventFull
            workshops = _chosen_workshops(block_ids, choices, locked)
            full = _full_workshops(workshops)
            status = Registration.Status.CONFIRMED
            if full or event_full:
                blocked = _blocks_without_free_seats(locked.values()) if waitlist else set()
                if not waitlist or not (event_full or all(w.block_id in blocked for w in full)):
                    raise WorkshopFull(full)
                status = Registration.Status.WAITLISTED
            # Only now, after every check a new registration meets, so that a
            # repeat is refused for the same reasons in the same order. Looked
            # up rather than left to the unique constraints, whose refusal would
            # write the address into PostgreSQL's log.
            earlier = earlier_registration(event, email, submission_token)
            if earlier is not None and is_this_submitters(
                earlier, submission_token, registered_here
            ):
                return made_before(earlier)
            if earlier is not None:
                queue_email(earlier, "register_again")
            else:
                return _create_registration(
                    event=event,
                    status=status,
                    email=email,
                    attendee=attendee,
                    answers=answers,
                    workshops=workshops,
                    submission_token=submission_token,
                    accept_any_workshop=accept_any_workshop,
                    language=language or settings.LANGUAGE_CODE,
                )
    except (IntegrityError, RegistrationError) as refused:
        # Nothing was saved. This very submission, made earlier, gets the same answer.
        earlier = explain_refusal(submission_token=submission_token)
        if earlier is not None:
            return made_before(earlier)
        if not isinstance(refused, IntegrityError):
            raise
        # The constraints, the last guard, refused a registration of the same
        # address committed between our look and our insert (PostgreSQL, with
        # no common lock): a repeat after all.
        earlier = event.registrations.active().filter(email=email).first()
        if earlier is None:
            raise
        with transaction.atomic():
            queue_email(earlier, "register_again")
    raise AlreadyRegistered(status=status)


# Read in every registration and every refusal, written out once by hand as the
# programme's reads are (events.selectors): the querysets in the docstrings cost
# about 0.6 ms of CPU each to build and compile here, these about 0.08 ms
# (bench/rush.py). A row is made a model only when there is one: a repeat, or this
# very submission made before.
SUBMITTED_BEFORE = "SELECT r.id FROM registrations_registration r WHERE r.submission_token = %s"
EARLIER_REGISTRATION = """
    SELECT r.id, r.submission_token IS NOT NULL AND r.submission_token = %s
    FROM registrations_registration r
    WHERE (r.event_id = %s AND r.email = %s AND r.status <> %s) OR r.submission_token = %s
    LIMIT 2
"""


def is_this_submitters(
    registration: Registration, submission_token: uuid.UUID | None, registered_here: str | None
) -> bool:
    """Whether ``registration`` was made by whoever submits now: the same submission (its
    token), or the registration this browser was told of a moment ago (its calendar key,
    ``registered_here``)."""
    if submission_token is not None and registration.submission_token == submission_token:
        return True
    return bool(registered_here) and secrets.compare_digest(
        registration.calendar_key, registered_here
    )


def made_before(registration: Registration) -> Registration:
    """``registration``, marked as made by an earlier request of the same submission."""
    registration.made_before = True
    return registration


def earlier_registration(
    event: Event, email: str, submission_token: uuid.UUID | None
) -> Registration | None:
    """This submission made before, or else the address's active registration for the event:
    ``Registration.objects.filter(Q(event=event, email=email) & ~Q(status="cancelled")
    | Q(submission_token=submission_token))``, the one with the token first."""
    token = _token_value(submission_token)
    rows = read_rows(
        EARLIER_REGISTRATION, [token, event.pk, email, Registration.Status.CANCELLED.value, token]
    )
    if not rows:
        return None
    pk = next((pk for pk, by_token in rows if by_token), rows[0][0])
    return Registration.objects.get(pk=pk)


def _token_value(submission_token: uuid.UUID | None):
    """The token as the database stores it (a uuid on PostgreSQL, hex text on SQLite)."""
    return Registration._meta.get_field("submission_token").get_db_prep_value(
        submission_token, connection
    )


def _create_registration(
    *,
    event: Event,
    status: str,
    email: str,
    attendee: Mapping,
    answers: Mapping[int, str] | None,
    workshops: list[Workshop],
    submission_token: uuid.UUID | None,
    accept_any_workshop: bool,
    language: str,
) -> Registration:
    """Save a new registration with its answers, seats or waitlist places; queue its e-mail."""
    registration = Registration.objects.create(
        event=event,
        status=status,
        consent_given_at=timezone.now(),
        submission_token=submission_token,
        accept_any_workshop=accept_any_workshop and status == Registration.Status.WAITLISTED,
        language=language,
        **{**attendee, "email": email},
    )
    Answer.objects.bulk_create(
        Answer(registration=registration, question_id=question_id, value=value)
        for question_id, value in (answers or {}).items()
    )
    if status == Registration.Status.CONFIRMED:
        Seat.objects.bulk_create(
            Seat(registration=registration, block_id=workshop.block_id, workshop=workshop)
            for workshop in workshops
        )
        queue_email(registration, "confirmation")
    else:
        WaitlistEntry.objects.bulk_create(
            WaitlistEntry(registration=registration, block_id=w.block_id, workshop=w)
            for w in workshops
        )
        queue_email(registration, "waitlisted")
    return registration


def explain_refusal(*, submission_token: uuid.UUID | None) -> Registration | None:
    """What comes before the reason a submission was refused for (nothing was saved).

    This very submission, made earlier (a double click, a resubmitted form,
    perhaps committed by another request while this one waited for its locks),
    gets the same answer: the registration it made is returned. None: the
    refusal stands. An address already registered comes before nothing: a repeat
    meets exactly the refusals a new registration meets (``register``), so a
    refusal never tells whether the address is registered.
    ``Registration.objects.filter(submission_token=submission_token).first()``.
    """
    if submission_token is None:
        return None
    rows = read_rows(SUBMITTED_BEFORE, [_token_value(submission_token)])
    return Registration.objects.get(pk=rows[0][0]) if rows else None


def _full_before_locking(seats, block_ids: set[int], choices: Mapping[int, int]) -> list[Workshop]:
    """The chosen workshops that ``seats`` (``event_seats``, read without a lock) show full,
    as unsaved workshops with their block; none unless the choices are exactly one
    workshop of each of the event's blocks (an invalid choice is refused first).

    A workshop's seats taken only go down when someone leaves it, so this refusal
    is the one the lock would give a moment later (or the member chooses again
    from the form, which shows the seats as they are).
    """
    if set(choices) != block_ids:
        return []
    chosen = {row[WORKSHOP_PK]: row for row in seats if row[WORKSHOP_PK] == choices[row[BLOCK_PK]]}
    if len(chosen) != len(block_ids):
        return []
    return [
        Workshop(pk=pk, block_id=row[BLOCK_PK])
        for pk, row in chosen.items()
        if row[SEATS_TAKEN] >= row[CAPACITY]
    ]


def _chosen_workshops(
    block_ids: set[int], choices: Mapping[int, int], locked: Mapping[int, Workshop]
) -> list[Workshop]:
    """The chosen workshops (from the ``locked`` ones), one per block in block order;
    ``InvalidChoices`` unless that is exactly one workshop of each of the event's blocks."""
    errors: dict[int, str] = {}
    for block_id in block_ids - set(choices):
        errors[block_id] = _("Choose a workshop in this block.")
    if set(choices) - block_ids:
        errors[0] = _("A choice was for a block that is not part of this event.")
    workshops = []
    for block_id in sorted(block_ids & set(choices)):
        workshop = locked.get(choices[block_id])
        if workshop is None or workshop.block_id != block_id:
            errors[block_id] = _("Choose one of this block's workshops.")
        else:
            workshops.append(workshop)
    if errors:
        raise InvalidChoices(errors)
    return workshops


def change_seats(
    *,
    registration: Registration,
    seats: Mapping[int, int],
    waits: Mapping[int, int] | None = None,
) -> Registration:
    """Change a confirmed registration's workshops, and its waitlist places.

    ``seats`` maps blocks to the workshop the attendee wants to sit in (their
    current one keeps the seat, and leaves that block's waitlist); ``waits``
    maps blocks to a full workshop the attendee waits for while keeping the
    current seat. In one transaction the old seats are freed and the new
    taken; freed seats go to the waitlists (``fill_free_seats``).

    Raises ``ChangesClosed``, ``InvalidChoices`` or ``WorkshopFull`` (a wanted
    workshop had no seat left when committed); then nothing changes.
    Queues the "changed" e-mail (and the e-mails of anyone moved up).

    Locks: the event row and all the event's workshops
    (``lock_event_and_workshops``: a freed seat may move anyone in any
    block), then the registration and its seats.
    """
    waits = dict(waits or {})
    with transaction.atomic():
        event, workshops = lock_event_and_workshops(registration.event)
        registration = Registration.objects.locked().get(pk=registration.pk)
        if registration.status != Registration.Status.CONFIRMED or not event.changes_are_open():
            raise ChangesClosed
        current = {seat.block_id: seat for seat in registration.seats.select_for_update(**ROW_LOCK)}
        errors = {}
        for block_id, workshop_id in [*seats.items(), *waits.items()]:
            workshop = workshops.get(workshop_id)
            if block_id not in current or workshop is None or workshop.block_id != block_id:
                errors[block_id if block_id in current else 0] = _(
                    "Choose one of this block's workshops."
                )
        for block_id in set(seats) & set(waits):
            errors[block_id] = _("Choose only one workshop in this block.")
        if errors:
            raise InvalidChoices(errors)

        moves = {
            block_id: workshops[workshop_id]
            for block_id, workshop_id in seats.items()
            if current[block_id].workshop_id != workshop_id
        }
        _refuse_full(list(moves.values()))
        for block_id, workshop in moves.items():
            seat = current[block_id]
            seat.workshop = workshop
            seat.save(update_fields=["workshop"])
        WaitlistEntry.objects.filter(registration=registration, block_id__in=list(seats)).delete()
        for block_id, workshop_id in waits.items():
            if current[block_id].workshop_id == workshop_id:
                continue
            WaitlistEntry.objects.update_or_create(
                registration=registration, block_id=block_id, defaults={"workshop_id": workshop_id}
            )
        if moves or waits:
            queue_email(registration, "changed")
        _fill_free_seats(event, workshops)
        return registration


def cancel(*, registration: Registration, by_organiser: bool = False) -> Registration:
    """Cancel a registration: every seat is freed at once and handed to the waitlists.

    Attendees may cancel until the event's change deadline; organisers
    (``by_organiser``) at any time. Raises ``ChangesClosed``. Queues the
    "cancelled" e-mail (and the e-mails of anyone moved up).

    Locks: as ``change_seats``.
    """
    with transaction.atomic():
        event, workshops = lock_event_and_workshops(registration.event)
        registration = Registration.objects.locked().get(pk=registration.pk)
        if registration.status == Registration.Status.CANCELLED:
            return registration
        if not by_organiser and not event.changes_are_open():
            raise ChangesClosed
        registration.seats.all().delete()
        registration.waitlist_entries.all().delete()
        registration.status = Registration.Status.CANCELLED
        registration.save(update_fields=["status", "updated_at"])
        queue_email(registration, "cancelled")
        _fill_free_seats(event, workshops)
        return registration


def leave_waitlist(*, registration: Registration, block_id: int) -> WaitlistEntry:
    """Take a confirmed attendee off the waitlist of one block; they keep their seat there.

    Refused with ``ChangesClosed`` after the change deadline, with
    ``WaitlistedRegistration`` for a registration on the event's waitlist (it
    needs a place in every block: it leaves by cancelling), and with
    ``NotOnWaitlist`` when there is no such entry (perhaps the attendee has
    just been moved in). Returns the deleted entry. Sends no mail: the
    attendee's seats and calendar are unchanged.

    Locks: the event row (``lock_event_and_workshops``, no workshops: no seat
    changes), then the registration, so it never crosses ``fill_free_seats``
    moving the same attendee.
    """
    with transaction.atomic():
        event, _workshops = lock_event_and_workshops(registration.event, workshop_ids=())
        registration = Registration.objects.locked().get(pk=registration.pk)
        if registration.status == Registration.Status.WAITLISTED:
            raise WaitlistedRegistration
        if registration.status != Registration.Status.CONFIRMED or not event.changes_are_open():
            raise ChangesClosed
        entry = (
            WaitlistEntry.objects.select_related("workshop", "block")
            .filter(registration=registration, block_id=block_id)
            .first()
        )
        if entry is None:
            raise NotOnWaitlist
        entry.delete()
        return entry


def set_language(*, registration: Registration, language: str) -> Registration:
    """Store the language of the attendee's e-mails and links (one of ``settings.LANGUAGES``)."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ValueError(f"Not a language of the site: {language!r}")
    Registration.objects.filter(pk=registration.pk).update(language=language)
    registration.language = language
    return registration


def fill_free_seats(*, event: Event) -> list[Registration]:
    """Hand free seats to the waitlists, first come first served; returns who moved up.

    A confirmed attendee waiting for a workshop is moved into it: the seat in
    the wanted workshop taken, the old one in the same block freed - which may
    in turn move the next person waiting for that one. A waitlisted attendee
    is confirmed when every block can seat them (their choice, or with
    ``accept_any_workshop`` any free workshop of the block) and the event's
    attendee limit allows. Repeats until nobody more can move.

    Locks: the event row and all its workshops (``lock_event_and_workshops``),
    in a transaction of its own or the caller's.
    """
    with transaction.atomic():
        event, workshops = lock_event_and_workshops(event)
        return _fill_free_seats(event, workshops)


def _fill_free_seats(event: Event, workshops: Mapping[int, Workshop]) -> list[Registration]:
    """``fill_free_seats`` for a caller that holds the event row and ``workshops``, all
    of the event's, locked; their seats as they were when locked, before the caller's
    changes, which are counted again here."""
    workshops = {w.pk: w for w in Workshop.objects.filter(pk__in=list(workshops))}
    free = {pk: w.capacity - w.seats_taken for pk, w in workshops.items()}
    moved: list[Registration] = []
    while True:
        entries = list(
            WaitlistEntry.objects.filter(block__event=event)
            .exclude(registration__status=Registration.Status.CANCELLED)
            .select_related("registration")
            .order_by("created_at", "pk")
        )
        progress = _move_confirmed_waiters(entries, free, moved) or _confirm_waitlisted(
            event, entries, workshops, free, moved
        )
        if not progress:
            return moved


def _move_confirmed_waiters(entries, free, moved) -> bool:
    for entry in entries:
        registration = entry.registration
        if registration.status != Registration.Status.CONFIRMED or free[entry.workshop_id] <= 0:
            continue
        seat = Seat.objects.get(registration=registration, block_id=entry.block_id)
        free[seat.workshop_id] += 1
        free[entry.workshop_id] -= 1
        seat.workshop_id = entry.workshop_id
        seat.save(update_fields=["workshop"])
        entry.delete()
        moved.append(registration)
        queue_email(registration, "promoted")
        return True
    return False


def _confirm_waitlisted(event, entries, workshops, free, moved) -> bool:
    if event_is_fully_booked(event):
        return False
    blocks = list(event.blocks.values_list("pk", flat=True))
    wanted: dict[int, dict[int, int]] = {}
    order: list[Registration] = []
    for entry in entries:
        registration = entry.registration
        if registration.status != Registration.Status.WAITLISTED:
            continue
        if registration.pk not in wanted:
            wanted[registration.pk] = {}
            order.append(registration)
        wanted[registration.pk][entry.block_id] = entry.workshop_id
    for registration in order:
        assignment = {}
        for block_id in blocks:
            choice = wanted[registration.pk].get(block_id)
            if choice is not None and free[choice] > 0:
                assignment[block_id] = choice
            elif registration.accept_any_workshop:
                candidates = [
                    w for w in workshops.values() if w.block_id == block_id and free[w.pk] > 0
                ]
                if candidates:
                    assignment[block_id] = max(candidates, key=lambda w: (free[w.pk], -w.pk)).pk
        if len(assignment) != len(blocks):
            continue
        Seat.objects.bulk_create(
            Seat(registration=registration, block_id=block_id, workshop_id=workshop_id)
            for block_id, workshop_id in assignment.items()
        )
        for workshop_id in assignment.values():
            free[workshop_id] -= 1
        registration.waitlist_entries.all().delete()
        registration.status = Registration.Status.CONFIRMED
        registration.save(update_fields=["status", "updated_at"])
        moved.append(registration)
        queue_email(registration, "promoted")
        return True
    return False


def _blocks_without_free_seats(workshops) -> set[int]:
    """The blocks of ``workshops`` (all of an event's) with no seat left in any of them."""
    seats_left: dict[int, int] = {}
    for workshop in workshops:
        seats_left[workshop.block_id] = seats_left.get(workshop.block_id, 0) + workshop.seats_left
    return {block_id for block_id, left in seats_left.items() if left == 0}


def _full_workshops(workshops: list[Workshop]) -> list[Workshop]:
    """The full ones of ``workshops``: rows locked in this transaction before any of
    their seats changed in it.

    Their ``seats_taken`` is then exact: the database's triggers change it in
    the transaction that changes a seat, which holds the workshop's row until
    it commits, and our lock waited for that (PostgreSQL) or for the write
    lock (SQLite).
    """
    return [workshop for workshop in workshops if workshop.seats_taken >= workshop.capacity]


def _refuse_full(workshops: list[Workshop]) -> None:
    full = _full_workshops(workshops)
    if full:
        raise WorkshopFull(full)


def erase(*, registration: Registration, by_organiser: bool = False) -> Registration:
    """Cancel a registration and erase the attendee's personal data at once (GDPR art. 17).

    The cancellation is ``cancel``'s, under its rules and in the same
    transaction: seats are freed and handed to the waitlists, and a refusal
    (``ChangesClosed``: an attendee after the change deadline) leaves
    everything as it was. Then ``privacy.anonymise`` replaces the personal
    data and the personal link; a paid event's invoicing data stays for the
    bookkeeping period.

    Organisers (``by_organiser``) meet an attendee's request at any time:
    before the event ends the registration is cancelled as ``cancel`` does for
    them; once the event's last day is past it is only anonymised, as the
    retention period would do it, so that its seats stay in the statistics
    and nobody is moved up from a waitlist into a day that has been.

    Locks: as ``cancel``, then the registration's row again (already held);
    after the event, the registration's row only.
    """
    with transaction.atomic():
        event = registration.event
        if not (by_organiser and timezone.localdate() > event.last_day):
            registration = cancel(registration=registration, by_organiser=by_organiser)
        return anonymise(registration)


@dataclass(frozen=True, kw_only=True)
class SeatMove:
    """What ``move_seat`` did: from which workshop to which, and any capacity it raised."""

    registration: Registration
    from_workshop: Workshop | None
    to_workshop: Workshop
    capacity_raised_from: int | None = None


def move_seat(
    *,
    registration: Registration,
    workshop: Workshop,
    override_capacity: bool = False,
    by=None,
) -> SeatMove:
    """Move a confirmed attendee's seat in ``workshop``'s block into ``workshop`` (organisers).

    Refused with ``WorkshopFull`` when the workshop has no free seat, unless
    ``override_capacity``: then its capacity is raised to hold the attendee, in
    the same transaction, and the override is written to the admin's history
    of the workshop (as ``by``). The attendee leaves that block's waitlist;
    the freed seat goes to the waitlists (``fill_free_seats``). Organisers may
    move at any time, after the change deadline too. Raises ``NotConfirmed``
    or ``InvalidChoices`` (not a workshop of the event); then nothing changes.
    An attendee without a seat in that block (a block added after they
    registered) is given one. Queues the "changed" e-mail (and those of anyone
    moved up) on commit.

    Locks: as ``change_seats``.
    """
    with transaction.atomic():
        event, workshops = lock_event_and_workshops(registration.event)
        registration = Registration.objects.locked().get(pk=registration.pk)
        if registration.status != Registration.Status.CONFIRMED:
            raise NotConfirmed
        target = workshops.get(workshop.pk)
        if target is None:
            raise InvalidChoices({0: _("Choose one of this event's workshops.")})
        seat = (
            registration.seats.select_for_update(**ROW_LOCK)
            .filter(block_id=target.block_id)
            .first()
        )
        current = workshops[seat.workshop_id] if seat else None
        move = SeatMove(registration=registration, from_workshop=current, to_workshop=target)
        if current == target:
            return move
        if _full_workshops([target]):
            if not override_capacity:
                raise WorkshopFull([target])
            move = _raise_capacity_for_one_more(move, by=by)
        if seat is None:  # a block added after the attendee registered
            seat = Seat(registration=registration, block_id=target.block_id)
        seat.workshop = target
        seat.save()
        WaitlistEntry.objects.filter(registration=registration, block_id=target.block_id).delete()
        queue_email(registration, "changed")
        _fill_free_seats(event, workshops)
        return move


def _raise_capacity_for_one_more(move: SeatMove, *, by) -> SeatMove:
    """Raise the (locked, full) target's capacity to its seats taken + 1, in the admin's history."""
    from django.contrib.admin.models import CHANGE, LogEntry

    target = move.to_workshop
    old_capacity = target.capacity
    target.capacity = target.seats.count() + 1
    target.save(update_fields=["capacity"])
    if by is not None:
        LogEntry.objects.log_actions(
            user_id=by.pk,
            queryset=[target],
            action_flag=CHANGE,
            change_message=str(
                # No attendee's name: the workshop's history is the programme's, which
                # programme editors read; the registration's own history names the move.
                _("Capacity raised from %(old)d to %(new)d to move an attendee in (override).")
                % {"old": old_capacity, "new": target.capacity}
            ),
            single_object=True,
        )
    return SeatMove(
        registration=move.registration,
        from_workshop=move.from_workshop,
        to_workshop=target,
        capacity_raised_from=old_capacity,
    )
