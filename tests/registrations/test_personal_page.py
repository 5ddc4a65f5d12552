import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from registrations import services
from registrations.models import Registration, Seat, WaitlistEntry
from tests.factories import make_block, make_event, make_workshop, personal_secret
from tests.registrations.test_services import attendee

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    event = make_event()
    block = make_block(event)
    a = make_workshop(block, title="Ungeindsatsen", capacity=1)
    b = make_workshop(block, title="Handler det om ære?", capacity=5)
    anne = services.register(event=event, attendee=attendee(), choices={block.pk: a.pk})
    return event, block, a, b, anne


def url(name, registration):
    return reverse(f"registrations:{name}", kwargs={"secret": personal_secret(registration)})


def test_personal_page_offers_change_and_cancel(client, setup):
    _event, _block, _a, _b, anne = setup

    content = client.get(url("personal", anne)).content.decode()

    assert "Skift workshops" in content
    assert "Afmeld din tilmelding" in content


def test_attendee_changes_workshop_from_the_personal_page(client, setup):
    _event, block, _a, b, anne = setup

    response = client.post(url("change", anne), {f"block_{block.pk}": str(b.pk)})

    assert response.status_code == 302
    assert Seat.objects.get(registration=anne).workshop == b
    assert "Dine workshops er ændret" in client.get(response.url).content.decode()


def test_attendee_joins_a_waitlist_and_keeps_the_seat(client, setup):
    event, block, a, b, _anne = setup
    bo = services.register(
        event=event, attendee=attendee(email="bo@example.org"), choices={block.pk: b.pk}
    )

    client.post(url("change", bo), {f"block_{block.pk}": f"wait:{a.pk}"})

    assert Seat.objects.get(registration=bo).workshop == b
    assert WaitlistEntry.objects.get(registration=bo).workshop == a
    assert "Du venter på" in client.get(url("personal", bo)).content.decode()


def test_cancel_needs_confirmation_then_frees_the_seat(client, setup):
    _event, _block, a, _b, anne = setup

    unconfirmed = client.post(url("cancel", anne), {})
    confirmed = client.post(url("cancel", anne), {"confirm": "on"})

    anne.refresh_from_db()
    assert unconfirmed.status_code == 200
    assert confirmed.status_code == 302
    assert anne.status == Registration.Status.CANCELLED
    assert a.seats.count() == 0


def test_after_the_deadline_the_page_says_whom_to_contact(client, setup):
    event, block, _a, b, anne = setup
    event.changes_close = timezone.now() - datetime.timedelta(hours=1)
    event.save()

    content = client.get(url("personal", anne)).content.decode()
    refused = client.post(url("change", anne), {f"block_{block.pk}": str(b.pk)})

    assert "Ændringer og afmelding via denne side er lukket" in content
    assert event.contact_email in content
    assert refused.status_code == 200
    assert Seat.objects.get(registration=anne).workshop != b


@pytest.mark.parametrize("name", ["personal", "change", "cancel"])
def test_another_attendees_or_a_wrong_link_is_404(client, setup, name):
    _event, _block, _a, _b, anne = setup
    wrong = personal_secret(anne)[:-2] + (
        "AA" if not personal_secret(anne).endswith("AA") else "BB"
    )

    method = client.get if name == "personal" else client.post
    response = method(reverse(f"registrations:{name}", kwargs={"secret": wrong}))

    assert response.status_code == 404


def test_tampered_change_is_refused_at_the_field(client, setup):
    event, block, _a, _b, anne = setup
    other = make_workshop(make_block(event, starts=datetime.time(14), ends=datetime.time(15)))

    response = client.post(url("change", anne), {f"block_{block.pk}": str(other.pk)})

    assert response.status_code == 200
    assert f"block_{block.pk}" in response.context["change_form"].errors
