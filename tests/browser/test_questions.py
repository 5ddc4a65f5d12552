"""An event's own question in a real browser: the organiser adds it in the admin, a member
answers it on the public form, and the organiser finds the answer in the attendee list.

The organiser logs in through the admin's login page with a password, and the member
uses a browser context of their own (no cookies shared with the organiser's).
"""

import codecs
import csv
import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from playwright.sync_api import expect

from registrations.models import Answer, Question, Registration
from tests.factories import change_url, make_member, make_programme

pytestmark = pytest.mark.browser

USERNAME, PASSWORD = "arrangoer", "en-lang-adgangskode-til-testen"
LABEL = "Hvilken kommune arbejder du i?"
CHOICES = ["Glostrup Kommune", "Ballerup Kommune", "Herlev Kommune"]
CHOSEN = "Ballerup Kommune"


@pytest.fixture
def event(live_server):
    call_command("setup_roles", stdout=io.StringIO())
    organiser = User.objects.create_user(USERNAME, password=PASSWORD, is_staff=True)
    make_member(organiser)
    return make_programme(blocks=1, workshops_per_block=2, title="Faglig dag")


@pytest.fixture
def member_page(browser):
    """The member's own browser: a fresh context, in Danish."""
    context = browser.new_context(locale="da-DK")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def log_in(page, live_server) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.locator("#id_username").fill(USERNAME)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    expect(page.locator("#user-tools")).to_contain_text(USERNAME)


def add_choice_question(page, live_server, event) -> None:
    page.goto(f"{live_server.url}{change_url(event)}")
    page.locator("#questions-group").get_by_role(
        "button", name="Tilføj endnu en Arrangementets eget spørgsmål"
    ).click()
    page.locator("#id_questions-0-label").fill(LABEL)
    page.locator("#id_questions-0-kind").select_option(label="Ét af flere valg")
    page.locator("#id_questions-0-choices").fill("\n".join(CHOICES))
    page.get_by_role("button", name="Gem", exact=True).last.click()  # under the form
    expect(page.locator(".messagelist .success")).to_contain_text(event.title)


def register_answering(page, live_server, event) -> None:
    workshop = event.blocks.get().workshops.first()
    page.goto(f"{live_server.url}/tilmelding/{event.slug}/")
    page.locator("#id_name").fill("Anne Steffensen")
    page.locator("#id_email").fill("anne@example.org")
    page.locator("#id_workplace").fill("Glostrup Kommune")
    page.locator("#id_job_title").fill("Socialrådgiver")
    page.get_by_label("Offentligt ansat", exact=True).check()
    page.get_by_label(workshop.title, exact=True).check()
    question = page.locator("fieldset", has=page.get_by_text(LABEL, exact=True))
    expect(question.get_by_role("radio")).to_have_count(len(CHOICES))
    question.get_by_label(CHOSEN, exact=True).check()
    page.locator("#id_consent").check()
    page.get_by_role("button", name="Tilmeld dig").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tjek din e-mail")


def download_attendee_list(page, live_server, event) -> bytes:
    page.goto(f"{live_server.url}{change_url(event)}")
    row = page.locator("tr", has=page.locator("th", has_text="Deltagerliste"))
    with page.expect_download() as download:
        row.get_by_role("link", name="CSV til Excel").click()
    with open(download.value.path(), "rb") as file:
        return file.read()


def test_organiser_adds_a_choice_question_a_member_answers_it_and_the_list_shows_the_answer(
    event, live_server, page, member_page
):
    log_in(page, live_server)

    add_choice_question(page, live_server, event)
    register_answering(member_page, live_server, event)
    content = download_attendee_list(page, live_server, event)

    question = Question.objects.get()
    assert (question.event, question.label, question.kind, question.choice_list) == (
        event,
        LABEL,
        Question.Kind.CHOICE,
        CHOICES,
    )
    assert list(Answer.objects.values_list("registration__name", "value")) == [
        ("Anne Steffensen", CHOSEN)
    ]
    assert Registration.objects.get().status == Registration.Status.CONFIRMED
    assert content.startswith(codecs.BOM_UTF8)
    header, anne = csv.reader(
        io.StringIO(content.decode("utf-8").removeprefix("\ufeff")), delimiter=";"
    )
    assert anne[header.index("Navn")] == "Anne Steffensen"
    assert anne[header.index(LABEL)] == CHOSEN
