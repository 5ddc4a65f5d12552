"""WCAG 2.1 AA in the browser: axe-core on every public page, a keyboard-only
registration with visible focus, the error summary taking focus, the pages at
320 px width, and the language switcher.

axe-core comes inside axe-playwright-python; nothing is downloaded. Every rule
axe runs by default is checked (WCAG 2.0/2.1 A and AA, and its best practices:
landmarks, heading order, …), and a page passes only with no violation at all.
"""

import io
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import expect

from events.models import Event, Workshop
from registrations import services
from registrations.models import Registration
from tests.factories import personal_secret, personal_url

pytestmark = pytest.mark.browser

PAID = "faglig-faellesskabsdag"  # one day, two blocks of four, a price: invoice fields
ONLINE = "kkr-konference-2021"  # free, online
BIG = "socialraadgiverdage-2017"  # two days, many blocks
SCREENSHOTS = Path(settings.DATA_DIR) / "screenshots"

axe = Axe()


def assert_no_axe_violations(page, what: str) -> None:
    results = axe.run(page)
    assert results.violations_count == 0, f"axe on {what} ({page.url}):\n" + (
        results.generate_report()
    )


@pytest.fixture
def demo(live_server):
    """The seed events; the first workshop of the paid event's first block is fully booked."""
    call_command("load_demo", stdout=io.StringIO())
    event = Event.objects.get(slug=PAID)
    block = event.blocks.order_by("day", "starts").first()
    full = block.workshops.order_by("position", "pk").first()
    Workshop.objects.filter(pk=full.pk).update(capacity=1)
    services.register(
        event=event,
        attendee=services.AttendeeDetails(
            name="Bo Holm",
            email="bo@example.org",
            workplace="Roskilde Kommune",
            job_title="Socialrådgiver",
            sector=Registration.Sector.PUBLIC,
            membership_number="7",
            payer=Registration.Payer.PERSONAL,
            invoice_address="Vej 1, 4000 Roskilde",
        ),
        choices={
            b.pk: b.workshops.order_by("position", "pk").first().pk for b in event.blocks.all()
        },
    )
    return live_server.url


def registered(event_slug: str, email: str = "anne@example.org") -> Registration:
    event = Event.objects.get(slug=event_slug)
    choices = {}
    for block in event.blocks.all():
        free = [w for w in block.workshops.all() if not w.is_full]
        choices[block.pk] = free[-1].pk
    return services.register(
        event=event,
        attendee=services.AttendeeDetails(
            name="Anne Steffensen",
            email=email,
            workplace="Glostrup Kommune",
            job_title="Socialrådgiver",
            sector=Registration.Sector.PUBLIC,
            membership_number="123456",
            dietary_needs="Vegetar",
            payer="" if event.is_free else Registration.Payer.EAN,
            ean="" if event.is_free else "5798000000001",
            invoice_organisation="" if event.is_free else "Glostrup Kommune",
            invoice_address="" if event.is_free else "Rådhusparken 2, 2600 Glostrup",
            invoice_attention="" if event.is_free else "Mette Hansen",
        ),
        choices=choices,
    )


# --- axe on every public page ---------------------------------------------------


def test_event_list(demo, page):
    page.goto(f"{demo}/")
    assert_no_axe_violations(page, "the event list")


@pytest.mark.parametrize("slug", [PAID, ONLINE, BIG])
def test_programme(demo, page, slug):
    page.goto(f"{demo}/arrangementer/{slug}/")
    assert_no_axe_violations(page, f"the programme of {slug}")


@pytest.mark.parametrize("slug", [PAID, ONLINE])
def test_registration_form(demo, page, slug):
    page.goto(f"{demo}/tilmelding/{slug}/")
    assert_no_axe_violations(page, f"the registration form of {slug}")


def test_registration_form_with_errors_focuses_the_summary(demo, page):
    page.goto(f"{demo}/tilmelding/{PAID}/")
    page.get_by_role("button", name="Tilmeld").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert_no_axe_violations(page, "the registration form with errors")


def test_error_summary_link_puts_the_cursor_in_the_field(demo, page):
    page.goto(f"{demo}/tilmelding/{PAID}/")
    page.get_by_role("button", name="Tilmeld").click()

    page.locator("#error-summary").get_by_role("link", name="Fulde navn").click()

    expect(page.get_by_label("Fulde navn")).to_be_focused()


def test_confirmation_page(demo, page):
    page.goto(f"{demo}/tilmelding/{ONLINE}/")
    for fieldset in page.locator("fieldset.workshop-block").all():
        fieldset.locator("input[type=radio]:not([disabled])").first.check()
    page.get_by_label("Fulde navn").fill("Anne Steffensen")
    page.get_by_label("E-mail").fill("anne@example.org")
    page.get_by_label("Arbejdsplads").fill("Glostrup Kommune")
    page.get_by_label("Stillingsbetegnelse").fill("Socialrådgiver")
    page.get_by_label("Offentligt ansat").check()
    page.locator("#id_consent").check()
    page.get_by_role("button", name="Tilmeld").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Tjek din e-mail")
    assert_no_axe_violations(page, "the confirmation page")


@pytest.mark.parametrize("slug", [PAID, ONLINE])
def test_personal_page_with_the_change_form(demo, page, slug):
    registration = registered(slug)

    page.goto(demo + personal_url(registration))

    expect(page.get_by_role("heading", name="Skift workshops")).to_be_visible()
    assert_no_axe_violations(page, f"the personal page and change form of {slug}")


def test_change_form_with_errors(demo, page):
    registration = registered(PAID)
    page.goto(demo + personal_url(registration))
    # Tamper with the form the way a stale page would: a choice that no longer exists.
    page.locator("form[action$='/skift/'] input[type=radio]").first.evaluate(
        "radio => { radio.value = '999999'; radio.checked = true; }"
    )
    page.get_by_role("button", name="Gem ændringer").click()

    expect(page.locator("#error-summary")).to_be_focused()
    assert_no_axe_violations(page, "the change form with errors")


def test_erase_form_with_errors_and_the_erased_page(demo, page):
    registration = registered(PAID)
    page.goto(demo + personal_url(registration))
    page.get_by_role("button", name="Afmeld og slet mine data").click()
    expect(page.locator("#error-summary")).to_be_focused()
    assert_no_axe_violations(page, "the erase form with errors")

    page.get_by_label("Ja, afmeld mig og slet mine personoplysninger").check()
    page.get_by_role("button", name="Afmeld og slet mine data").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Dine data er slettet")
    assert_no_axe_violations(page, "the page after erasing")


def test_letter_page(demo, page):
    registration = registered(PAID)
    try:
        url = reverse("registrations:letter", kwargs={"secret": personal_secret(registration)})
    except NoReverseMatch:
        pytest.fail("The letter page (registrations:letter) does not exist yet.", pytrace=False)

    page.goto(demo + url)

    assert_no_axe_violations(page, "the letter to the manager")


def test_privacy_page(demo, page):
    page.goto(f"{demo}/privatliv/")
    assert_no_axe_violations(page, "the privacy page")


def test_resend_link_pages(demo, page):
    page.goto(f"{demo}/tilmelding/{PAID}/send-link/")
    assert_no_axe_violations(page, "the resend link form")

    page.get_by_label("E-mail").fill("nobody@example.org")
    page.get_by_role("button", name="Send mig mit link").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Tjek din e-mail")
    assert_no_axe_violations(page, "the page after sending the link")


def test_a_repeat_of_a_registered_address_gets_the_confirmation_page(demo, page):
    registered(ONLINE)
    page.goto(f"{demo}/tilmelding/{ONLINE}/")
    for fieldset in page.locator("fieldset.workshop-block").all():
        fieldset.locator("input[type=radio]:not([disabled])").first.check()
    page.get_by_label("Fulde navn").fill("Anne Steffensen")
    page.get_by_label("E-mail").fill("anne@example.org")
    page.get_by_label("Arbejdsplads").fill("Glostrup Kommune")
    page.get_by_label("Stillingsbetegnelse").fill("Socialrådgiver")
    page.get_by_label("Offentligt ansat").check()
    page.locator("#id_consent").check()
    page.get_by_role("button", name="Tilmeld").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Tjek din e-mail")
    assert_no_axe_violations(page, "the page after a repeat of a registered address")


def test_cancel_page_and_the_page_after_a_new_link(demo, page):
    registration = registered(PAID)
    page.goto(demo + personal_url(registration, "cancel"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Afmeld din tilmelding")
    assert_no_axe_violations(page, "the cancel page")

    page.goto(demo + personal_url(registration))
    page.get_by_role("button", name="Lav et nyt link").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Tjek din e-mail")
    assert_no_axe_violations(page, "the page after making a new link")


def test_registration_closed_page(demo, page):
    Event.objects.filter(slug=ONLINE).update(status=Event.Status.CANCELLED)

    page.goto(f"{demo}/tilmelding/{ONLINE}/")

    assert_no_axe_violations(page, "the registration-unavailable page")


def test_english_pages(demo, page):
    for path in ["/en/", f"/en/arrangementer/{PAID}/", f"/en/tilmelding/{PAID}/", "/en/privatliv/"]:
        page.goto(demo + path)
        expect(page.locator("html")).to_have_attribute("lang", "en")
        assert_no_axe_violations(page, f"the English page {path}")


# --- keyboard only ---------------------------------------------------------------

FOCUS_STYLE = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return {
        tag: el.tagName.toLowerCase(),
        type: el.type || "",
        name: el.name || "",
        id: el.id || "",
        checked: !!el.checked,
        outlineStyle: style.outlineStyle,
        outlineWidth: parseFloat(style.outlineWidth),
        outlineColor: style.outlineColor,
    };
}"""

TYPED = {
    "name": "Anne Steffensen",
    "email": "anne@example.org",
    "phone": "12345678",
    "workplace": "Glostrup Kommune",
    "job_title": "Socialrådgiver",
    "membership_number": "123456",
    "dietary_needs": "Vegetar",
    "ean": "5798000000001",
    "invoice_organisation": "Glostrup Kommune",
    "invoice_address": "Rådhusparken 2, 2600 Glostrup",
    "invoice_attention": "Mette Hansen",
}


def assert_visible_focus(focused: dict) -> None:
    assert focused["outlineStyle"] != "none" and focused["outlineWidth"] >= 2, (
        f"No visible focus outline on {focused}"
    )


def test_keyboard_only_registration_with_visible_focus(demo, page):
    page.goto(f"{demo}/tilmelding/{PAID}/")
    event = Event.objects.get(slug=PAID)
    block_names = {f"block_{pk}" for pk in event.blocks.values_list("pk", flat=True)}

    page.keyboard.press("Tab")
    skip_link = page.evaluate(FOCUS_STYLE)
    assert (skip_link["tag"], skip_link["id"]) == ("a", "")
    assert_visible_focus(skip_link)

    chosen_blocks, typed, seen = set(), set(), []
    for _ in range(80):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS_STYLE)
        seen.append(focused["name"] or focused["tag"])
        assert_visible_focus(focused)
        name = focused["name"]
        if name in block_names and name not in chosen_blocks:
            # Arrow keys move through a radio group and choose; the full workshop is skipped.
            page.keyboard.press("ArrowDown")
            chosen = page.evaluate(FOCUS_STYLE)
            assert chosen["name"] == name and chosen["checked"]
            assert_visible_focus(chosen)
            chosen_blocks.add(name)
        elif name == "sector" and "sector" not in typed:
            page.keyboard.press("Space")
            typed.add("sector")
        elif name == "payer" and "payer" not in typed:
            page.keyboard.press("Space")  # the first choice: the employer's EAN number
            typed.add("payer")
        elif name in TYPED and name not in typed:
            page.keyboard.type(TYPED[name])
            typed.add(name)
        elif name == "consent":
            page.keyboard.press("Space")
            assert page.evaluate(FOCUS_STYLE)["checked"]
        elif focused["tag"] == "button" and focused["type"] == "submit" and name != "language":
            if "consent" in seen:
                break
    else:
        pytest.fail(f"Never reached the submit button; focus went through {seen}")

    assert chosen_blocks == block_names
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Tjek din e-mail")
    registration = Registration.objects.get(email="anne@example.org")
    assert registration.seats.count() == 2
    assert registration.ean == "5798000000001"


def test_skip_link_moves_focus_to_the_content(demo, page):
    page.goto(f"{demo}/arrangementer/{PAID}/")

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Gå til indhold")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("main")).to_be_focused()


# --- small screens and zoom ---------------------------------------------------------


@pytest.mark.parametrize("width", [320, 640])
def test_pages_reflow_without_horizontal_scrolling(demo, browser, width):
    """320 px is WCAG 1.4.10's reflow width; 640 px is a 1280 px screen at 200% zoom."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(locale="da-DK", viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        for name, path in [
            ("programme", f"/arrangementer/{PAID}/"),
            ("programme-online", f"/arrangementer/{ONLINE}/"),
            ("form", f"/tilmelding/{PAID}/"),
        ]:
            page.goto(demo + path)
            page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            assert scroll_width <= width, f"{path} scrolls sideways at {width} px: {scroll_width}"
        page.goto(f"{demo}/tilmelding/{PAID}/")
        page.get_by_role("button", name="Tilmeld").click()
        page.screenshot(path=SCREENSHOTS / f"form-errors-{width}.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()


# --- languages -----------------------------------------------------------------------


def test_language_switcher_shows_the_programme_and_form_in_english(demo, page):
    page.goto(f"{demo}/arrangementer/{PAID}/")
    expect(page.get_by_role("heading", name="Program", exact=True)).to_be_visible()

    page.get_by_label("Sprog").select_option("en")
    page.get_by_role("button", name="Skift").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Programme", exact=True)).to_be_visible()
    page.get_by_role("link", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register for Faglig Fællesskabsdag")
    expect(page.get_by_label("Full name")).to_be_visible()
    expect(page.get_by_role("group", name="Who pays?")).to_be_visible()

    page.get_by_label("Language").select_option("da")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "da")
    expect(page.get_by_label("Fulde navn")).to_be_visible()
