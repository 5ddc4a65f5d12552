"""The attendee's side of the materials (issue 15, seed 003): who sees and downloads which file,
from when; the one e-mail saying they are ready; and their deletion with the event's retention."""

import datetime
import io
import threading

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from events.models import VENUE_TZ, Material
from registrations import services
from registrations.materials import visible_materials
from tests.factories import (
    make_block,
    make_event,
    make_member,
    make_organisation,
    make_registration,
    make_session,
    make_workshop,
    personal_secret,
    personal_url,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% slides\n%%EOF\n"


def noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=VENUE_TZ)


@pytest.fixture
def world():
    """A past one-day event, its materials shown since yesterday: two workshops in one block,
    a slide deck for each, a plenary talk's link; an attendee in each workshop."""
    day = timezone.localdate() - datetime.timedelta(days=3)
    event = make_event(
        title="Socialrådgiverdage",
        first_day=day,
        registration_opens=None,
        registration_closes=None,
        materials_from=timezone.now() - datetime.timedelta(days=1),
    )
    block = make_block(event)
    stolthed = make_workshop(block, title="Beskæftigelsesfaglig stolthed")
    other = make_workshop(block, title="Børn og unge")
    talk = make_session(event, title="Keynote")
    with time_machine.travel(noon(day - datetime.timedelta(days=10)), tick=False):
        anne = make_registration(event, choices={block.pk: stolthed.pk}, name="Anne")
        bo = make_registration(event, choices={block.pk: other.pk}, name="Bo")
    slides = Material.objects.create(
        workshop=stolthed,
        title="Slides",
        file=SimpleUploadedFile("Beskæftigelsesfaglig stolthed.pdf", PDF),
    )
    other_slides = Material.objects.create(
        workshop=other, file=SimpleUploadedFile("born.pdf", b"%PDF-1.4 other")
    )
    keynote = Material.objects.create(session=talk, link="https://video.example.org/keynote")
    return dict(
        event=event,
        anne=anne,
        bo=bo,
        slides=slides,
        other_slides=other_slides,
        keynote=keynote,
    )


def material_url(registration, material) -> str:
    return reverse(
        "registrations:material",
        kwargs={"secret": personal_secret(registration), "pk": material.pk},
    )


def test_an_attendee_sees_their_workshops_and_the_plenary_materials(world):
    assert list(visible_materials(world["anne"])) == [world["slides"], world["keynote"]]
    assert list(visible_materials(world["bo"])) == [world["other_slides"], world["keynote"]]


def test_the_attendee_downloads_the_file_under_its_own_name(client, world):
    response = client.get(material_url(world["anne"], world["slides"]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''Besk%C3%A6ftigelsesfaglig%20stolthed.pdf"
    )
    assert response["Cache-Control"] == "private, no-store"


def test_another_workshops_file_is_a_404(client, world):
    assert client.get(material_url(world["anne"], world["other_slides"])).status_code == 404


def test_a_stranger_with_a_made_up_link_gets_a_404(client, world):
    url = reverse("registrations:material", kwargs={"secret": "x" * 43, "pk": world["slides"].pk})

    assert client.get(url).status_code == 404


def test_nothing_before_the_chosen_time(client, world):
    event = world["event"]
    event.materials_from = timezone.now() + datetime.timedelta(hours=2)
    event.save()

    assert list(visible_materials(world["anne"])) == []
    assert client.get(material_url(world["anne"], world["slides"])).status_code == 404
    assert "Materialer" not in client.get(personal_url(world["anne"])).content.decode()


def test_a_cancelled_attendee_sees_nothing(client, world):
    services.cancel(registration=world["anne"], by_organiser=True)

    assert client.get(material_url(world["anne"], world["slides"])).status_code == 404


def test_the_files_are_not_under_a_public_address(client, world, settings):
    name = world["slides"].file.name

    for prefix in ("/", "/media/", "/" + settings.STATIC_URL):
        assert client.get(prefix + name).status_code == 404


def test_the_personal_page_lists_the_materials(client, world):
    response = client.get(personal_url(world["anne"]))

    page = response.content.decode()
    assert 'id="materials-title">Materialer</h2>' in page
    assert material_url(world["anne"], world["slides"]) in page
    assert "Beskæftigelsesfaglig stolthed.pdf" in page
    assert "https://video.example.org/keynote" in page
    assert "born.pdf" not in page


def test_staff_of_the_events_organisation_download_it_in_the_admin(client, world):
    call_command("setup_roles", stdout=io.StringIO())
    url = reverse("admin:events_material_download", args=[world["slides"].pk])
    own = User.objects.create_user("own", password="x", is_staff=True)
    make_member(own)
    stranger = User.objects.create_user("other", password="x", is_staff=True)
    make_member(stranger, organisation=make_organisation("KKR Midtjylland"))

    client.force_login(stranger)
    refused = client.get(url)
    client.force_login(own)
    allowed = client.get(url)

    assert refused.status_code == 404
    assert allowed.status_code == 200
    assert b"".join(allowed.streaming_content) == PDF


def send_notices() -> str:
    out = io.StringIO()
    call_command("send_materials_notices", stdout=out)
    return out.getvalue()


def materials_mails():
    return [message for message in mail.outbox if message.subject.startswith("Materialer fra")]


def test_each_attendee_gets_one_email_when_the_materials_are_ready(
    world, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        output = send_notices()
    first = materials_mails()
    with django_capture_on_commit_callbacks(execute=True):
        Material.objects.create(workshop=world["slides"].workshop, link="https://example.org/x")
        send_notices()
        send_notices()

    assert output == "Socialrådgiverdage: told 2 attendee(s) that the materials are ready.\n"
    assert sorted(message.to[0] for message in first) == sorted(
        [world["anne"].email, world["bo"].email]
    )
    assert first[0].subject == "Materialer fra Socialrådgiverdage er klar"
    assert "Hent dem på din personlige side." in first[0].body
    assert len(materials_mails()) == 2


def test_no_email_before_the_chosen_time(world, django_capture_on_commit_callbacks):
    event = world["event"]
    event.materials_from = timezone.now() + datetime.timedelta(days=1)
    event.save()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        send_notices()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1, minutes=1)):
        with django_capture_on_commit_callbacks(execute=True):
            send_notices()

    assert len(materials_mails()) == 2


def test_cancelled_attendees_get_no_email(world, django_capture_on_commit_callbacks):
    services.cancel(registration=world["bo"], by_organiser=True)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        send_notices()

    assert [message.to for message in materials_mails()] == [[world["anne"].email]]


def test_retention_deletes_the_materials_and_their_files(world, materials_dir, settings):
    path = materials_dir / world["slides"].file.name
    assert path.exists()
    day = world["event"].last_day + datetime.timedelta(days=settings.RETENTION_DAYS_AFTER_EVENT)

    with time_machine.travel(noon(day), tick=False):
        out = io.StringIO()
        call_command("anonymise_attendees", stdout=out)

    assert "deleted 3 material(s) of past events." in out.getvalue()
    assert Material.objects.count() == 0
    assert not path.exists()


def test_retention_keeps_the_materials_until_the_day(world, settings):
    day = world["event"].last_day + datetime.timedelta(days=settings.RETENTION_DAYS_AFTER_EVENT - 1)

    with time_machine.travel(noon(day), tick=False):
        call_command("anonymise_attendees", stdout=io.StringIO())

    assert Material.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_send_once(world):
    for n in range(4):
        with time_machine.travel(noon(world["event"].first_day - datetime.timedelta(days=9))):
            make_registration(world["event"], email=f"attendee{n}@example.org")
    mail.outbox.clear()
    start = threading.Barrier(2)
    errors = []

    def run():
        try:
            start.wait(timeout=30)
            send_notices()
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(message.to[0] for message in materials_mails()) == sorted(
        [world["anne"].email, world["bo"].email, *(f"attendee{n}@example.org" for n in range(4))]
    )
