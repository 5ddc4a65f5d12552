"""Issue 4 in a real browser: an attendee opens their personal link, changes a
workshop, joins the waitlist of a full one while keeping their seat, and cancels.

Every step is checked twice: on the page the attendee sees, and in the database
(seats, waitlist entries, the registration's status).
"""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from events.models import Event, Workshop
from registrations import services
from registrations.models import Registration, Seat, WaitlistEntry
from tests.factories import personal_url

pytestmark = pytest.mark.browser

SLUG = "faglig-faellesskabsdag"


def register(event: Event, *, email: str, name: str, choices: dict[int, int]) -> Registration:
    return services.register(
        event=event,
        attendee=services.AttendeeDetails(
            name=name,
            email=email,
            workplace="Glostrup Kommune",
            job_title="Socialrådgiver",
            sector=Registration.Sector.PUBLIC,
            membership_number="123456",
            payer=Registration.Payer.PERSONAL,
            invoice_address="Rådhusparken 2, 2600 Glostrup",
        ),
        choices=choices,
    )


def seats_of(registration: Registration) -> dict[int, int]:
    return dict(Seat.objects.filter(registration=registration).values_list("block", "workshop"))


def waits_of(registration: Registration) -> dict[int, int]:
    return dict(
        WaitlistEntry.objects.filter(registration=registration).values_list("block", "workshop")
    )


def test_attendee_changes_a_workshop_joins_a_waitlist_and_cancels(live_server, page):
    call_command("load_demo", stdout=io.StringIO())
    event = Event.objects.get(slug=SLUG)
    first_block, second_block = event.blocks.all()
    current, free, wanted, _other = first_block.workshops.all()
    kept = second_block.workshops.first()
    registration = register(
        event,
        email="anne@example.org",
        name="Anne Steffensen",
        choices={first_block.pk: current.pk, second_block.pk: kept.pk},
    )
    change_form = page.locator("form[action$='/skift/']")
    first_group = change_form.locator("fieldset").filter(has_text=first_block.title)
    chosen = page.locator(".chosen-workshops")
    status = page.locator(".registration-summary dt:text-is('Status') + dd")

    # Open the personal link.
    page.goto(live_server.url + personal_url(registration))

    expect(page.get_by_role("heading", level=1)).to_have_text("Din tilmelding")
    expect(status).to_have_text("Bekræftet")
    expect(chosen).to_contain_text(current.title)
    expect(first_group.get_by_label(current.title)).to_be_checked()

    # Change to a free workshop in block 1.
    first_group.get_by_label(free.title).check()
    change_form.get_by_role("button", name="Gem ændringer").click()

    expect(page.get_by_role("status")).to_have_text(
        "Dine workshops er ændret. Vi har sendt dig en e-mail."
    )
    expect(chosen).to_contain_text(free.title)
    expect(chosen).not_to_contain_text(current.title)
    expect(first_group.get_by_label(free.title)).to_be_checked()
    assert seats_of(registration) == {first_block.pk: free.pk, second_block.pk: kept.pk}
    assert waits_of(registration) == {}

    # Another workshop of block 1 fills up: two other attendees take its seats.
    for number in (1, 2):
        register(
            event,
            email=f"kollega{number}@example.org",
            name=f"Kollega {number}",
            choices={first_block.pk: wanted.pk, second_block.pk: kept.pk},
        )
    Workshop.objects.filter(pk=wanted.pk).update(capacity=2)
    page.reload()

    # Choose the full workshop: the option offers the waitlist.
    wanted_option = first_group.locator(".workshop-option").filter(has_text=wanted.title)
    expect(wanted_option).to_contain_text("Fuldt booket: sæt mig på venteliste")
    wanted_option.get_by_role("radio").check()
    change_form.get_by_role("button", name="Gem ændringer").click()

    # Only a waitlist joined, no seat changed: the message says so.
    expect(page.get_by_role("status")).to_have_text(
        "Du er på venteliste. Du beholder din nuværende workshop, indtil der bliver en plads "
        "fri. Vi har sendt dig en e-mail."
    )
    expect(page.get_by_role("heading", name="Du venter på")).to_be_visible()
    expect(page.locator(".waitlist-entries li")).to_have_count(1)
    expect(page.locator(".waitlist-entries")).to_contain_text(wanted.title)
    expect(chosen).to_contain_text(free.title)  # the current seat is kept
    expect(wanted_option.get_by_role("radio")).to_be_checked()
    assert seats_of(registration) == {first_block.pk: free.pk, second_block.pk: kept.pk}
    assert waits_of(registration) == {first_block.pk: wanted.pk}
    assert Seat.objects.filter(workshop=wanted).count() == 2

    # Cancel: tick the confirmation, send.
    page.get_by_label("Ja, afmeld mig og frigiv mine pladser").check()
    page.get_by_role("button", name="Afmeld", exact=True).click()

    expect(page.get_by_role("status")).to_have_text(
        "Din tilmelding er afmeldt. Dine pladser går videre til andre."
    )
    expect(status).to_have_text("Afmeldt")
    expect(change_form).to_have_count(0)
    expect(page.get_by_role("button", name="Afmeld", exact=True)).to_have_count(0)
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED
    assert seats_of(registration) == {}
    assert waits_of(registration) == {}
    assert Seat.objects.filter(workshop=free).count() == 0
