"""The attendee side of the programme's admin pages (registrations/admin.py), driven as an
organiser: registrations, seats and waitlists on the event's and the workshops' pages, no
capacity below the seats taken, nothing deleted that attendees hold, and new seats handed to
the waitlists."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.models import Event, Session, Workshop, WorkshopBlock
from registrations import services
from registrations.models import Registration
from tests.factories import (
    change_url,
    csv_file,
    delete_url,
    error_codes,
    form_data,
    import_event,
    inline_formset,
    make_event,
    make_programme,
    make_registration,
    make_session,
    make_workshop,
    upload,
)

pytestmark = pytest.mark.django_db

DAY = timezone.localdate() + datetime.timedelta(days=60)


# The event's page and list: registrations and seats at a glance ------------------------------


def test_event_page_counts_registrations_and_shows_every_workshops_seats(client, organiser):
    event = make_programme(blocks=1, workshops_per_block=2, capacity=2)
    full, free = event.blocks.get().workshops.all()
    Workshop.objects.filter(pk=free.pk).update(capacity=1)
    services.cancel(registration=make_registration(event))
    block = event.blocks.get()
    for workshop in (full, full, free):
        make_registration(event, choices={block.pk: workshop.pk})
    make_registration(event, waitlist=True, choices={block.pk: full.pk})

    response = client.get(change_url(event))

    content = response.content.decode()
    assert (
        f'<a href="/admin/registrations/registration/?event__id__exact={event.pk}'
        '&amp;status__exact=confirmed">Bekræftet: 3</a>'
    ) in content
    assert ">På venteliste: 1</a>" in content
    assert ">Afmeldt: 1</a>" in content
    for workshop, seats, waiting, fill in [
        (full, "2 / 2", 1, "100 %"),
        (free, "1 / 1", 0, "100 %"),
    ]:
        assert (
            f'<tr><td>{block}</td><td><a href="{change_url(workshop)}">{workshop.title}</a></td>'
            f"<td>Lokale 1</td><td>{seats}</td><td>{waiting}</td><td>{fill}</td>"
        ) in content


def test_event_page_takes_the_same_queries_for_3_registrations_as_for_30(client, organiser):
    event = make_programme(blocks=2, workshops_per_block=3, capacity=40)
    for _ in range(3):
        make_registration(event)
    client.get(change_url(event))

    with CaptureQueriesContext(connection) as three:
        client.get(change_url(event))
    for _ in range(27):
        make_registration(event)
    with CaptureQueriesContext(connection) as thirty:
        response = client.get(change_url(event))

    assert ">Bekræftet: 30</a>" in response.content.decode()
    assert len(thirty.captured_queries) == len(three.captured_queries)


def test_event_changelist_shows_workshops_seats_and_registered_without_multiplying(
    client, organiser
):
    fagdag = make_programme(blocks=2, workshops_per_block=4, capacity=40, title="Fagdag")
    make_session(fagdag)
    make_session(fagdag, title="Frokost", kind=Session.Kind.MEAL)
    make_registration(fagdag, email="anne@example.org")
    make_registration(fagdag, email="ayhan@example.org")
    make_event(title="Kladde uden program", first_day=DAY + datetime.timedelta(days=1))

    response = client.get(reverse("admin:events_event_changelist"))

    assert response.status_code == 200
    rows = [
        (e.title, e.workshop_count, e.seat_total, e.seats_taken, e.registered_count)
        for e in response.context["cl"].result_list
    ]
    assert rows == [("Fagdag", 8, 320, 4, 2), ("Kladde uden program", 0, 0, 0, 0)]
    content = response.content.decode()
    assert '<td class="field-workshop_count">8</td>' in content
    assert '<td class="field-seat_total">320</td>' in content
    assert '<td class="field-registered_count">2</td>' in content


def test_workshop_list_sorts_by_how_full_each_workshop_is(client, organiser):
    event = make_programme(blocks=1, workshops_per_block=3, capacity=4)
    block = event.blocks.get()
    half, full, empty = block.workshops.all()
    for workshop, count in [(half, 2), (full, 4)]:
        for _ in range(count):
            make_registration(event, choices={block.pk: workshop.pk})
    url = reverse("admin:events_workshop_changelist")
    fill_column = list(client.get(url).context["cl"].list_display).index("fill_rate_display")

    response = client.get(url, {"block__event__id__exact": event.pk, "o": f"-{fill_column}"})

    assert [
        (w.title, w.seats_taken, w.waitlist_count) for w in response.context["cl"].result_list
    ] == [(full.title, 4, 0), (half.title, 2, 0), (empty.title, 0, 0)]
    assert '<td class="field-fill_rate_display">100 %</td>' in response.content.decode()


# Seats: the organiser cannot break the seat invariant ----------------------------------------


def test_lowering_a_capacity_below_the_seats_taken_on_the_block_page_is_a_form_error(
    client, organiser
):
    event = make_programme(blocks=1, workshops_per_block=1, capacity=5)
    block = event.blocks.get()
    make_registration(event, email="anne@example.org")
    make_registration(event, email="ayhan@example.org")
    data = form_data(client.get(change_url(block)))
    data["workshops-0-capacity"] = "1"

    response = client.post(change_url(block), data)

    assert response.status_code == 200
    workshops = inline_formset(response, "workshops")
    assert error_codes(workshops.forms[0]) == {"capacity": ["capacity_below_seats_taken"]}
    assert Workshop.objects.get().capacity == 5


def test_lowering_a_capacity_to_the_seats_taken_is_allowed(client, organiser):
    event = make_programme(blocks=1, workshops_per_block=1, capacity=5)
    workshop = Workshop.objects.get()
    make_registration(event, email="anne@example.org")
    data = form_data(client.get(change_url(workshop)))
    data["capacity"] = "1"

    response = client.post(change_url(workshop), data)

    assert response.status_code == 302
    workshop.refresh_from_db()
    assert workshop.capacity == 1


def test_lowering_a_capacity_below_the_seats_taken_on_the_workshop_page_is_a_form_error(
    client, organiser
):
    event = make_programme(blocks=1, workshops_per_block=1, capacity=5)
    workshop = Workshop.objects.get()
    make_registration(event, email="anne@example.org")
    make_registration(event, email="ayhan@example.org")
    data = form_data(client.get(change_url(workshop)))
    data["capacity"] = "1"

    response = client.post(change_url(workshop), data)

    assert response.status_code == 200
    assert error_codes(response.context["adminform"].form) == {
        "capacity": ["capacity_below_seats_taken"]
    }
    workshop.refresh_from_db()
    assert workshop.capacity == 5


def test_a_workshop_with_seats_cannot_move_to_another_block(client, organiser):
    event = make_programme(blocks=2, workshops_per_block=1)
    first_block, second_block = event.blocks.all()
    workshop = first_block.workshops.get()
    make_registration(event, email="anne@example.org")
    data = form_data(client.get(change_url(workshop)))
    data["block"] = str(second_block.pk)

    response = client.post(change_url(workshop), data)

    assert response.status_code == 200
    assert error_codes(response.context["adminform"].form) == {
        "block": ["workshop_with_attendees_moved"]
    }
    workshop.refresh_from_db()
    assert workshop.block == first_block


def test_deleting_a_workshop_with_seats_on_the_block_page_is_refused(client, organiser):
    event = make_programme(blocks=1, workshops_per_block=2)
    block = event.blocks.get()
    make_registration(event, email="anne@example.org")
    data = form_data(client.get(change_url(block)))
    data["workshops-0-DELETE"] = "on"

    response = client.post(change_url(block), data)

    assert response.status_code == 200
    workshops = inline_formset(response, "workshops")
    assert [error.code for error in workshops.non_form_errors().as_data()] == ["deleting_protected"]
    assert Workshop.objects.count() == 2


def test_import_refuses_a_capacity_below_the_seats_taken(client, organiser):
    event = import_event()
    block = event.blocks.first()
    workshop = make_workshop(block, title="Den gode ungeindsats", capacity=10)
    make_workshop(event.blocks.last())
    for _ in range(3):
        make_registration(
            event,
            choices={
                block.pk: workshop.pk,
                event.blocks.last().pk: event.blocks.last().workshops.first().pk,
            },
        )

    response = upload(client, event, csv_file("Workshops, blok 1;Den gode ungeindsats;;2;;;;"))

    row = response.context["result"].invalid_rows[0]
    assert {field: [str(e) for e in m] for field, m in row.error_dict.items()} == {
        "capacity": ["3 pladser er optaget i denne workshop; den skal have mindst 3 pladser."]
    }
    workshop.refresh_from_db()
    assert workshop.capacity == 10


# Nothing is deleted that attendees hold ------------------------------------------------------


def test_an_event_with_registrations_is_not_deleted_and_the_page_says_why(client, organiser):
    event = make_programme(title="Fagdag")
    services.cancel(registration=make_registration(event))
    make_registration(event)

    page = client.get(delete_url(event))
    response = client.post(delete_url(event), {"post": "yes"})

    assert page.status_code == response.status_code == 200
    assert [str(reason) for reason in page.context["protected"]] == [
        "Fagdag har 2 tilmeldinger (afmeldte tæller med), så arrangementet kan ikke slettes: "
        "sæt i stedet dets status til “Aflyst”. Deltagernes personoplysninger slettes efter "
        "opbevaringsperioden. "
        f'<a href="/admin/registrations/registration/?event__id__exact={event.pk}">'
        "Se tilmeldingerne</a>"
    ]
    assert "kan ikke slettes." in page.content.decode()
    assert Event.objects.filter(pk=event.pk).exists()


def test_deleting_selected_events_refuses_those_with_registrations(client, organiser):
    event = make_programme(title="Fagdag")
    make_registration(event)
    draft = make_event(title="Kladde")

    response = client.post(
        reverse("admin:events_event_changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk, draft.pk], "post": "yes"},
    )

    assert response.status_code == 200
    assert "De valgte arrangementer kan ikke slettes." in response.content.decode()
    assert Event.objects.count() == 2


def test_a_block_with_seats_is_not_deleted(client, organiser):
    event = make_programme(blocks=1)
    block = event.blocks.get()
    make_registration(event)

    response = client.post(delete_url(block), {"post": "yes"})

    assert response.status_code == 200
    assert [str(reason) for reason in response.context["protected"]] == [
        f"Deltagere har 1 plads i workshopperne i {block}, og 0 venter på en, så blokken kan "
        "ikke slettes. Afmeld først deres tilmeldinger, eller behold blokken."
    ]
    assert WorkshopBlock.objects.filter(pk=block.pk).exists()


def test_a_workshop_with_seats_or_waiting_attendees_is_not_deleted(client, organiser):
    event = make_programme(blocks=1, workshops_per_block=1, capacity=1)
    workshop = Workshop.objects.get()
    make_registration(event)
    make_registration(event, waitlist=True)

    response = client.post(delete_url(workshop), {"post": "yes"})

    assert response.status_code == 200
    reason = str(response.context["protected"][0])
    assert reason.startswith(f"Deltagere har 1 plads i {workshop.title}, og 1 venter på en")
    assert f"?event__id__exact={event.pk}&amp;workshop={workshop.pk}" in reason
    assert Workshop.objects.filter(pk=workshop.pk).exists()


def test_a_workshop_whose_attendees_were_cancelled_can_be_deleted(client, organiser):
    event = make_programme(blocks=1, workshops_per_block=2)
    workshop = event.blocks.get().workshops.first()
    services.cancel(registration=make_registration(event))

    response = client.post(delete_url(workshop), {"post": "yes"})

    assert response.status_code == 302
    assert not Workshop.objects.filter(pk=workshop.pk).exists()


# New seats go to the waitlists ---------------------------------------------------------------


def test_raising_a_full_workshops_capacity_moves_the_waitlist_in(
    client, organiser, django_capture_on_commit_callbacks
):
    event = make_programme(blocks=1, workshops_per_block=1, capacity=1)
    workshop = Workshop.objects.get()
    make_registration(event, email="anne@example.org")
    waiting = make_registration(event, email="ayhan@example.org", waitlist=True)
    assert waiting.status == Registration.Status.WAITLISTED
    data = form_data(client.get(change_url(workshop.block)))
    data["workshops-0-capacity"] = "2"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(change_url(workshop.block), data)

    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.CONFIRMED
    assert list(waiting.seats.values_list("workshop", flat=True)) == [workshop.pk]


def test_raising_the_attendee_limit_moves_the_waitlist_in(
    client, organiser, django_capture_on_commit_callbacks
):
    event = make_programme(blocks=1, workshops_per_block=1, capacity=10, attendee_limit=1)
    make_registration(event, email="anne@example.org")
    waiting = make_registration(event, email="ayhan@example.org", waitlist=True)
    assert waiting.status == Registration.Status.WAITLISTED
    data = form_data(client.get(change_url(event)))
    data["attendee_limit"] = "2"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(change_url(event), data)

    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.CONFIRMED


def test_raising_a_capacity_on_the_workshops_page_moves_the_waitlist_in(
    client, organiser, django_capture_on_commit_callbacks
):
    event = make_programme(blocks=1, workshops_per_block=1, capacity=1)
    workshop = Workshop.objects.get()
    make_registration(event)
    waiting = make_registration(event, waitlist=True)
    page = client.get(change_url(workshop))
    form = page.context["adminform"].form
    data = {name: "" if value is None else value for name, value in form.initial.items()}
    data.update(
        {
            "capacity": "2",
            "speaker_links-TOTAL_FORMS": "0",
            "speaker_links-INITIAL_FORMS": "0",
            "speaker_links-MIN_NUM_FORMS": "0",
            "speaker_links-MAX_NUM_FORMS": "1000",
            "materials-TOTAL_FORMS": "0",
            "materials-INITIAL_FORMS": "0",
        }
    )
    data["block"] = workshop.block_id

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(change_url(workshop), data)

    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.CONFIRMED
