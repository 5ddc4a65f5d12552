"""Whoever submits the form never learns whether an address was registered already.

A new registration and a repeat of a registered address get the same redirect,
status, headers and page, the same refusals in the same order; the owner of the
address gets an e-mail with a fresh link. The page after registering carries
no personal link: that goes to the e-mail address only.
"""

import datetime
import re

import pytest
import time_machine
from django.core import mail, signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from registrations import selectors
from registrations.models import OutgoingEmail, Registration
from tests.factories import make_block, make_event, make_registration, make_workshop
from tests.factories import registration_form_data as form_data

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
# The form shows seats left: the first submission of the address took one, so a
# later form shows one fewer whoever sends it.
SEATS_LEFT = re.compile(r"\d+ ledige? plads(er)?")
TOKEN = re.compile(r'name="submission_token" value="[^"]+"')


@pytest.fixture
def event():
    """A paid day: a plenary session, two blocks; in the first, a full workshop."""
    event = make_event(
        title="Faglig dag",
        first_day=timezone.localdate() + datetime.timedelta(days=30),
        venue="Festsalen",
        address="Vej 1, 2600 Glostrup",
        price=350,
    )
    morning = make_block(
        event, title="Formiddag", starts=datetime.time(10, 0), ends=datetime.time(11, 30)
    )
    make_workshop(morning, title="Fuld workshop", capacity=1)
    make_workshop(morning, title="Ledig workshop", capacity=10)
    afternoon = make_block(
        event, title="Eftermiddag", starts=datetime.time(13, 0), ends=datetime.time(15, 45)
    )
    make_workshop(afternoon, title="Eftermiddagens workshop", capacity=10)
    make_registration(
        event,
        email="taken@example.org",
        choices={morning.pk: morning.workshops.get(title="Fuld workshop").pk}
        | {afternoon.pk: afternoon.workshops.get().pk},
    )
    return event


def choose(event, *titles) -> dict:
    return {
        f"block_{block.pk}": str(block.workshops.get(title=title).pk)
        for block, title in zip(event.blocks.order_by("starts"), titles, strict=True)
    }


def submit(event, **overrides):
    """A browser of its own submits the paid event's form (paying themselves)."""
    client = Client()
    data = form_data(
        event,
        name="Anne Steffensen",
        email="anne@example.org",
        payer="personal",
        invoice_address="Rådhusparken 2, 2600 Glostrup",
        **choose(event, "Ledig workshop", "Eftermiddagens workshop"),
    )
    data.update(overrides)
    response = client.post(reverse("registrations:register", kwargs={"slug": event.slug}), data)
    return client, response


def headers(response) -> dict:
    """The response's headers and cookies' settings: not the cookies' values (a fresh random
    key), their expiry time (a second apart) or the length (``page`` compares the body)."""
    shown = {name: value for name, value in response.headers.items() if name != "Content-Length"}
    cookies = {
        name: {key: value for key, value in cookie.items() if value and key != "expires"}
        for name, cookie in response.cookies.items()
    }
    return {"headers": shown, "cookies": cookies}


def page(content: bytes) -> str:
    return SEATS_LEFT.sub("", TOKEN.sub("", CSRF.sub("", content.decode())))


def test_a_new_address_and_a_registered_one_get_the_same_answer_and_page(event):
    new_client, new = submit(event)
    repeat_client, repeat = submit(event)  # the same answers: now the address is registered

    assert Registration.objects.filter(email="anne@example.org").count() == 1
    assert (new.status_code, new.url) == (repeat.status_code, repeat.url)
    assert new.url == reverse("registrations:confirmation", kwargs={"slug": event.slug})
    assert headers(new) == headers(repeat)
    new_page, repeat_page = new_client.get(new.url), repeat_client.get(repeat.url)
    assert (new_page.status_code, headers(new_page)) == (
        repeat_page.status_code,
        headers(repeat_page),
    )
    assert page(new_page.content) == page(repeat_page.content)
    assert "Ledig workshop" in page(new_page.content)


def test_the_calendar_file_of_the_page_is_alike_for_both(event):
    new_client, _ = submit(event)
    repeat_client, _ = submit(event)
    url = reverse("registrations:confirmation_calendar", kwargs={"slug": event.slug})

    files = [client.get(url) for client in (new_client, repeat_client)]

    assert [f.status_code for f in files] == [200, 200]
    assert headers(files[0]) == headers(files[1])
    stamp = re.compile(rb"DTSTAMP:\S+|seat-[0-9a-f]{32}-")
    assert stamp.sub(b"", files[0].content) == stamp.sub(b"", files[1].content)
    assert len(re.findall(rb"UID:seat-[0-9a-f]{32}-\d+@", files[1].content)) == 2


def test_a_full_workshop_is_full_for_a_new_address_and_for_a_registered_one(event):
    full = choose(event, "Fuld workshop", "Eftermiddagens workshop")
    _, as_new = submit(event, **full)
    submit(event)  # now registered, in the free workshop
    _, as_repeat = submit(event, **full)

    assert as_new.status_code == as_repeat.status_code == 200
    assert headers(as_new) == headers(as_repeat)
    assert page(as_new.content) == page(as_repeat.content)
    assert "fuldt booket" in page(as_repeat.content)


def test_a_wrong_choice_is_refused_alike_for_both(event):
    wrong = {next(iter(choose(event, "Ledig workshop", "Eftermiddagens workshop"))): "987654"}
    _, as_new = submit(event, **wrong)
    submit(event)
    _, as_repeat = submit(event, **wrong)

    assert as_new.status_code == as_repeat.status_code == 200
    assert page(as_new.content) == page(as_repeat.content)


def test_the_owner_of_a_registered_address_is_told_and_nothing_changes(
    event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submit(event)
    registration = Registration.objects.get(email="anne@example.org")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        submit(event, name="Mallory", **choose(event, "Ledig workshop", "Eftermiddagens workshop"))

    [message] = mail.outbox
    assert message.to == ["anne@example.org"]
    assert message.subject == "Nogen har forsøgt at tilmelde dig Faglig dag igen"
    assert "Nogen, måske dig selv, har forsøgt at tilmelde denne e-mailadresse" in message.body
    assert "Intet er ændret" in message.body
    assert "Mallory" not in message.body
    [secret] = set(re.findall(r"/tilmelding/min/([\w-]{43})/", message.body))
    assert selectors.find_by_secret(secret) == registration
    registration.refresh_from_db()
    assert registration.name == "Anne Steffensen"


def test_a_repeat_looks_the_address_up_instead_of_provoking_the_unique_constraint(event):
    submit(event)

    with CaptureQueriesContext(connection) as queries:
        submit(event)

    inserts = {q["sql"].split(" (")[0] for q in queries if q["sql"].startswith("INSERT INTO")}
    assert 'INSERT INTO "registrations_registration"' not in inserts
    assert 'INSERT INTO "registrations_outgoingemail"' in inserts  # the mail to the owner
    assert Registration.objects.filter(email="anne@example.org").count() == 1


def test_the_page_after_registering_says_everything_and_carries_no_link(event):
    client, response = submit(event, dietary_needs="Vegetar")

    content = client.get(response.url).content.decode()

    assert "<h1>Tjek din e-mail</h1>" in content
    assert "/tilmelding/min/" not in content
    assert "10.00 til 15.45" in content  # the day's first start and last end
    assert "Festsalen, Vej 1, 2600 Glostrup" in content
    assert "350 kr. pr. deltager" in content
    assert "Rådhusparken 2, 2600 Glostrup" in content  # the invoice details given
    assert "Jeg betaler selv" in content
    assert "Ledig workshop" in content and "Eftermiddagens workshop" in content
    assert (
        f'href="{reverse("registrations:confirmation_calendar", kwargs={"slug": event.slug})}"'
        in content
    )


def test_the_page_after_registering_is_for_that_browser_and_a_short_while(event):
    client, response = submit(event)
    calendar = reverse("registrations:confirmation_calendar", kwargs={"slug": event.slug})

    stranger = Client().get(response.url).content.decode()
    assert "Ledig workshop" not in stranger
    assert "Anne Steffensen" not in stranger
    assert Client().get(calendar).status_code == 404
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=31)):
        later = client.get(response.url).content.decode()
        assert "Ledig workshop" not in later
        assert client.get(calendar).status_code == 404
    assert "Din bekræftelse og dit personlige link ligger i din e-mail." in later


def test_the_browser_keeps_only_what_the_page_shows_for_half_an_hour(event):
    client, response = submit(event, dietary_needs="Nøddeallergi")

    cookie = response.cookies["fagdag_submitted"]
    assert (cookie["max-age"], cookie["path"], cookie["httponly"], cookie["samesite"]) == (
        1800,
        f"/tilmelding/{event.slug}/",  # the event's registration pages: the form and after
        True,
        "Lax",
    )
    kept = signing.loads(cookie.value, salt=f"registrations.views.submission:{event.pk}")
    assert set(kept["attendee"]) == {"name", "email", "payer", "invoice_address"}
    assert "Nøddeallergi" not in str(kept)
    assert dict(client.session) == {}  # nothing of it on the server


def test_a_tampered_or_another_events_cookie_shows_nothing(event):
    client, response = submit(event)
    other = make_event()
    make_workshop(make_block(other))
    forged = Client()
    forged.cookies["fagdag_submitted"] = response.cookies["fagdag_submitted"].value[:-2] + "xx"

    assert "Ledig workshop" not in forged.get(response.url).content.decode()
    assert "Ledig workshop" in client.get(response.url).content.decode()
    other_page = client.get(reverse("registrations:confirmation", kwargs={"slug": other.slug}))
    assert "Ledig workshop" not in other_page.content.decode()


def test_a_form_sent_again_after_going_back_shows_what_was_saved_not_what_was_sent(event):
    """Back, another workshop chosen, sent again: the same submission (its token), so
    nothing changes, and the page after registering says what the registration holds."""
    make_workshop(event.blocks.get(title="Formiddag"), title="Anden workshop", capacity=10)
    client, first = submit(event, name="Anne Steffensen")
    data = form_data(
        event,
        name="Anne Kristensen",
        email="anne@example.org",
        payer="personal",
        invoice_address="Rådhusparken 2, 2600 Glostrup",
        **choose(event, "Anden workshop", "Eftermiddagens workshop"),
    )
    kept = signing.loads(
        first.cookies["fagdag_submitted"].value,
        salt=f"registrations.views.submission:{event.pk}",
    )
    registration = Registration.objects.get(email="anne@example.org")
    data["submission_token"] = str(registration.submission_token)

    again = client.post(reverse("registrations:register", kwargs={"slug": event.slug}), data)
    content = client.get(again.url).content.decode()

    assert (again.status_code, again.url) == (first.status_code, first.url)
    assert "Ledig workshop" in content and "Anden workshop" not in content
    assert "Anne Steffensen" in content and "Anne Kristensen" not in content
    assert [seat.workshop.title for seat in registration.seats.order_by("block__starts")] == [
        "Ledig workshop",
        "Eftermiddagens workshop",
    ]
    assert kept["workshops"] == sorted(registration.seats.values_list("workshop_id", flat=True))


def test_the_page_after_registering_shows_it_in_the_other_language_too(event):
    """A cookie has one path, and the page has one per language: a browser sends each
    page only the cookie of its path (the test client sends every cookie, so each
    browser here is given only the cookie its page would get)."""
    _, response = submit(event)
    pages = {"da": response.url, "en": f"/en{response.url}"}
    names = {"da": "fagdag_submitted", "en": "fagdag_submitted_en"}

    for language, path in pages.items():
        cookie = response.cookies[names[language]]
        assert path.startswith(cookie["path"])
        assert cookie["path"].endswith(f"/tilmelding/{event.slug}/")
        browser = Client()
        browser.cookies[names[language]] = cookie.value
        content = browser.get(path).content.decode()
        assert "Ledig workshop" in content and "Anne Steffensen" in content, language
        assert f'lang="{language}"' in content
    assert (
        response.cookies["fagdag_submitted"].value == response.cookies["fagdag_submitted_en"].value
    )


def test_the_same_browser_sending_the_form_again_with_a_new_token_is_the_same_member(event):
    """Back without the browser's page cache loads the form again, with a new submission
    token: the browser's cookie (signed, of the registration it made) still says who it
    is. Nothing changes, nobody is e-mailed, and the page shows the registration."""
    make_workshop(event.blocks.get(title="Formiddag"), title="Anden workshop", capacity=10)
    client, _ = submit(event)
    mail.outbox.clear()

    again = client.post(
        reverse("registrations:register", kwargs={"slug": event.slug}),
        form_data(
            event,
            name="Anne Kristensen",
            email="anne@example.org",
            payer="personal",
            invoice_address="Rådhusparken 2, 2600 Glostrup",
            **choose(event, "Anden workshop", "Eftermiddagens workshop"),
        ),
    )
    content = client.get(again.url).content.decode()

    assert "Du var allerede tilmeldt med denne adresse, så intet er ændret." in content
    assert "Ledig workshop" in content and "Anden workshop" not in content
    assert "Anne Steffensen" in content and "Anne Kristensen" not in content
    assert Registration.objects.get(email="anne@example.org").name == "Anne Steffensen"
    assert not mail.outbox
    assert not OutgoingEmail.objects.filter(kind="register_again").exists()


def test_a_browser_that_registered_someone_else_is_a_stranger_to_a_registered_address(event):
    """The cookie speaks for the registration it was given for, no other: a browser that
    registered one address and then submits another, registered address is answered as
    anyone is, and the owner is e-mailed."""
    client, _ = submit(event, email="first@example.org", name="Første Person")

    again = client.post(
        reverse("registrations:register", kwargs={"slug": event.slug}),
        form_data(
            event,
            name="Nogen Andre",
            email="taken@example.org",
            payer="personal",
            invoice_address="Rådhusparken 2, 2600 Glostrup",
            **choose(event, "Ledig workshop", "Eftermiddagens workshop"),
        ),
    )
    content = client.get(again.url).content.decode()

    assert "allerede tilmeldt" not in content
    assert "Nogen Andre" in content  # what was sent, as for any new registration
    assert OutgoingEmail.objects.filter(kind="register_again").count() == 1
