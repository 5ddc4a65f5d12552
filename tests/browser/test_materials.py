"""Materials in a real browser (issue 15): the attendee downloads their workshop's slides from
their personal page; a stranger with the address gets nothing; axe finds no violations on the
personal page with its materials section, nor on the speakers' upload page."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from events import services as programme_services
from events.models import Material
from tests.browser.test_accessibility import assert_no_axe_violations
from tests.factories import (
    make_block,
    make_event,
    make_registration,
    make_session,
    make_workshop,
    personal_secret,
    personal_url,
)

pytestmark = pytest.mark.browser

SLIDES = b"%PDF-1.4\n% Beskaeftigelsesfaglig stolthed\n%%EOF\n"


@pytest.fixture
def past_event():
    """Socialrådgiverdage, two days ago; its materials shown since yesterday."""
    day = timezone.localdate() - datetime.timedelta(days=2)
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
    keynote = make_session(event, title="Keynote")
    slides = Material.objects.create(
        workshop=stolthed,
        title="Slides",
        file=SimpleUploadedFile("Beskæftigelsesfaglig stolthed.pdf", SLIDES),
    )
    Material.objects.create(session=keynote, title="Optagelse", link="https://example.org/v")
    return dict(event=event, block=block, stolthed=stolthed, other=other, slides=slides)


def register(past_event, workshop):
    """Registered two weeks before the event, while registration was open."""
    when = timezone.now() - datetime.timedelta(days=16)
    with time_machine.travel(when, tick=False):
        return make_registration(past_event["event"], choices={past_event["block"].pk: workshop.pk})


def test_the_attendee_downloads_the_slides_and_a_stranger_gets_nothing(
    live_server, browser, page, past_event
):
    anne = register(past_event, past_event["stolthed"])
    bo = register(past_event, past_event["other"])
    slides = past_event["slides"]

    page.goto(live_server.url + personal_url(anne))
    section = page.get_by_role("region", name="Materialer")
    expect(section).to_contain_text("Beskæftigelsesfaglig stolthed.pdf")
    with page.expect_download() as download_info:
        section.get_by_role("link", name="Slides").click()
    download = download_info.value

    assert download.suggested_filename == "Beskæftigelsesfaglig stolthed.pdf"
    with open(download.path(), "rb") as file:
        assert file.read() == SLIDES

    # A stranger: a fresh browser with the address of Anne's file, but not her link …
    address = reverse(
        "registrations:material", kwargs={"secret": personal_secret(anne), "pk": slides.pk}
    )
    stranger = browser.new_context()
    guessed = address.replace(personal_secret(anne), "A" * len(personal_secret(anne)))
    assert stranger.request.get(live_server.url + guessed).status == 404
    # … another attendee of the event, with their own link …
    others = address.replace(personal_secret(anne), personal_secret(bo))
    assert stranger.request.get(live_server.url + others).status == 404
    # … and wherever a public file might be.
    for public in ("/media/", "/static/", "/"):
        answer = stranger.request.get(live_server.url + public + slides.file.name)
        assert answer.status == 404
    stranger.close()
    page.goto(live_server.url + personal_url(bo))
    expect(page.get_by_role("region", name="Materialer")).not_to_contain_text("Slides")


def test_axe_on_the_personal_page_with_materials(live_server, page, past_event):
    anne = register(past_event, past_event["stolthed"])

    page.goto(live_server.url + personal_url(anne))

    expect(page.get_by_role("heading", name="Materialer")).to_be_visible()
    assert_no_axe_violations(page, "the personal page with materials")


def test_axe_on_the_speakers_upload_page_with_an_error(live_server, page, past_event):
    key = programme_services.make_upload_link(workshop=past_event["stolthed"])

    page.goto(live_server.url + reverse("events:upload_materials", args=[key]))
    page.get_by_role("button", name="Tilføj").click()

    expect(page.get_by_text("Angiv en fil eller et link (én af delene).")).to_be_visible()
    assert_no_axe_violations(page, "the speakers' upload page with an error")
