"""E-mails to attendees: content in Danish, the calendar file, and delivery through the task queue."""

import datetime
import re
from email import message_from_bytes, policy
from email.headerregistry import Address
from zoneinfo import ZoneInfo

import icalendar
import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from events.models import Session
from registrations import emails, selectors, services
from registrations.models import OutgoingEmail, Registration
from tests.factories import (
    make_block,
    make_event,
    make_organisation,
    make_registration,
    make_session,
    make_speaker,
    make_workshop,
)

pytestmark = pytest.mark.django_db

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
SITE = "https://fagdag.example.org"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def event():
    """Faglig Fællesskabsdag on Tuesday 7 May 2030: two plenary items, two blocks of two."""
    event = make_event(
        title="Faglig Fællesskabsdag",
        slug="faglig-faellesskabsdag",
        first_day=datetime.date(2030, 5, 7),
        venue="Festsalen",
        address="Vej 1, 2600 Glostrup",
        practical_information="Tag bus 5A til Glostrup Station.",
    )
    make_session(event, title="Velkomst", starts=datetime.time(9, 15), ends=datetime.time(9, 30))
    make_session(
        event,
        title="Fællesskab og faglighed",
        kind=Session.Kind.KEYNOTE,
        starts=datetime.time(9, 30),
        ends=datetime.time(10, 45),
    )
    morning = make_block(event, starts=datetime.time(11, 0), ends=datetime.time(12, 30))
    make_workshop(
        morning,
        title="Udsatte børn",
        room="Lokale 2",
        capacity=1,
        speakers=[make_speaker(name="Mette Lind", role="sociolog", organisation="VIVE")],
    )
    make_workshop(morning, title="Beskæftigelse", room="Lokale 3")
    afternoon = make_block(event, starts=datetime.time(14, 45), ends=datetime.time(16, 15))
    make_workshop(afternoon, title="Forskning i praksis", room="Lokale 4")
    make_workshop(afternoon, title="Professionen", room="Lokale 5")
    return event


def workshop(event, title):
    return next(w for b in event.blocks.all() for w in b.workshops.all() if w.title == title)


def attendee(email="anne@example.org", name="Anne Steffensen"):
    return services.AttendeeDetails(
        name=name,
        email=email,
        workplace="Glostrup Kommune",
        job_title="Socialrådgiver",
        sector="public",
    )


def register(event, *titles, email="anne@example.org", name="Anne Steffensen", **kwargs):
    choices = {}
    for title in titles:
        chosen = workshop(event, title)
        choices[chosen.block_id] = chosen.pk
    return services.register(
        event=event, attendee=attendee(email=email, name=name), choices=choices, **kwargs
    )


def personal_url(message, registration):
    """The personal link ``message`` carries (each mail makes its own), checked to open
    ``registration``."""
    [secret] = set(re.findall(r"/tilmelding/min/([A-Za-z0-9_-]{43})/", message.body))
    assert selectors.find_by_secret(secret) == registration
    return SITE + reverse("registrations:personal", kwargs={"secret": secret})


def html_of(message):
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def calendar_of(message):
    [(filename, content, mimetype)] = message.attachments
    assert (filename, mimetype) == ("program.ics", "text/calendar")
    return icalendar.Calendar.from_ical(content)


def vevents(calendar):
    return {str(vevent["uid"]): vevent for vevent in calendar.walk("VEVENT")}


def test_mail_is_recorded_in_the_transaction_and_sent_only_after_the_commit(
    event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        registration = register(event, "Udsatte børn", "Professionen")

    [outgoing] = OutgoingEmail.objects.all()
    assert (outgoing.registration, outgoing.kind, outgoing.status) == (
        registration,
        "confirmation",
        OutgoingEmail.Status.PENDING,
    )
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_a_rolled_back_change_leaves_no_mail_in_the_outbox(event):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        register(event, "Udsatte børn", "Professionen")
        raise RuntimeError("the change fails after the mail was queued")

    assert OutgoingEmail.objects.count() == 0
    assert Registration.objects.count() == 0


def test_confirmation_mail_in_danish_tells_everything_needed(
    event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        registration = register(event, "Udsatte børn", "Professionen")

    [message] = mail.outbox
    assert message.subject == "Tilmelding bekræftet: Faglig Fællesskabsdag"
    assert message.to == ["anne@example.org"]
    assert message.reply_to == ["kontakt@example.org"]
    assert message.body == (
        "Kære Anne Steffensen\n"
        "\n"
        "Tak for din tilmelding til Faglig Fællesskabsdag. Din tilmelding er bekræftet.\n"
        "\n"
        "Faglig Fællesskabsdag\n"
        "Hvornår: 7. maj 2030, 09.15–16.15\n"
        "Hvor: Festsalen, Vej 1, 2600 Glostrup\n"
        "\n"
        "Dine workshops:\n"
        "- Tirsdag 7. maj 11.00–12.30: Udsatte børn\n"
        "  Lokale: Lokale 2\n"
        "- Tirsdag 7. maj 14.45–16.15: Professionen\n"
        "  Lokale: Lokale 5\n"
        "\n"
        "Praktisk information:\n"
        "Tag bus 5A til Glostrup Station.\n"
        "\n"
        f"Dit personlige link: {personal_url(message, registration)}\n"
        "Der kan du se din tilmelding, skifte workshops eller afmelde dig, indtil "
        "arrangementet begynder, og få et brev til din leder, hvor du beder om at måtte deltage.\n"
        "Del ikke linket med andre: alle med linket kan se din tilmelding.\n"
        "\n"
        f"Var det ikke dig? Afmeld her: {personal_url(message, registration)}afmeld/\n"
        "\n"
        "Den vedhæftede kalenderfil (program.ics) lægger dit program i din kalender: "
        "plenumpunkterne og dine workshops. Den erstatter en fil, du eventuelt har fået fra os før.\n"
        "\n"
        "Spørgsmål? Kontakt Kontakt Person, kontakt@example.org.\n"
        "\n"
        "Venlig hilsen\n"
        "Dansk Socialrådgiverforening, Region Øst\n"
    )


# --- sender and reply-to: the event's organisation ------------------------------------


@pytest.fixture
def site_sender(settings):
    settings.DEFAULT_FROM_EMAIL = "fagdag <noreply@fagdag.example.org>"
    return "noreply@fagdag.example.org"


def mail_of_a_registration(event, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_registration(event)
    [message] = mail.outbox
    mail.outbox.clear()
    return message


def headers_of(message):
    """The message as the mail server receives it, parsed back as a mail program would."""
    return message_from_bytes(message.message().as_bytes(), policy=policy.default)


def test_each_organisations_mails_carry_its_sender_name_and_reply_to(
    site_sender, django_capture_on_commit_callbacks
):
    region_ost = make_organisation(
        "Dansk Socialrådgiverforening, Region Øst",
        sender_name="DS Region Øst",
        reply_to="svar@regionost.example.org",
    )
    kl = make_organisation(
        "Kommunernes Landsforening",
        sender_name="KL Fagdage",
        reply_to="fagdage@kl.example.org",
    )

    ost_mail = mail_of_a_registration(
        make_event(organisation=region_ost), django_capture_on_commit_callbacks
    )
    kl_mail = mail_of_a_registration(
        make_event(organisation=kl), django_capture_on_commit_callbacks
    )

    assert headers_of(ost_mail)["From"].addresses == (
        Address("DS Region Øst", addr_spec=site_sender),
    )
    assert headers_of(ost_mail)["Reply-To"].addresses == (
        Address("", addr_spec="svar@regionost.example.org"),
    )
    assert headers_of(kl_mail)["From"].addresses == (Address("KL Fagdage", addr_spec=site_sender),)
    assert headers_of(kl_mail)["Reply-To"].addresses == (
        Address("", addr_spec="fagdage@kl.example.org"),
    )


def test_without_a_sender_name_or_reply_to_the_organisations_name_and_events_contact_are_used(
    site_sender, django_capture_on_commit_callbacks
):
    organisation = make_organisation("Dansk Socialrådgiverforening, Region Øst")
    event = make_event(organisation=organisation, contact_email="lise@regionost.example.org")

    message = mail_of_a_registration(event, django_capture_on_commit_callbacks)

    assert message.reply_to == ["lise@regionost.example.org"]
    # The comma and the Danish letters are encoded as one display name (RFC 2047).
    assert message.message()["From"] == (
        "=?utf-8?q?Dansk_Socialr=C3=A5dgiverforening=2C_Region_=C3=98st?= "
        "<noreply@fagdag.example.org>"
    )
    assert headers_of(message)["From"].addresses == (
        Address("Dansk Socialrådgiverforening, Region Øst", addr_spec=site_sender),
    )


def test_a_bare_default_from_address_gets_the_organisations_name(
    settings, django_capture_on_commit_callbacks
):
    settings.DEFAULT_FROM_EMAIL = "noreply@fagdag.example.org"
    event = make_event(organisation=make_organisation("KL", sender_name="KL Fagdage"))

    message = mail_of_a_registration(event, django_capture_on_commit_callbacks)

    assert message.from_email == "KL Fagdage <noreply@fagdag.example.org>"


def test_an_organisation_name_cannot_add_a_header_or_a_recipient(
    site_sender, django_capture_on_commit_callbacks
):
    organisation = make_organisation(
        'Foreningen "Nord", afd. 2\nBcc: eve@example.org\r\nX-Evil: 1',
        reply_to="svar@nord.example.org",
    )
    event = make_event(organisation=organisation)

    message = mail_of_a_registration(event, django_capture_on_commit_callbacks)

    parsed = headers_of(message)
    assert parsed["From"].addresses == (
        Address('Foreningen "Nord", afd. 2 Bcc: eve@example.org X-Evil: 1', addr_spec=site_sender),
    )
    assert parsed["Bcc"] is None
    assert parsed["X-Evil"] is None


def test_confirmation_mail_has_an_html_part_in_danish(event, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        registration = register(event, "Udsatte børn", "Professionen")

    html = html_of(mail.outbox[0])
    assert '<html lang="da">' in html
    assert "Tak for din tilmelding til Faglig Fællesskabsdag." in html
    assert "Tirsdag 7. maj 11.00–12.30: <strong>Udsatte børn</strong><br>Lokale: Lokale 2" in html
    assert f'<a href="{personal_url(mail.outbox[0], registration)}"' in html
    assert '<a href="mailto:kontakt@example.org">kontakt@example.org</a>' in html


def test_names_are_plain_in_the_text_and_escaped_in_the_html(
    event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        register(event, "Udsatte børn", "Professionen", name="Ann O'Hara & <Co>")

    [message] = mail.outbox
    assert message.body.startswith("Kære Ann O'Hara & <Co>\n")
    assert "Kære Ann O&#x27;Hara &amp; &lt;Co&gt;" in html_of(message)


def test_confirmation_calendar_holds_the_plenary_items_and_the_chosen_workshops(
    event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        registration = register(event, "Udsatte børn", "Professionen")

    calendar = calendar_of(mail.outbox[0])
    welcome, keynote = event.sessions.order_by("starts")
    morning, afternoon = event.blocks.order_by("starts")
    items = vevents(calendar)
    assert sorted(items) == sorted(
        [
            f"session-{welcome.pk}@fagdag.example.org",
            f"session-{keynote.pk}@fagdag.example.org",
            f"seat-{registration.calendar_key}-{morning.pk}@fagdag.example.org",
            f"seat-{registration.calendar_key}-{afternoon.pk}@fagdag.example.org",
        ]
    )
    keynote_item = items[f"session-{keynote.pk}@fagdag.example.org"]
    assert str(keynote_item["summary"]) == "Fællesskab og faglighed · Faglig Fællesskabsdag"
    assert keynote_item["dtstart"].params["TZID"] == "Europe/Copenhagen"
    assert keynote_item.decoded("dtstart") == datetime.datetime(
        2030, 5, 7, 9, 30, tzinfo=COPENHAGEN
    )
    assert keynote_item.decoded("dtstart").astimezone(datetime.UTC).time() == datetime.time(7, 30)
    assert keynote_item.decoded("dtend") == datetime.datetime(2030, 5, 7, 10, 45, tzinfo=COPENHAGEN)
    assert str(keynote_item["location"]) == "Festsalen, Vej 1, 2600 Glostrup"
    workshop_item = items[f"seat-{registration.calendar_key}-{morning.pk}@fagdag.example.org"]
    assert str(workshop_item["summary"]) == "Udsatte børn · Faglig Fællesskabsdag"
    assert workshop_item.decoded("dtstart") == datetime.datetime(
        2030, 5, 7, 11, 0, tzinfo=COPENHAGEN
    )
    assert str(workshop_item["location"]) == "Lokale 2, Festsalen, Vej 1, 2600 Glostrup"
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Copenhagen"]


def test_online_workshops_have_their_link_as_the_calendar_location(
    django_capture_on_commit_callbacks,
):
    event = make_event(
        is_online=True,
        venue="",
        first_day=datetime.date(2030, 5, 11),
        registration_closes=datetime.datetime(2030, 5, 10, tzinfo=COPENHAGEN),
    )
    block = make_block(event, starts=datetime.time(16, 55), ends=datetime.time(17, 30))
    make_workshop(
        block, title="Design af nye løsninger", online_link="https://meet.example.org/ws1"
    )

    # Registered within the week before, when the links are shown (online_links_days_before).
    with (
        time_machine.travel(datetime.datetime(2030, 5, 6, 12, tzinfo=COPENHAGEN), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        registration = register(event, "Design af nye løsninger")

    [message] = mail.outbox
    [item] = calendar_of(message).walk("VEVENT")
    assert str(item["location"]) == "https://meet.example.org/ws1"
    assert item.decoded("dtstart") == datetime.datetime(2030, 5, 11, 16, 55, tzinfo=COPENHAGEN)
    assert "Hvor: Online\n" in message.body
    assert "  Link: https://meet.example.org/ws1\n" in message.body
    assert registration.status == Registration.Status.CONFIRMED


def test_changed_mail_lists_the_new_workshops_and_the_calendar_keeps_its_uids(
    event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        registration = register(event, "Udsatte børn", "Professionen")
    first_uids = sorted(vevents(calendar_of(mail.outbox[0])))
    morning = event.blocks.order_by("starts").first()

    with django_capture_on_commit_callbacks(execute=True):
        services.change_seats(
            registration=registration, seats={morning.pk: workshop(event, "Beskæftigelse").pk}
        )

    changed = mail.outbox[1]
    assert changed.subject == "Dine workshops er ændret: Faglig Fællesskabsdag"
    assert changed.body.startswith(
        "Kære Anne Steffensen\n\n"
        "Din ændring af tilmeldingen til Faglig Fællesskabsdag er gemt. "
        "Dette er dine workshops nu:\n\n"
        "- Tirsdag 7. maj 11.00–12.30: Beskæftigelse\n"
        "  Lokale: Lokale 3\n"
        "- Tirsdag 7. maj 14.45–16.15: Professionen\n"
        "  Lokale: Lokale 5\n\n"
    )
    assert "Udsatte børn" not in changed.body
    assert "<strong>Beskæftigelse</strong>" in html_of(changed)
    items = vevents(calendar_of(changed))
    assert sorted(items) == first_uids
    seat_item = items[f"seat-{registration.calendar_key}-{morning.pk}@fagdag.example.org"]
    assert str(seat_item["summary"]) == "Beskæftigelse · Faglig Fællesskabsdag"
    assert str(seat_item["location"]) == "Lokale 3, Festsalen, Vej 1, 2600 Glostrup"


def test_changed_mail_tells_which_full_workshop_the_attendee_waits_for(
    event, django_capture_on_commit_callbacks
):
    register(event, "Udsatte børn", "Professionen", email="bo@example.org")
    registration = register(event, "Beskæftigelse", "Professionen")
    morning = event.blocks.order_by("starts").first()

    with django_capture_on_commit_callbacks(execute=True):
        services.change_seats(
            registration=registration,
            seats={},
            waits={morning.pk: workshop(event, "Udsatte børn").pk},
        )

    [message] = mail.outbox
    assert (
        "Du er på venteliste til:\n"
        "- Tirsdag 7. maj 11.00–12.30: Udsatte børn\n"
        "Du beholder din plads i den blok, indtil der bliver en plads ledig; så bliver du "
        "flyttet automatisk og får en e-mail.\n"
    ) in message.body


def test_promoted_mail_when_a_seat_frees_for_someone_waiting(
    event, django_capture_on_commit_callbacks
):
    bo = register(event, "Udsatte børn", "Professionen", email="bo@example.org", name="Bo Holm")
    anne = register(event, "Beskæftigelse", "Professionen")
    morning = event.blocks.order_by("starts").first()
    services.change_seats(
        registration=anne, seats={}, waits={morning.pk: workshop(event, "Udsatte børn").pk}
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(registration=bo)

    by_address = {message.to[0]: message for message in mail.outbox}
    assert sorted(by_address) == ["anne@example.org", "bo@example.org"]
    promoted = by_address["anne@example.org"]
    assert promoted.subject == "Du har fået en plads: Faglig Fællesskabsdag"
    assert (
        "Godt nyt: Der er blevet en plads ledig til Faglig Fællesskabsdag, og du er rykket "
        "ind fra ventelisten. Dette er dine workshops nu:\n\n"
        "- Tirsdag 7. maj 11.00–12.30: Udsatte børn\n"
    ) in promoted.body
    assert "Du er på venteliste til" not in promoted.body
    items = vevents(calendar_of(promoted))
    seat_item = items[f"seat-{anne.calendar_key}-{morning.pk}@fagdag.example.org"]
    assert str(seat_item["summary"]) == "Udsatte børn · Faglig Fællesskabsdag"
    cancelled = by_address["bo@example.org"]
    assert cancelled.subject == "Tilmelding afmeldt: Faglig Fællesskabsdag"
    assert cancelled.body == (
        "Kære Bo Holm\n"
        "\n"
        "Din tilmelding til Faglig Fællesskabsdag (7. maj 2030) er afmeldt, "
        "og dine pladser går videre til andre.\n"
        "\n"
        "Hvis det er en fejl, så kontakt os.\n"
        "\n"
        "Spørgsmål? Kontakt Kontakt Person, kontakt@example.org.\n"
        "\n"
        "Venlig hilsen\n"
        "Dansk Socialrådgiverforening, Region Øst\n"
    )
    assert cancelled.attachments == []
    assert '<html lang="da">' in html_of(cancelled)


def test_waitlisted_mail_names_the_workshops_waited_for(django_capture_on_commit_callbacks):
    event = make_event(title="KKR konference", first_day=datetime.date(2030, 5, 11))
    block = make_block(event, starts=datetime.time(16, 55), ends=datetime.time(17, 30))
    make_workshop(block, title="Boformer og bygninger", capacity=1)
    register(event, "Boformer og bygninger", email="first@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        registration = register(
            event, "Boformer og bygninger", waitlist=True, accept_any_workshop=True
        )

    [message] = mail.outbox
    assert registration.status == Registration.Status.WAITLISTED
    assert message.subject == "Du er på ventelisten: KKR konference"
    assert (
        "Tak for din tilmelding til KKR konference. Der er endnu ikke en ledig plads til dig, "
        "så du er på ventelisten.\n"
    ) in message.body
    assert (
        "Du er på venteliste til:\n"
        "- Lørdag 11. maj 16.55–17.30: Boformer og bygninger\n"
        "\n"
        "Når der bliver pladser ledige, bekræftes de ventende i den rækkefølge, "
        "de tilmeldte sig. Du får så en e-mail med dine workshops.\n"
        "Du har sagt, at du gerne tager en anden ledig workshop i en blok, "
        "hvor dit valg er fuldt booket.\n"
    ) in message.body
    assert message.attachments == []
    assert "Boformer og bygninger" in html_of(message)


def test_reminder_mail(event, django_capture_on_commit_callbacks):
    registration = register(event, "Udsatte børn", "Professionen")

    with django_capture_on_commit_callbacks(execute=True):
        emails.queue_email(registration, "reminder")

    [message] = mail.outbox
    assert message.subject == "Påmindelse: Faglig Fællesskabsdag"
    assert message.body.startswith(
        "Kære Anne Steffensen\n\n"
        "Faglig Fællesskabsdag nærmer sig, og vi glæder os til at se dig.\n\n"
    )
    assert "- Tirsdag 7. maj 11.00–12.30: Udsatte børn\n" in message.body
    assert len(vevents(calendar_of(message))) == 4


def test_personal_link_mail_links_to_the_site_address(event, django_capture_on_commit_callbacks):
    registration = register(event, "Udsatte børn", "Professionen")

    with django_capture_on_commit_callbacks(execute=True):
        emails.send_personal_link(event=event, email=" ANNE@example.org ")
        emails.send_personal_link(event=event, email="nobody@example.org")

    [message] = mail.outbox
    assert message.subject == "Dit link til din tilmelding til Faglig Fællesskabsdag"
    assert f"\n{personal_url(message, registration)}\n" in message.body
    assert f'<a href="{personal_url(message, registration)}">' in html_of(message)
    assert message.attachments == []


def test_change_deadline_is_given_when_the_event_sets_one(
    event, django_capture_on_commit_callbacks
):
    event.changes_close = datetime.datetime(2030, 5, 1, 12, 0, tzinfo=COPENHAGEN)
    event.save()

    with django_capture_on_commit_callbacks(execute=True):
        register(event, "Udsatte børn", "Professionen")

    assert (
        "Der kan du se din tilmelding, skifte workshops eller afmelde dig til "
        "1. maj 2030 kl. 12.00 og få et brev til din leder, hvor du beder om at måtte deltage.\n"
    ) in mail.outbox[0].body


def test_a_change_deadline_at_midnight_is_given_as_the_last_day_included(
    event, django_capture_on_commit_callbacks
):
    # Midnight is the start of 1 May, but "indtil 1. maj 00.00" is read as its end.
    event.changes_close = datetime.datetime(2030, 5, 1, 0, 0, tzinfo=COPENHAGEN)
    event.save()

    with django_capture_on_commit_callbacks(execute=True):
        register(event, "Udsatte børn", "Professionen")

    body, html = mail.outbox[0].body, mail.outbox[0].alternatives[0][0]
    assert "afmelde dig til og med 30. april 2030 og få et brev" in body
    assert "afmelde dig til og med 30. april 2030 og få et brev" in html
    assert "1. maj" not in body


def test_a_mail_overtaken_by_a_cancellation_is_not_sent(event, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as confirmation:
        registration = register(event, "Udsatte børn", "Professionen")
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(registration=registration)

    confirmation[0]()  # the worker gets to the confirmation only now

    assert [message.subject for message in mail.outbox] == [
        "Tilmelding afmeldt: Faglig Fællesskabsdag"
    ]


def test_unknown_kind_of_mail_is_refused(event):
    registration = register(event, "Udsatte børn", "Professionen")

    with pytest.raises(ValueError, match="Unknown kind of e-mail: 'welcome'"):
        emails.queue_email(registration, "welcome")
