"""Running an event from the admin: seat overview, delete guard rails, duplicate, import."""

import datetime
import io

import openpyxl
import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registrations.management.commands.setup_roles import ORGANISER_GROUP
from events.models import Event, Speaker, Workshop, WorkshopBlock, WorkshopSpeaker
from registrations import services
from registrations.models import Registration
from tests.factories import (
    make_block,
    make_event,
    make_programme,
    make_registration,
    make_session,
    make_speaker,
    make_workshop,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def organiser(client):
    call_command("setup_roles", stdout=io.StringIO())
    user = User.objects.create_user("arrangoer", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=ORGANISER_GROUP))
    client.force_login(user)
    return user


def change_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def delete_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk])


# Seats at a glance --------------------------------------------------------------------------


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
    assert ">Aflyst: 1</a>" in content
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


# Guard rails -----------------------------------------------------------------------------------


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
        f"Deltagere har 1 pladser i workshopperne i {block}, og 0 venter på en, så blokken kan "
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
    assert reason.startswith(f"Deltagere har 1 pladser i {workshop.title}, og 1 venter på en")
    assert f"?event__id__exact={event.pk}&amp;workshop={workshop.pk}" in reason
    assert Workshop.objects.filter(pk=workshop.pk).exists()


def test_a_workshop_whose_attendees_were_cancelled_can_be_deleted(client, organiser):
    event = make_programme(blocks=1, workshops_per_block=2)
    workshop = event.blocks.get().workshops.first()
    services.cancel(registration=make_registration(event))

    response = client.post(delete_url(workshop), {"post": "yes"})

    assert response.status_code == 302
    assert not Workshop.objects.filter(pk=workshop.pk).exists()


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
        }
    )
    data["block"] = workshop.block_id

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(change_url(workshop), data)

    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.CONFIRMED


# Duplicate --------------------------------------------------------------------------------------


def test_organiser_duplicates_an_event_with_its_programme_as_next_years_draft(client, organiser):
    event = make_programme(blocks=2, workshops_per_block=2, title="Fagdag 2026", slug="fagdag-2026")
    make_session(event, title="Velkomst")
    make_registration(event)
    next_year = event.first_day + datetime.timedelta(weeks=52)

    page = client.post(
        reverse("admin:events_event_changelist"),
        {"action": "duplicate", "_selected_action": [event.pk]},
    )
    response = client.post(
        reverse("admin:events_event_changelist"),
        {
            "action": "duplicate",
            "_selected_action": [event.pk],
            "apply": "1",
            "title": "Fagdag 2027",
            "slug": "fagdag-2027",
            "first_day": next_year.isoformat(),
        },
    )

    assert page.context["form"].initial == {
        "title": "Kopi af Fagdag 2026",
        "slug": "kopi-af-fagdag-2026",
        "first_day": next_year,
    }
    copy = Event.objects.get(slug="fagdag-2027")
    assert response.status_code == 302
    assert response["Location"] == change_url(copy)
    assert (copy.title, copy.status, copy.first_day) == ("Fagdag 2027", "draft", next_year)
    assert copy.registrations.count() == 0
    assert [(b.title, b.day) for b in copy.blocks.all()] == [
        (b.title, next_year) for b in event.blocks.all()
    ]
    assert Workshop.objects.filter(block__event=copy).count() == 4
    assert [s.title for s in copy.sessions.all()] == ["Velkomst"]


def test_duplicating_refuses_a_web_address_in_use(client, organiser):
    event = make_programme(slug="fagdag-2026")

    response = client.post(
        reverse("admin:events_event_changelist"),
        {
            "action": "duplicate",
            "_selected_action": [event.pk],
            "apply": "1",
            "title": "Fagdag",
            "slug": "fagdag-2026",
            "first_day": event.first_day.isoformat(),
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "slug": ["Et andet arrangement har denne webadresse."]
    }
    assert Event.objects.count() == 1


# Import -------------------------------------------------------------------------------------


IMPORT_URL = "admin:events_workshop_import"
HEADER = "Blok;Titel;Beskrivelse;Pladser;Lokale;Tema;Online-link;Oplægsholdere"


def import_event():
    event = make_event(title="Socialrådgiverdage")
    make_block(event, title="Workshops, blok 1")
    make_block(
        event, title="Workshops, blok 2", starts=datetime.time(14, 0), ends=datetime.time(15, 30)
    )
    return event


def upload(client, event, content: bytes, *, name="workshops.csv", fmt="0"):
    return client.post(
        reverse(IMPORT_URL),
        {
            "event": event.pk,
            "import_file": SimpleUploadedFile(name, content),
            "format": fmt,
            "resource": "0",
        },
    )


def csv_file(*rows: str) -> bytes:
    return ("\ufeff" + "\r\n".join([HEADER, *rows]) + "\r\n").encode()


def test_import_page_is_linked_from_the_event_with_the_event_chosen(client, organiser):
    event = import_event()

    change_page = client.get(change_url(event)).content.decode()
    page = client.get(reverse(IMPORT_URL), {"event": event.pk})

    assert f'href="{reverse(IMPORT_URL)}?event={event.pk}"' in change_page
    assert page.status_code == 200
    assert page.context["form"].initial["event"] == event.pk


def test_import_preview_shows_row_errors_and_saves_nothing(client, organiser):
    event = import_event()

    response = upload(
        client,
        event,
        csv_file(
            "Workshops, blok 1;Den gode ungeindsats;Om unge.;30;Lokale 1;børn/familie;;Anne Steffensen",
            "Blok 9;Ukendt blok;;20;;;;",
            "Workshops, blok 2;Ingen pladser;;0;;;;",
            "Workshops, blok 2;Navnløs;;10;;;;, leder, Aarhus",
        ),
    )

    result = response.context["result"]
    assert result.has_validation_errors()
    errors = {
        row.number: {
            field: [str(e) for e in messages] for field, messages in row.error_dict.items()
        }
        for row in result.invalid_rows
    }
    assert errors == {
        2: {
            "block": [
                "Arrangementet har ingen blok “Blok 9”. Dets blokke: “Workshops, blok 1”, "
                "“Workshops, blok 2”."
            ]
        },
        3: {"__all__": ["En workshop skal have mindst én plads."]},
        4: {"speakers": ["En oplægsholder mangler navn: “, leder, Aarhus”."]},
    }
    assert "confirm_form" not in response.context
    assert Workshop.objects.count() == 0
    assert Speaker.objects.count() == 0


def test_import_of_a_danish_excel_csv_after_its_preview(client, organiser):
    event = import_event()
    anne = make_speaker(
        name="Anne Steffensen", role="socialrådgiver", organisation="Glostrup Kommune"
    )

    preview = upload(
        client,
        event,
        csv_file(
            # Excel quotes a cell holding the delimiter.
            "Workshops, blok 1;Den gode ungeindsats;Om unge.;30;Lokale 1;børn/familie;;"
            '"Anne Steffensen, socialrådgiver, Glostrup Kommune; Ayhan Gormez, leder"',
            f"{event.blocks.last().pk};Handler det om ære?;;25;Lokale 2;;meet.example.org/x;",
        ),
    )
    assert not preview.context["result"].has_validation_errors()
    assert Workshop.objects.count() == 0
    confirm = preview.context["confirm_form"]
    data = {name: confirm.initial.get(name, "") for name in confirm.fields}

    response = client.post(reverse("admin:events_workshop_process_import"), data)

    assert response.status_code == 302
    assert response["Location"] == change_url(event)
    first, second = event.blocks.all()
    assert [
        (w.block, w.title, w.description, w.capacity, w.room, w.theme, w.online_link)
        for w in Workshop.objects.order_by("pk")
    ] == [
        (first, "Den gode ungeindsats", "Om unge.", 30, "Lokale 1", "børn/familie", ""),
        (second, "Handler det om ære?", "", 25, "Lokale 2", "", "https://meet.example.org/x"),
    ]
    links = WorkshopSpeaker.objects.filter(workshop__title="Den gode ungeindsats")
    assert [(link.speaker.name, link.speaker.role, link.position) for link in links] == [
        ("Anne Steffensen", "socialrådgiver", 0),
        ("Ayhan Gormez", "leder", 1),
    ]
    assert links[0].speaker == anne  # matched by name, role and organisation
    assert Speaker.objects.count() == 2


def test_import_of_xlsx_updates_workshops_by_block_and_title(client, organiser):
    event = import_event()
    block = event.blocks.first()
    existing = make_workshop(block, title="Den gode ungeindsats", capacity=10)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(
        ["block", "title", "description", "capacity", "room", "theme", "online_link", "speakers"]
    )
    sheet.append(
        ["workshops, blok 1", "Den gode ungeindsats", "Ny tekst.", 35, "Salen", None, None, None]
    )
    sheet.append([None] * 8)  # an empty line at the end, as spreadsheets have
    content = io.BytesIO()
    workbook.save(content)

    preview = upload(client, event, content.getvalue(), name="workshops.xlsx", fmt="1")
    confirm = preview.context["confirm_form"]
    client.post(
        reverse("admin:events_workshop_process_import"),
        {name: confirm.initial.get(name, "") for name in confirm.fields},
    )

    existing.refresh_from_db()
    assert Workshop.objects.count() == 1
    assert (existing.description, existing.capacity, existing.room) == ("Ny tekst.", 35, "Salen")


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


def test_import_needs_the_rights_to_add_workshops(client):
    user = User.objects.create_user("kollega", password="x", is_staff=True)
    client.force_login(user)

    response = client.get(reverse(IMPORT_URL))

    assert response.status_code == 403
