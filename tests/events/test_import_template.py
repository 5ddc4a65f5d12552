"""The workshop import page in Danish, and its template to download (issue 15): the columns and
example rows, the speakers' format explained; the template imports as it is."""

import io

import openpyxl
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from events.models import Workshop, WorkshopSpeaker
from tests.factories import IMPORT_URL, import_event, make_block, make_event, upload

pytestmark = pytest.mark.django_db

TEMPLATE_URL = "admin:events_workshop_import_template"
HEADER = ["Workshopblok", "Titel", "Beskrivelse", "Pladser", "Lokale", "Tema", "Online-link"]
HEADER += ["Oplægsholdere"]


def template(client, fmt: str, **query) -> bytes:
    response = client.get(reverse(TEMPLATE_URL, args=[fmt]), query)
    assert response.status_code == 200
    return response.content


def test_the_import_page_is_danish_and_offers_the_template(client, organiser):
    event = import_event()

    page = client.get(reverse(IMPORT_URL), {"event": event.pk}).content.decode()

    for danish in [
        "Importér workshops og oplægsholdere",
        "Sådan udfylder du regnearket",
        "Hent skabelonen (Excel)",
        "navn, rolle, organisation adskilt af komma",
        "Regneark",
        "Vis forhåndsvisningen",
        "Oplægsholdere",
    ]:
        assert danish in page
    for english in ["This importer will import", "File to import", "Submit", "Resource"]:
        assert english not in page
    assert f"{reverse(TEMPLATE_URL, args=['xlsx'])}?event={event.pk}" in page


def test_the_preview_names_the_columns_and_rows_in_danish(client, organiser):
    event = import_event()

    response = upload(
        client,
        event,
        ("\ufeff" + ";".join(HEADER) + "\r\nBlok 9;Ukendt blok;;20;;;;\r\n").encode(),
    )

    page = response.content.decode()
    assert "Nogle rækker har fejl" in page
    assert '<span class="validation-error-field-label">Workshopblok</span>' in page
    assert "Some rows failed to validate" not in page


def test_the_xlsx_template_has_the_columns_examples_and_a_guide(client, organiser):
    content = template(client, "xlsx")

    workbook = openpyxl.load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["Workshops", "Vejledning"]
    rows = list(workbook["Workshops"].iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    assert [row[0] for row in rows[1:]] == ["Workshops, blok 1", "Workshops, blok 2"]
    assert rows[1][7] == (
        "Anne Steffensen, socialrådgiver, Glostrup Kommune; Ayhan Gormez, teamleder, Aarhus Kommune"
    )
    guide = {row[0]: row[1] for row in workbook["Vejledning"].iter_rows(values_only=True)}
    assert guide["Oplægsholdere"].startswith("Kan udelades. En eller flere oplægsholdere")
    assert guide["Pladser"].startswith("Skal udfyldes.")


def test_the_template_uses_the_events_own_blocks(client, organiser):
    event = make_event()
    make_block(event, title="Formiddag")

    content = template(client, "csv", event=event.pk)

    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0] == ";".join(HEADER)
    assert [line.split(";")[0] for line in lines[1:]] == ["Formiddag", "Formiddag"]


@pytest.mark.parametrize(("fmt", "format_index"), [("xlsx", "1"), ("csv", "0")])
def test_the_template_imports_as_it_is(client, organiser, fmt, format_index):
    event = import_event()
    content = template(client, fmt)

    preview = upload(client, event, content, name=f"skabelon.{fmt}", fmt=format_index)
    confirm = preview.context["confirm_form"]
    response = client.post(
        reverse("admin:events_workshop_process_import"),
        {name: confirm.initial.get(name, "") for name in confirm.fields},
        follow=True,
    )

    assert [(w.block.title, w.capacity) for w in Workshop.objects.order_by("pk")] == [
        ("Workshops, blok 1", 30),
        ("Workshops, blok 2", 25),
    ]
    assert WorkshopSpeaker.objects.count() == 3
    assert "Importen er gennemført: 2 nye workshops, 0 workshops opdateret." in (
        response.content.decode()
    )


def test_the_english_template_has_english_columns_that_import_too(client, organiser):
    event = import_event()
    with translation.override("en"):
        content = template(client, "csv", event=event.pk)

    assert content.decode("utf-8-sig").splitlines()[0] == (
        "Workshop block;Title;Description;Seats;Room;Theme;Online link;Speakers"
    )
    preview = upload(client, event, content)
    assert not preview.context["result"].has_validation_errors()
    assert len(preview.context["result"].valid_rows()) == 2


def test_the_template_needs_the_import_rights(client):
    call_command("setup_roles", stdout=io.StringIO())
    client.force_login(User.objects.create_user("kollega", password="x", is_staff=True))

    assert client.get(reverse(TEMPLATE_URL, args=["xlsx"])).status_code == 403
