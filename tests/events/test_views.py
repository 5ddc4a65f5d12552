import datetime

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.models import Event
from tests.factories import make_event, make_programme, make_session, make_speaker

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


def test_draft_event_is_previewable_by_staff(client):
    draft = make_event(status=Event.Status.DRAFT, title="Næste års fagdag")
    staff = User.objects.create_user("arrangoer", password="x", is_staff=True)
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

    with CaptureQueriesContext(connection) as queries:
        response = client.get(detail_url(event))

    assert response.status_code == 200
    assert response.content.decode().count('class="workshop"') == blocks * workshops_per_block
    assert len(queries) == 6


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
