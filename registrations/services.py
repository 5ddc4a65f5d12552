"""Every change of registrations and seats, each in one database transaction.

This module is the only writer of seats. What it guarantees, whatever arrives
at once (two members clicking for the last seat, a double submit, many app
processes on many hosts): no workshop ever holds more seats than its capacity,
no registration holds two seats in one block, an event never takes more
attendees than its limit, and a failed change leaves nothing behind.

Locking discipline (after pretix's): one ``transaction.atomic()`` per change,
locks taken once, as late as possible, right before the availability check:

1. SQLite: the transaction begins ``IMMEDIATE`` (settings), so it holds the
   database's write lock from its first statement; changes run one at a time
   even across gunicorn workers, and ``select_for_update`` is a no-op.
2. PostgreSQL: when the event has an attendee limit, its row is locked first;
   then the chosen workshops' rows, ``SELECT ... FOR NO KEY UPDATE`` in
   primary-key order (see ``ROW_LOCK``). Every change takes its locks in this same order, so two transactions
   never wait on each other in a circle (no deadlock). A transaction that gets
   the locks counts seats that are committed and cannot change under it.
3. Seats are counted after the locks, then written. Mail and other side
   effects only ever through ``transaction.on_commit``.
4. Behind all this, database triggers (migration 0002) refuse an oversell even
   from code that skips this module.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import Event, Workshop
from events.selectors import CompiledQuery, event_block_ids

from .models import Registration, Seat, WaitlistEntry

# FOR NO KEY UPDATE, of the queried table only: it does not conflict with the
# KEY SHARE locks PostgreSQL takes on a referenced row when another transaction
# inserts a row pointing at it (a seat at a workshop, a registration at an
# event), and a join (workshops of an event) does not lock the joined rows.
# With plain FOR UPDATE, a registration inserting a seat and a cancellation
# holding the event row wait on each other: a deadlock.
ROW_LOCK = {"no_key": True, "of": ("self",)}


class RegistrationError(Exception):
    """A registration that cannot be made; ``message`` says why, in the member's language."""

    message = _("The registration could not be completed.")

    def __str__(self):
        return str(self.message)


class RegistrationClosed(RegistrationError):
    message = _("Registration for this event is not open.")


class EventFull(RegistrationError):
    message = _("The event is fully booked.")


class AlreadyRegistered(RegistrationError):
    message = _("This e-mail address is already registered for the event.")


class InvalidChoices(RegistrationError):
    """The choices are not exactly one workshop of this event in each of its blocks."""

    message = _("Choose exactly one workshop in each block.")

    def __init__(self, errors: Mapping[int, str]):
        super().__init__()
        self.errors = dict(errors)  # block id (0 for unknown blocks) -> message


class WorkshopFull(RegistrationError):
    """One or more chosen workshops had no free seat when the change was committed."""

    message = _("The workshop you chose is fully booked. Please choose another.")

    def __init__(self, workshops: list[Workshop]):
        super().__init__()
        self.workshops = workshops

    @property
    def block_ids(self) -> list[int]:
        return [workshop.block_id for workshop in self.workshops]


@dataclass(frozen=True, kw_only=True)
class AttendeeDetails:
    name: str
    email: str
    workplace: str
    job_title: str
    sector: str
    phone: str = ""
    membership_number: str = ""
    dietary_needs: str = ""
    payer: str = ""
    ean: str = ""
    cvr: str = ""
    invoice_organisation: str = ""
    invoice_address: str = ""
    invoice_attention: str = ""
    invoice_order_number: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping) -> "AttendeeDetails":
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


def normalise_email(email: str) -> str:
    return email.strip().lower()


def register(
    *,
    event: Event,
    attendee: AttendeeDetails,
    choices: Mapping[int, int],
    submission_token: uuid.UUID | None = None,
    waitlist: bool = False,
    accept_any_workshop: bool = False,
) -> Registration:
    """Register an attendee with one workshop in each of the event's blocks.

    ``choices`` maps each block's id to the chosen workshop's id. Returns the
    confirmed registration; a repeated ``submission_token`` (a double click, a
    resubmitted form) returns the registration it already made.

    With ``waitlist``, an attendee whose choice is in a block with no free seat
    at all (or who meets the event's attendee limit) is registered as
    waitlisted, with the choices as the places they wait for; they are
    confirmed later by ``fill_free_seats`` in first-come order.

    Raises ``RegistrationClosed``, ``AlreadyRegistered``, ``InvalidChoices``,
    ``EventFull`` or ``WorkshopFull``; then nothing is saved. Queues the
    confirmation (or waitlist) e-mail on commit.

    Locks: the event row (with an attendee limit, or when waitlisting), then
    the chosen workshop rows in primary-key order - all the event's workshops
    when waitlisting, so that no seat frees unseen (PostgreSQL); the write
    lock (SQLite).
    """
    email = normalise_email(attendee.email)
    try:
        with transaction.atomic():
            # No look for an earlier registration first: the unique constraints
            # (one active registration per e-mail, one per submission token)
            # refuse the insert, and the refusal is explained below. Most
            # submissions are new ones, and they save a query.
            if event.registration_state() != Event.RegistrationState.OPEN:
                raise RegistrationClosed
            event_full = False
            if event.attendee_limit is not None or waitlist:
                _lock_event(event)
                event_full = _event_is_full(event)
                if event_full and not waitlist:
                    raise EventFull
            if waitlist:
                _lock_all_workshops(event)
            workshops = _lock_chosen_workshops(event=event, choices=choices)
            full = _full_workshops(workshops)
            status = Registration.Status.CONFIRMED
            if full or event_full:
                blocked = _blocks_without_free_seats(event) if waitlist else set()
                if not waitlist or not (event_full or all(w.block_id in blocked for w in full)):
                    raise WorkshopFull(full)
                status = Registration.Status.WAITLISTED
            registration = Registration.objects.create(
                event=event,
                status=status,
                consent_given_at=timezone.now(),
                submission_token=submission_token,
                accept_any_workshop=accept_any_workshop
                and status == Registration.Status.WAITLISTED,
                **{**attendee.__dict__, "email": email},
            )
            if status == Registration.Status.CONFIRMED:
                Seat.objects.bulk_create(
                    Seat(registration=registration, block_id=workshop.block_id, workshop=workshop)
                    for workshop in workshops
                )
                _queue_email(registration, "confirmation")
            else:
                WaitlistEntry.objects.bulk_create(
                    WaitlistEntry(registration=registration, block_id=w.block_id, workshop=w)
                    for w in workshops
                )
                _queue_email(registration, "waitlisted")
            return registration
    except (IntegrityError, RegistrationError) as refused:
        # Nothing was saved. One look explains a refusal by what is there:
        # this very submission, made earlier (a double click, a resubmitted
        # form, perhaps committed by another request while this one waited
        # for its locks), gets the same answer; otherwise another active
        # registration with the e-mail address comes before any other reason
        # (full workshops, wrong choices) but a closed registration.
        if submission_token is not None:
            earlier = Registration.objects.filter(submission_token=submission_token).first()
            if earlier is not None:
                return earlier
        if (
            not isinstance(refused, RegistrationClosed)
            and active_registrations(event).filter(email=email).exists()
        ):
            raise AlreadyRegistered from None
        raise


class ChangesClosed(RegistrationError):
    message = _("Changes are closed for this event. Please contact the organiser.")


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
    Queues the "changed" e-mail (and the e-mails of anyone moved up) on commit.

    Locks: the event row, then all the event's workshops in primary-key order
    (a freed seat may move anyone in any block), then the registration's seats.
    """
    waits = dict(waits or {})
    with transaction.atomic():
        event = _lock_event(registration.event)
        registration = Registration.objects.select_for_update(**ROW_LOCK).get(pk=registration.pk)
        if registration.status != Registration.Status.CONFIRMED or not event.changes_are_open():
            raise ChangesClosed
        workshops = _lock_all_workshops(event)
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
            _queue_email(registration, "changed")
        fill_free_seats(event=event, locked=True)
        return registration


def cancel(*, registration: Registration, by_organiser: bool = False) -> Registration:
    """Cancel a registration: every seat is freed at once and handed to the waitlists.

    Attendees may cancel until the event's change deadline; organisers
    (``by_organiser``) at any time. Raises ``ChangesClosed``. Queues the
    "cancelled" e-mail (and the e-mails of anyone moved up) on commit.

    Locks: as ``change_seats``.
    """
    with transaction.atomic():
        event = _lock_event(registration.event)
        registration = Registration.objects.select_for_update(**ROW_LOCK).get(pk=registration.pk)
        if registration.status == Registration.Status.CANCELLED:
            return registration
        if not by_organiser and not event.changes_are_open():
            raise ChangesClosed
        _lock_all_workshops(event)
        registration.seats.all().delete()
        registration.waitlist_entries.all().delete()
        registration.status = Registration.Status.CANCELLED
        registration.save(update_fields=["status", "updated_at"])
        _queue_email(registration, "cancelled")
        fill_free_seats(event=event, locked=True)
        return registration


def fill_free_seats(*, event: Event, locked: bool = False) -> list[Registration]:
    """Hand free seats to the waitlists, first come first served; returns who moved up.

    A confirmed attendee waiting for a workshop is moved into it: the seat in
    the wanted workshop taken, the old one in the same block freed - which may
    in turn move the next person waiting for that one. A waitlisted attendee
    is confirmed when every block can seat them (their choice, or with
    ``accept_any_workshop`` any free workshop of the block) and the event's
    attendee limit allows. Repeats until nobody more can move.

    Runs in the caller's transaction when ``locked`` (the caller holds the
    event row and all its workshops); otherwise takes those locks itself.
    """
    if not locked:
        with transaction.atomic():
            _lock_event(event)
            _lock_all_workshops(event)
            return fill_free_seats(event=event, locked=True)

    workshops = {w.pk: w for w in Workshop.objects.filter(block__event=event)}
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
        _queue_email(registration, "promoted")
        return True
    return False


def _confirm_waitlisted(event, entries, workshops, free, moved) -> bool:
    if _event_is_full(event):
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
        _queue_email(registration, "promoted")
        return True
    return False


def _lock_event(event: Event) -> Event:
    return Event.objects.select_for_update(**ROW_LOCK).get(pk=event.pk)


def _lock_all_workshops(event: Event) -> dict[int, Workshop]:
    return {
        w.pk: w
        for w in Workshop.objects.select_for_update(**ROW_LOCK)
        .filter(block__event=event)
        .order_by("pk")
    }


def _event_is_full(event: Event) -> bool:
    if event.attendee_limit is None:
        return False
    confirmed = event.registrations.filter(status=Registration.Status.CONFIRMED).count()
    return confirmed >= event.attendee_limit


def _blocks_without_free_seats(event: Event) -> set[int]:
    blocks = {}
    for workshop in Workshop.objects.filter(block__event=event):
        blocks[workshop.block_id] = blocks.get(workshop.block_id, 0) + workshop.seats_left
    return {block_id for block_id, seats_left in blocks.items() if seats_left == 0}


def _queue_email(registration: Registration, kind: str) -> None:
    from .emails import (
        queue_email,
    )  # emails renders from the models; imported late to avoid a cycle

    queue_email(registration, kind)


def active_registrations(event: Event):
    return event.registrations.exclude(status=Registration.Status.CANCELLED)


# The chosen workshops of an event, locked in primary-key order.
_LOCK_CHOSEN = CompiledQuery(
    lambda event_id, workshop_ids: (
        Workshop.objects.select_for_update(**ROW_LOCK)
        .filter(pk__in=workshop_ids, block__event=event_id)
        .order_by("pk")
    )
)


def _lock_chosen_workshops(*, event: Event, choices: Mapping[int, int]) -> list[Workshop]:
    """The chosen workshops, locked in primary-key order, after checking they fit the blocks."""
    block_ids = {pk for (pk,) in event_block_ids(event.pk)}
    errors: dict[int, str] = {}
    for block_id in block_ids - set(choices):
        errors[block_id] = _("Choose a workshop in this block.")
    if set(choices) - block_ids:
        errors[0] = _("A choice was for a block that is not part of this event.")
    wanted = {
        block_id: workshop_id for block_id, workshop_id in choices.items() if block_id in block_ids
    }
    workshops = []
    if wanted:
        sql, params = _LOCK_CHOSEN.sql(event.pk, sorted(set(wanted.values())))
        workshops = list(Workshop.objects.raw(sql, params))
    by_pk = {workshop.pk: workshop for workshop in workshops}
    for block_id, workshop_id in wanted.items():
        workshop = by_pk.get(workshop_id)
        if workshop is None or workshop.block_id != block_id:
            errors[block_id] = _("Choose one of this block's workshops.")
    if errors:
        raise InvalidChoices(errors)
    return [by_pk[wanted[block_id]] for block_id in sorted(wanted)]


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


def erase(*, registration: Registration) -> Registration:
    """Cancel a registration and erase the attendee's personal data at once (GDPR art. 17).

    The cancellation is ``cancel``'s, under its rules and in the same
    transaction: seats are freed and handed to the waitlists, and a refusal
    (``ChangesClosed``) leaves everything as it was. Then ``privacy.anonymise``
    replaces the personal data and the personal link; a paid event's invoicing
    data stays for the bookkeeping period.

    Locks: as ``cancel``, then the registration's row again (already held).
    """
    from .privacy import anonymise  # the retention rules live in privacy.py

    with transaction.atomic():
        registration = cancel(registration=registration)
        return anonymise(registration)


class NotConfirmed(RegistrationError):
    message = _("Only a confirmed registration holds seats that can be moved.")


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

    Locks: as ``change_seats``: the event row, the registration, all the
    event's workshops in primary-key order, then the registration's seats.
    """
    with transaction.atomic():
        event = _lock_event(registration.event)
        registration = Registration.objects.select_for_update(**ROW_LOCK).get(pk=registration.pk)
        if registration.status != Registration.Status.CONFIRMED:
            raise NotConfirmed
        workshops = _lock_all_workshops(event)
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
        _queue_email(registration, "changed")
        fill_free_seats(event=event, locked=True)
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
                _("Capacity raised from %(old)d to %(new)d to move %(name)s in (override).")
                % {"old": old_capacity, "new": target.capacity, "name": move.registration.name}
            ),
            single_object=True,
        )
    return SeatMove(
        registration=move.registration,
        from_workshop=move.from_workshop,
        to_workshop=target,
        capacity_raised_from=old_capacity,
    )
