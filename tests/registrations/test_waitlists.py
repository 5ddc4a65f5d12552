"""change_seats, cancel and the waitlists: seats move, and nobody waiting loses their place."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from registrations import services
from registrations.models import Registration, Seat, WaitlistEntry
from tests.factories import make_block, make_event, make_workshop, registration_form_data
from tests.registrations.test_services import attendee

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    """One block of three workshops: A (1 seat), B (1 seat), C (5 seats)."""
    event = make_event()
    block = make_block(event)
    for title, capacity in (("A", 1), ("B", 1), ("C", 5)):
        make_workshop(block, title=title, capacity=capacity)
    return event


def workshop(event, title):
    return event.blocks.get().workshops.get(title=title)


def sign_up(event, email, title, **kwargs):
    block = event.blocks.get()
    return services.register(
        event=event,
        attendee=attendee(email=email),
        choices={block.pk: workshop(event, title).pk},
        **kwargs,
    )


def seat_of(registration):
    return Seat.objects.get(registration=registration).workshop.title


def test_change_seats_moves_the_seat_and_frees_the_old_one(event):
    anne = sign_up(event, "anne@example.org", "A")
    block = event.blocks.get()

    services.change_seats(registration=anne, seats={block.pk: workshop(event, "C").pk})

    assert seat_of(anne) == "C"
    assert workshop(event, "A").seats.count() == 0


def test_change_seats_refuses_a_full_workshop_and_changes_nothing(event):
    anne = sign_up(event, "anne@example.org", "A")
    sign_up(event, "bo@example.org", "B")

    with pytest.raises(services.WorkshopFull):
        services.change_seats(
            registration=anne, seats={event.blocks.get().pk: workshop(event, "B").pk}
        )

    assert seat_of(anne) == "A"


def test_waiting_attendee_is_moved_in_when_the_seat_frees(event):
    anne = sign_up(event, "anne@example.org", "A")
    bo = sign_up(event, "bo@example.org", "C")
    block = event.blocks.get()
    services.change_seats(registration=bo, seats={}, waits={block.pk: workshop(event, "A").pk})

    services.cancel(registration=anne)

    assert seat_of(bo) == "A"
    assert WaitlistEntry.objects.count() == 0


def test_a_chain_of_waiters_moves_in_one_transaction(event):
    anne = sign_up(event, "anne@example.org", "A")
    bo = sign_up(event, "bo@example.org", "B")
    cai = sign_up(event, "cai@example.org", "C")
    block = event.blocks.get()
    services.change_seats(registration=bo, seats={}, waits={block.pk: workshop(event, "A").pk})
    services.change_seats(registration=cai, seats={}, waits={block.pk: workshop(event, "B").pk})

    services.cancel(registration=anne)

    assert (seat_of(bo), seat_of(cai)) == ("A", "B")


def test_first_in_line_gets_the_seat(event):
    anne = sign_up(event, "anne@example.org", "A")
    bo = sign_up(event, "bo@example.org", "C")
    cai = sign_up(event, "cai@example.org", "C")
    block = event.blocks.get()
    services.change_seats(registration=bo, seats={}, waits={block.pk: workshop(event, "A").pk})
    services.change_seats(registration=cai, seats={}, waits={block.pk: workshop(event, "A").pk})

    services.cancel(registration=anne)

    assert (seat_of(bo), seat_of(cai)) == ("A", "C")
    assert list(WaitlistEntry.objects.values_list("registration__email", flat=True)) == [
        "cai@example.org"
    ]


def test_choosing_the_current_workshop_leaves_the_waitlist(event):
    sign_up(event, "anne@example.org", "A")
    bo = sign_up(event, "bo@example.org", "C")
    block = event.blocks.get()
    services.change_seats(registration=bo, seats={}, waits={block.pk: workshop(event, "A").pk})

    services.change_seats(registration=bo, seats={block.pk: workshop(event, "C").pk})

    assert WaitlistEntry.objects.count() == 0


def test_register_on_the_event_waitlist_when_a_block_is_full(event):
    for n, title in enumerate(["A", "B", "C", "C", "C", "C", "C"]):
        sign_up(event, f"{n}@example.org", title)

    late = sign_up(event, "late@example.org", "A", waitlist=True)

    assert late.status == Registration.Status.WAITLISTED
    assert late.seats.count() == 0
    assert late.waitlist_entries.get().workshop.title == "A"


def test_waitlist_is_refused_while_the_block_has_free_seats(event):
    sign_up(event, "anne@example.org", "A")

    with pytest.raises(services.WorkshopFull):
        sign_up(event, "bo@example.org", "A", waitlist=True)


def test_waitlisted_attendee_is_confirmed_when_a_seat_frees(event):
    taken = [
        sign_up(event, f"{n}@example.org", t)
        for n, t in enumerate(["A", "B", "C", "C", "C", "C", "C"])
    ]
    late = sign_up(event, "late@example.org", "B", waitlist=True)

    services.cancel(registration=taken[1])  # the seat in B

    late.refresh_from_db()
    assert late.status == Registration.Status.CONFIRMED
    assert seat_of(late) == "B"


def test_waitlisted_attendee_accepting_any_workshop_gets_another_free_one(event):
    taken = [
        sign_up(event, f"{n}@example.org", t)
        for n, t in enumerate(["A", "B", "C", "C", "C", "C", "C"])
    ]
    late = sign_up(event, "late@example.org", "A", waitlist=True, accept_any_workshop=True)

    services.cancel(registration=taken[3])  # a seat in C

    late.refresh_from_db()
    assert (late.status, seat_of(late)) == (Registration.Status.CONFIRMED, "C")


def test_event_attendee_limit_waitlists_and_confirms_in_order():
    event = make_event(attendee_limit=1)
    block = make_block(event)
    ws = make_workshop(block, capacity=10)
    first = services.register(
        event=event, attendee=attendee(email="a@example.org"), choices={block.pk: ws.pk}
    )
    second = services.register(
        event=event,
        attendee=attendee(email="b@example.org"),
        choices={block.pk: ws.pk},
        waitlist=True,
    )
    third = services.register(
        event=event,
        attendee=attendee(email="c@example.org"),
        choices={block.pk: ws.pk},
        waitlist=True,
    )

    services.cancel(registration=first)

    second.refresh_from_db()
    third.refresh_from_db()
    assert (second.status, third.status) == ("confirmed", "waitlisted")


def test_raising_capacity_hands_the_new_seats_to_the_waitlist(event):
    taken = [
        sign_up(event, f"{n}@example.org", t)
        for n, t in enumerate(["A", "B", "C", "C", "C", "C", "C"])
    ]
    late = sign_up(event, "late@example.org", "A", waitlist=True)
    a = workshop(event, "A")
    a.capacity = 2
    a.save()

    services.fill_free_seats(event=event)

    late.refresh_from_db()
    assert late.status == "confirmed"
    assert len(taken) == 7


def test_cancel_after_the_change_deadline_is_refused_for_attendees_but_not_organisers(event):
    anne = sign_up(event, "anne@example.org", "A")
    event.changes_close = timezone.now() - datetime.timedelta(minutes=1)
    event.save()
    anne.refresh_from_db()

    with pytest.raises(services.ChangesClosed):
        services.cancel(registration=anne)
    services.cancel(registration=anne, by_organiser=True)

    anne.refresh_from_db()
    assert anne.status == "cancelled"
    assert Seat.objects.count() == 0


def test_the_confirmation_page_says_which_workshop_a_waitlisted_member_waits_for(client, event):
    for n, title in enumerate(["A", "B", "C", "C", "C", "C", "C"]):
        sign_up(event, f"{n}@example.org", title)
    block = event.blocks.get()
    data = registration_form_data(
        event,
        email="late@example.org",
        waitlist="on",
        **{f"block_{block.pk}": workshop(event, "A").pk},
    )

    response = client.post(reverse("registrations:register", kwargs={"slug": event.slug}), data)
    page = client.get(response.url).content.decode()

    assert Registration.objects.get(email="late@example.org").status == "waitlisted"
    assert "Du er på venteliste til" in page
    waits = page.split("Du er på venteliste til", 1)[1].split("</ul>")[0]
    assert waits.count("<li") == 1
    assert ": A</li>" in waits
    assert "Dine workshops" not in page  # no empty heading
