"""The seats' guards and counter in the database (registrations/triggers.py), and the
workshop's CHECK constraint on its counter: they hold even for code that skips the service."""

import datetime
import re

import pytest
from django.core import checks
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from events.models import Workshop
from events.triggers import drop, installed_names, missing
from registrations import services, triggers
from registrations.models import Registration, Seat
from tests.factories import make_block, make_event, make_registration, make_workshop

pytestmark = pytest.mark.django_db


def registration_without_seats(event, n: int = 0) -> Registration:
    """A registration written directly, as code that skips the service would."""
    return Registration.objects.create(
        event=event,
        name=f"X {n}",
        email=f"x{n}@example.org",
        workplace="W",
        job_title="J",
        sector="public",
        consent_given_at=timezone.now(),
    )


def seats_taken(workshop) -> int:
    return type(workshop).objects.values_list("seats_taken", flat=True).get(pk=workshop.pk)


def database_check_errors() -> list[tuple[str, str]]:
    """(id, message) of each error of the system checks that look at the database."""
    return [
        (error.id, error.msg)
        for error in checks.run_checks(tags=[checks.Tags.database], databases=["default"])
    ]


# Refused: more seats than the capacity, a seat in the wrong block ----------------------------


def test_database_refuses_a_seat_beyond_capacity_even_outside_the_service():
    event = make_event()
    workshop = make_workshop(make_block(event), capacity=1)
    registration = make_registration(event, choices={workshop.block_id: workshop.pk})
    other = registration_without_seats(event)

    with pytest.raises(IntegrityError), transaction.atomic():
        Seat.objects.create(registration=other, block_id=workshop.block_id, workshop=workshop)

    assert Seat.objects.filter(workshop=workshop).count() == 1
    assert registration.seats.count() == 1


def test_a_seat_row_inserted_by_sql_into_a_full_workshop_is_refused_and_the_count_stays():
    event = make_event()
    workshop = make_workshop(make_block(event), capacity=1)
    registration = make_registration(event, choices={workshop.block_id: workshop.pk})
    other = registration_without_seats(event)
    taken_at = connection.ops.adapt_datetimefield_value(timezone.now())

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO registrations_seat (registration_id, block_id, workshop_id, created_at) "
            "VALUES (%s, %s, %s, %s)",
            [other.pk, workshop.block_id, workshop.pk, taken_at],
        )

    assert seats_taken(workshop) == 1
    assert list(Seat.objects.filter(workshop=workshop).values_list("registration", flat=True)) == [
        registration.pk
    ]


def test_database_refuses_two_seats_for_the_last_one_in_a_single_statement():
    event = make_event()
    workshop = make_workshop(make_block(event), capacity=1)
    registrations = [registration_without_seats(event, n) for n in range(2)]

    with pytest.raises(IntegrityError), transaction.atomic():
        Seat.objects.bulk_create(
            Seat(registration=registration, block_id=workshop.block_id, workshop=workshop)
            for registration in registrations
        )

    assert Seat.objects.filter(workshop=workshop).count() == 0
    workshop.refresh_from_db()
    assert workshop.seats_taken == 0


def test_database_refuses_a_seat_whose_block_is_not_its_workshops_block():
    event = make_event()
    block_1, block_2 = (
        make_block(event),
        make_block(event, starts=datetime.time(14), ends=datetime.time(15)),
    )
    workshop = make_workshop(block_1)
    registration = registration_without_seats(event)

    with pytest.raises(IntegrityError), transaction.atomic():
        Seat.objects.create(registration=registration, block=block_2, workshop=workshop)


# Refused: a capacity below the seats taken ---------------------------------------------------


def test_database_refuses_lowering_capacity_below_seats_taken():
    event = make_event()
    workshop = make_workshop(make_block(event), capacity=2)
    for n in range(2):
        make_registration(event, choices={workshop.block_id: workshop.pk}, email=f"{n}@example.org")
    workshop.capacity = 1

    with pytest.raises(IntegrityError), transaction.atomic():
        workshop.save()


def test_a_capacity_updated_below_the_seats_taken_by_a_queryset_is_refused():
    event = make_event()
    workshop = make_workshop(make_block(event), capacity=2)
    for n in range(2):
        make_registration(event, choices={workshop.block_id: workshop.pk}, email=f"{n}@example.org")

    with pytest.raises(IntegrityError), transaction.atomic():
        Workshop.objects.filter(pk=workshop.pk).update(capacity=1)

    workshop.refresh_from_db()
    assert (workshop.capacity, workshop.seats_taken) == (2, 2)


def test_database_refuses_a_seat_count_above_the_capacity():
    workshop = make_workshop(make_block(make_event()), capacity=1)

    with pytest.raises(IntegrityError), transaction.atomic():
        type(workshop).objects.filter(pk=workshop.pk).update(seats_taken=2)


# The seat counter ------------------------------------------------------------------------------


def test_the_database_counts_the_seats_of_every_workshop():
    event = make_event()
    block = make_block(event)
    first, second = make_workshop(block, capacity=3), make_workshop(block, capacity=3)
    registrations = [
        make_registration(event, choices={block.pk: first.pk}, email=f"{n}@example.org")
        for n in range(2)
    ]
    assert (seats_taken(first), seats_taken(second)) == (2, 0)

    Seat.objects.filter(registration=registrations[0]).update(workshop=second)  # a move
    assert (seats_taken(first), seats_taken(second)) == (1, 1)

    services.cancel(registration=registrations[1])  # a delete
    assert (seats_taken(first), seats_taken(second)) == (0, 1)

    first.refresh_from_db()
    assert first.seats_taken == first.seats.count() == 0


def test_saving_a_workshop_leaves_its_seat_count_to_the_database():
    event = make_event()
    workshop = make_workshop(make_block(event), capacity=5)
    stale = type(workshop).objects.get(pk=workshop.pk)  # read before the registration
    make_registration(event, choices={workshop.block_id: workshop.pk})

    stale.title = "Nyt navn"
    stale.save()  # an organiser's edit with a count read earlier

    assert seats_taken(workshop) == 1
    stale.pk = None
    stale._state.adding = True
    stale.save()  # a copy holds no seats
    assert seats_taken(stale) == 0


# Installing, and the check that says when they are missing ------------------------------------


def test_installing_the_triggers_recounts_the_seats():
    event = make_event()
    workshop = make_workshop(make_block(event), capacity=5)
    make_registration(event, choices={workshop.block_id: workshop.pk})
    type(workshop).objects.filter(pk=workshop.pk).update(seats_taken=4)  # out of step

    assert triggers.install(connection)

    assert seats_taken(workshop) == 1


def test_a_missing_seat_trigger_fails_the_database_check_until_install_puts_it_back():
    drop(connection, ["count_seat_insert"])  # the DDL is rolled back with the test

    errors = database_check_errors()
    triggers.install(connection)

    assert errors == [
        (
            "registrations.E001",
            "The database 'default' lacks triggers that registrations depends on: "
            "fagdag_count_seat_insert.",
        )
    ]
    assert database_check_errors() == []


def create_obsolete_triggers() -> None:
    """A harmless trigger under the name each of ``triggers.OBSOLETE`` had when it was installed."""
    with connection.cursor() as cursor:
        for name in triggers.OBSOLETE:
            if connection.vendor == "sqlite":
                cursor.execute(
                    f"CREATE TRIGGER fagdag_{name}_0 BEFORE INSERT ON registrations_seat "
                    "BEGIN SELECT 1; END"
                )
            else:
                cursor.execute(
                    f"CREATE FUNCTION fagdag_{name}() RETURNS trigger LANGUAGE plpgsql "
                    "AS $$ BEGIN RETURN NEW; END $$"
                )
                cursor.execute(
                    f"CREATE TRIGGER fagdag_{name} BEFORE INSERT ON registrations_seat "
                    f"FOR EACH ROW EXECUTE FUNCTION fagdag_{name}()"
                )


def obsolete_triggers_installed() -> set[str]:
    pattern = re.compile(rf"fagdag_({'|'.join(triggers.OBSOLETE)})(_0)?")
    return {name for name in installed_names(connection) if pattern.fullmatch(name)}


def test_install_drops_the_capacity_triggers_of_earlier_versions():
    create_obsolete_triggers()  # the DDL is rolled back with the test
    suffix = "_0" if connection.vendor == "sqlite" else ""
    assert obsolete_triggers_installed() == {f"fagdag_{name}{suffix}" for name in triggers.OBSOLETE}

    assert triggers.install(connection)

    assert obsolete_triggers_installed() == set()
    assert missing(connection, triggers.TRIGGERS) == []
