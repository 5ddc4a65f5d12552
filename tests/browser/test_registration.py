"""Issue 3 in a real browser: a member registers for Faglig Fællesskabsdag with the keyboard only.

No mouse and no ``fill``/``check``: focus moves with Tab from the top of the
page, text is typed, radio buttons are chosen with the arrow keys and Space,
the consent box is ticked with Space, and the form is sent with Enter on the
submit button. Each field is recognised by ``document.activeElement``, so the
walk follows the tab order the member meets; a field the walk never reaches
fails the test.
"""

import io
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from events.models import Event, Workshop
from registrations.forms import RegistrationForm
from registrations.models import Registration, Seat

pytestmark = pytest.mark.browser

SLUG = "faglig-faellesskabsdag"
CAPACITY = 40  # every workshop of the demo event

# What has focus: the element, and the text of its label (a radio button's option).
FOCUSED = """() => {
    const el = document.activeElement;
    const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
    return {
        tag: el.tagName.toLowerCase(),
        type: el.type || "",
        name: el.name || "",
        id: el.id || "",
        checked: !!el.checked,
        label: label.trim(),
        form: el.form ? el.form.className : "",
    };
}"""

ANSWERS = {
    "name": "Anne Steffensen",
    "email": "anne@example.org",
    "workplace": "Glostrup Kommune",
    "job_title": "Socialrådgiver",
    "membership_number": "123456",
    "invoice_address": "Rådhusparken 2, 2600 Glostrup",
}
SECTOR = "Offentligt ansat"
PAYER = "Jeg betaler selv"
MAX_TABS = 80  # far more stops than the form has; a walk that never ends fails


@pytest.fixture
def event(live_server):
    call_command("load_demo", stdout=io.StringIO())
    return Event.objects.get(slug=SLUG)


def focused(page) -> dict:
    return page.evaluate(FOCUSED)


def choose_radio(page, label: str) -> None:
    """In the radio group that has focus, move with ArrowDown to the option ``label``
    and choose it with Space (arrow keys choose as they move; Space chooses the
    option focus landed on)."""
    options_seen = []
    for _ in range(10):
        current = focused(page)
        if current["label"] == label:
            page.keyboard.press("Space")
            chosen = focused(page)
            assert (chosen["label"], chosen["checked"]) == (label, True)
            return
        options_seen.append(current["label"])
        page.keyboard.press("ArrowDown")
    pytest.fail(f"No option {label!r} in the radio group; went through {options_seen}")


def fill_in_with_the_keyboard(page, *, workshops: dict[str, str]) -> list[str]:
    """Tab from the top of the registration page to its submit button, answering
    each field on the way; ``workshops`` maps block field names to the workshop
    title to choose (a block left out is passed over). Returns the fields done."""
    done: list[str] = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        current = focused(page)
        name = current["name"]
        if name in done:
            continue
        if name in workshops:
            choose_radio(page, workshops[name])
        elif name == "sector":
            choose_radio(page, SECTOR)
        elif name == "payer":
            choose_radio(page, PAYER)
        elif name in ANSWERS:
            page.keyboard.type(ANSWERS[name])
        elif name == "consent":
            page.keyboard.press("Space")
            assert focused(page)["checked"]
        elif current["type"] == "submit" and "registration-form" in current["form"]:
            return done
        else:
            continue
        done.append(name)
    pytest.fail(f"Tab never reached the registration form's submit button; answered {done}")


def test_member_registers_with_the_keyboard_only_and_the_programme_shows_one_seat_fewer(
    event, live_server, page, settings
):
    # Each e-mail is sent right after its commit (the outbox's claim and send), into
    # Django's test outbox, where the member's personal link is read.
    settings.EMAIL_DELIVER_ON_COMMIT = True
    first_block, second_block = event.blocks.all()
    first_choice = first_block.workshops.all()[1]
    second_choice = second_block.workshops.all()[3]
    all_workshops = list(Workshop.objects.filter(block__event=event))
    assert len({workshop.title for workshop in all_workshops}) == 8  # titles find workshops
    block_fields = {
        RegistrationForm.block_field_name(first_block): first_choice.title,
        RegistrationForm.block_field_name(second_block): second_choice.title,
    }

    page.goto(f"{live_server.url}/tilmelding/{SLUG}/")
    done = fill_in_with_the_keyboard(page, workshops=block_fields)
    # Tab reached every field the member has to answer before the submit button.
    assert sorted(done) == sorted([*block_fields, *ANSWERS, "sector", "payer", "consent"])
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Tjek din e-mail")
    chosen = page.locator(".chosen-workshops li")
    expect(chosen).to_have_count(2)
    expect(chosen.nth(0)).to_contain_text(first_choice.title)
    expect(chosen.nth(1)).to_contain_text(second_choice.title)
    # The page carries no personal link: that is in the e-mail only.
    assert "/tilmelding/min/" not in page.content()
    [confirmation] = [m for m in mail.outbox if m.to == [ANSWERS["email"]]]
    [link] = set(re.findall(r"https?://\S+/tilmelding/min/[\w-]+/", confirmation.body))
    page.goto(live_server.url + urlsplit(link).path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Din tilmelding")
    expect(page.locator(".chosen-workshops")).to_contain_text(first_choice.title)
    registration = Registration.objects.get()
    assert (
        registration.status,
        registration.name,
        registration.email,
        registration.workplace,
        registration.job_title,
        registration.sector,
        registration.membership_number,
        registration.payer,
        registration.invoice_address,
    ) == (
        Registration.Status.CONFIRMED,
        "Anne Steffensen",
        "anne@example.org",
        "Glostrup Kommune",
        "Socialrådgiver",
        Registration.Sector.PUBLIC,
        "123456",
        Registration.Payer.PERSONAL,
        "Rådhusparken 2, 2600 Glostrup",
    )
    assert dict(registration.seats.values_list("block_id", "workshop_id")) == {
        first_block.pk: first_choice.pk,
        second_block.pk: second_choice.pk,
    }

    page.goto(f"{live_server.url}/arrangementer/{SLUG}/")

    for workshop in all_workshops:
        item = page.locator("li.workshop").filter(
            has=page.get_by_role("heading", name=workshop.title, exact=True)
        )
        seats_left = CAPACITY - 1 if workshop in (first_choice, second_choice) else CAPACITY
        expect(item.locator(".seats-left")).to_have_text(f"{seats_left} ledige pladser")


def test_missing_block_is_named_in_the_error_summary_and_the_answers_are_kept(
    event, live_server, page
):
    first_block, second_block = event.blocks.all()
    first_choice = first_block.workshops.all()[2]
    missing = RegistrationForm.block_field_name(second_block)

    page.goto(f"{live_server.url}/tilmelding/{SLUG}/")
    fill_in_with_the_keyboard(
        page, workshops={RegistrationForm.block_field_name(first_block): first_choice.title}
    )
    page.keyboard.press("Enter")

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Ret venligst følgende")
    link = summary.get_by_role("link")
    expect(link).to_have_count(1)  # nothing else was wrong
    expect(link).to_contain_text("Vælg en workshop i denne blok.")
    expect(link).to_have_attribute("href", f"#fieldset_id_{missing}")
    fieldset = page.locator(f"fieldset#fieldset_id_{missing}")
    expect(fieldset.locator("legend")).to_contain_text(second_block.title)
    expect(fieldset).to_contain_text("Vælg en workshop i denne blok.")
    # Everything typed and chosen is still there.
    expect(page.get_by_label("Fulde navn")).to_have_value(ANSWERS["name"])
    for name, typed in ANSWERS.items():
        expect(page.locator(f"[name={name}]")).to_have_value(typed)
    expect(page.get_by_label(first_choice.title, exact=True)).to_be_checked()
    expect(page.get_by_label(PAYER, exact=True)).to_be_checked()
    expect(page.locator("#id_consent")).to_be_checked()
    assert Registration.objects.count() == 0
    assert Seat.objects.count() == 0

    # From the summary, the link leads the keyboard into the missing block.
    page.keyboard.press("Tab")
    expect(link).to_be_focused()
    page.keyboard.press("Enter")

    assert focused(page)["name"] == missing
