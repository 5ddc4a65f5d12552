"""The registrations in the admin, driven through its pages as an organiser ("Arrangører")."""

import datetime

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.models import Workshop
from registrations import services
from registrations.models import Registration, Seat, WaitlistEntry
from tests.factories import make_programme, make_registration, make_workshop

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:registrations_registration_changelist"


@pytest.fixture
def event():
    return make_programme(blocks=2, workshops_per_block=2, capacity=2, title="Fagdag")


def listed(response) -> list[str]:
    return [registration.name for registration in response.context["cl"].result_list]


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def act(client, action: str, registrations, **data):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [r.pk for r in registrations], **data},
        follow=True,
    )


def seat_in(registration, block) -> int:
    return Seat.objects.get(registration=registration, block=block).workshop_id


# Finding registrations -------------------------------------------------------------------


def test_registrations_are_found_by_name_email_and_workplace(client, organiser):
    event = make_programme(capacity=40)
    make_registration(event, name="Anne Steffensen", workplace="Glostrup Kommune")
    make_registration(event, name="Ayhan Gormez", email="ayhan@aarhus.dk", workplace="Aarhus")
    make_registration(event, name="Bo Æbelø", workplace="Socialforvaltningen Odense")

    by_name = client.get(reverse(CHANGELIST), {"q": "steffensen"})
    by_email = client.get(reverse(CHANGELIST), {"q": "aarhus.dk"})
    by_workplace = client.get(reverse(CHANGELIST), {"q": "odense"})

    assert listed(by_name) == ["Anne Steffensen"]
    assert listed(by_email) == ["Ayhan Gormez"]
    assert listed(by_workplace) == ["Bo Æbelø"]


def test_registrations_are_filtered_by_event_status_workshop_and_undelivered_email(
    client, organiser, event
):
    first_block = event.blocks.first()
    _first, other = first_block.workshops.all()
    second = event.blocks.last()
    anne = make_registration(event, name="Anne")
    make_registration(
        event,
        name="Bo",
        choices={first_block.pk: other.pk, second.pk: second.workshops.last().pk},
    )
    services.cancel(registration=make_registration(event, name="Carl"))
    Registration.objects.filter(pk=anne.pk).update(email_failed_at=timezone.now())
    elsewhere = make_programme(blocks=1)
    make_registration(elsewhere, name="Dorte")

    of_event = client.get(reverse(CHANGELIST), {"event__id__exact": event.pk})
    cancelled = client.get(reverse(CHANGELIST), {"status__exact": "cancelled"})
    in_other = client.get(reverse(CHANGELIST), {"event__id__exact": event.pk, "workshop": other.pk})
    not_delivered = client.get(reverse(CHANGELIST), {"email_failed": "yes"})

    assert listed(of_event) == ["Anne", "Bo", "Carl"]
    assert listed(cancelled) == ["Carl"]
    assert listed(in_other) == ["Bo"]
    assert listed(not_delivered) == ["Anne"]
    workshop_filter = next(
        spec
        for spec in in_other.context["cl"].filter_specs
        if getattr(spec, "parameter_name", None) == "workshop"
    )
    assert [label for _value, label in workshop_filter.lookup_choices] == [
        f"{w.block.title}: {w.title}" for w in Workshop.objects.filter(block__event=event)
    ]


def test_registration_list_takes_the_same_queries_for_3_as_for_30(client, organiser):
    event = make_programme(blocks=2, workshops_per_block=2, capacity=40)
    url = reverse(CHANGELIST) + f"?event__id__exact={event.pk}"
    for _ in range(3):
        make_registration(event)
    client.get(url)

    with CaptureQueriesContext(connection) as three:
        client.get(url)
    for _ in range(27):
        make_registration(event)
    with CaptureQueriesContext(connection) as thirty:
        response = client.get(url)

    assert len(response.context["cl"].result_list) == 30
    assert len(thirty.captured_queries) == len(three.captured_queries)


# What the organiser may not do -----------------------------------------------------------


def test_registrations_cannot_be_deleted_or_added_in_the_admin(client, organiser, event):
    anne = make_registration(event)
    superuser = User.objects.create_superuser("chef", password="x")

    as_organiser = client.get(reverse("admin:registrations_registration_delete", args=[anne.pk]))
    client.force_login(superuser)
    as_superuser = client.post(
        reverse("admin:registrations_registration_delete", args=[anne.pk]), {"post": "yes"}
    )
    add = client.get(reverse("admin:registrations_registration_add"))
    changelist = client.get(reverse(CHANGELIST))

    assert (as_organiser.status_code, as_superuser.status_code, add.status_code) == (403, 403, 403)
    assert "delete_selected" not in dict(changelist.context["action_form"].fields["action"].choices)
    assert Registration.objects.filter(pk=anne.pk).exists()


def test_status_and_seats_are_shown_but_not_edited_on_the_change_page(client, organiser, event):
    anne = make_registration(event, name="Anne", email="anne@example.org")
    anne.email_failed_at = timezone.now()
    anne.save()
    url = reverse("admin:registrations_registration_change", args=[anne.pk])
    page = client.get(url)
    form = page.context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update(name="Anne Steffensen", email="Anne.S@Example.org", status="cancelled")

    response = client.post(url, data)

    assert "status" not in form.fields
    content = page.content.decode()
    for block in event.blocks.all():
        assert f"<li>{block}: {block.workshops.first().title}</li>" in content
    assert response.status_code == 302
    anne.refresh_from_db()
    assert (anne.name, anne.email, anne.status, anne.email_failed_at) == (
        "Anne Steffensen",
        "anne.s@example.org",
        Registration.Status.CONFIRMED,
        None,
    )
    assert anne.seats.count() == 2


def change_page_data(client, registration) -> tuple[str, dict]:
    url = reverse("admin:registrations_registration_change", args=[registration.pk])
    form = client.get(url).context["adminform"].form
    return url, {name: form.initial.get(name) or "" for name in form.fields}


def test_an_address_already_registered_for_the_event_is_refused_at_the_field(
    client, organiser, event
):
    make_registration(event, name="Anne", email="anne@example.org")
    bo = make_registration(event, name="Bo", email="bo@example.org")
    url, data = change_page_data(client, bo)
    data.update(email=" Anne@Example.org")

    response = client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "email": ["Denne e-mailadresse er allerede tilmeldt arrangementet."]
    }
    bo.refresh_from_db()
    assert bo.email == "bo@example.org"


def test_an_address_of_a_cancelled_registration_or_another_event_may_be_taken(
    client, organiser, event
):
    services.cancel(registration=make_registration(event, email="anne@example.org"))
    make_registration(make_programme(blocks=1), email="bo@example.org")
    carl = make_registration(event, name="Carl", email="carl@example.org")
    url, data = change_page_data(client, carl)

    first = client.post(url, {**data, "email": "anne@example.org"})
    second = client.post(url, {**data, "email": "bo@example.org"})

    assert (first.status_code, second.status_code) == (302, 302)
    carl.refresh_from_db()
    assert carl.email == "bo@example.org"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "+45 ٣٣ ١٢ ٣٤ ٥٦"),
        ("membership_number", "١٢٣٤٥٦"),
        ("ean", "٥٧٩٨٠٠٠٠٠٠٠٠١"),
        ("cvr", "١٣٥٨٥٦٢٨"),
    ],
)
def test_the_admin_refuses_numbers_in_other_scripts_digits(client, organiser, event, field, value):
    anne = make_registration(event, name="Anne")
    url, data = change_page_data(client, anne)
    data.update({field: value})

    response = client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {field: ["Skriv tallet med cifrene 0-9."]}
    anne.refresh_from_db()
    assert getattr(anne, field) == ""


@pytest.mark.parametrize(
    "query",
    [
        {"event__id__exact": "²"},
        {"workshop": "²"},
        {"event__id__exact": "١"},
        {"workshop": "99999999999999999999999"},
    ],
)
def test_list_filters_with_other_digits_answer_without_an_error(client, organiser, event, query):
    make_registration(event, name="Anne")

    response = client.get(reverse(CHANGELIST), query, follow=True)

    assert response.status_code == 200


# Erase at the attendee's request -------------------------------------------------------


def test_erase_asks_first_then_cancels_erases_and_records_who_did_it(
    client, organiser, event, django_capture_on_commit_callbacks
):
    first_block = event.blocks.first()
    full = first_block.workshops.first()
    event.changes_close = timezone.now() - datetime.timedelta(days=1)  # members can no longer
    event.save()
    anne = make_registration(event, name="Anne Steffensen", email="anne@example.org")
    make_registration(event, name="Bo")  # the first workshop of each block is now full
    carl = make_registration(
        event,
        name="Carl",
        choices={block.pk: block.workshops.last().pk for block in event.blocks.all()},
    )
    WaitlistEntry.objects.create(registration=carl, block=first_block, workshop=full)
    mail.outbox.clear()

    asked = act(client, "erase_personal_data", [anne])
    with django_capture_on_commit_callbacks(execute=True):
        done = act(client, "erase_personal_data", [anne], confirm="1")

    anne.refresh_from_db()
    assert "Slet deltagerens personoplysninger?" in asked.content.decode()
    assert "Anne Steffensen" in asked.content.decode()
    assert anne.name == "Anonymiseret"
    assert anne.email == f"anon-{anne.pk}@invalid"
    assert anne.status == Registration.Status.CANCELLED
    assert not anne.seats.exists()
    assert seat_in(carl, first_block) == full.pk  # Anne's seat went to the waitlist
    assert messages_of(done) == ["Personoplysningerne er slettet for 1 tilmelding."]
    [entry] = LogEntry.objects.filter(object_id=str(anne.pk))
    assert (entry.user, entry.change_message) == (
        organiser,
        "Personoplysninger slettet af en arrangør.",
    )
    assert entry.object_repr == f"Anonymiseret <anon-{anne.pk}@invalid>"
    assert [message.to for message in mail.outbox] == [[carl.email]]  # nothing to Anne


def test_erase_after_the_event_keeps_the_seats_in_the_counts(client, organiser):
    with time_machine.travel(timezone.now() - datetime.timedelta(days=40)):
        event = make_programme(blocks=1, capacity=5)
        anne = make_registration(event, name="Anne")
    assert event.last_day < timezone.localdate()

    act(client, "erase_personal_data", [anne], confirm="1")

    anne.refresh_from_db()
    assert (anne.name, anne.status, anne.seats.count()) == (
        "Anonymiseret",
        Registration.Status.CONFIRMED,
        1,
    )


def test_erase_leaves_registrations_of_another_organisation_alone(client, organiser, event):
    from tests.factories import make_organisation

    elsewhere = make_programme(blocks=1, organisation=make_organisation("KKR Midtjylland"))
    dorte = make_registration(elsewhere, name="Dorte")
    anne = make_registration(event, name="Anne")

    act(client, "erase_personal_data", [anne, dorte], confirm="1")

    anne.refresh_from_db()
    dorte.refresh_from_db()
    assert (anne.name, dorte.name) == ("Anonymiseret", "Dorte")


# Cancel ----------------------------------------------------------------------------


def test_cancel_asks_first_then_frees_the_seats_for_the_waitlist(
    client, organiser, django_capture_on_commit_callbacks
):
    event = make_programme(blocks=1, workshops_per_block=1, capacity=2)
    first_block = event.blocks.get()
    anne = make_registration(event, name="Anne")
    make_registration(event, name="Bo")
    waiting = make_registration(event, name="Carl", waitlist=True)
    assert waiting.status == Registration.Status.WAITLISTED

    question = act(client, "cancel_registrations", [anne])
    assert Registration.objects.get(pk=anne.pk).status == Registration.Status.CONFIRMED
    with django_capture_on_commit_callbacks(execute=True):
        response = act(client, "cancel_registrations", [anne], confirm="yes")

    assert question.templates[0].name == (
        "admin/registrations/registration/cancel_confirmation.html"
    )
    assert messages_of(response) == ["1 tilmelding afmeldt; dens pladser gik til ventelisten."]
    anne.refresh_from_db()
    waiting.refresh_from_db()
    assert (anne.status, anne.seats.count()) == (Registration.Status.CANCELLED, 0)
    assert waiting.status == Registration.Status.CONFIRMED
    assert seat_in(waiting, first_block) == first_block.workshops.first().pk
    assert LogEntry.objects.get(object_id=str(anne.pk)).get_change_message() == (
        "Afmeldt af en arrangør."
    )


# Move ------------------------------------------------------------------------------


def test_move_to_a_free_workshop_through_the_intermediate_page(client, organiser, event):
    first_block = event.blocks.first()
    first, other = first_block.workshops.all()
    anne = make_registration(event, name="Anne")

    page = act(client, "move_seats", [anne])
    response = act(client, "move_seats", [anne], apply="1", workshop=other.pk)

    assert page.templates[0].name == "admin/registrations/registration/move_seats.html"
    choices = dict(page.context["form"].fields["workshop"].choices)
    assert choices[str(first_block)] == [
        (first.pk, f"{first.title} (1 af 2 pladser optaget)"),
        (other.pk, f"{other.title} (0 af 2 pladser optaget)"),
    ]
    assert messages_of(response) == [f"1 tilmelding flyttet til {other.title}."]
    assert seat_in(anne, first_block) == other.pk
    assert LogEntry.objects.get(object_id=str(anne.pk)).get_change_message() == (
        f"Flyttet fra {first.title} til {other.title} af en arrangør."
    )


def test_move_to_a_full_workshop_is_refused_with_a_message(client, organiser, event):
    first_block = event.blocks.first()
    first, other = first_block.workshops.all()
    second = event.blocks.last()
    anne = make_registration(event, name="Anne")
    for name in ("Bo", "Carl"):
        make_registration(
            event,
            name=name,
            choices={first_block.pk: other.pk, second.pk: second.workshops.last().pk},
        )

    response = act(client, "move_seats", [anne], apply="1", workshop=other.pk)

    assert messages_of(response) == [
        f"{other.title} er fuld, så disse blev ikke flyttet: Anne. Sæt kryds i “Tilsidesæt "
        "antal pladser” for at flytte dem alligevel."
    ]
    assert seat_in(anne, first_block) == first.pk
    other.refresh_from_db()
    assert other.capacity == 2


def test_move_to_a_full_workshop_with_override_raises_its_capacity_and_records_it(
    client, organiser, event
):
    first_block = event.blocks.first()
    first, other = first_block.workshops.all()
    second = event.blocks.last()
    anne = make_registration(event, name="Anne")
    for name in ("Bo", "Carl"):
        make_registration(
            event,
            name=name,
            choices={first_block.pk: other.pk, second.pk: second.workshops.last().pk},
        )

    response = act(
        client, "move_seats", [anne], apply="1", workshop=other.pk, override_capacity="on"
    )

    raised = (
        f"Flyttet fra {first.title} til {other.title} af en arrangør. Antal pladser i "
        f"{other.title} hævet fra 2 til 3 (tilsidesat)."
    )
    assert messages_of(response) == [raised, f"1 tilmelding flyttet til {other.title}."]
    assert seat_in(anne, first_block) == other.pk
    other.refresh_from_db()
    assert other.capacity == 3
    history = {
        (entry.content_type.model, entry.object_id, entry.user.username, entry.get_change_message())
        for entry in LogEntry.objects.all()
    }
    assert history == {
        ("registration", str(anne.pk), "arrangoer", raised),
        (
            "workshop",
            str(other.pk),
            "arrangoer",
            "Antal pladser hævet fra 2 til 3 for at flytte en deltager ind (tilsidesat).",
        ),
    }


def test_move_refuses_registrations_of_two_events(client, organiser, event):
    anne = make_registration(event)
    bo = make_registration(make_programme(blocks=1))

    response = act(client, "move_seats", [anne, bo])

    assert messages_of(response) == ["Vælg tilmeldinger til ét arrangement."]


def test_move_leaves_a_waitlisted_registration_where_it_is(client, organiser):
    event = make_programme(blocks=1, workshops_per_block=1, capacity=1)
    make_registration(event)
    waiting = make_registration(event, name="Carl", waitlist=True)
    other = make_workshop(event.blocks.get(), capacity=5)

    response = act(client, "move_seats", [waiting], apply="1", workshop=other.pk)

    assert messages_of(response) == ["Kun bekræftede tilmeldinger har pladser; ikke flyttet: Carl."]
    assert not Seat.objects.filter(registration=waiting).exists()


# Resend ----------------------------------------------------------------------------


def test_resend_confirmation_mails_the_confirmed_and_skips_the_rest(
    client, organiser, event, django_capture_on_commit_callbacks
):
    anne = make_registration(event, name="Anne", email="anne@example.org")
    cancelled = make_registration(event, name="Bo")
    services.cancel(registration=cancelled)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = act(client, "resend_confirmation", [anne, cancelled])

    assert messages_of(response) == [
        "Bekræftelsen sendes igen til 1 deltager.",
        "1 tilmelding er ikke bekræftet og fik intet.",
    ]
    assert [message.to for message in mail.outbox] == [["anne@example.org"]]
