import datetime

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from events.models import Event
from tests.factories import (
    make_event,
    make_member,
    make_organisation,
    make_programme,
    make_session,
    make_speaker,
)

pytestmark = pytest.mark.django_db


def detail_url(event):
    return reverse("events:detail", kwargs={"slug": event.slug})


def test_event_list_shows_upcoming_published_events_only(client):
    published = make_event(title="Faglig Fællesskabsdag")
    make_event(title="Kladde", status=Event.Status.DRAFT)
    past_day = datetime.date.today() - datetime.timedelta(days=10)
    make_event(title="Sidste år", first_day=past_day, last_day=past_day)

    response = client.get(reverse("events:list"))

    assert response.status_code == 200
    assert [e.pk for e in response.context["events"]] == [published.pk]
    assert "Faglig Fællesskabsdag" in response.content.decode()


def test_online_event_is_listed_as_online(client):
    make_event(title="KKR konference", is_online=True, venue="")

    content = client.get(reverse("events:list")).content.decode()

    assert "Online" in content


def test_draft_event_is_404_to_the_public(client):
    draft = make_event(status=Event.Status.DRAFT)

    assert client.get(detail_url(draft)).status_code == 404


def test_draft_event_is_previewable_by_its_organisations_staff(client):
    draft = make_event(status=Event.Status.DRAFT, title="Næste års fagdag")
    staff = User.objects.create_user("arrangoer", password="x", is_staff=True)
    make_member(staff, organisation=draft.organisation)
    client.force_login(staff)

    response = client.get(detail_url(draft))

    assert response.status_code == 200
    assert "Næste års fagdag" in response.content.decode()


def test_programme_shows_times_speakers_and_seats_as_the_seeds_do(client):
    event = make_programme(blocks=1, workshops_per_block=1, capacity=12)
    session = make_session(
        event,
        title="Hvordan vurderer socialrådgivere risiko?",
        starts=datetime.time(9, 30),
        ends=datetime.time(10, 45),
    )
    speaker = make_speaker(
        name="Morten Ejrnæs", role="sociolog og lektor emeritus", organisation="Aalborg Universitet"
    )
    session.speaker_links.create(speaker=speaker)

    content = client.get(detail_url(event)).content.decode()

    assert "09.30–10.45" in content
    assert "v/ Morten Ejrnæs, sociolog og lektor emeritus, Aalborg Universitet" in content
    assert "12 ledige pladser" in content
    assert '<html lang="da">' in content


def test_programme_groups_a_two_day_event_by_day_in_danish(client):
    event = make_programme(
        blocks=6,
        workshops_per_block=2,
        first_day=datetime.date(2030, 10, 30),
        last_day=datetime.date(2030, 10, 31),
    )

    content = client.get(detail_url(event)).content.decode()

    assert "30.–31. oktober 2030" in content
    assert "Onsdag 30. oktober" in content
    assert "Torsdag 31. oktober" in content


@pytest.mark.parametrize("blocks,workshops_per_block", [(1, 2), (6, 15)])
def test_programme_page_query_count_is_constant(client, blocks, workshops_per_block):
    event = make_programme(
        blocks=blocks,
        workshops_per_block=workshops_per_block,
        first_day=datetime.date(2030, 10, 30),
        last_day=datetime.date(2030, 10, 31),
    )
    for n in range(3):
        session = make_session(event, title=f"Oplæg {n}")
        session.speaker_links.create(speaker=make_speaker())

    with CaptureQueriesContext(connection) as first:
        client.get(detail_url(event))  # renders the page and keeps it
    with CaptureQueriesContext(connection) as queries:
        response = client.get(detail_url(event))

    assert response.status_code == 200
    assert response.content.decode().count('class="workshop"') == blocks * workshops_per_block
    assert len(first) == 7  # the event, the seats, then the programme as get_programme reads it
    assert len(queries) == 2  # the event with its programme version, the seats: nothing more


def test_edits_to_workshops_and_speakers_show_at_once_on_the_programme_and_the_form(client):
    # The unchanging parts of each workshop are rendered once per process and
    # remembered by their content (events/templatetags/programme.py): an edit
    # is new content, so it must show on the next request.

    speaker = make_speaker(name="Lise Hansen", role="", organisation="")
    event = make_programme(blocks=1, workshops_per_block=1, capacity=5)
    workshop = event.blocks.get().workshops.get()
    workshop.speaker_links.create(speaker=speaker, position=5)
    form_url = reverse("registrations:register", kwargs={"slug": event.slug})
    for url in (detail_url(event), form_url):
        assert "Lise Hansen" in client.get(url).content.decode()

    workshop.title = "Nyt navn på workshoppen"
    workshop.room = "Sal 7"
    workshop.save()
    speaker.name = "Lise Hansen-Berg"
    speaker.save()

    for url in (detail_url(event), form_url):
        content = client.get(url).content.decode()
        assert "Nyt navn på workshoppen" in content
        assert "Sal 7" in content
        assert "Lise Hansen-Berg" in content
        assert "5 ledige pladser" in content


# --- privacy pages: each event's names its organisation; the site's names the operator ----


def event_privacy_url(event):
    return reverse("events:event_privacy", kwargs={"slug": event.slug})


@pytest.fixture
def two_organisations_events():
    region_ost = make_organisation(
        "Dansk Socialrådgiverforening, Region Øst",
        privacy_controller="Dansk Socialrådgiverforening, Toldbodgade 19B, 1253 København K, "
        "CVR 12345678",
        privacy_email="persondata@regionost.example.org",
    )
    kl = make_organisation(
        "Kommunernes Landsforening",
        privacy_controller="KL, Weidekampsgade 10, 2300 København S, CVR 87654321",
        privacy_email="dpo@kl.example.org",
    )
    return (
        make_event(organisation=region_ost, title="Faglig Fællesskabsdag"),
        make_event(organisation=kl, title="KKR konference"),
    )


def test_each_events_privacy_page_names_its_own_organisation_as_controller(
    client, two_organisations_events
):
    ost_event, kl_event = two_organisations_events

    ost_page = client.get(event_privacy_url(ost_event)).content.decode()
    kl_page = client.get(event_privacy_url(kl_event)).content.decode()

    assert "Dansk Socialrådgiverforening, Toldbodgade 19B, 1253 København K, CVR 12345678" in (
        ost_page
    )
    assert '<a href="mailto:persondata@regionost.example.org">' in ost_page
    assert "KL, Weidekampsgade 10" not in ost_page
    assert "dpo@kl.example.org" not in ost_page
    assert "KL, Weidekampsgade 10, 2300 København S, CVR 87654321" in kl_page
    assert '<a href="mailto:dpo@kl.example.org">' in kl_page
    assert "Toldbodgade" not in kl_page
    assert "persondata@regionost.example.org" not in kl_page


def test_event_privacy_page_without_a_privacy_email_gives_the_organisations_contact(client):
    organisation = make_organisation(
        "Kommunernes Landsforening", contact_email="kontakt@kl.example.org", privacy_email=""
    )
    event = make_event(organisation=organisation, contact_email="lise@kl.example.org")

    content = client.get(event_privacy_url(event)).content.decode()

    assert '<a href="mailto:kontakt@kl.example.org">' in content


def test_event_privacy_page_in_danish(client, settings, two_organisations_events):
    settings.PRIVACY_CONTROLLER = "Dansk Socialrådgiverforening"
    settings.PRIVACY_CONTACT_EMAIL = "persondata@example.org"
    ost_event, _kl_event = two_organisations_events

    content = client.get(event_privacy_url(ost_event)).content.decode()

    assert '<html lang="da">' in content
    assert (
        "Den dataansvarlige for din tilmelding til Faglig Fællesskabsdag er Dansk "
        "Socialrådgiverforening, Toldbodgade 19B, 1253 København K, CVR 12345678." in content
    )
    assert (
        "Skriv til Dansk Socialrådgiverforening, Region Øst om dine personoplysninger: "
        '<a href="mailto:persondata@regionost.example.org">persondata@regionost.example.org</a>.'
        in content
    )
    assert "Tilmeldingssiden drives af Dansk Socialrådgiverforening" in content
    assert "90 dage efter" in content
    assert "Datatilsynet" in content


def test_event_privacy_page_in_english(client, two_organisations_events):
    _ost_event, kl_event = two_organisations_events
    with translation.override("en"):
        url = event_privacy_url(kl_event)

    content = client.get(url).content.decode()

    assert url == f"/en/arrangementer/{kl_event.slug}/privatliv/"
    assert '<html lang="en">' in content
    assert (
        "The data controller for your registration for KKR konference is KL, "
        "Weidekampsgade 10, 2300 København S, CVR 87654321." in content
    )
    assert (
        "Write to Kommunernes Landsforening about your personal data: "
        '<a href="mailto:dpo@kl.example.org">dpo@kl.example.org</a>.' in content
    )
    assert "90 days after" in content
    assert "Danish Data Protection Agency" in content


def test_draft_events_privacy_page_is_404_to_the_public(client):
    draft = make_event(status=Event.Status.DRAFT)

    assert client.get(event_privacy_url(draft)).status_code == 404


def test_draft_events_privacy_page_is_previewable_by_its_organisations_staff(client):
    draft = make_event(status=Event.Status.DRAFT, title="Næste års fagdag")
    staff = User.objects.create_user("arrangoer", password="x", is_staff=True)
    make_member(staff, organisation=draft.organisation)
    client.force_login(staff)

    response = client.get(event_privacy_url(draft))

    assert response.status_code == 200
    assert "Næste års fagdag" in response.content.decode()


def test_cancelled_events_privacy_page_is_shown(client):
    cancelled = make_event(status=Event.Status.CANCELLED)

    assert client.get(event_privacy_url(cancelled)).status_code == 200


def test_unknown_events_privacy_page_is_404(client):
    assert client.get("/arrangementer/findes-ikke/privatliv/").status_code == 404


def test_event_page_links_its_privacy_page(client):
    event = make_event(slug="faglig-faellesskabsdag")

    content = client.get(detail_url(event)).content.decode()

    assert '<a href="/arrangementer/faglig-faellesskabsdag/privatliv/">' in content


def test_site_privacy_page_names_the_operator_and_links_the_events_own_pages(
    client, settings, two_organisations_events
):
    settings.PRIVACY_CONTROLLER = "Fagdag ApS"
    ost_event, kl_event = two_organisations_events
    draft = make_event(status=Event.Status.DRAFT, title="Kladde")

    content = client.get(reverse("events:privacy")).content.decode()

    assert "Tilmeldingssiden drives af Fagdag ApS" in content
    assert (
        f'<a href="{event_privacy_url(ost_event)}">Faglig Fællesskabsdag</a> '
        "(Dansk Socialrådgiverforening, Region Øst)" in content
    )
    assert (
        f'<a href="{event_privacy_url(kl_event)}">KKR konference</a> (Kommunernes Landsforening)'
        in (content)
    )
    assert event_privacy_url(draft) not in content


@pytest.mark.parametrize("events", [1, 8])
def test_site_privacy_page_query_count_is_constant(client, events):
    for n in range(events):
        make_event(organisation=make_organisation(f"Organisation {n}"))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("events:privacy"))

    assert response.status_code == 200
    assert response.content.decode().count('<li><a href="/arrangementer/') == events
    assert len(queries) == 1
