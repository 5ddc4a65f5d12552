"""After registering: the attendee's language, online links on time, calendars that follow
changes, confirmations that say everything, leaving a waitlist (issue 15)."""

import datetime
import io
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import icalendar
import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from events.models import Workshop
from registrations import calendar, emails, selectors, services
from registrations.models import Registration, WaitlistEntry
from tests.factories import (
    change_url,
    form_data,
    make_block,
    make_event,
    make_registration,
    make_session,
    make_workshop,
    personal_secret,
    registration_form_data,
)

pytestmark = pytest.mark.django_db

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
SITE = "https://fagdag.example.org"
PLENARY_LINK = "https://meet.example.org/kkr-plenum"
WORKSHOP_LINK = "https://meet.example.org/kkr-workshop-1"


def mailed_link(text: str, prefix: str, registration) -> str:
    """The one personal link in ``text`` that starts with ``prefix`` (each mail makes its
    own), checked to open ``registration``."""
    [secret] = set(re.findall(re.escape(prefix) + r"([A-Za-z0-9_-]{43})/", text))
    assert selectors.find_by_secret(secret) == registration
    return f"{prefix}{secret}/"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=COPENHAGEN)


@pytest.fixture
def fagdag():
    """A one-day fagdag at a venue on Tuesday 7 May 2030, with a plenary session and one block."""
    event = make_event(
        title="Faglig Fællesskabsdag",
        first_day=datetime.date(2030, 5, 7),
        venue="Festsalen",
        address="Vej 1, 2600 Glostrup",
        registration_closes=at(datetime.date(2030, 5, 1)),
    )
    make_session(event, title="Velkomst", starts=datetime.time(9, 15), ends=datetime.time(9, 30))
    block = make_block(event, starts=datetime.time(11, 0), ends=datetime.time(12, 30))
    make_workshop(block, title="Udsatte børn", room="Lokale 2", capacity=1)
    make_workshop(block, title="Beskæftigelse", room="Lokale 3", capacity=5)
    return event


@pytest.fixture
def kkr():
    """An online conference on Tuesday 11 June 2030 16.00-18.00: a plenary link and a workshop
    with a link; links shown from 7 days before (4 June, 00.00)."""
    event = make_event(
        title="KKR konference",
        is_online=True,
        venue="",
        online_link=PLENARY_LINK,
        first_day=datetime.date(2030, 6, 11),
        registration_closes=at(datetime.date(2030, 6, 10)),
    )
    make_session(event, title="Velkomst", starts=datetime.time(16, 0), ends=datetime.time(16, 10))
    block = make_block(event, starts=datetime.time(16, 55), ends=datetime.time(17, 30))
    make_workshop(block, title="Design af nye løsninger", online_link=WORKSHOP_LINK, room="")
    return event


def fill_block(event):
    """Every seat of the fagdag's block taken: newcomers go on the event's waitlist."""
    block = event.blocks.get()
    Workshop.objects.filter(block=block).update(capacity=1)
    for title in ("Udsatte børn", "Beskæftigelse"):
        make_registration(event, choices={block.pk: workshop(event, title).pk})


def waitlist_for_udsatte_boern(event):
    return make_registration(
        event,
        choices={event.blocks.get().pk: workshop(event, "Udsatte børn").pk},
        waitlist=True,
    )


def workshop(event, title):
    return next(w for b in event.blocks.all() for w in b.workshops.all() if w.title == title)


def calendar_attachments(message) -> dict[str, icalendar.Calendar]:
    return {
        filename: icalendar.Calendar.from_ical(content)
        for filename, content, mimetype in message.attachments
        if mimetype == "text/calendar"
    }


def sequences(ics: icalendar.Calendar) -> set[int]:
    return {int(vevent["sequence"]) for vevent in ics.walk("VEVENT")}


# --- Their language ---------------------------------------------------------------


def register_in_english(client, event, **overrides):
    with translation.override("en"):
        url = reverse("registrations:register", kwargs={"slug": event.slug})
    assert url.startswith("/en/")
    response = client.post(url, registration_form_data(event, **overrides))
    assert response.status_code == 302
    return Registration.objects.get(email=overrides.get("email", "anne@example.org"))


def test_registering_on_the_english_page_stores_english(client, fagdag):
    registration = register_in_english(client, fagdag)

    assert registration.language == "en"


def test_registering_on_the_danish_page_stores_danish(client, fagdag):
    url = reverse("registrations:register", kwargs={"slug": fagdag.slug})
    client.post(url, registration_form_data(fagdag))

    assert Registration.objects.get().language == "da"


def test_english_registrant_gets_an_english_confirmation_with_english_links(
    client, fagdag, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        registration = register_in_english(client, fagdag)

    [message] = mail.outbox
    personal = mailed_link(message.body, f"{SITE}/en/tilmelding/min/", registration)
    assert message.subject == "Registration confirmed: Faglig Fællesskabsdag"
    assert message.body.startswith(
        "Dear Anne Steffensen,\n\n"
        "Thank you for registering for Faglig Fællesskabsdag. Your registration is confirmed.\n\n"
        "Faglig Fællesskabsdag\n"
        "When: 7 May 2030, 09:15–12:30\n"
        "Where: Festsalen, Vej 1, 2600 Glostrup\n\n"
        "Your workshops:\n"
        "- Tuesday 7 May 11:00–12:30: Udsatte børn\n"
        "  Room: Lokale 2\n"
    )
    assert f"Your personal link: {personal}\n" in message.body

    assert f'href="{personal}"' in message.alternatives[0][0]
    assert '<html lang="en">' in message.alternatives[0][0]
    assert "Kære" not in message.body


def test_mails_sent_from_a_danish_command_follow_the_attendees_language(
    client, kkr, django_capture_on_commit_callbacks
):
    with time_machine.travel(at(datetime.date(2030, 6, 1)), tick=False):
        english = register_in_english(client, kkr)
        danish = make_registration(kkr, email="bo@example.org")
    mail.outbox.clear()

    with (
        translation.override("da"),
        time_machine.travel(at(datetime.date(2030, 6, 5), 7), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("send_online_links", stdout=io.StringIO())

    by_address = {message.to[0]: message for message in mail.outbox}
    assert by_address[english.email].subject == "Your links for KKR konference"
    assert mailed_link(by_address[english.email].body, f"{SITE}/en/tilmelding/min/", english)
    assert by_address[danish.email].subject == "Dine links til KKR konference"
    assert mailed_link(by_address[danish.email].body, f"{SITE}/tilmelding/min/", danish)


@pytest.mark.parametrize(
    ("kind", "subject"),
    [
        ("cancelled", "Registration cancelled: Faglig Fællesskabsdag"),
        ("changed", "Your workshops are changed: Faglig Fællesskabsdag"),
        ("promoted", "You have a seat: Faglig Fællesskabsdag"),
        ("reminder", "Reminder: Faglig Fællesskabsdag"),
        ("personal_link", "Your link to your registration for Faglig Fællesskabsdag"),
        ("waitlisted", "You are on the waitlist: Faglig Fællesskabsdag"),
    ],
)
def test_every_kind_of_mail_is_in_the_attendees_language(fagdag, kind, subject):
    registration = make_registration(fagdag)
    Registration.objects.filter(pk=registration.pk).update(language="en")
    registration = emails.load_registration(registration.pk)

    with translation.override("da"):
        message = emails.build_message(registration, kind)

    assert message.subject == subject
    assert message.body.startswith("Dear ")
    assert f"{SITE}/en/tilmelding/min/" in message.body or kind == "cancelled"


def test_the_personal_page_switches_and_stores_the_language(client, fagdag):
    registration = make_registration(fagdag)
    page = reverse("registrations:personal", kwargs={"secret": personal_secret(registration)})

    response = client.post(
        reverse("registrations:change_language", kwargs={"secret": personal_secret(registration)}),
        {"language": "en"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/en" + page
    registration.refresh_from_db()
    assert registration.language == "en"
    english_page = client.get(response["Location"])
    assert "Your e-mails and links will be in English from now on." in english_page.text
    assert '<option value="en" lang="en" selected>' in english_page.text


def test_an_unknown_language_is_refused_and_nothing_changes(client, fagdag):
    registration = make_registration(fagdag)

    response = client.post(
        reverse("registrations:change_language", kwargs={"secret": personal_secret(registration)}),
        {"language": "xx"},
        follow=True,
    )

    assert response.status_code == 200
    assert "Vælg et af sprogene." in response.text
    registration.refresh_from_db()
    assert registration.language == "da"


# --- Online links on time ----------------------------------------------------------


def test_before_the_moment_the_confirmation_says_when_the_links_come(
    kkr, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(at(datetime.date(2030, 5, 20)), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        make_registration(kkr)

    [message] = mail.outbox
    assert PLENARY_LINK not in message.body
    assert WORKSHOP_LINK not in message.body
    assert PLENARY_LINK not in message.alternatives[0][0]
    assert WORKSHOP_LINK not in message.alternatives[0][0]
    assert (
        "Online-links: Du får dem på mail den 4. juni 2030; derefter står de også på din "
        "personlige side og i din kalenderfil.\n" in message.body
    )
    ics = calendar_attachments(message)["program.ics"]
    locations = {str(vevent["location"]) for vevent in ics.walk("VEVENT")}
    assert locations == {"Online"}


def test_from_the_moment_the_confirmation_carries_both_links(
    kkr, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(at(datetime.date(2030, 6, 4), 0), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        make_registration(kkr)

    [message] = mail.outbox
    assert f"Link til plenum: {PLENARY_LINK}\n" in message.body
    assert f"  Link: {WORKSHOP_LINK}\n" in message.body
    assert "Online-links:" not in message.body
    ics = calendar_attachments(message)["program.ics"]
    locations = {str(vevent["summary"]): str(vevent["location"]) for vevent in ics.walk("VEVENT")}
    assert locations == {
        "Velkomst · KKR konference": PLENARY_LINK,
        "Design af nye løsninger · KKR konference": WORKSHOP_LINK,
    }


def test_the_organiser_sets_the_plenary_link_and_the_moment_in_the_admin(client, organiser, kkr):
    page = client.get(change_url(kkr))
    data = form_data(page)
    data.update({"online_link": "meet.example.org/nyt-plenum", "online_links_days_before": "3"})

    response = client.post(change_url(kkr), data)

    assert "Online-links vises (dage før)" in page.text
    assert "Hvor mange dage før første dag deltagerne får online-linkene" in page.text
    assert response.status_code == 302
    kkr.refresh_from_db()
    assert kkr.online_link == "https://meet.example.org/nyt-plenum"
    assert kkr.online_links_from == at(datetime.date(2030, 6, 8), 0)


def test_the_organiser_chooses_the_moment(kkr):
    kkr.online_links_days_before = 14

    assert kkr.online_links_from == at(datetime.date(2030, 5, 28), 0)
    assert not kkr.online_links_shown(at(datetime.date(2030, 5, 27), 23))
    assert kkr.online_links_shown(at(datetime.date(2030, 5, 28), 0))


def test_personal_page_shows_links_only_from_the_moment(client, kkr):
    with time_machine.travel(at(datetime.date(2030, 5, 20)), tick=False):
        registration = make_registration(kkr)
        page = reverse("registrations:personal", kwargs={"secret": personal_secret(registration)})
        before = client.get(page).text
    with time_machine.travel(at(datetime.date(2030, 6, 4), 8), tick=False):
        after = client.get(page).text

    assert PLENARY_LINK not in before
    assert WORKSHOP_LINK not in before
    assert "Dine links kommer her og på mail den 4. juni 2030." in before
    assert f'<a href="{PLENARY_LINK}" rel="noreferrer">' in after
    assert f'<a href="{WORKSHOP_LINK}" rel="noreferrer">' in after


def test_the_links_mail_carries_the_plenary_link_and_no_promise_of_a_later_mail(
    kkr, django_capture_on_commit_callbacks
):
    with time_machine.travel(at(datetime.date(2030, 5, 20)), tick=False):
        registration = make_registration(kkr)
    mail.outbox.clear()

    with (
        time_machine.travel(at(datetime.date(2030, 6, 4), 7), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("send_online_links", stdout=io.StringIO())

    [message] = mail.outbox
    assert message.body.startswith(f"Kære {registration.name}\n\n")
    assert "Her er dine online-links til KKR konference.\n\n" in message.body
    assert f"Link til plenum: {PLENARY_LINK}\n" in message.body
    assert f"  Link: {WORKSHOP_LINK}\n" in message.body
    assert message.body.count(PLENARY_LINK) == 1
    assert "Online-links: Du får dem" not in message.body


def test_an_online_plenary_alone_gets_its_link_sent(django_capture_on_commit_callbacks):
    """A venue event streaming its plenary sessions: its attendees get the plenary link."""
    event = make_event(
        first_day=datetime.date(2030, 6, 11),
        online_link=PLENARY_LINK,
        registration_closes=at(datetime.date(2030, 6, 1)),
    )
    make_session(event, starts=datetime.time(9, 0), ends=datetime.time(9, 30))
    make_workshop(make_block(event), room="Lokale 1")
    with time_machine.travel(at(datetime.date(2030, 5, 20)), tick=False):
        registration = make_registration(event)
    mail.outbox.clear()

    with (
        time_machine.travel(at(datetime.date(2030, 6, 5), 7), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("send_online_links", stdout=io.StringIO())
        call_command("send_online_links", stdout=io.StringIO())

    [message] = mail.outbox
    assert f"Link til plenum: {PLENARY_LINK}\n" in message.body
    assert "  Lokale: Lokale 1\n" in message.body
    registration.refresh_from_db()
    assert registration.online_links_sent_for.endswith(",plenary")


# --- Calendars that follow ------------------------------------------------------------


def test_each_calendar_file_has_a_higher_sequence(fagdag, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        registration = make_registration(fagdag)
    with django_capture_on_commit_callbacks(execute=True):
        services.change_seats(
            registration=registration,
            seats={fagdag.blocks.get().pk: workshop(fagdag, "Beskæftigelse").pk},
        )

    first, changed = (calendar_attachments(m)["program.ics"] for m in mail.outbox)
    assert sequences(first) == {1}
    assert sequences(changed) == {2}
    assert {str(v["uid"]) for v in first.walk("VEVENT")} == {
        str(v["uid"]) for v in changed.walk("VEVENT")
    }
    registration.refresh_from_db()
    assert registration.calendar_sequence == 2


def test_cancelling_sends_a_calendar_cancel_for_every_entry(
    fagdag, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        registration = make_registration(fagdag)
    published = calendar_attachments(mail.outbox[0])["program.ics"]

    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(registration=registration)

    cancelled = mail.outbox[1]
    files = calendar_attachments(cancelled)
    assert list(files) == [calendar.CANCEL_FILENAME]
    ics = files[calendar.CANCEL_FILENAME]
    assert str(ics["method"]) == "CANCEL"
    assert {str(v["uid"]) for v in ics.walk("VEVENT")} == {
        str(v["uid"]) for v in published.walk("VEVENT")
    }
    assert {str(v["status"]) for v in ics.walk("VEVENT")} == {"CANCELLED"}
    assert sequences(ics) == {2}
    assert "(afmelding.ics) fjerner arrangementets aftaler fra din kalender." in cancelled.body


def test_a_waitlisted_attendee_who_never_had_a_calendar_gets_no_cancel(
    fagdag, django_capture_on_commit_callbacks
):
    fill_block(fagdag)
    with django_capture_on_commit_callbacks(execute=True):
        waiting = waitlist_for_udsatte_boern(fagdag)
    assert waiting.status == Registration.Status.WAITLISTED
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(registration=waiting)

    [message] = mail.outbox
    assert message.attachments == []


def test_add_to_calendar_downloads_the_programme(client, fagdag):
    registration = make_registration(fagdag)
    page = client.get(
        reverse("registrations:personal", kwargs={"secret": personal_secret(registration)})
    )
    url = reverse("registrations:calendar", kwargs={"secret": personal_secret(registration)})

    response = client.get(url)

    assert f'href="{url}" download>Tilføj til kalender</a>' in page.text
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{fagdag.slug}.ics"'
    assert response["Cache-Control"] == "private, no-store"
    ics = icalendar.Calendar.from_ical(response.content)
    assert sorted(str(v["summary"]) for v in ics.walk("VEVENT")) == [
        "Udsatte børn · Faglig Fællesskabsdag",
        "Velkomst · Faglig Fællesskabsdag",
    ]
    assert sequences(ics) == {registration.calendar_sequence + 1}


def test_add_to_calendar_is_not_there_for_a_cancelled_registration(client, fagdag):
    registration = make_registration(fagdag)
    services.cancel(registration=registration)

    response = client.get(
        reverse("registrations:calendar", kwargs={"secret": personal_secret(registration)})
    )

    assert response.status_code == 404


# --- The confirmation says everything ---------------------------------------------------


def test_a_paid_events_confirmation_gives_price_and_invoice_details(
    django_capture_on_commit_callbacks,
):
    event = make_event(
        first_day=datetime.date(2030, 10, 30),
        last_day=datetime.date(2030, 10, 31),
        price=Decimal("1200.00"),
        venue="Comwell Kolding",
        address="Skovbrynet 1, 6000 Kolding",
    )
    make_session(event, starts=datetime.time(9, 0), ends=datetime.time(9, 30))
    make_workshop(make_block(event, starts=datetime.time(10, 0), ends=datetime.time(16, 0)))
    make_workshop(
        make_block(
            event,
            day=datetime.date(2030, 10, 31),
            starts=datetime.time(9, 0),
            ends=datetime.time(15, 0),
        )
    )

    with django_capture_on_commit_callbacks(execute=True):
        make_registration(
            event,
            payer=Registration.Payer.EAN,
            ean="5798000000001",
            invoice_organisation="Glostrup Kommune",
            invoice_address="Rådhusvej 2, 2600 Glostrup",
            invoice_order_number="PO-42",
        )

    [message] = mail.outbox
    assert (
        "Hvornår: 30.–31. oktober 2030\n"
        "  Onsdag 30. oktober 09.00–16.00\n"
        "  Torsdag 31. oktober 09.00–15.00\n"
        "Hvor: Comwell Kolding, Skovbrynet 1, 6000 Kolding\n"
        "Pris: 1.200,00 kr.\n" in message.body
    )
    assert (
        "Faktureringsoplysninger:\n"
        "Betaler: Offentlig arbejdsgiver (EAN-nummer)\n"
        "EAN-nummer: 5798000000001\n"
        "Organisation: Glostrup Kommune\n"
        "Fakturaadresse: Rådhusvej 2, 2600 Glostrup\n"
        "Ordrenummer / rekvisitionsnummer: PO-42\n" in message.body
    )


def test_a_free_events_confirmation_has_no_price(fagdag, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_registration(fagdag)

    [message] = mail.outbox
    assert "Pris" not in message.body
    assert "Faktureringsoplysninger" not in message.body


def test_a_waitlisted_member_is_told_what_they_wait_for(
    client, fagdag, django_capture_on_commit_callbacks
):
    fill_block(fagdag)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        waiting = waitlist_for_udsatte_boern(fagdag)

    [message] = mail.outbox
    assert "Du er på venteliste til:\n- Tirsdag 7. maj 11.00–12.30: Udsatte børn\n" in (
        message.body
    )
    page = client.get(
        reverse("registrations:personal", kwargs={"secret": personal_secret(waiting)})
    )
    assert "Dine workshops" not in page.text
    assert "Tirsdag 7. maj 11.00–12.30</span>: Udsatte børn" in page.text


# --- Leaving a waitlist -------------------------------------------------------------------


@pytest.fixture
def waiting(fagdag):
    """Bo holds a seat in Beskæftigelse and waits for the full Udsatte børn."""
    block = fagdag.blocks.get()
    make_registration(fagdag, choices={block.pk: workshop(fagdag, "Udsatte børn").pk})
    bo = make_registration(
        fagdag, name="Bo", choices={block.pk: workshop(fagdag, "Beskæftigelse").pk}
    )
    services.change_seats(
        registration=bo, seats={}, waits={block.pk: workshop(fagdag, "Udsatte børn").pk}
    )
    return bo


def test_a_member_leaves_a_waitlist_with_its_own_button(client, fagdag, waiting):
    page_url = reverse("registrations:personal", kwargs={"secret": personal_secret(waiting)})
    leave_url = reverse("registrations:leave_waitlist", kwargs={"secret": personal_secret(waiting)})
    page = client.get(page_url).text
    assert f'action="{leave_url}"' in page
    mail.outbox.clear()

    response = client.post(leave_url, {"block": fagdag.blocks.get().pk}, follow=True)

    assert response.redirect_chain == [(page_url, 302)]
    assert (
        "Du er taget af ventelisten til “Udsatte børn”. Du beholder din nuværende plads."
        in response.text
    )
    assert "Dine workshops er ændret" not in response.text
    assert WaitlistEntry.objects.filter(registration=waiting).count() == 0
    assert [seat.workshop.title for seat in waiting.seats.all()] == ["Beskæftigelse"]
    assert mail.outbox == []


def test_leaving_a_waitlist_needs_the_csrf_token(fagdag, waiting):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)

    response = strict.post(
        reverse("registrations:leave_waitlist", kwargs={"secret": personal_secret(waiting)}),
        {"block": fagdag.blocks.get().pk},
    )

    assert response.status_code == 403
    assert WaitlistEntry.objects.filter(registration=waiting).count() == 1


def test_leaving_a_waitlist_one_is_not_on_says_so(client, fagdag, waiting):
    services.leave_waitlist(registration=waiting, block_id=fagdag.blocks.get().pk)

    response = client.post(
        reverse("registrations:leave_waitlist", kwargs={"secret": personal_secret(waiting)}),
        {"block": fagdag.blocks.get().pk},
        follow=True,
    )

    assert "Du er ikke længere på den venteliste" in response.text
    assert 'class="alert alert-danger" role="alert"' in response.text


def test_leaving_a_waitlist_after_the_deadline_is_refused(fagdag, waiting):
    with (
        time_machine.travel(at(fagdag.first_day, 8), tick=False),
        pytest.raises(services.ChangesClosed),
    ):
        services.leave_waitlist(registration=waiting, block_id=fagdag.blocks.get().pk)

    assert WaitlistEntry.objects.filter(registration=waiting).count() == 1


def test_a_waitlisted_registration_leaves_by_cancelling(fagdag):
    block = fagdag.blocks.get()
    fill_block(fagdag)
    waiting = waitlist_for_udsatte_boern(fagdag)

    with pytest.raises(services.WaitlistedRegistration):
        services.leave_waitlist(registration=waiting, block_id=block.pk)

    assert WaitlistEntry.objects.filter(registration=waiting).count() == 1


# --- Words ------------------------------------------------------------------------------


def test_a_cancelled_registration_reads_afmeldt(client, fagdag):
    registration = services.cancel(registration=make_registration(fagdag))

    page = client.get(
        reverse("registrations:personal", kwargs={"secret": personal_secret(registration)})
    )

    assert registration.get_status_display() == "Afmeldt"
    assert '<dd class="col-sm-9">Afmeldt</dd>' in page.text
    with translation.override("en"):
        assert registration.get_status_display() == "Cancelled"


def test_a_repeat_from_the_danish_page_mails_the_owner_in_their_stored_language(
    client, fagdag, django_capture_on_commit_callbacks
):
    owner = register_in_english(client, fagdag)
    mail.outbox.clear()
    with translation.override("da"):
        danish_page = reverse("registrations:register", kwargs={"slug": fagdag.slug})
    assert not danish_page.startswith("/en/")

    with django_capture_on_commit_callbacks(execute=True):
        # Another browser: the one that registered is the same member (submitted.py).
        response = Client().post(
            danish_page,
            # The same address, a new submission, a workshop with a seat left.
            registration_form_data(
                fagdag,
                **{f"block_{fagdag.blocks.get().pk}": str(workshop(fagdag, "Beskæftigelse").pk)},
            ),
        )

    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == [owner.email]
    assert message.subject == "Someone tried to register you again for Faglig Fællesskabsdag"
    assert mailed_link(message.body, f"{SITE}/en/tilmelding/min/", owner)
    assert Registration.objects.filter(email=owner.email).count() == 1
    owner.refresh_from_db()
    assert owner.language == "en"
