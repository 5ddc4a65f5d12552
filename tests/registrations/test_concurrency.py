"""Races for the last seats, run by real OS processes on the suite's own database.

Each attempt runs in a forked process with its own database connection (the
test database, committed data: ``transaction=True``). All of a race's
processes wait at a barrier with their connection open and then call the seat
service at once, as gunicorn workers on several hosts would. Nothing is
mocked; the same tests run on SQLite (IMMEDIATE transactions) and on
PostgreSQL (row locks), whichever the suite runs on.

Workshops are created with primary keys out of block order on purpose: a lock
taken in block order rather than primary-key order would show here as a
deadlock.
"""

import datetime
import multiprocessing
import queue
import time
import uuid
from types import SimpleNamespace

import pytest
from django.db import connections
from django.db.models import Count

from events.models import Workshop
from registrations import services
from registrations.models import Registration, Seat
from tests.factories import make_block, make_event, make_workshop

pytestmark = pytest.mark.django_db(transaction=True)

FORK = multiprocessing.get_context("fork")
RACE_TIMEOUT = 90  # seconds; a race still running by then is stuck, e.g. in a deadlock


def attendee(email: str) -> services.AttendeeDetails:
    return services.AttendeeDetails(
        name="Anne Steffensen",
        email=email,
        workplace="Glostrup Kommune",
        job_title="Socialrådgiver",
        sector=Registration.Sector.PUBLIC,
    )


_INHERITED = []  # in a child: the parent's connection objects, kept unclosed


def _fresh_connections() -> None:
    """Give this forked process database connection objects of its own.

    fork() copies the parent's connection objects with their sockets. The
    parent closes its own before forking, but the child may not see the same
    ones: after the browser tests, Playwright's greenlets can leave the child
    in an older context, whose connection is still open and belongs to the
    parent. Such objects are set aside without being closed (closing would end
    the parent's session on the server) and never used here.
    """
    for alias in connections:
        _INHERITED.append(connections[alias])
        connections[alias] = connections.create_connection(alias)


def _run_in_child(barrier, results, index, action) -> None:
    """One racer: connect, wait for the others, act once, report the outcome."""
    try:
        _fresh_connections()
        connections["default"].ensure_connection()
        barrier.wait(timeout=RACE_TIMEOUT)
        outcome = ("ok", action())
    except services.RegistrationError as refused:
        outcome = (type(refused).__name__, getattr(refused, "block_ids", None))
    except BaseException as error:  # anything else is what the test is looking for
        outcome = ("error", f"{type(error).__module__}.{type(error).__name__}: {error}")
    finally:
        connections.close_all()
    results.put((index, outcome))


def race(actions) -> list[tuple]:
    """Run each callable in its own process, all released together; their outcomes, in order.

    An outcome is ``("ok", return value)``, ``(exception class name, block ids)``
    for a refusal of the seat service, or ``("error", description)`` for anything
    else (a deadlock, "database is locked", ...).
    """
    connections.close_all()  # a connection must never be shared across fork()
    barrier = FORK.Barrier(len(actions))
    results = FORK.Queue()
    processes = [
        FORK.Process(target=_run_in_child, args=(barrier, results, index, action), daemon=True)
        for index, action in enumerate(actions)
    ]
    outcomes = {}
    try:
        for process in processes:
            process.start()
        deadline = time.monotonic() + RACE_TIMEOUT
        while len(outcomes) < len(actions):
            try:
                index, outcome = results.get(timeout=max(deadline - time.monotonic(), 0.1))
            except queue.Empty:
                pytest.fail(f"only {len(outcomes)} of {len(actions)} racers finished: {outcomes}")
            outcomes[index] = outcome
        for process in processes:
            process.join(timeout=max(deadline - time.monotonic(), 1))
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join()
    assert [process.exitcode for process in processes] == [0] * len(processes)
    return [outcomes[index] for index in range(len(actions))]


def registering(event, email, choices, submission_token=None):
    def action():
        return services.register(
            event=event,
            attendee=attendee(email),
            choices=choices,
            submission_token=submission_token,
        ).pk

    return action


def two_blocks(**event_fields):
    """An event with a contested workshop of 10 free seats (13, 3 taken) and roomy ones.

    Primary keys run across the blocks (morning < contested < roomy < afternoon),
    so primary-key order differs from block order.
    """
    event = make_event(**event_fields)
    block_a = make_block(event, starts=datetime.time(9, 0), ends=datetime.time(10, 30))
    block_b = make_block(event, starts=datetime.time(11, 0), ends=datetime.time(12, 30))
    morning = make_workshop(block_b, capacity=200)
    contested = make_workshop(block_a, capacity=13)
    roomy = make_workshop(block_a, capacity=200)
    afternoon = make_workshop(block_b, capacity=200)
    for n in range(3):
        services.register(
            event=event,
            attendee=attendee(f"early{n}@example.org"),
            choices={block_a.pk: contested.pk, block_b.pk: morning.pk},
        )
    return SimpleNamespace(
        event=event,
        block_a=block_a.pk,
        block_b=block_b.pk,
        contested=contested,
        roomy=roomy,
        morning=morning.pk,
        afternoon=afternoon.pk,
    )


def assert_seat_invariant(event):
    """No workshop over capacity, and its counted seats (``seats_taken``, kept by the
    database's triggers) are its seat rows; each confirmed registration has one seat
    in each block."""
    block_ids = sorted(event.blocks.values_list("pk", flat=True))
    for workshop in Workshop.objects.filter(block__event=event).annotate(taken=Count("seats")):
        assert workshop.seats_taken == workshop.taken <= workshop.capacity, workshop
    for registration in Registration.objects.filter(event=event).prefetch_related("seats"):
        seat_blocks = sorted(seat.block_id for seat in registration.seats.all())
        if registration.status == Registration.Status.CONFIRMED:
            assert seat_blocks == block_ids, registration
        else:
            assert seat_blocks == [], registration


@pytest.mark.parametrize("attendee_limit", [None, 1000], ids=["no-event-limit", "event-limit"])
def test_thirty_racers_for_ten_free_seats_exactly_ten_win(attendee_limit):
    p = two_blocks(attendee_limit=attendee_limit)
    racers = [
        registering(
            p.event,
            f"racer{n}@example.org",
            {p.block_a: p.contested.pk, p.block_b: p.morning if n % 2 else p.afternoon},
        )
        for n in range(30)
    ]
    elsewhere = [
        registering(
            p.event,
            f"elsewhere{n}@example.org",
            {p.block_a: p.roomy.pk, p.block_b: p.afternoon if n % 2 else p.morning},
        )
        for n in range(12)
    ]

    outcomes = race(racers + elsewhere)

    racer_outcomes, elsewhere_outcomes = outcomes[:30], outcomes[30:]
    winners = [outcome for outcome in racer_outcomes if outcome[0] == "ok"]
    losers = [outcome for outcome in racer_outcomes if outcome[0] != "ok"]
    assert len(winners) == 10, racer_outcomes
    assert losers == [("WorkshopFull", [p.block_a])] * 20
    assert [kind for kind, _ in elsewhere_outcomes] == ["ok"] * 12, elsewhere_outcomes
    assert Seat.objects.filter(workshop=p.contested).count() == p.contested.capacity == 13
    assert Seat.objects.filter(workshop=p.roomy).count() == 12
    confirmed = Registration.objects.filter(event=p.event, status=Registration.Status.CONFIRMED)
    assert confirmed.count() == 3 + 10 + 12
    assert sorted(pk for _, pk in winners + elsewhere_outcomes) == sorted(
        confirmed.exclude(email__startswith="early").values_list("pk", flat=True)
    )
    assert_seat_invariant(p.event)


def test_twenty_five_racers_for_an_event_limit_of_thirteen_exactly_ten_win():
    p = two_blocks(attendee_limit=13)  # 3 registered already
    racers = [
        registering(
            p.event,
            f"racer{n}@example.org",
            {p.block_a: p.roomy.pk, p.block_b: p.morning if n % 2 else p.afternoon},
        )
        for n in range(25)
    ]

    outcomes = race(racers)

    assert sorted(kind for kind, _ in outcomes) == ["EventFull"] * 15 + ["ok"] * 10
    assert Registration.objects.filter(event=p.event).count() == 13
    assert_seat_invariant(p.event)


@pytest.mark.parametrize("round", range(4))  # the window is narrow: several rounds find it
def test_one_form_submitted_five_times_at_once_registers_once(round):
    p = two_blocks()
    token = uuid.uuid4()
    choices = {p.block_a: p.contested.pk, p.block_b: p.afternoon}
    submits = [registering(p.event, "anne@example.org", choices, token) for _ in range(5)]

    outcomes = race(submits)

    registration = Registration.objects.get(submission_token=token)
    assert outcomes == [("ok", registration.pk)] * 5
    assert Registration.objects.filter(event=p.event).count() == 3 + 1
    assert {seat.block_id: seat.workshop_id for seat in registration.seats.all()} == choices
    assert_seat_invariant(p.event)


def test_registering_changing_and_cancelling_at_once_keep_the_invariant():
    """Register, change workshops and cancel race each other without deadlock or oversell.

    The contested workshop starts full (13 seats); 6 of its attendees cancel
    while 12 new attendees register for it and 6 others move into it.
    """
    p = two_blocks()
    holders = [
        services.register(
            event=p.event,
            attendee=attendee(f"holder{n}@example.org"),
            choices={p.block_a: p.contested.pk, p.block_b: p.afternoon},
        )
        for n in range(10)
    ]
    movers = [
        services.register(
            event=p.event,
            attendee=attendee(f"mover{n}@example.org"),
            choices={p.block_a: p.roomy.pk, p.block_b: p.morning},
        )
        for n in range(6)
    ]
    cancels = [
        (lambda registration=registration: services.cancel(registration=registration).pk)
        for registration in holders[:6]
    ]
    moves = [
        (
            lambda registration=registration: (
                services.change_seats(
                    registration=registration, seats={p.block_a: p.contested.pk}
                ).pk
            )
        )
        for registration in movers
    ]
    newcomers = [
        registering(
            p.event,
            f"newcomer{n}@example.org",
            {p.block_a: p.contested.pk, p.block_b: p.morning if n % 2 else p.afternoon},
        )
        for n in range(12)
    ]

    outcomes = race(cancels + moves + newcomers)

    cancel_outcomes, move_outcomes, newcomer_outcomes = outcomes[:6], outcomes[6:12], outcomes[12:]
    assert [kind for kind, _ in cancel_outcomes] == ["ok"] * 6, cancel_outcomes
    assert {kind for kind, _ in move_outcomes + newcomer_outcomes} <= {"ok", "WorkshopFull"}, (
        move_outcomes + newcomer_outcomes
    )
    moved_in = sum(kind == "ok" for kind, _ in move_outcomes)
    registered = sum(kind == "ok" for kind, _ in newcomer_outcomes)
    assert moved_in + registered <= 6  # only the cancelled seats were ever free
    assert Seat.objects.filter(workshop=p.contested).count() == 13 - 6 + moved_in + registered
    assert Seat.objects.filter(workshop=p.roomy).count() == 6 - moved_in
    cancelled = Registration.objects.filter(event=p.event, status=Registration.Status.CANCELLED)
    assert cancelled.count() == 6
    assert_seat_invariant(p.event)
