"""Seats by preference in a real browser: the organiser switches the demo's Faglig
Fællesskabsdag to preferences, a member ranks with the keyboard alone, and the organiser
previews the draw, sees its chart and runs it."""

import io
import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from events.models import Event
from registrations.models import AllocationRun, Registration
from tests.browser.test_accessibility import assert_no_axe_violations
from tests.factories import change_url, make_member

pytestmark = pytest.mark.browser

USERNAME, PASSWORD = "arrangoer", "en-lang-adgangskode-til-testen"
SLUG = "faglig-faellesskabsdag"


@pytest.fixture
def event(live_server):
    call_command("load_demo", stdout=io.StringIO())
    call_command("setup_roles", stdout=io.StringIO())
    event = Event.objects.get(slug=SLUG)
    organiser = User.objects.create_user(USERNAME, password=PASSWORD, is_staff=True)
    make_member(organiser, organisation=event.organisation)
    return event


@pytest.fixture
def member_page(browser):
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


def switch_to_preferences(page, live_server, event) -> None:
    page.goto(f"{live_server.url}{change_url(event)}")
    page.locator("#id_seat_allocation").select_option("preferences")
    # The ranking closes when registration does (a week before the day), at noon.
    page.locator("#id_preferences_close_0").fill(
        page.locator("#id_registration_closes_0").input_value()
    )
    page.locator("#id_preferences_close_1").fill("12:00:00")
    page.get_by_role("button", name="Gem", exact=True).last.click()
    expect(page.locator(".messagelist .success")).to_contain_text(event.title)


def rank_with_the_keyboard(page, live_server) -> None:
    page.goto(f"{live_server.url}/tilmelding/{SLUG}/")
    expect(page.get_by_text("Pladserne fordeles ved lodtrækning")).to_be_visible()
    assert_no_axe_violations(page, "the ranking form")
    blocks = page.locator("fieldset.ranking-block")
    expect(blocks).to_have_count(2)
    first_select = blocks.nth(0).locator("select").first
    first_select.focus()
    # Each block: the 1st choice is the first workshop, the 2nd the second, … (ArrowDown
    # moves a closed select to the next option); Tab goes on to the next select.
    for _block in range(2):
        for rank in range(1, 4):
            for _ in range(rank):
                page.keyboard.press("ArrowDown")
            page.keyboard.press("Tab")
        page.keyboard.press("Tab")  # past the fourth, optional wish
    for block in range(2):
        selects = blocks.nth(block).locator("select")
        assert [selects.nth(i).input_value() != "" for i in range(4)] == [True] * 3 + [False]
    page.locator("#id_name").fill("Anne Steffensen")
    page.locator("#id_email").fill("anne@example.org")
    page.locator("#id_workplace").fill("Glostrup Kommune")
    page.locator("#id_job_title").fill("Socialrådgiver")
    page.locator("#id_membership_number").fill("123456")
    page.get_by_label("Offentligt ansat", exact=True).check()
    page.get_by_label("Jeg betaler selv").check()
    page.locator("#id_invoice_address").fill("Rådhusparken 2, 2600 Glostrup")
    page.locator("#id_consent").check()
    page.get_by_role("button", name="Send mine ønsker").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vi har dine ønsker")
    expect(page.locator(".ranking-status ol").first.locator("li")).to_have_count(3)
    assert_no_axe_violations(page, "the page after ranking")
    # The page carries no personal link: that is in the e-mail only.
    assert "/tilmelding/min/" not in page.content()
    [received] = [m for m in mail.outbox if m.to == ["anne@example.org"]]
    [link] = set(re.findall(r"https?://\S+/tilmelding/min/[\w-]+/", received.body))
    page.goto(live_server.url + urlsplit(link).path)
    expect(page.get_by_role("heading", name="Dine ønsker")).to_be_visible()
    assert_no_axe_violations(page, "the personal page awaiting the draw")
    page.get_by_role("link", name="Ret dine ønsker").click()
    assert_no_axe_violations(page, "the change of wishes")


def test_organiser_switches_to_preferences_member_ranks_organiser_previews_and_runs_the_draw(
    live_server, page, member_page, event, settings
):
    # Each e-mail is sent right after its commit, into Django's test outbox, where the
    # member's personal link is read.
    settings.EMAIL_DELIVER_ON_COMMIT = True
    log_in(page, live_server)
    switch_to_preferences(page, live_server, event)

    rank_with_the_keyboard(member_page, live_server)

    page.goto(f"{live_server.url}{change_url(event)}")
    page.get_by_role("link", name="Se fordelingen på forhånd").click()
    expect(page.get_by_role("heading", name="Forhåndsvisning: intet gemmes")).to_be_visible()
    expect(page.locator("svg.draw-bars")).to_have_count(2)
    expect(page.locator("svg.draw-bars").first).to_be_visible()
    assert AllocationRun.objects.count() == 0
    page.get_by_role("button", name="Kør fordelingen").click()
    expect(page.locator(".messagelist .success")).to_contain_text(
        "Fordelingen er kørt: 1 fik plads"
    )
    expect(page.locator("svg.draw-bars")).to_have_count(2)

    anne = Registration.objects.get(email="anne@example.org")
    assert anne.status == Registration.Status.CONFIRMED
    assert anne.seats.count() == 2
    member_page.goto(f"{live_server.url}/tilmelding/{SLUG}/")
    expect(member_page.locator('input[type="radio"][name^="block_"]').first).to_be_attached()
