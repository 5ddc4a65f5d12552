"""GDPR: retention with time travel, the data download and cancel-and-erase."""

import datetime
import io
import json

import pytest
import time_machine
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from events.models import VENUE_TZ
from registrations import privacy, selectors, services
from registrations.models import Registration, Seat, WaitlistEntry
from tests.factories import make_block, make_event, make_programme, make_workshop, personal_secret
from tests.registrations.test_services import attendee

pytestmark = pytest.mark.django_db

INVOICE = dict(
    payer=Registration.Payer.EAN,
    ean="5798000000001",
    invoice_organisation="Glostrup Kommune",
    invoice_address="Rådhusparken 2, 2600 Glostrup",
    invoice_attention="Mette Hansen",
    invoice_order_number="PO-77",
)


def full_attendee(**fields):
    return attendee(
        phone="+45 12 34 56 78",
        membership_number="123456",
        dietary_needs="Glutenfri",
        **fields,
    )


def first_choices(event):
    return {block.pk: block.workshops.first().pk for block in event.blocks.all()}


def noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=VENUE_TZ)


def run_command() -> str:
    out = io.StringIO()
    call_command("anonymise_attendees", stdout=out)
    return out.getvalue()


@pytest.fixture
def paid_registration():
    event = make_programme(blocks=2, price=350)
    registration = services.register(
        event=event, attendee=full_attendee(**INVOICE), choices=first_choices(event)
    )
    return event, registration


def test_attendees_are_kept_until_90_days_after_the_event(paid_registration):
    event, registration = paid_registration

    with time_machine.travel(noon(event.last_day + datetime.timedelta(days=89)), tick=False):
        output = run_command()

    registration.refresh_from_db()
    assert "Anonymised 0 registration(s)" in output
    assert registration.name == "Anne Steffensen"
    assert registration.anonymised_at is None


def test_attendees_are_anonymised_90_days_after_the_event(paid_registration):
    event, registration = paid_registration
    seats_before = list(registration.seats.values_list("block_id", "workshop_id"))
    moment = noon(event.last_day + datetime.timedelta(days=90))
    old_secret = personal_secret(registration)

    with time_machine.travel(moment, tick=False):
        output = run_command()

    registration.refresh_from_db()
    assert "Anonymised 1 registration(s)" in output
    assert registration.name == "Anonymiseret"
    assert registration.email == f"anon-{registration.pk}@invalid"
    assert (
        registration.phone,
        registration.workplace,
        registration.job_title,
        registration.membership_number,
        registration.dietary_needs,
    ) == ("", "", "", "", "")
    assert registration.anonymised_at == moment
    assert selectors.find_by_secret(old_secret) is None
    assert registration.personal_links.count() == 0
    # Counts and workshop statistics stay.
    assert registration.status == Registration.Status.CONFIRMED
    assert registration.sector == Registration.Sector.PUBLIC
    assert list(registration.seats.values_list("block_id", "workshop_id")) == seats_before
    # The invoicing data stays for the bookkeeping period.
    assert registration.ean == "5798000000001"
    assert registration.invoice_address == "Rådhusparken 2, 2600 Glostrup"
    assert registration.invoice_data_erased_at is None


def test_invoicing_data_is_erased_five_years_after_the_event(paid_registration):
    event, registration = paid_registration
    almost = event.last_day.replace(year=event.last_day.year + 5) - datetime.timedelta(days=1)

    with time_machine.travel(noon(almost), tick=False):
        run_command()
    registration.refresh_from_db()
    kept = (registration.payer, registration.ean, registration.invoice_organisation)
    with time_machine.travel(noon(almost + datetime.timedelta(days=1)), tick=False):
        output = run_command()
    registration.refresh_from_db()

    assert kept == ("ean", "5798000000001", "Glostrup Kommune")
    assert "erased the invoicing data of 1" in output
    assert [getattr(registration, field) for field in privacy.INVOICE_FIELDS] == [""] * 7
    assert registration.invoice_data_erased_at == noon(almost + datetime.timedelta(days=1))
    assert registration.seats.count() == 2


def test_a_free_event_keeps_no_invoicing_data():
    event = make_programme(blocks=1)
    registration = services.register(event=event, attendee=attendee(), choices=first_choices(event))

    with time_machine.travel(noon(event.last_day + datetime.timedelta(days=90)), tick=False):
        run_command()

    registration.refresh_from_db()
    assert registration.anonymised_at is not None
    assert registration.invoice_data_erased_at == registration.anonymised_at


def test_running_twice_changes_nothing_the_second_time(paid_registration):
    event, _registration = paid_registration
    cancelled = services.register(
        event=event,
        attendee=attendee(email="bo@example.org", **INVOICE),
        choices=first_choices(event),
    )
    services.cancel(registration=cancelled)
    moment = noon(event.last_day + datetime.timedelta(days=5 * 366))

    with time_machine.travel(moment, tick=False):
        first = run_command()
    after_first = list(Registration.objects.order_by("pk").values())
    with time_machine.travel(moment + datetime.timedelta(days=1), tick=False):
        second = run_command()
    after_second = list(Registration.objects.order_by("pk").values())

    assert "Anonymised 2 registration(s)" in first
    assert "erased the invoicing data of 2" in first
    assert "Anonymised 0 registration(s)" in second
    assert "erased the invoicing data of 0" in second
    assert after_second == after_first


def test_retention_days_come_from_the_settings(settings, paid_registration):
    event, registration = paid_registration
    settings.RETENTION_DAYS_AFTER_EVENT = 10

    with time_machine.travel(noon(event.last_day + datetime.timedelta(days=10)), tick=False):
        run_command()

    registration.refresh_from_db()
    assert registration.name == "Anonymiseret"


def test_other_events_are_left_alone(paid_registration):
    event, _registration = paid_registration
    later = make_programme(blocks=1, first_day=event.last_day + datetime.timedelta(days=60))
    other = services.register(event=later, attendee=attendee(), choices=first_choices(later))

    with time_machine.travel(noon(event.last_day + datetime.timedelta(days=90)), tick=False):
        run_command()

    other.refresh_from_db()
    assert other.name == "Anne Steffensen"
    assert other.anonymised_at is None


def test_dry_run_changes_nothing(paid_registration):
    event, registration = paid_registration
    out = io.StringIO()

    with time_machine.travel(noon(event.last_day + datetime.timedelta(days=90)), tick=False):
        call_command("anonymise_attendees", "--dry-run", stdout=out)

    registration.refresh_from_db()
    assert "1 registration(s) to anonymise" in out.getvalue()
    assert registration.anonymised_at is None


def test_admin_history_loses_the_name_and_address(paid_registration):
    _event, registration = paid_registration
    user = User.objects.create_superuser("admin", "admin@example.org", "pw")
    LogEntry.objects.log_actions(
        user_id=user.pk, queryset=[registration], action_flag=CHANGE, change_message="[]"
    )

    privacy.anonymise(registration)

    entry = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Registration),
        object_id=str(registration.pk),
    )
    assert "Anne" not in entry.object_repr
    assert "anne@example.org" not in entry.object_repr


# --- the personal page: download and cancel-and-erase -------------------------


@pytest.fixture
def setup():
    event = make_event()
    block = make_block(event)
    small = make_workshop(block, title="Ungeindsatsen", capacity=1)
    other = make_workshop(block, title="Handler det om ære?", capacity=5)
    anne = services.register(event=event, attendee=full_attendee(), choices={block.pk: small.pk})
    return event, block, small, other, anne


def url(name, registration):
    return reverse(f"registrations:{name}", kwargs={"secret": personal_secret(registration)})


def test_personal_page_offers_download_and_erase(client, setup):
    *_, anne = setup

    content = client.get(url("personal", anne)).content.decode()

    assert url("personal_data", anne) in content
    assert url("erase", anne) in content
    assert "Afmeld og slet mine data" in content


def test_attendee_downloads_their_data_as_json(client, setup):
    event, block, small, other, _anne = setup
    bo = services.register(
        event=event, attendee=attendee(email="bo@example.org"), choices={block.pk: other.pk}
    )
    services.change_seats(registration=bo, seats={}, waits={block.pk: small.pk})

    response = client.get(url("personal_data", bo))
    data = json.loads(response.content)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == (
        f'attachment; filename="fagdag-{event.slug}-data.json"'
    )
    assert response["Cache-Control"] == "private, no-store"
    assert data["registration"]["name"] == "Anne Steffensen"
    assert data["registration"]["email"] == "bo@example.org"
    assert data["registration"]["status"] == "confirmed"
    assert data["registration"]["registered_at"].startswith(str(timezone.localdate().year))
    assert data["registration"]["consent_given_at"]
    assert data["event"]["title"] == event.title
    assert [seat["workshop"] for seat in data["seats"]] == ["Handler det om ære?"]
    assert data["seats"][0]["starts"] == "11:00:00"
    assert [entry["workshop"] for entry in data["waitlist_entries"]] == ["Ungeindsatsen"]
    assert data["waitlist_entries"][0]["joined_at"]
    assert set(data["invoice"]) == set(privacy.INVOICE_FIELDS)


def test_download_keeps_danish_letters_readable(client, setup):
    *_, anne = setup

    raw = client.get(url("personal_data", anne)).content.decode("utf-8")

    assert "Ungeindsatsen" in raw
    assert "Glutenfri" in raw
    assert "\\u" not in raw


def test_erase_needs_confirmation(client, setup):
    *_, anne = setup

    response = client.post(url("erase", anne), {})

    anne.refresh_from_db()
    assert response.status_code == 200
    assert "Sæt kryds for at bekræfte" in response.content.decode()
    assert anne.name == "Anne Steffensen"
    assert anne.status == Registration.Status.CONFIRMED


def test_erase_cancels_frees_the_seat_for_the_waitlist_and_anonymises(
    client, setup, django_capture_on_commit_callbacks
):
    event, block, small, other, anne = setup
    bo = services.register(
        event=event, attendee=attendee(email="bo@example.org"), choices={block.pk: other.pk}
    )
    services.change_seats(registration=bo, seats={}, waits={block.pk: small.pk})
    personal_link = url("personal", anne)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("erase", anne), {"erase-confirm": "on"})

    anne.refresh_from_db()
    assert response.status_code == 302
    assert response.url == reverse("registrations:erased")
    assert anne.status == Registration.Status.CANCELLED
    assert anne.name == "Anonymiseret"
    assert anne.email == f"anon-{anne.pk}@invalid"
    assert anne.dietary_needs == ""
    assert not Seat.objects.filter(registration=anne).exists()
    assert Seat.objects.get(registration=bo).workshop == small  # moved up by the seat rules
    assert not WaitlistEntry.objects.filter(registration=bo).exists()
    assert client.get(personal_link).status_code == 404
    assert "Dine data er slettet" in client.get(response.url).content.decode()


def test_no_mail_goes_to_an_erased_attendee(client, setup, django_capture_on_commit_callbacks):
    """The "cancelled" mail that ``cancel`` queues finds the registration anonymised: dropped."""
    *_, anne = setup

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("erase", anne), {"erase-confirm": "on"})

    assert [message.to for message in mail.outbox] == []


def test_erase_after_the_change_deadline_is_refused_saying_why_and_whom_to_ask(client, setup):
    event, *_, anne = setup
    event.changes_close = timezone.now() - datetime.timedelta(hours=1)
    event.save()

    page = client.get(url("personal", anne)).content.decode()
    response = client.post(url("erase", anne), {"erase-confirm": "on"})

    anne.refresh_from_db()
    answer = response.content.decode()
    assert url("erase", anne) not in page
    assert "Arrangøren kan altid slette dine data: Skriv til" in page
    assert "Dine data er ikke slettet" not in page
    assert response.status_code == 200
    assert "Dine data er ikke slettet: Sletter du dem her, bliver din tilmelding også" in answer
    assert f'href="mailto:{event.contact_email}?subject=Slet%20venligst' in answer
    assert anne.name == "Anne Steffensen"
    assert anne.status == Registration.Status.CONFIRMED
    assert anne.seats.count() == 1


def test_a_cancelled_registration_can_be_erased_after_the_deadline(setup):
    event, *_, anne = setup
    services.cancel(registration=anne)
    event.changes_close = timezone.now() - datetime.timedelta(hours=1)
    event.save()

    erased = services.erase(registration=anne)

    assert erased.status == Registration.Status.CANCELLED
    assert erased.anonymised_at is not None


def test_erase_keeps_a_paid_events_invoicing_data(paid_registration):
    _event, registration = paid_registration

    erased = services.erase(registration=registration)

    assert erased.name == "Anonymiseret"
    assert erased.ean == "5798000000001"
    assert erased.invoice_data_erased_at is None


# --- the privacy page -----------------------------------------------------------


def test_privacy_page_names_controller_retention_and_rights_in_danish(client, settings):
    settings.PRIVACY_CONTROLLER = "Dansk Socialrådgiverforening"
    settings.PRIVACY_CONTACT_EMAIL = "persondata@example.org"

    content = client.get(reverse("events:privacy")).content.decode()

    assert "Dansk Socialrådgiverforening" in content
    assert "dataansvarlig" in content
    assert "90 dage efter" in content
    assert "5 år efter" in content
    assert "Datatilsynet" in content
    assert "persondata@example.org" in content


def test_privacy_page_in_english(client):
    content = client.get("/en/privatliv/").content.decode()

    assert "data controller" in content
    assert "Danish Data Protection Agency" in content
    assert "90 days after" in content
