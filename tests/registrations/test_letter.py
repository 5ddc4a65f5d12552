"""The letter to the attendee's manager (seed 001): a page to copy or print, and a .txt download."""

import datetime

import pytest
from django.urls import reverse

from registrations import services
from tests.factories import make_block, make_event, make_speaker, make_workshop, personal_secret

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    """Socialrådgiverdage over two days, one block a day."""
    event = make_event(
        title="Socialrådgiverdage 2030",
        slug="sd30",
        summary="Årets fagfestival for socialrådgivere, i år om styring af det sociale arbejde.",
        organiser="Dansk Socialrådgiverforening",
        first_day=datetime.date(2030, 11, 1),
        last_day=datetime.date(2030, 11, 2),
        venue="Comwell Kolding",
        address="Skovbrynet 1, 6000 Kolding",
        price=2450,
    )
    first = make_block(event, day=event.first_day)
    make_workshop(
        first,
        title="Styring af det sociale arbejde",
        speakers=[
            make_speaker(
                name="Lotte Bøgh Andersen", role="professor", organisation="Aarhus Universitet"
            )
        ],
    )
    second = make_block(event, day=event.last_day)
    make_workshop(
        second,
        title="Beskæftigelsesrettet sagsbehandling",
        description="Hvordan bliver sagsbehandlingen mere rettet mod job? Workshoppen giver bud.",
    )
    return event


def register(event, **attendee):
    choices = {block.pk: block.workshops.get().pk for block in event.blocks.all()}
    details = dict(
        name="Anne Steffensen",
        email="anne@example.org",
        workplace="Glostrup Kommune",
        job_title="Socialrådgiver",
        sector="public",
    )
    details.update(attendee)
    return services.register(
        event=event, attendee=services.AttendeeDetails(**details), choices=choices
    )


def letter_url(registration, name="registrations:letter"):
    return reverse(name, kwargs={"secret": personal_secret(registration)})


def test_letter_names_the_event_its_dates_place_price_and_the_chosen_workshops(client, event):
    registration = register(event)

    response = client.get(letter_url(registration))

    content = response.content.decode()
    assert response.status_code == 200
    assert '<h1 class="letter-tools">Brev til din leder</h1>' in content
    assert "Ansøgning om at deltage i Socialrådgiverdage 2030" in content
    assert (
        "Jeg vil gerne deltage i Socialrådgiverdage 2030, et fagligt arrangement, som "
        "Dansk Socialrådgiverforening holder den 1.–2. november 2030."
    ) in content
    assert "Det foregår på Comwell Kolding, Skovbrynet 1, 6000 Kolding." in content
    assert "Årets fagfestival for socialrådgivere" in content
    assert "Jeg har valgt disse workshops:" in content
    assert (
        "- Styring af det sociale arbejde<br>"
        "  v/ Lotte Bøgh Andersen, professor, Aarhus Universitet"
    ) in content
    assert (
        "- Beskæftigelsesrettet sagsbehandling<br>"
        "  Hvordan bliver sagsbehandlingen mere rettet mod job?"
    ) in content
    assert "Workshoppen giver bud." not in content
    assert "Prisen er 2.450 kr. pr. deltager." in content
    assert "Jeg beder derfor om lov til at deltage i arrangementets 2 dage." in content
    assert "Anne Steffensen<br>Socialrådgiver, Glostrup Kommune" in content


def test_letter_page_is_private_and_prints_without_the_page_around_it(client, event):
    registration = register(event)

    response = client.get(letter_url(registration))

    content = response.content.decode()
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"
    assert '<link rel="stylesheet" href="/static/css/letter.css">' in content
    assert f'href="{letter_url(registration, "registrations:letter_txt")}" download' in content


def test_letter_downloads_as_utf8_text(client, event):
    registration = register(event, name="Ann O'Hara & Co")

    response = client.get(letter_url(registration, "registrations:letter_txt"))

    text = response.content.decode("utf-8")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="sd30-brev.txt"'
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert text.startswith("Ansøgning om at deltage i Socialrådgiverdage 2030\n\nKære leder\n\n")
    assert "\n- Styring af det sociale arbejde\n  v/ Lotte Bøgh Andersen" in text
    assert text.endswith("\nVenlig hilsen\nAnn O'Hara & Co\nSocialrådgiver, Glostrup Kommune\n")


def test_letter_for_a_free_one_day_online_event(client):
    event = make_event(
        title="KKR konference 2030",
        first_day=datetime.date(2030, 5, 11),
        is_online=True,
        venue="",
        price=0,
    )
    block = make_block(event)
    make_workshop(block, title="Design af nye løsninger", description="")
    registration = register(event)

    text = client.get(letter_url(registration, "registrations:letter_txt")).content.decode()

    assert "holder den 11. maj 2030. Det holdes online, så det kræver ingen transport." in text
    assert "Jeg har valgt denne workshop:\n\n- Design af nye løsninger\n\n" in text
    assert (
        "Det er gratis at deltage: det koster kun min arbejdstid. "
        "Jeg beder derfor om lov til at deltage i arrangementets ene dag."
    ) in text


def test_personal_page_links_to_the_letter(client, event):
    registration = register(event)

    content = client.get(
        reverse("registrations:personal", kwargs={"secret": personal_secret(registration)})
    ).content.decode()

    assert f'<a href="{letter_url(registration)}">' in content


@pytest.mark.parametrize("name", ["registrations:letter", "registrations:letter_txt"])
def test_letter_of_an_unknown_or_cancelled_registration_is_404(client, event, name):
    registration = register(event)
    other = register(event, email="bo@example.org")
    services.cancel(registration=other)

    assert (
        client.get(reverse(name, kwargs={"secret": personal_secret(registration)[:-1]})).status_code
        == 404
    )
    assert client.get(reverse(name, kwargs={"secret": "A" * 43})).status_code == 404
    assert client.get(letter_url(other, name)).status_code == 404
