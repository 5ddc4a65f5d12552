"""Seats by preference: members rank workshops during a window, then one draw gives the seats.

An event whose ``seat_allocation`` is "by preference" takes registrations
without seats while its ranking window is open (``Event.ranking_is_open``):
each member ranks the workshops of every block (``register_ranking``,
``change_ranking``), and their registration waits as ``RANKED``. When the
window closes (``run_due_draws``, run by the scheduler) or an organiser runs
it from the admin, ``run_draw`` places everyone with ``allocation.draw`` and
saves the result through the ordinary seat rows, so the database's seat
triggers and constraints hold as for any registration. From then on the event
is first come for the seats that are left, with waitlists, changes and
cancellations as ever (``services``).

Locking (as ``services``, through ``lock_event_and_workshops``):

- ``register_ranking`` and ``change_ranking`` lock the event's row and check,
  under the lock, that the draw has not been held. ``run_draw`` locks the
  event's row and all its workshops for its whole transaction and reads the
  rankings after the lock. So a ranking committed before the draw takes the
  lock is in the draw, and one that arrives while it runs waits for it and is
  then refused (``RankingClosed``) with a message that says so: never lost.
- ``run_draw`` checks ``Event.drawn_at`` under the lock: started twice at the
  same moment, the second waits and is refused (``AlreadyDrawn``); behind it,
  ``AllocationRun.event`` is unique.

E-mails: "ranked" when a ranking is received or changed; "drawn" to everyone
in the draw (their workshops and calendar, or the waitlist), all queued in the
draw's transaction (``emails.queue_email``).
"""

import logging
import secrets
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_scopes import scopes_disabled

from events.models import Event, Workshop, WorkshopBlock

from . import allocation
from .emails import queue_email
from .exceptions import AlreadyRegistered, InvalidChoices, RegistrationClosed, RegistrationError
from .models import (
    AllocationRun,
    Answer,
    Ranking,
    Registration,
    Seat,
    WaitlistEntry,
    normalise_email,
)
from .services import (
    earlier_registration,
    explain_refusal,
    is_this_submitters,
    lock_event_and_workshops,
    made_before,
)

logger = logging.getLogger(__name__)

# At least this many workshops ranked per block (or all of the block's, if fewer).
MINIMUM_RANKED = 3


class RankingClosed(RegistrationError):
    message = _(
        "The ranking has closed, so it could not be saved. The draw gives the seats now; "
        "afterwards the seats that are left can be taken on the registration page."
    )


class AlreadyDrawn(RegistrationError):
    message = _("The draw has already been held for this event.")


class NotByPreference(RegistrationError):
    message = _("This event does not give seats by preference.")


def minimum_ranked(workshop_count: int) -> int:
    return min(MINIMUM_RANKED, workshop_count)


def _event_blocks(event: Event) -> dict[int, list[int]]:
    """Block id → its workshops' ids, for the blocks that have workshops, in order."""
    blocks: dict[int, list[int]] = {}
    for block_id, workshop_id in (
        Workshop.objects.filter(block__event=event)
        .order_by("block__day", "block__starts", "block__pk", "position", "pk")
        .values_list("block_id", "pk")
    ):
        blocks.setdefault(block_id, []).append(workshop_id)
    return blocks


def _check_rankings(
    event: Event, rankings: Mapping[int, Sequence[int]]
) -> dict[int, tuple[int, ...]]:
    """``rankings`` as saved, or ``InvalidChoices`` with a message per block (0: the form)."""
    blocks = _event_blocks(event)
    errors: dict[int, str] = {}
    if set(rankings) - set(blocks):
        errors[0] = _("A choice was for a block that is not part of this event.")
    checked = {}
    for block_id, workshops in blocks.items():
        ranking = tuple(rankings.get(block_id, ()))
        needed = minimum_ranked(len(workshops))
        if any(workshop not in workshops for workshop in ranking):
            errors[block_id] = _("Choose one of this block's workshops.")
        elif len(set(ranking)) != len(ranking):
            errors[block_id] = _("Choose each workshop only once.")
        elif len(ranking) < needed:
            errors[block_id] = ngettext(
                "Rank at least %(count)d workshop in this block.",
                "Rank at least %(count)d workshops in this block.",
                needed,
            ) % {"count": needed}
        checked[block_id] = ranking
    if errors:
        raise InvalidChoices(errors)
    return checked


def _save_rankings(registration: Registration, rankings: Mapping[int, tuple[int, ...]]) -> None:
    Ranking.objects.filter(registration=registration).delete()
    Ranking.objects.bulk_create(
        Ranking(registration=registration, block_id=block_id, workshop_id=workshop_id, rank=rank)
        for block_id, ranking in rankings.items()
        for rank, workshop_id in enumerate(ranking, start=1)
    )


def _lock_for_ranking(event: Event) -> Event:
    """The event's row, locked (the draw waits for us, or we for the draw); refuses when
    the ranking is closed."""
    event, _workshops = lock_event_and_workshops(event, workshop_ids=())
    if not event.ranking_is_open():
        if event.allocates_by_preference and (
            event.drawn_at is not None or event.registration_state() == Event.RegistrationState.OPEN
        ):
            raise RankingClosed
        raise RegistrationClosed
    return event


def register_ranking(
    *,
    event: Event,
    attendee: Mapping,
    rankings: Mapping[int, Sequence[int]],
    answers: Mapping[int, str] | None = None,
    submission_token: uuid.UUID | None = None,
    accept_any_workshop: bool = False,
    registered_here: str | None = None,
) -> Registration:
    """Register a member for an event that gives seats by preference, with their ranking.

    ``rankings``: block id → workshop ids, first choice first; at least
    ``MINIMUM_RANKED`` per block (or all of a smaller block's). The registration
    is ``RANKED`` (no seats) until the draw. A repeated ``submission_token``
    returns the registration it made, as does a repeat from the browser that made
    it (``registered_here``, as ``services.register``).

    Raises ``RankingClosed`` (the window closed, or the draw is running or
    held: see the module's locking), ``RegistrationClosed`` or
    ``InvalidChoices``, and then, only when those would have let a new
    registration through, ``AlreadyRegistered`` for an address with an active
    registration (its ``status`` RANKED, what a new one gets): a repeat meets
    exactly the refusals a new registration meets, so the view answers both
    alike and never tells whether an address is registered (as
    ``services.register``). Then nothing is saved, but the address's owner is
    e-mailed ("register_again"). Queues the "ranked" e-mail.

    The earlier registration is looked up before inserting, never provoked
    from the unique constraints (their refusal would write the address into
    PostgreSQL's log); they stay the last guard.
    """
    email = normalise_email(attendee["email"])
    try:
        with transaction.atomic():
            event = _lock_for_ranking(event)
            checked = _check_rankings(event, rankings)
            # Only now, after every check a new registration meets (services.register).
            earlier = earlier_registration(event, email, submission_token)
            if earlier is not None and is_this_submitters(
                earlier, submission_token, registered_here
            ):
                return made_before(earlier)
            if earlier is not None:
                queue_email(earlier, "register_again")
            else:
                registration = Registration.objects.create(
                    event=event,
                    status=Registration.Status.RANKED,
                    consent_given_at=timezone.now(),
                    submission_token=submission_token,
                    accept_any_workshop=accept_any_workshop,
                    **{**attendee, "email": email},
                )
                Answer.objects.bulk_create(
                    Answer(registration=registration, question_id=question_id, value=value)
                    for question_id, value in (answers or {}).items()
                )
                _save_rankings(registration, checked)
                queue_email(registration, "ranked")
                return registration
    except (IntegrityError, RegistrationError) as refused:
        # Nothing was saved. This very submission, made earlier, gets the same answer.
        earlier = explain_refusal(submission_token=submission_token)
        if earlier is not None:
            return made_before(earlier)
        if not isinstance(refused, IntegrityError):
            raise
        # The constraints refused a registration of the same address committed
        # between our look and our insert: a repeat after all.
        earlier = event.registrations.active().filter(email=email).first()
        if earlier is None:
            raise
        with transaction.atomic():
            queue_email(earlier, "register_again")
    raise AlreadyRegistered(status=Registration.Status.RANKED)


def change_ranking(
    *,
    registration: Registration,
    rankings: Mapping[int, Sequence[int]],
    accept_any_workshop: bool,
) -> Registration:
    """Replace a waiting member's ranking, until the ranking closes.

    Raises ``RankingClosed`` (also for a registration no longer waiting for the
    draw) or ``InvalidChoices``; then nothing changes. Queues the "ranked" e-mail.

    Locks: the event's row, then the registration's.
    """
    with transaction.atomic():
        event = _lock_for_ranking(registration.event)
        registration = Registration.objects.locked().get(pk=registration.pk)
        if registration.status != Registration.Status.RANKED:
            raise RankingClosed
        checked = _check_rankings(event, rankings)
        _save_rankings(registration, checked)
        registration.accept_any_workshop = accept_any_workshop
        registration.save(update_fields=["accept_any_workshop", "updated_at"])
        queue_email(registration, "ranked")
        return registration


# The draw --------------------------------------------------------------------------------

RANK_KEYS = ("1", "2", "3", "other", "any")


@dataclass(frozen=True)
class DrawOutcome:
    """A draw, previewed or held: who got what, and the figures the organiser sees.

    ``placed``: registration id → block id → workshop id; ``waitlisted``:
    registration id → block id → workshop id waited for, in lottery order.
    ``statistics``: per block (``draw_statistics``). ``run``: the saved record,
    None for a preview.
    """

    seed: int
    method: str
    placed: dict[int, dict[int, int]]
    waitlisted: dict[int, dict[int, int]]
    statistics: list[dict]
    result: allocation.Draw
    inputs: dict
    run: AllocationRun | None = None


def new_seed() -> int:
    return secrets.randbits(62)


def preview_draw(*, event: Event, seed: int | None = None) -> DrawOutcome:
    """The draw as it would be held now, with ``seed`` (a new one if None). Saves nothing."""
    event = Event.objects.get(pk=event.pk)
    if not event.allocates_by_preference:
        raise NotByPreference
    if event.drawn_at is not None:
        raise AlreadyDrawn
    workshops = {w.pk: w for w in Workshop.objects.filter(block__event=event)}
    return _decide(event, workshops, new_seed() if seed is None else seed)


def run_draw(*, event: Event, seed: int | None = None, by=None) -> DrawOutcome:
    """Hold the event's draw: place every waiting member, save the seats and waitlists,
    record the run, and queue everyone's e-mail. Once per event.

    The result is saved through ``Seat`` and ``WaitlistEntry`` rows, so the
    database's seat triggers check every workshop's capacity as always. An
    attendee limit, if any, is kept: members placed beyond it (last in the
    lottery first) wait instead.

    Raises ``NotByPreference`` or ``AlreadyDrawn``; then nothing changes.

    Locks: the event's row and all its workshops (``lock_event_and_workshops``),
    for the whole draw; see the module docstring.
    """
    with transaction.atomic():
        event, workshops = lock_event_and_workshops(event)
        if not event.allocates_by_preference:
            raise NotByPreference
        if event.drawn_at is not None:
            raise AlreadyDrawn
        outcome = _decide(event, workshops, new_seed() if seed is None else seed)
        now = timezone.now()
        registrations = {
            registration.pk: registration
            for registration in Registration.objects.filter(
                event=event, status=Registration.Status.RANKED
            )
        }
        Registration.objects.filter(pk__in=list(outcome.placed)).update(
            status=Registration.Status.CONFIRMED, updated_at=now
        )
        Seat.objects.bulk_create(
            Seat(registration_id=registration_id, block_id=block_id, workshop_id=workshop_id)
            for registration_id, seats in outcome.placed.items()
            for block_id, workshop_id in seats.items()
        )
        Registration.objects.filter(pk__in=list(outcome.waitlisted)).update(
            status=Registration.Status.WAITLISTED, updated_at=now
        )
        # In lottery order: the waitlists are first come, by ``created_at`` then pk.
        WaitlistEntry.objects.bulk_create(
            WaitlistEntry(
                registration_id=registration_id, block_id=block_id, workshop_id=workshop_id
            )
            for registration_id, waits in outcome.waitlisted.items()
            for block_id, workshop_id in waits.items()
        )
        Event.objects.filter(pk=event.pk).update(drawn_at=now)
        result = outcome.result
        run = AllocationRun.objects.create(
            event=event,
            seed=outcome.seed,
            method=outcome.method,
            user=by,
            username=by.get_username() if by is not None else "",
            ranked_count=len(result.lottery),
            placed_count=len(outcome.placed),
            waitlisted_count=len(outcome.waitlisted),
            inputs=outcome.inputs,
            weights={
                str(member): {str(block): weight for block, weight in weights.items()}
                for member, weights in result.weights.items()
            },
            lottery=list(result.lottery),
            statistics=outcome.statistics,
        )
        for registration_id in [*outcome.placed, *outcome.waitlisted]:
            queue_email(registrations[registration_id], "drawn")
        return DrawOutcome(**{**outcome.__dict__, "run": run})


def run_due_draws(*, now=None) -> list[DrawOutcome]:
    """Hold the draw of every published event whose ranking has closed (the scheduler's task)."""
    outcomes = []
    with scopes_disabled():
        due = [
            event
            for event in Event.objects.filter(
                seat_allocation=Event.SeatAllocation.PREFERENCES,
                drawn_at__isnull=True,
                status=Event.Status.PUBLISHED,
                preferences_close__lte=now or timezone.now(),
            ).order_by("preferences_close", "pk")
        ]
        for event in due:
            try:
                outcomes.append(run_draw(event=event))
            except AlreadyDrawn:
                continue  # another server's scheduler was first
            except Exception:
                # One event's failure (nothing of it saved) must not hold up the others';
                # the next run tries again, and the log says why.
                logger.exception("The draw of event %s failed; nothing was saved.", event.pk)
    return outcomes


def _rankings_of(event: Event) -> tuple[dict[int, dict[int, tuple[int, ...]]], dict[int, bool]]:
    rankings: dict[int, dict[int, list[int]]] = {}
    accept_any = dict(
        Registration.objects.filter(event=event, status=Registration.Status.RANKED).values_list(
            "pk", "accept_any_workshop"
        )
    )
    # By the workshop's block as it is now: a workshop the organiser moved to another
    # block since is ranked there (after the wishes made in that block).
    for registration_id, block_id, workshop_id in (
        Ranking.objects.filter(registration_id__in=list(accept_any))
        .order_by("registration_id", "block_id", "rank")
        .values_list("registration_id", "workshop__block_id", "workshop_id")
    ):
        rankings.setdefault(registration_id, {}).setdefault(block_id, []).append(workshop_id)
    return (
        {
            registration_id: {
                block: tuple(ranking)
                for block, ranking in rankings.get(registration_id, {}).items()
            }
            for registration_id in accept_any
        },
        accept_any,
    )


def _free_seats(workshops: Mapping[int, Workshop]) -> dict[int, dict[int, int]]:
    """Block id → workshop id → seats left (seats may have been given by hand before)."""
    blocks: dict[int, dict[int, int]] = {}
    for workshop in sorted(workshops.values(), key=lambda w: w.pk):
        blocks.setdefault(workshop.block_id, {})[workshop.pk] = workshop.seats_left
    return blocks


def replay(run: AllocationRun) -> allocation.Draw:
    """The draw again, from what ``run`` recorded (input, seed): anyone can check that it
    gives the seats that were given (before the attendee limit, if any)."""
    inputs = run.inputs
    return allocation.draw(
        blocks={
            int(block): {int(w): seats for w, seats in ws.items()}
            for block, ws in inputs["seats"].items()
        },
        preferences=[
            allocation.Preferences(
                member=int(member),
                rankings={
                    int(block): tuple(ranking) for block, ranking in wishes["rankings"].items()
                },
                accept_any=wishes["accept_any"],
            )
            for member, wishes in inputs["rankings"].items()
        ],
        seed=run.seed,
    )


def _inputs_record(blocks, rankings, accept_any) -> dict:
    """What the draw was given, as JSON: with the seed and method, enough to hold it again."""
    return {
        "seats": {
            str(block): {str(w): seats for w, seats in ws.items()} for block, ws in blocks.items()
        },
        "rankings": {
            str(member): {
                "accept_any": accept_any[member],
                "rankings": {str(block): list(ranking) for block, ranking in blocks.items()},
            }
            for member, blocks in rankings.items()
        },
    }


def _decide(event: Event, workshops: Mapping[int, Workshop], seed: int) -> DrawOutcome:
    rankings, accept_any = _rankings_of(event)
    blocks = _free_seats(workshops)
    result = allocation.draw(
        blocks=blocks,
        preferences=[
            allocation.Preferences(
                member=member, rankings=rankings[member], accept_any=accept_any[member]
            )
            for member in rankings
        ],
        seed=seed,
    )
    placed = {
        member: dict(result.seats[member]) for member in result.lottery if member in result.seats
    }
    if event.attendee_limit is not None:
        room = max(event.attendee_limit - event.registrations.confirmed().count(), 0)
        for member in list(placed)[room:]:
            del placed[member]
    waitlisted = {}
    for member in result.lottery:
        if member in placed:
            continue
        waitlisted[member] = {
            block: ranking[0] for block, ranking in rankings[member].items() if ranking
        }
    return DrawOutcome(
        seed=seed,
        method=result.method,
        placed=placed,
        waitlisted=waitlisted,
        statistics=draw_statistics(event, workshops, rankings, placed, result),
        result=result,
        inputs=_inputs_record(blocks, rankings, accept_any),
    )


def draw_statistics(event, workshops, rankings, placed, result) -> list[dict]:
    """Per block: each workshop's seats, demand (members ranking it first, and at all), and
    whom it got by their rank of it; and the block's totals by rank. Plain JSON values."""
    block_titles = {block.pk: str(block) for block in WorkshopBlock.objects.filter(event=event)}
    free = _free_seats(workshops)
    statistics = []
    by_block: dict[int, list[Workshop]] = {}
    for workshop in sorted(workshops.values(), key=lambda w: (w.position, w.pk)):
        by_block.setdefault(workshop.block_id, []).append(workshop)
    order = list(block_titles)  # the blocks' own order (``WorkshopBlock.Meta.ordering``)
    for block_id in [b for b in order if b in by_block]:
        first = Counter()
        ranked = Counter()
        for member_rankings in rankings.values():
            ranking = member_rankings.get(block_id, ())
            if ranking:
                first[ranking[0]] += 1
            ranked.update(ranking)
        got: dict[int, Counter] = {w.pk: Counter() for w in by_block[block_id]}
        totals = Counter()
        for member, seats in placed.items():
            workshop_id = seats[block_id]
            rank = result.ranks[member][block_id]
            key = "any" if rank is None else (str(rank) if rank <= 3 else "other")
            got[workshop_id][key] += 1
            totals[key] += 1
        statistics.append(
            {
                "block": block_id,
                "title": block_titles[block_id],
                "workshops": [
                    {
                        "workshop": w.pk,
                        "title": w.title,
                        "seats": free[block_id][w.pk],
                        "first_choice": first[w.pk],
                        "ranked": ranked[w.pk],
                        "placed": sum(got[w.pk].values()),
                        "by_rank": {key: got[w.pk][key] for key in RANK_KEYS},
                    }
                    for w in by_block[block_id]
                ],
                "by_rank": {key: totals[key] for key in RANK_KEYS},
                "waitlisted": len(rankings) - len(placed),
            }
        )
    return statistics
