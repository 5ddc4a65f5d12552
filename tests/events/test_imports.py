"""The spreadsheet import of workshops and speakers (events/imports.py), through the admin."""

import io

import openpyxl
import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from events.models import Speaker, Workshop, WorkshopSpeaker
from tests.factories import (
    IMPORT_URL,
    change_url,
    csv_file,
    import_event,
    make_speaker,
    make_workshop,
    upload,
)

pytestmark = pytest.mark.django_db


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


def test_import_needs_the_rights_to_add_workshops(client):
    user = User.objects.create_user("kollega", password="x", is_staff=True)
    client.force_login(user)

    response = client.get(reverse(IMPORT_URL))

    assert response.status_code == 403


def test_a_sheet_without_the_speakers_column_leaves_the_speakers_as_they_are(client, organiser):
    event = import_event()
    speaker = make_speaker(name="Anne Steffensen")
    existing = make_workshop(
        event.blocks.first(), title="Den gode ungeindsats", capacity=10, speakers=[speaker]
    )
    content = "\ufeffBlok;Titel;Pladser\r\nWorkshops, blok 1;Den gode ungeindsats;20\r\n"

    preview = upload(client, event, content.encode())
    confirm = preview.context["confirm_form"]
    client.post(
        reverse("admin:events_workshop_process_import"),
        {name: confirm.initial.get(name, "") for name in confirm.fields},
    )

    existing.refresh_from_db()
    assert (existing.capacity, [link.speaker for link in existing.speaker_links.all()]) == (
        20,
        [speaker],
    )
