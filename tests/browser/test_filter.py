"""Finding a workshop among 96: the filter of the programme and the registration form,
without JavaScript (a GET form the server answers) and with it (hidden as you type),
the descriptions opened in place on the form, axe-core on the filtered programme, and
the filtered programme's height on a phone."""

import io

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import expect

from events.models import Event, Workshop

pytestmark = pytest.mark.browser

BIG = "socialraadgiverdage-2017"  # two days, 6 blocks of 16 workshops, five themes
PROGRAMME = f"/arrangementer/{BIG}/"
FORM = f"/tilmelding/{BIG}/"

axe = Axe()


@pytest.fixture
def demo(live_server):
    call_command("load_demo", stdout=io.StringIO())
    return live_server.url


@pytest.fixture
def no_script_page(browser):
    context = browser.new_context(locale="da-DK", java_script_enabled=False)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def workshops_of(theme: str, day=None) -> list[Workshop]:
    workshops = Workshop.objects.filter(block__event__slug=BIG, theme=theme)
    if day:
        workshops = workshops.filter(block__day=day)
    return list(workshops)


def visible_titles(page, selector: str) -> set[str]:
    return set(page.locator(f"{selector}:visible").all_inner_texts())


def test_programme_filter_without_javascript_is_answered_by_the_server(demo, no_script_page):
    page = no_script_page
    event = Event.objects.get(slug=BIG)
    page.goto(demo + PROGRAMME)
    expect(page.locator("li.workshop:visible")).to_have_count(96)

    page.get_by_label("Dag", exact=True).select_option(event.last_day.isoformat())
    page.get_by_label("Tema", exact=True).select_option("udsatte")
    page.get_by_role("button", name="Vis", exact=True).click()

    expected = workshops_of("udsatte", event.last_day)
    assert "tema=udsatte" in page.url
    expect(page.locator("li.workshop:visible")).to_have_count(len(expected))
    assert visible_titles(page, "li.workshop h5") == {workshop.title for workshop in expected}
    expect(page.locator("li.programme-item-kind-meal:visible")).to_have_count(0)  # no plenary
    expect(page.locator("#filter-status")).to_have_text(f"Viser {len(expected)} af 96 workshops")
    expect(page.get_by_label("Tema", exact=True)).to_have_value("udsatte")

    page.get_by_label("Søg", exact=True).fill("ingen workshop hedder sådan")
    page.get_by_role("button", name="Vis", exact=True).click()
    expect(page.locator("li.workshop:visible")).to_have_count(0)
    expect(page.locator(".filter-none")).to_be_visible()

    page.get_by_role("link", name="Vis alle").click()
    expect(page.locator("li.workshop:visible")).to_have_count(96)


def test_form_filter_without_javascript_shows_one_block(demo, no_script_page):
    page = no_script_page
    event = Event.objects.get(slug=BIG)
    block = event.blocks.order_by("day", "starts")[2]
    page.goto(demo + FORM)

    page.get_by_label("Blok", exact=True).select_option(str(block.pk))
    page.get_by_role("button", name="Vis", exact=True).click()

    expect(page.locator("fieldset.workshop-block:visible")).to_have_count(1)
    expect(page.locator("fieldset.workshop-block:visible legend")).to_contain_text(block.title)
    expect(page.locator(".workshop-option:visible")).to_have_count(16)
    expect(page.get_by_label("Fulde navn")).to_be_visible()  # the rest of the form stays


def test_programme_filter_with_javascript_hides_as_you_type(demo, page):
    workshop = Workshop.objects.get(block__event__slug=BIG, title__startswith="Kan beskæftigelses")
    page.goto(demo + PROGRAMME)

    page.get_by_label("Søg", exact=True).fill("beskæftigelsesfaglig stolthed")

    expect(page.locator("li.workshop:visible")).to_have_count(1)
    expect(page.locator("li.workshop:visible h5")).to_have_text(workshop.title)
    expect(page.locator("#filter-status")).to_have_text("Viser 1 af 96 workshops")
    assert "q=besk%C3%A6ftigelsesfaglig+stolthed" in page.url  # the address follows

    page.get_by_label("Søg", exact=True).fill("")
    page.get_by_label("Tema", exact=True).select_option("forskning")
    expected = workshops_of("forskning")
    expect(page.locator("li.workshop:visible")).to_have_count(len(expected))
    assert visible_titles(page, "li.workshop h5") == {w.title for w in expected}

    page.reload()  # the server gives the same page for the address
    expect(page.locator("li.workshop:visible")).to_have_count(len(expected))

    page.get_by_role("link", name="Vis alle").click()
    expect(page.locator("li.workshop:visible")).to_have_count(96)


def test_form_filter_with_javascript_keeps_the_chosen_workshop_and_opens_descriptions(demo, page):
    event = Event.objects.get(slug=BIG)
    first_block = event.blocks.order_by("day", "starts").first()
    chosen = first_block.workshops.filter(theme="profession").order_by("position").first()
    page.goto(demo + FORM)
    option = page.locator(".workshop-option").filter(has_text=chosen.title)
    option.get_by_text("Læs mere").click()  # the description, opened in place
    expect(option.locator(".description")).to_be_visible()
    option.get_by_label(chosen.title).check()

    page.get_by_label("Tema", exact=True).select_option("udsatte")

    first_fieldset = page.locator(f"#fieldset_id_block_{first_block.pk}")
    visible = set(
        first_fieldset.locator(".workshop-option:visible .workshop-title").all_inner_texts()
    )
    assert chosen.title in visible  # a chosen workshop is never hidden
    assert visible - {chosen.title} == {
        w.title for w in first_block.workshops.filter(theme="udsatte")
    }
    expect(page.get_by_label("Fulde navn")).to_be_visible()


def test_filtered_programme_and_form_have_no_axe_violations(demo, page):
    # The page as the server filters it (axe needs a script of its own, so JavaScript is on).
    page.goto(f"{demo}{PROGRAMME}?tema=udsatte&q=eksempel")
    expect(page.locator("li.workshop:visible").first).to_be_visible()
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()

    page.goto(f"{demo}{FORM}?tema=forskning")
    expect(page.locator(".workshop-option:visible").first).to_be_visible()
    results = axe.run(page)
    assert results.violations_count == 0, results.generate_report()


def test_filtered_programme_is_a_fraction_of_the_whole_at_360_px(demo, browser, capsys):
    event = Event.objects.get(slug=BIG)
    block = event.blocks.order_by("day", "starts").first()
    context = browser.new_context(locale="da-DK", viewport={"width": 360, "height": 800})
    page = context.new_page()
    try:
        heights = {}
        for name, query in [
            ("whole", ""),
            ("one theme", "?tema=udsatte"),
            ("one block, one theme", f"?blok={block.pk}&tema=udsatte"),
        ]:
            page.goto(f"{demo}{PROGRAMME}{query}")
            heights[name] = page.evaluate("document.documentElement.scrollHeight")
        page.goto(f"{demo}{FORM}")
        heights["form, whole"] = page.evaluate("document.documentElement.scrollHeight")
        page.goto(f"{demo}{FORM}?blok={block.pk}&tema=udsatte")
        heights["form, one block, one theme"] = page.evaluate(
            "document.documentElement.scrollHeight"
        )
    finally:
        context.close()
    with capsys.disabled():
        print(f"\nSocialrådgiverdage at 360 px, heights in px: {heights}")
    assert heights["one theme"] < heights["whole"] / 3
    assert heights["one block, one theme"] < heights["one theme"]
    assert heights["form, one block, one theme"] < heights["form, whole"] / 2
