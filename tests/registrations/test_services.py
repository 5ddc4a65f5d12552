import datetime
import uuid

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from registrations import services
from registrations.models import Registration, Seat
from tests.factories import make_block, make_event, make_programme, make_workshop

pytestmark = pytest.mark.django_db


def attendee(**fields) -> services.AttendeeDetails:
    defaults = dict(
        name="Anne Steffensen",
        email="anne@example.org",
        workplace="Glostrup Kommune",
        job_title="Socialrådgiver",
        sector=Registration.Sector.PUBLIC,
    )
    defaults.update(fields)
    return services.AttendeeDetails(**defaults)


def first_choices(event):
    return {block.pk: block.workshops.first().pk for block in event.blocks.all()}


def test_register_takes_one_seat_in_each_block():
    event = make_programme(blocks=2, workshops_per_block=4)
    choices = first_choices(event)

    registration = services.register(event=event, attendee=attendee(), choices=choices)

    assert registration.status == Registration.Status.CONFIRMED
    assert {seat.block_id: seat.workshop_id for seat in registration.seats.all()} == choices
    assert len(registration.secret) >= 22  # 128 bits in URL-safe base64


def test_register_normalises_the_email():
    event = make_programme()

    registration = services.register(
        event=event, attendee=attendee(email="  Anne@Example.ORG "), choices=first_choices(event)
    )

    assert registration.email == "anne@example.org"


def test_register_refuses_full_workshop_and_saves_nothing():
    event = make_programme(blocks=2, workshops_per_block=2, capacity=1)
    choices = first_choices(event)
    services.register(event=event, attendee=attendee(email="first@example.org"), choices=choices)

    with pytest.raises(services.WorkshopFull) as refused:
        services.register(
            event=event, attendee=attendee(email="second@example.org"), choices=choices
        )

    assert sorted(refused.value.block_ids) == sorted(choices)
    assert Registration.objects.count() == 1
    assert Seat.objects.count() == 2


def test_register_refuses_a_second_active_registration_for_the_same_email():
    event = make_programme()
    services.register(event=event, attendee=attendee(), choices=first_choices(event))

    with pytest.raises(services.AlreadyRegistered):
        services.register(
            event=event, attendee=attendee(email="ANNE@example.org"), choices=first_choices(event)
        )

    assert Registration.objects.count() == 1


def test_register_allows_the_email_again_after_cancellation():
    event = make_programme()
    first = services.register(event=event, attendee=attendee(), choices=first_choices(event))
    Seat.objects.filter(registration=first).delete()
    Registration.objects.filter(pk=first.pk).update(status=Registration.Status.CANCELLED)

    second = services.register(event=event, attendee=attendee(), choices=first_choices(event))

    assert second.pk != first.pk


def test_register_with_the_same_submission_token_returns_the_first_registration():
    event = make_programme()
    token = uuid.uuid4()

    first = services.register(
        event=event, attendee=attendee(), choices=first_choices(event), submission_token=token
    )
    again = services.register(
        event=event, attendee=attendee(), choices=first_choices(event), submission_token=token
    )

    assert again.pk == first.pk
    assert Registration.objects.count() == 1


def test_an_already_registered_email_is_told_so_before_a_full_workshop_or_a_wrong_choice():
    event = make_programme(blocks=2, workshops_per_block=2, capacity=1)
    choices = first_choices(event)
    services.register(event=event, attendee=attendee(), choices=choices)
    wrong = {**choices, next(iter(choices)): 987654}

    for again in (choices, wrong):  # the chosen workshops are full now; then a made-up one
        with pytest.raises(services.AlreadyRegistered):
            services.register(event=event, attendee=attendee(), choices=again)

    assert Registration.objects.count() == 1
    assert Seat.objects.count() == 2


def test_a_repeated_submission_gets_its_registration_even_when_its_workshops_are_full_now():
    event = make_programme(blocks=2, workshops_per_block=2, capacity=1)
    token = uuid.uuid4()
    choices = first_choices(event)
    first = services.register(
        event=event, attendee=attendee(), choices=choices, submission_token=token
    )

    again = services.register(
        event=event, attendee=attendee(), choices=choices, submission_token=token
    )

    assert again.pk == first.pk
    assert Registration.objects.count() == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"registration_opens": timezone.now() + datetime.timedelta(days=1)},
        {
            "registration_closes": timezone.now() - datetime.timedelta(minutes=1),
            "registration_opens": timezone.now() - datetime.timedelta(days=3),
        },
        {"status": "cancelled"},
        {"status": "draft"},
    ],
    ids=["not-yet-open", "closed", "cancelled", "draft"],
)
def test_register_refuses_when_registration_is_not_open(fields):
    event = make_programme(**fields)

    with pytest.raises(services.RegistrationClosed):
        services.register(event=event, attendee=attendee(), choices=first_choices(event))

    assert Registration.objects.count() == 0


def test_register_refuses_when_the_event_attendee_limit_is_reached():
    event = make_programme(attendee_limit=1)
    services.register(
        event=event, attendee=attendee(email="a@example.org"), choices=first_choices(event)
    )

    with pytest.raises(services.EventFull):
        services.register(
            event=event, attendee=attendee(email="b@example.org"), choices=first_choices(event)
        )

    assert Registration.objects.count() == 1


def test_register_refuses_a_missing_block():
    event = make_programme(blocks=2)
    choices = first_choices(event)
    missing_block = next(iter(choices))
    del choices[missing_block]

    with pytest.raises(services.InvalidChoices) as refused:
        services.register(event=event, attendee=attendee(), choices=choices)

    assert list(refused.value.errors) == [missing_block]
    assert Registration.objects.count() == 0


def test_register_refuses_a_workshop_from_another_block():
    event = make_programme(blocks=2)
    block_1, block_2 = event.blocks.all()
    choices = {block_1.pk: block_2.workshops.first().pk, block_2.pk: block_2.workshops.last().pk}

    with pytest.raises(services.InvalidChoices) as refused:
        services.register(event=event, attendee=attendee(), choices=choices)

    assert list(refused.value.errors) == [block_1.pk]


def test_register_refuses_a_workshop_of_another_event():
    event = make_programme(blocks=1)
    other = make_programme(blocks=1)
    block = event.blocks.get()

    with pytest.raises(services.InvalidChoices):
        services.register(
            event=event,
            attendee=attendee(),
            choices={block.pk: other.blocks.get().workshops.first().pk},
        )

    assert Registration.objects.count() == 0


def test_register_refuses_an_unknown_workshop_and_a_foreign_block():
    event = make_programme(blocks=1)
    block = event.blocks.get()

    with pytest.raises(services.InvalidChoices) as refused:
        services.register(event=event, attendee=attendee(), choices={block.pk: 999_999, 888_888: 1})

    assert sorted(refused.value.errors) == [0, block.pk]


def test_database_refuses_a_seat_beyond_capacity_even_outside_the_service():
    event = make_event()
    workshop = make_workshop(make_block(event), capacity=1)
    registration = services.register(
        event=event, attendee=attendee(), choices={workshop.block_id: workshop.pk}
    )
    other = Registration.objects.create(
        event=event,
        name="X",
        email="x@example.org",
        workplace="W",
        job_title="J",
        sector="public",
        consent_given_at=timezone.now(),
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        Seat.objects.create(registration=other, block_id=workshop.block_id, workshop=workshop)

    assert Seat.objects.filter(workshop=workshop).count() == 1
    assert registration.seats.count() == 1


def test_database_refuses_two_seats_for_the_last_one_in_a_single_statement():
    event = make_event()
    workshop = make_workshop(make_block(event), capacity=1)
    registrations = [
        Registration.objects.create(
            event=event,
            name=f"X {n}",
            email=f"x{n}@example.org",
            workplace="W",
            job_title="J",
            sector="public",
            consent_given_at=timezone.now(),
        )
        for n in range(2)
    ]

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
    registration = Registration.objects.create(
        event=event,
        name="X",
        email="x@example.org",
        workplace="W",
        job_title="J",
        sector="public",
        consent_given_at=timezone.now(),
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        Seat.objects.create(registration=registration, block=block_2, workshop=workshop)


def test_database_refuses_lowering_capacity_below_seats_taken():
    event = make_event()
    workshop = make_workshop(make_block(event), capacity=2)
    for n in range(2):
        services.register(
            event=event,
            attendee=attendee(email=f"{n}@example.org"),
            choices={workshop.block_id: workshop.pk},
        )
    workshop.capacity = 1

    with pytest.raises(IntegrityError), transaction.atomic():
        workshop.save()


def seats_taken(workshop) -> int:
    return type(workshop).objects.values_list("seats_taken", flat=True).get(pk=workshop.pk)


def test_the_database_counts_the_seats_of_every_workshop():
    event = make_event()
    block = make_block(event)
    first, second = make_workshop(block, capacity=3), make_workshop(block, capacity=3)
    registrations = [
        services.register(
            event=event,
            attendee=attendee(email=f"{n}@example.org"),
            choices={block.pk: first.pk},
        )
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
    services.register(event=event, attendee=attendee(), choices={workshop.block_id: workshop.pk})

    stale.title = "Nyt navn"
    stale.save()  # an organiser's edit with a count read earlier

    assert seats_taken(workshop) == 1
    stale.pk = None
    stale._state.adding = True
    stale.save()  # a copy holds no seats
    assert seats_taken(stale) == 0


def test_database_refuses_a_seat_count_above_the_capacity():
    workshop = make_workshop(make_block(make_event()), capacity=1)

    with pytest.raises(IntegrityError), transaction.atomic():
        type(workshop).objects.filter(pk=workshop.pk).update(seats_taken=2)


def test_installing_the_triggers_recounts_the_seats():
    from django.db import connection

    from registrations import triggers

    event = make_event()
    workshop = make_workshop(make_block(event), capacity=5)
    services.register(event=event, attendee=attendee(), choices={workshop.block_id: workshop.pk})
    type(workshop).objects.filter(pk=workshop.pk).update(seats_taken=4)  # out of step

    assert triggers.install(connection)

    assert seats_taken(workshop) == 1
