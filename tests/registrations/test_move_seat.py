"""services.move_seat: an organiser moves an attendee to another workshop of the same block."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.core import mail

from registrations import services
from registrations.models import Registration, Seat, WaitlistEntry
from tests.factories import make_block, make_programme, make_registration, make_workshop

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    """Two blocks of two workshops with two seats each."""
    return make_programme(blocks=2, workshops_per_block=2, capacity=2)


def workshops_of(event):
    return [list(block.workshops.all()) for block in event.blocks.all()]


def seats_of(registration) -> dict[int, int]:
    return dict(registration.seats.values_list("block", "workshop"))


def test_move_seat_moves_into_a_free_workshop_of_the_same_block(
    event, django_capture_on_commit_callbacks
):
    (first, other), (second, _) = workshops_of(event)
    anne = make_registration(event)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        move = services.move_seat(registration=anne, workshop=other)

    assert (move.from_workshop, move.to_workshop, move.capacity_raised_from) == (
        first,
        other,
        None,
    )
    assert seats_of(anne) == {first.block_id: other.pk, second.block_id: second.pk}
    assert len(mail.outbox) == 1  # the "changed" e-mail


def test_move_seat_refuses_a_full_workshop_and_changes_nothing(event):
    (first, other), _ = workshops_of(event)
    anne = make_registration(event)
    for _ in range(2):
        make_registration(event, choices={b.pk: b.workshops.last().pk for b in event.blocks.all()})

    with pytest.raises(services.WorkshopFull) as refused:
        services.move_seat(registration=anne, workshop=other)

    assert refused.value.workshops == [other]
    assert Seat.objects.get(registration=anne, block=first.block).workshop == first
    other.refresh_from_db()
    assert other.capacity == 2


def test_move_seat_with_override_raises_the_capacity_by_one_and_records_it(event):
    (_first, other), _ = workshops_of(event)
    anne = make_registration(event, name="Anne Steffensen")
    for _ in range(2):
        make_registration(event, choices={b.pk: b.workshops.last().pk for b in event.blocks.all()})
    organiser = User.objects.create_user("arrangoer", is_staff=True)

    move = services.move_seat(
        registration=anne, workshop=other, override_capacity=True, by=organiser
    )

    other.refresh_from_db()
    assert (move.capacity_raised_from, other.capacity, other.seats.count()) == (2, 3, 3)
    entry = LogEntry.objects.get()
    assert (entry.user, entry.object_id, entry.get_change_message()) == (
        organiser,
        str(other.pk),
        "Antal pladser hævet fra 2 til 3 for at flytte en deltager ind (tilsidesat).",
    )


def test_move_seat_without_override_to_a_free_workshop_raises_nothing(event):
    (_first, other), _ = workshops_of(event)
    anne = make_registration(event)

    move = services.move_seat(registration=anne, workshop=other, override_capacity=True)

    other.refresh_from_db()
    assert (move.capacity_raised_from, other.capacity) == (None, 2)
    assert LogEntry.objects.count() == 0


def test_the_freed_seat_goes_to_the_first_in_line_for_it(event):
    (first, other), (second, second_other) = workshops_of(event)
    anne = make_registration(event)
    make_registration(event, choices={first.block_id: first.pk, second.block_id: second_other.pk})
    waiting = make_registration(
        event, choices={first.block_id: other.pk, second.block_id: second_other.pk}
    )
    services.change_seats(registration=waiting, seats={}, waits={first.block_id: first.pk})

    services.move_seat(registration=anne, workshop=other)

    assert seats_of(waiting)[first.block_id] == first.pk
    assert not WaitlistEntry.objects.filter(registration=waiting).exists()


def test_move_seat_takes_the_attendee_off_the_blocks_waitlist(event):
    (first, other), (second, second_other) = workshops_of(event)
    anne = make_registration(event, choices={first.block_id: other.pk, second.block_id: second.pk})
    make_registration(event)
    make_registration(event, choices={first.block_id: first.pk, second.block_id: second_other.pk})
    services.change_seats(registration=anne, seats={}, waits={first.block_id: first.pk})
    third = make_workshop(first.block, capacity=5)

    services.move_seat(registration=anne, workshop=third)

    assert seats_of(anne)[first.block_id] == third.pk
    assert not WaitlistEntry.objects.filter(registration=anne).exists()


def test_move_seat_gives_a_seat_in_a_block_added_after_registering(event):
    anne = make_registration(event)
    late = make_block(event, title="Workshops, blok 3")
    workshop = make_workshop(late, capacity=1)

    move = services.move_seat(registration=anne, workshop=workshop)

    assert move.from_workshop is None
    assert seats_of(anne)[late.pk] == workshop.pk


@pytest.mark.parametrize("status", ["waitlisted", "cancelled"])
def test_move_seat_refuses_a_registration_without_seats(event, status):
    (_first, other), _ = workshops_of(event)
    registration = make_registration(event)
    Registration.objects.filter(pk=registration.pk).update(status=status)

    with pytest.raises(services.NotConfirmed):
        services.move_seat(registration=registration, workshop=other)


def test_move_seat_refuses_a_workshop_of_another_event(event):
    anne = make_registration(event)
    elsewhere = make_programme(blocks=1).blocks.get().workshops.first()

    with pytest.raises(services.InvalidChoices):
        services.move_seat(registration=anne, workshop=elsewhere)

    assert set(seats_of(anne).values()) == {ws[0].pk for ws in workshops_of(event)}
