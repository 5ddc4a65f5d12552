"""send_online_links: each attendee of an online event gets their links once per choice (seed 004)."""

import datetime
import io
import threading

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from events.models import VENUE_TZ
from registrations import services
from registrations.models import Registration, Seat
from tests.factories import make_block, make_event, make_session, make_workshop

pytestmark = pytest.mark.django_db

LINK_1 = "https://meet.example.org/design-af-nye-loesninger"
LINK_2 = "https://meet.example.org/fremtidens-beskaeftigelse"


def make_online_event(*, days_ahead=5, **fields):
    """KKR's virtual conference: 16.00-18.00, one block of break-out rooms with links."""
    first_day = timezone.localdate() + datetime.timedelta(days=days_ahead)
    defaults = dict(
        title="KKR konference",
        is_online=True,
        venue="",
        first_day=first_day,
        registration_closes=datetime.datetime.combine(
            first_day, datetime.time(12, 0), tzinfo=VENUE_TZ
        ),
    )
    defaults.update(fields)
    event = make_event(**defaults)
    make_session(event, title="Velkomst", starts=datetime.time(16, 0), ends=datetime.time(16, 10))
    block = make_block(event, starts=datetime.time(16, 55), ends=datetime.time(17, 30))
    make_workshop(block, title="Design af nye løsninger", online_link=LINK_1, room="")
    make_workshop(block, title="Fremtidens beskæftigelsestilbud", online_link=LINK_2, room="")
    return event


def register(event, email="anne@example.org", title="Design af nye løsninger"):
    block = event.blocks.get()
    return services.register(
        event=event,
        attendee=services.AttendeeDetails(
            name="Anne Steffensen",
            email=email,
            workplace="Randers Kommune",
            job_title="Socialrådgiver",
            sector="public",
        ),
        choices={block.pk: block.workshops.get(title=title).pk},
    )


def send_online_links(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("send_online_links", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def link_mails():
    return [message for message in mail.outbox if message.subject.startswith("Dine links til")]


def test_attendees_get_their_links_in_danish(django_capture_on_commit_callbacks):
    event = make_online_event()
    anne = register(event)
    register(event, email="bo@example.org", title="Fremtidens beskæftigelsestilbud")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        out, err = send_online_links()

    by_address = {message.to[0]: message for message in link_mails()}
    assert sorted(by_address) == ["anne@example.org", "bo@example.org"]
    message = by_address["anne@example.org"]
    assert message.subject == "Dine links til KKR konference"
    assert message.body.startswith(
        "Kære Anne Steffensen\n\nHer er dine online-links til KKR konference.\n\n"
        "Dine workshops:\n- "
    )
    assert f": Design af nye løsninger\n  Link: {LINK_1}\n" in message.body
    assert LINK_2 not in message.body
    assert f'<a href="{LINK_1}">{LINK_1}</a>' in message.alternatives[0][0]
    [(filename, ics, _)] = message.attachments
    assert filename == "program.ics"
    assert f"LOCATION:{LINK_1}" in ics
    assert out == "KKR konference: links sent to 2 attendee(s).\n"
    assert err == ""
    anne.refresh_from_db()
    assert anne.online_links_sent_for == str(
        event.blocks.get().workshops.get(online_link=LINK_1).pk
    )


def test_running_twice_sends_once(django_capture_on_commit_callbacks):
    event = make_online_event()
    register(event)

    with django_capture_on_commit_callbacks(execute=True):
        send_online_links()
        out, _ = send_online_links()

    assert len(link_mails()) == 1
    assert out == "KKR konference: links sent to 0 attendee(s).\n"


def test_a_change_of_workshop_sends_the_new_links(django_capture_on_commit_callbacks):
    event = make_online_event()
    anne = register(event)
    with django_capture_on_commit_callbacks(execute=True):
        send_online_links()
    other = event.blocks.get().workshops.get(online_link=LINK_2)
    Seat.objects.filter(registration=anne).update(workshop=other)

    with django_capture_on_commit_callbacks(execute=True):
        send_online_links()
        send_online_links()

    first, second = link_mails()
    assert LINK_1 in first.body
    assert LINK_2 in second.body
    assert LINK_1 not in second.body


def test_no_links_for_an_event_without_any(django_capture_on_commit_callbacks):
    event = make_online_event(is_online=False, venue="Festsalen")
    event.blocks.get().workshops.update(online_link="")
    register(event)

    with django_capture_on_commit_callbacks(execute=True):
        out, _ = send_online_links()

    assert link_mails() == []
    assert out == ""


def test_no_links_before_the_event_is_its_days_before_away(django_capture_on_commit_callbacks):
    event = make_online_event(days_ahead=10)
    register(event)
    three_days_later = timezone.now() + datetime.timedelta(days=3)

    with django_capture_on_commit_callbacks(execute=True):
        send_online_links()
        assert link_mails() == []
        send_online_links(f"--now={three_days_later.isoformat()}")

    assert len(link_mails()) == 1
    assert event.online_links_days_before == 7


def test_days_before_is_set_per_event(django_capture_on_commit_callbacks):
    event = make_online_event(days_ahead=10, online_links_days_before=14)
    register(event)

    with django_capture_on_commit_callbacks(execute=True):
        send_online_links()

    assert len(link_mails()) == 1


def test_no_links_once_the_programme_has_begun(django_capture_on_commit_callbacks):
    event = make_online_event()
    register(event)
    welcome_begins = datetime.datetime.combine(event.first_day, datetime.time(16, 0), VENUE_TZ)

    with django_capture_on_commit_callbacks(execute=True):
        send_online_links(f"--now={welcome_begins.isoformat()}")
        assert link_mails() == []
        send_online_links(f"--now={event.first_day.isoformat()}T15:59")

    assert len(link_mails()) == 1


def test_only_confirmed_attendees_get_links(django_capture_on_commit_callbacks):
    event = make_online_event()
    cancelled = register(event, email="bo@example.org")
    services.cancel(registration=cancelled)
    register(event)

    with django_capture_on_commit_callbacks(execute=True):
        send_online_links()

    assert [message.to for message in link_mails()] == [["anne@example.org"]]


def test_attendees_of_a_workshop_without_a_link_wait_and_the_organiser_is_told(
    django_capture_on_commit_callbacks,
):
    event = make_online_event()
    register(event)
    register(event, email="bo@example.org", title="Fremtidens beskæftigelsestilbud")
    event.blocks.get().workshops.filter(online_link=LINK_2).update(online_link="")

    with django_capture_on_commit_callbacks(execute=True):
        out, err = send_online_links()

    assert [message.to for message in link_mails()] == [["anne@example.org"]]
    assert out == "KKR konference: links sent to 1 attendee(s).\n"
    assert err == (
        "KKR konference: these workshops have no online link yet, so their attendees get "
        "their links on a later run: Fremtidens beskæftigelsestilbud\n"
    )
    assert Registration.objects.get(email="bo@example.org").online_links_sent_for == ""


def test_online_links_never_appear_on_public_pages(client):
    event = make_online_event(online_link="https://meet.example.org/plenum")

    pages = [
        client.get(event.get_absolute_url()),
        client.get(reverse("registrations:register", kwargs={"slug": event.slug})),
    ]

    for page in pages:
        content = page.content.decode()
        assert page.status_code == 200
        assert "Design af nye løsninger" in content
        assert LINK_1 not in content
        assert "meet.example.org" not in content


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_send_once():
    event = make_online_event()
    for n in range(6):
        register(event, email=f"attendee{n}@example.org")
    mail.outbox.clear()
    start = threading.Barrier(2)
    errors = []

    def run():
        try:
            start.wait(timeout=30)
            send_online_links()
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(message.to[0] for message in link_mails()) == [
        f"attendee{n}@example.org" for n in range(6)
    ]
