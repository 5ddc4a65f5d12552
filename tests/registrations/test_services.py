import datetime
import uuid

import pytest
from django.core import mail
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from registrations import services
from registrations.models import Registration, Seat
from tests.factories import make_programme

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


def test_a_repeat_of_a_registered_address_meets_the_refusals_a_new_address_meets():
    event = make_programme(blocks=2, workshops_per_block=2, capacity=1)
    choices = first_choices(event)
    services.register(event=event, attendee=attendee(), choices=choices)
    wrong = {**choices, next(iter(choices)): 987654}
    others = {block.pk: block.workshops.last().pk for block in event.blocks.all()}

    refusals = {}
    for email in ("anne@example.org", "new@example.org"):
        refusals[email] = []
        for again in (choices, wrong):  # the chosen workshops are full now; then a made-up one
            with pytest.raises(services.RegistrationError) as refused:
                services.register(event=event, attendee=attendee(email=email), choices=again)
            refusals[email].append(type(refused.value))

    assert refusals["anne@example.org"] == refusals["new@example.org"]
    assert refusals["new@example.org"] == [services.WorkshopFull, services.InvalidChoices]
    with pytest.raises(services.AlreadyRegistered) as repeat:
        services.register(event=event, attendee=attendee(), choices=others)
    assert repeat.value.status == Registration.Status.CONFIRMED
    assert Registration.objects.count() == 1
    assert Seat.objects.count() == 2


def test_a_repeat_mails_the_owner_and_changes_nothing(django_capture_on_commit_callbacks):
    event = make_programme()
    first = services.register(event=event, attendee=attendee(), choices=first_choices(event))

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(services.AlreadyRegistered):
            services.register(
                event=event, attendee=attendee(name="Someone Else"), choices=first_choices(event)
            )

    [message] = mail.outbox
    assert message.to == ["anne@example.org"]
    assert message.subject == f"Nogen har forsøgt at tilmelde dig {event.title} igen"
    assert "Intet er ændret" in message.body
    assert "Someone Else" not in message.body
    first.refresh_from_db()
    assert first.name == "Anne Steffensen"


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


@pytest.mark.django_db(transaction=True)
def test_lock_event_and_workshops_refuses_to_run_outside_a_transaction():
    event = make_programme(blocks=1, workshops_per_block=1)

    with pytest.raises(TransactionManagementError) as refused:
        services.lock_event_and_workshops(event)

    assert str(refused.value) == (
        "lock_event_and_workshops() holds its locks until the transaction ends: "
        "call it inside transaction.atomic()."
    )


# --- The hand-written reads of every registration and refusal ---------------------------


def test_the_look_for_an_earlier_registration_gives_what_its_queryset_gives():
    """``earlier_registration`` against the queryset in its docstring, for each kind of row."""
    from django.db.models import Q

    event, other_event = make_programme(), make_programme()
    tokens = {name: uuid.uuid4() for name in ("active", "cancelled", "elsewhere", "new")}
    active = services.register(
        event=event,
        attendee=attendee(email="anne@example.org"),
        choices=first_choices(event),
        submission_token=tokens["active"],
    )
    cancelled = services.register(
        event=event,
        attendee=attendee(email="bo@example.org"),
        choices=first_choices(event),
        submission_token=tokens["cancelled"],
    )
    services.cancel(registration=cancelled)
    elsewhere = services.register(
        event=other_event,
        attendee=attendee(email="anne@example.org"),
        choices=first_choices(other_event),
        submission_token=tokens["elsewhere"],
    )

    def by_queryset(email, token):
        found = list(
            Registration.objects.filter(
                Q(event=event, email=email) & ~Q(status="cancelled") | Q(submission_token=token)
            )
        )
        by_token = [r for r in found if token and r.submission_token == token]
        return (by_token or found or [None])[0]

    cases = [
        ("anne@example.org", tokens["new"], active),  # a repeat
        ("anne@example.org", tokens["active"], active),  # a double click
        ("anne@example.org", None, active),
        ("bo@example.org", tokens["new"], None),  # cancelled: may register again
        ("bo@example.org", tokens["cancelled"], cancelled),  # that very submission
        ("carl@example.org", tokens["elsewhere"], elsewhere),  # the token comes first
        ("carl@example.org", tokens["new"], None),
        ("carl@example.org", None, None),
    ]
    for email, token, expected in cases:
        found = services.earlier_registration(event, email, token)
        assert found == by_queryset(email, token) == expected, (email, token)


def test_a_refusal_finds_the_registration_its_submission_made_and_nothing_else():
    event = make_programme()
    token = uuid.uuid4()
    made = services.register(
        event=event, attendee=attendee(), choices=first_choices(event), submission_token=token
    )

    assert services.explain_refusal(submission_token=token) == made
    assert services.explain_refusal(submission_token=uuid.uuid4()) is None
    assert services.explain_refusal(submission_token=None) is None


def test_a_workshop_the_seats_show_full_is_refused_before_any_transaction_or_lock():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    event = make_programme(blocks=2, workshops_per_block=2, capacity=1)
    choices = first_choices(event)
    services.register(event=event, attendee=attendee(email="first@example.org"), choices=choices)

    with CaptureQueriesContext(connection) as queries, pytest.raises(services.WorkshopFull) as full:
        services.register(
            event=event, attendee=attendee(email="second@example.org"), choices=choices
        )

    statements = [query["sql"].upper() for query in queries.captured_queries]
    assert not any("SAVEPOINT" in sql or "FOR UPDATE" in sql for sql in statements), statements
    assert sorted(full.value.block_ids) == sorted(choices)
    assert {row[1] for row in full.value.seats} >= set(choices.values())  # the form shows them
    assert Registration.objects.count() == 1


def test_an_invalid_choice_comes_before_a_full_one():
    event = make_programme(blocks=2, workshops_per_block=2, capacity=1)
    first_block, second_block = event.blocks.order_by("pk")
    choices = first_choices(event)
    services.register(event=event, attendee=attendee(email="first@example.org"), choices=choices)

    # The first block's workshop is full; the second block is given the first block's.
    wrong = {first_block.pk: choices[first_block.pk], second_block.pk: choices[first_block.pk]}
    with pytest.raises(services.InvalidChoices) as invalid:
        services.register(event=event, attendee=attendee(email="second@example.org"), choices=wrong)
    assert second_block.pk in invalid.value.errors
