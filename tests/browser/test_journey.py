"""Issue 15 in a real browser: on the personal page an attendee leaves a workshop's waitlist
with its own button, and switches the language of their e-mails and links (and the page)."""

import pytest
from playwright.sync_api import expect

from events.models import Workshop
from registrations import services
from registrations.models import Registration, WaitlistEntry
from tests.browser.test_accessibility import assert_no_axe_violations
from tests.factories import make_block, make_event, make_registration, make_workshop, personal_url

pytestmark = pytest.mark.browser


@pytest.fixture
def waiting(live_server):
    """Bo holds a seat in Beskæftigelse and waits for the full Udsatte børn."""
    event = make_event(title="Faglig Fællesskabsdag", venue="Festsalen")
    block = make_block(event)
    full = make_workshop(block, title="Udsatte børn", capacity=1)
    kept = make_workshop(block, title="Beskæftigelse", capacity=5)
    make_registration(event, choices={block.pk: full.pk})
    bo = make_registration(event, name="Bo Holm", choices={block.pk: kept.pk})
    services.change_seats(registration=bo, seats={}, waits={block.pk: full.pk})
    return bo


def test_attendee_leaves_a_waitlist_with_its_own_button(live_server, page, waiting):
    page.goto(live_server.url + personal_url(waiting))
    waitlists = page.get_by_role("region", name="Dine ventelister")
    expect(waitlists).to_contain_text("Udsatte børn")
    assert_no_axe_violations(page, "the personal page with a waitlist to leave")

    waitlists.get_by_role("listitem").filter(has_text="Udsatte børn").get_by_role(
        "button", name="Forlad ventelisten"
    ).click()

    expect(page.get_by_role("status")).to_have_text(
        "Du er taget af ventelisten til “Udsatte børn”. Du beholder din nuværende plads."
    )
    expect(page.get_by_role("region", name="Dine ventelister")).to_have_count(0)
    expect(page.locator(".waitlist-entries")).to_have_count(0)
    expect(page.locator(".chosen-workshops")).to_contain_text("Beskæftigelse")
    assert WaitlistEntry.objects.filter(registration=waiting).count() == 0
    assert [seat.workshop.title for seat in waiting.seats.all()] == ["Beskæftigelse"]
    assert Workshop.objects.get(title="Udsatte børn").seats_taken == 1


def test_attendee_switches_their_language_on_the_personal_page(live_server, page, waiting):
    page.goto(live_server.url + personal_url(waiting))
    language = page.get_by_role("region", name="Dit sprog")

    language.get_by_label("Sprog i dine mails og links").select_option("en")
    language.get_by_role("button", name="Gem sprog").click()

    expect(page.get_by_role("status")).to_have_text(
        "Your e-mails and links will be in English from now on."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Your registration")
    assert page.url == live_server.url + "/en" + personal_url(waiting)
    expect(page.get_by_label("Language of your e-mails and links")).to_have_value("en")
    assert Registration.objects.get(pk=waiting.pk).language == "en"
    assert_no_axe_violations(page, "the personal page in English")

    # And back to Danish.
    page.get_by_label("Language of your e-mails and links").select_option("da")
    page.get_by_role("button", name="Save language").click()

    expect(page.get_by_role("status")).to_have_text("Dine mails og links er på dansk fra nu af.")
    assert page.url == live_server.url + personal_url(waiting)
    assert Registration.objects.get(pk=waiting.pk).language == "da"
