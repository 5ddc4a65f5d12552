import datetime
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from registrations import selectors
from registrations.models import Registration, Seat, StandardQuestion
from tests.factories import make_programme, personal_secret, registration_form_data

pytestmark = pytest.mark.django_db


def register_url(event):
    return reverse("registrations:register", kwargs={"slug": event.slug})


def form_data(event, **overrides):
    return registration_form_data(event, **overrides)


def paid_event(**fields):
    return make_programme(price=350, **fields)


def test_form_shows_one_fieldset_per_block_with_seats_left(client):
    event = make_programme(blocks=2, workshops_per_block=4, capacity=12)

    content = client.get(register_url(event)).content.decode()

    assert content.count('<fieldset class="workshop-block') == 2
    assert content.count('type="radio" name="block_') == 8
    assert "12 ledige pladser" in content


def test_register_redirects_to_confirmation_listing_the_workshops(client):
    event = make_programme(blocks=2)

    response = client.post(register_url(event), form_data(event))

    registration = Registration.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("registrations:confirmation", kwargs={"slug": event.slug})
    page = client.get(response.url)
    content = page.content.decode()
    assert page["Referrer-Policy"] == "no-referrer"
    assert "<h1>Tjek din e-mail</h1>" in content
    for seat in registration.seats.select_related("workshop"):
        assert seat.workshop.title in content
    assert "/tilmelding/min/" not in content  # the personal link goes to the e-mail only


def test_programme_page_shows_one_seat_fewer_after_registering(client):
    event = make_programme(blocks=1, workshops_per_block=1, capacity=12)
    client.post(register_url(event), form_data(event))

    content = client.get(event.get_absolute_url()).content.decode()

    assert "11 ledige pladser" in content


def test_full_workshop_is_shown_disabled_and_marked(client):
    event = make_programme(blocks=1, workshops_per_block=2, capacity=1)
    client.post(register_url(event), form_data(event))

    content = Client().get(register_url(event)).content.decode()

    assert "Fuldt booket" in content
    assert content.count("disabled") == 1


def test_choosing_a_workshop_that_filled_up_returns_the_form_with_answers_kept(client):
    event = make_programme(blocks=2, workshops_per_block=2, capacity=1)
    client.post(register_url(event), form_data(event, email="first@example.org"))
    block_1 = event.blocks.first()

    response = Client().post(register_url(event), form_data(event, email="late@example.org"))

    content = response.content.decode()
    assert response.status_code == 200
    assert Registration.objects.count() == 1
    assert "fuldt booket, mens du udfyldte formularen" in content
    assert 'value="late@example.org"' in content
    assert f'href="#fieldset_id_block_{block_1.pk}"' in content


def test_second_registration_with_the_same_email_saves_nothing(client):
    event = make_programme()
    client.post(register_url(event), form_data(event))

    response = Client().post(register_url(event), form_data(event, email="ANNE@example.org"))

    assert response.status_code == 302
    assert response.url == reverse("registrations:confirmation", kwargs={"slug": event.slug})
    assert Registration.objects.count() == 1


def test_resubmitted_form_creates_one_registration(client):
    event = make_programme()
    data = form_data(event)

    first = client.post(register_url(event), data)
    second = client.post(register_url(event), data)

    assert Registration.objects.count() == 1
    assert first.url == second.url


def test_registration_closed_page_offers_no_form(client):
    event = make_programme(
        registration_opens=timezone.now() - datetime.timedelta(days=3),
        registration_closes=timezone.now() - datetime.timedelta(days=1),
    )

    get = client.get(register_url(event))
    post = client.post(register_url(event), form_data(event))

    assert "Tilmeldingen er lukket" in get.content.decode()
    assert '<form method="post" action="" novalidate' not in get.content.decode()
    assert post.status_code == 200
    assert Registration.objects.count() == 0


def test_registration_not_yet_open_says_when_it_opens(client):
    event = make_programme(registration_opens=timezone.now() + datetime.timedelta(days=2))

    content = client.get(register_url(event)).content.decode()

    assert "Tilmeldingen åbner" in content


def test_draft_event_has_no_registration_page(client):
    event = make_programme(status="draft")

    assert client.get(register_url(event)).status_code == 404


def test_paid_event_requires_invoice_details_for_ean(client):
    event = paid_event()

    response = client.post(register_url(event), form_data(event, payer="ean", ean="5798000000000"))

    form = response.context["form"]
    assert response.status_code == 200
    assert sorted(form.errors) == [
        "ean",
        "invoice_address",
        "invoice_attention",
        "invoice_organisation",
    ]
    assert Registration.objects.count() == 0


def test_paid_event_registration_with_valid_ean_saves_invoice_details(client):
    event = paid_event()

    client.post(
        register_url(event),
        form_data(
            event,
            payer="ean",
            ean="5798 0000 00001",  # spaces as members paste them
            invoice_organisation="Glostrup Kommune",
            invoice_address="Rådhusvej 2\n2600 Glostrup",
            invoice_attention="Ayhan Gormez",
            invoice_order_number="PO-123",
        ),
    )

    registration = Registration.objects.get()
    assert (registration.payer, registration.ean, registration.invoice_order_number) == (
        "ean",
        "5798000000001",
        "PO-123",
    )


def test_paid_event_refuses_an_invalid_cvr(client):
    event = paid_event()

    response = client.post(
        register_url(event),
        form_data(
            event,
            payer="cvr",
            cvr="12345678",
            invoice_organisation="Firma",
            invoice_address="Vej 1",
            invoice_attention="Att",
        ),
    )

    assert "Det er ikke et gyldigt CVR-nummer" in response.content.decode()
    assert Registration.objects.count() == 0


def test_free_event_has_no_invoice_fields(client):
    event = make_programme(price=0)

    content = client.get(register_url(event)).content.decode()

    assert 'name="payer"' not in content


def test_membership_number_is_required_when_the_event_says_so(client):
    event = make_programme()
    StandardQuestion.objects.create(event=event, field="membership_number", ask="required")

    response = client.post(register_url(event), form_data(event))

    assert list(response.context["form"].errors) == ["membership_number"]


def test_the_empty_form_follows_the_organisers_changes_to_the_event(client):
    """The empty form is rendered once per process for what it shows: event edits show at once."""
    event = make_programme(price=0)
    before = client.get(register_url(event)).content.decode()

    event.price = 350
    event.save()
    StandardQuestion.objects.create(event=event, field="membership_number", ask="required")
    after = client.get(register_url(event)).content.decode()
    with translation.override("en"):
        english = client.get(register_url(event)).content.decode()

    assert 'name="payer"' not in before
    assert "Medlemsnummer i DS (valgfrit)" in before
    assert 'name="payer"' in after
    assert "Medlemsnummer i DS (valgfrit)" not in after
    assert "Full name" not in after
    assert "Full name" in english


@pytest.mark.parametrize(
    "tamper",
    [
        "missing_block",
        "other_block",
        "other_event",
        "unknown_id",
        "not_a_number",
        "two_in_one_block",
    ],
)
def test_tampered_workshop_choices_are_refused_with_a_field_error(client, tamper):
    event = make_programme(blocks=2, workshops_per_block=2)
    other = make_programme(blocks=1)
    block_1, block_2 = event.blocks.all()
    data = form_data(event)
    key = f"block_{block_1.pk}"
    if tamper == "missing_block":
        del data[key]
    elif tamper == "other_block":
        data[key] = str(block_2.workshops.first().pk)
    elif tamper == "other_event":
        data[key] = str(other.blocks.get().workshops.first().pk)
    elif tamper == "unknown_id":
        data[key] = "999999"
    elif tamper == "not_a_number":
        data[key] = "'; DROP TABLE x;--"
    elif tamper == "two_in_one_block":
        data[key] = [str(w.pk) for w in block_1.workshops.all()]

    response = client.post(register_url(event), data)

    assert response.status_code == 200
    assert key in response.context["form"].errors
    assert Registration.objects.count() == 0
    assert Seat.objects.count() == 0


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"name": "x" * 5000}, "name"),
        ({"name": "Anne\x00Steffensen"}, "name"),
        ({"email": "ikke-en-adresse"}, "email"),
        ({"consent": None}, "consent"),
        ({"sector": "robot"}, "sector"),
        ({"phone": "ring mig"}, "phone"),
        ({"dietary_needs": "y" * 10_000}, "dietary_needs"),
        ({"submission_token": "not-a-uuid"}, "submission_token"),
    ],
)
def test_broken_fields_are_refused_at_the_field(client, overrides, field):
    event = make_programme()

    response = client.post(register_url(event), form_data(event, **overrides))

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Registration.objects.count() == 0


def test_formula_looking_name_is_saved_as_plain_text(client):
    event = make_programme()

    client.post(register_url(event), form_data(event, name='=HYPERLINK("x";"Klik")'))

    assert Registration.objects.get().name == '=HYPERLINK("x";"Klik")'


def test_post_without_csrf_token_is_refused():
    event = make_programme()
    client = Client(enforce_csrf_checks=True)

    response = client.post(register_url(event), form_data(event))

    assert response.status_code == 403
    assert Registration.objects.count() == 0


def test_personal_page_shows_the_registration_and_is_not_indexed(client):
    event = make_programme()
    client.post(register_url(event), form_data(event))
    registration = Registration.objects.get()

    response = client.get(
        reverse("registrations:personal", kwargs={"secret": personal_secret(registration)})
    )

    assert response.status_code == 200
    assert "Anne Steffensen" in response.content.decode()
    assert response["X-Robots-Tag"] == "noindex, nofollow"


@pytest.mark.parametrize("wrong", ["truncated", "other", "garbage"])
def test_wrong_personal_link_is_404(client, wrong):
    event = make_programme()
    client.post(register_url(event), form_data(event))
    secret = personal_secret(Registration.objects.get())
    link = {"truncated": secret[:-1], "other": "A" * len(secret), "garbage": "x" * 200}[wrong]

    assert client.get(reverse("registrations:personal", kwargs={"secret": link})).status_code == 404


def test_resend_link_mails_a_registered_address_and_tells_nothing(
    client, django_capture_on_commit_callbacks
):
    event = make_programme()
    client.post(register_url(event), form_data(event))
    old_secret = personal_secret(Registration.objects.get())
    url = reverse("registrations:resend_link", kwargs={"slug": event.slug})

    with django_capture_on_commit_callbacks(execute=True):
        registered = client.post(url, {"email": "anne@example.org"})
        unknown = client.post(url, {"email": "nobody@example.org"})

    sent_page = "Hvis adressen er tilmeldt arrangementet, har vi sendt linket til den."
    assert sent_page in registered.content.decode()
    assert sent_page in unknown.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["anne@example.org"]
    # A fresh link; the one before stops working.
    [new_secret] = set(re.findall(r"/tilmelding/min/([\w-]{43})/", mail.outbox[0].body))
    assert selectors.find_by_secret(new_secret) == Registration.objects.get()
    assert selectors.find_by_secret(old_secret) is None


def test_form_and_submission_take_the_same_queries_however_big_the_programme(client, monkeypatch):
    from django.core.cache import caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # The database cache's occasional sweep of expired entries (fagdag.cache) is a
    # query of chance: none here, so that both counts are what each request needs.
    monkeypatch.setattr("fagdag.cache.SWEEP_CHANCE", 0)
    counts = []
    for blocks, workshops_per_block in [(1, 2), (6, 16)]:
        event = make_programme(blocks=blocks, workshops_per_block=workshops_per_block)
        data = form_data(event, email=f"{blocks}@example.org")
        client.get(register_url(event))  # the session and language settle first
        # The first of each builds what its process keeps (form_cache).
        client.post(register_url(event), form_data(event, email=f"first-{blocks}@example.org"))
        caches["default"].clear()  # the rate limit's counters start afresh each time
        with CaptureQueriesContext(connection) as form_page:
            response = client.get(register_url(event))
        assert response.content.decode().count('name="block_') == blocks * workshops_per_block
        with CaptureQueriesContext(connection) as submission:
            response = client.post(register_url(event), data)
        assert response.status_code == 302
        counts.append((len(form_page), len(submission)))

    # The form, rendered before (by the first GET): the event with its
    # programme version, the seats taken of its workshops (one query).
    # The submission, checked against the blocks built before (by the first
    # POST): the rate limits' counters read at once, then this browser's and
    # this address's registration counters made (each a savepoint, an update
    # of an expired row, an insert, a release); the event with its programme
    # version; the seats of every workshop (the blocks, and a choice already
    # full refused before any lock: services.register); in the transaction the
    # chosen workshops locked, a look for an earlier registration of the
    # address (the repeat is found only after every check a new registration
    # meets), the registration, its seats and its e-mail (the outbox row); and
    # the savepoints of the test's own transaction around both. Against the
    # first version's 11: the rate limits' buckets 5 more, the outbox row and
    # the look for an earlier registration one each.
    assert counts[0] == counts[1]
    assert counts[0][0] == 2
    assert counts[0][1] == 18, counts
