"""Attendee lists: parsed back as Danish Excel and openpyxl read them; who may take them."""

import codecs
import csv
import datetime
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.core.signals import request_finished
from django.db import close_old_connections, connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.models import Membership, Workshop
from registrations import exports, services
from registrations.models import ExportRecord, Registration
from tests.factories import make_block, make_event, make_member, make_registration, make_workshop

pytestmark = pytest.mark.django_db

INJECTION = '=HYPERLINK("http://x")'


@pytest.fixture
def exporter(client):
    """Staff with the export permission, logged in."""
    call_command("setup_roles", stdout=io.StringIO())
    user = User.objects.create_user("eksport", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="export_registrations"))
    make_member(user)  # an organiser of the events made here
    client.force_login(user)
    return user


@pytest.fixture
def event():
    """Two days, a block each, two workshops per block."""
    first_day = timezone.localdate() + datetime.timedelta(days=40)
    event = make_event(
        title="Socialrådgiverdage",
        slug="socialraadgiverdage-2017",
        first_day=first_day,
        last_day=first_day + datetime.timedelta(days=1),
        price=Decimal("1250.00"),
    )
    for n, day in enumerate(event.days, start=1):
        block = make_block(
            event,
            title=f"Workshops, blok {n}",
            day=day,
            starts=datetime.time(11, 0),
            ends=datetime.time(12, 30),
        )
        make_workshop(block, title=f"Ældre og rødgrød {n}", capacity=10, room="Lokale Æ")
        make_workshop(block, title=f"Børn på tværs {n}", capacity=10, room="Lokale Ø")
    return event


def url(event, kind, fmt) -> str:
    return reverse("admin:events_event_export", args=[event.pk, kind, fmt])


def download(client, path) -> tuple[object, bytes]:
    response = client.get(path)
    return response, b"".join(response.streaming_content)


def parse_csv(content: bytes, delimiter: str = ";") -> list[list[str]]:
    assert content.startswith(codecs.BOM_UTF8)
    text = content[len(codecs.BOM_UTF8) :].decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def parse_xlsx(content: bytes) -> dict[str, list[tuple]]:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return {
        sheet.title: [tuple(cell.value for cell in row) for row in sheet.iter_rows()]
        for sheet in workbook.worksheets
    }


def local_time(moment) -> str:
    return timezone.localtime(moment).strftime("%d-%m-%Y %H:%M")


# The attendee list ---------------------------------------------------------------------


def test_attendee_list_csv_opens_in_danish_excel_with_one_column_per_block(client, exporter, event):
    anne = make_registration(event, name="Søren Ærø Åberg", workplace="Aarhus Kommune")
    ayhan = make_registration(event, name="Ayhan Gormez", dietary_needs="Vegetar")
    first, second = event.blocks.all()

    response, content = download(client, url(event, "attendees", "csv"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="socialraadgiverdage-2017-deltagere-'
        f'{timezone.localdate().isoformat()}.csv"'
    )
    assert content.count(b"\r\n") == 3
    assert b"\n" not in content.replace(b"\r\n", b"")
    rows = parse_csv(content)
    assert rows[0] == [
        "Navn",
        "E-mail",
        "Telefon",
        "Arbejdsplads",
        "Stillingsbetegnelse",
        "Ansættelse",
        "Medlemsnummer i DS",
        "Kosthensyn og allergier",
        "Status",
        "Tilmeldt",
        f"Workshops, blok 1 ({first.day:%d-%m-%Y} 11:00–12:30)",
        f"Workshops, blok 2 ({second.day:%d-%m-%Y} 11:00–12:30)",
    ]
    assert rows[1:] == [
        [
            "Søren Ærø Åberg",
            anne.email,
            "",
            "Aarhus Kommune",
            "Socialrådgiver",
            "Offentligt ansat",
            "",
            "",
            "Bekræftet",
            local_time(anne.created_at),
            "Ældre og rødgrød 1",
            "Ældre og rødgrød 2",
        ],
        [
            "Ayhan Gormez",
            ayhan.email,
            "",
            "Glostrup Kommune",
            "Socialrådgiver",
            "Offentligt ansat",
            "",
            "Vegetar",
            "Bekræftet",
            local_time(ayhan.created_at),
            "Ældre og rødgrød 1",
            "Ældre og rødgrød 2",
        ],
    ]
    assert re.fullmatch(r"\d\d-\d\d-\d{4} \d\d:\d\d", rows[1][9])


def test_attendee_list_shows_status_and_the_workshop_a_waitlisted_attendee_waits_for(
    client, exporter, event
):
    first, second = event.blocks.all()
    for workshop in first.workshops.all():
        workshop.capacity = 1
        workshop.save()
    services.cancel(registration=make_registration(event, name="Dorte"))
    make_registration(event, name="Anne")
    make_registration(
        event,
        name="Bo",
        choices={first.pk: first.workshops.last().pk, second.pk: second.workshops.first().pk},
    )
    waiting = make_registration(event, name="Carl", waitlist=True)

    _response, content = download(client, url(event, "attendees", "csv"))

    rows = parse_csv(content)
    assert [(row[0], row[8], row[10], row[11]) for row in rows[1:]] == [
        ("Dorte", "Afmeldt", "", ""),
        ("Anne", "Bekræftet", "Ældre og rødgrød 1", "Ældre og rødgrød 2"),
        ("Bo", "Bekræftet", "Børn på tværs 1", "Ældre og rødgrød 2"),
        (
            "Carl",
            "På venteliste",
            "Venteliste: Ældre og rødgrød 1",
            "Venteliste: Ældre og rødgrød 2",
        ),
    ]
    assert waiting.status == Registration.Status.WAITLISTED


def test_a_formula_in_a_name_comes_out_inert_in_csv_and_xlsx(client, exporter, event):
    make_registration(
        event,
        name=INJECTION,
        workplace="\t=cmd|' /C calc'!A0",
        job_title="+45 leder",
        dietary_needs="@SUM(1+1)",
    )

    _response, csv_content = download(client, url(event, "attendees", "csv"))
    _response, xlsx_content = download(client, url(event, "attendees", "xlsx"))

    row = parse_csv(csv_content)[1]
    assert row[0] == "'" + INJECTION
    assert row[3] == "'=cmd\\|' /C calc'!A0"
    assert row[4] == "'+45 leder"
    assert row[7] == "'@SUM(1+1)"
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx_content))
    name = workbook.active["A2"]
    assert (name.value, name.data_type) == (INJECTION, "s")
    assert not any(cell.data_type == "f" for row in workbook.active.iter_rows() for cell in row)


def test_attendee_list_xlsx_round_trips_danish_letters_times_and_blocks(client, exporter, event):
    anne = make_registration(event, name="Søren Ærø Åberg")
    first, second = event.blocks.all()

    response, content = download(client, url(event, "attendees", "xlsx"))

    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    assert response["Content-Disposition"] == (
        'attachment; filename="socialraadgiverdage-2017-deltagere-'
        f'{timezone.localdate().isoformat()}.xlsx"'
    )
    sheets = parse_xlsx(content)
    assert list(sheets) == ["Deltagere"]
    header, row = sheets["Deltagere"]
    assert header[-2:] == (
        f"Workshops, blok 1 ({first.day:%d-%m-%Y} 11:00–12:30)",
        f"Workshops, blok 2 ({second.day:%d-%m-%Y} 11:00–12:30)",
    )
    assert row[0] == "Søren Ærø Åberg"
    assert row[9] == timezone.localtime(anne.created_at).replace(tzinfo=None, microsecond=0)
    assert row[-2:] == ("Ældre og rødgrød 1", "Ældre og rødgrød 2")


def test_comma_variant_uses_commas_and_decimal_points(client, exporter, event):
    make_registration(
        event,
        name="Hansen, Anne",
        payer=Registration.Payer.EAN,
        ean="5798000000001",
        invoice_organisation="Glostrup Kommune",
    )

    _response, content = download(client, url(event, "invoicing", "csv_comma"))

    rows = parse_csv(content, delimiter=",")
    assert rows[1][6] == "Hansen, Anne"
    assert rows[1][-1] == "1250.00"


# Room list, catering, invoicing -------------------------------------------------------


def test_room_list_holds_who_sits_in_the_workshop_by_name(client, exporter, event):
    first = event.blocks.first()
    aeldre, boern = first.workshops.all()
    second_block_workshop = event.blocks.last().workshops.first()
    make_registration(event, name="Åse Ørum", dietary_needs="Glutenfri")
    make_registration(
        event,
        name="Bo Æbelø",
        choices={first.pk: boern.pk, event.blocks.last().pk: second_block_workshop.pk},
    )
    make_registration(event, name="anders And", workplace="Andeby")

    response, content = download(
        client,
        reverse("admin:events_event_export_room_list", args=[event.pk, aeldre.pk, "csv"]),
    )

    assert response["Content-Disposition"] == (
        'attachment; filename="socialraadgiverdage-2017-lokaleliste-aeldre-og-roedgroed-1-'
        f'{timezone.localdate().isoformat()}.csv"'
    )
    rows = parse_csv(content)
    day = aeldre.block.day
    weekday = ["mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"]
    months = ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august"]
    months += ["september", "oktober", "november", "december"]
    when = f"{weekday[day.weekday()]} {day.day}. {months[day.month - 1]} {day.year}, 11.00–12.30"
    assert rows == [
        ["Arrangement", "Socialrådgiverdage"],
        ["Workshop", "Ældre og rødgrød 1"],
        ["Lokale", "Lokale Æ"],
        ["Tidspunkt", when],
        ["Deltagere", "2"],
        [],
        ["Navn", "Arbejdsplads"],
        ["anders And", "Andeby"],
        ["Åse Ørum", "Glostrup Kommune"],
    ]
    # What a speaker's list is for needs no addresses or dietary needs.
    assert "Glutenfri" not in content.decode()
    assert "@" not in content.decode()


def test_room_list_of_another_events_workshop_is_404(client, exporter, event):
    other = make_workshop(make_block(make_event()))

    response = client.get(
        reverse("admin:events_event_export_room_list", args=[event.pk, other.pk, "csv"])
    )

    assert response.status_code == 404


def test_catering_counts_each_day_and_each_need_trimmed_and_case_folded(client, exporter, event):
    for needs in ["Vegetar", " vegetar. ", "VEGETAR", "Glutenfri", "ingen", "", "Nej"]:
        make_registration(event, dietary_needs=needs)
    services.cancel(registration=make_registration(event, dietary_needs="Halal"))
    day_one, day_two = (f"{day:%d-%m-%Y}" for day in event.days)

    _response, content = download(client, url(event, "catering", "csv"))

    assert parse_csv(content) == [
        ["Dag", "Kosthensyn", "Deltagere"],
        [day_one, "Alle deltagere", "7"],
        [day_one, "Uden særlige hensyn", "3"],
        [day_one, "Vegetar", "3"],
        [day_one, "Glutenfri", "1"],
        [day_two, "Alle deltagere", "7"],
        [day_two, "Uden særlige hensyn", "3"],
        [day_two, "Vegetar", "3"],
        [day_two, "Glutenfri", "1"],
    ]


def test_normalise_dietary_need():
    assert exports.normalise_dietary_need("  Laktose-fri\n KOST. ") == "laktose-fri kost"
    assert exports.normalise_dietary_need(" Ingen ") == ""


def test_invoicing_lists_each_registration_and_sums_per_payer(client, exporter, event):
    glostrup = dict(
        payer=Registration.Payer.EAN,
        ean="5798000000001",
        invoice_organisation="Glostrup Kommune",
        invoice_address="Rådhusvej 2\n2600 Glostrup",
        invoice_attention="Leder Lis",
    )
    make_registration(event, name="Anne", invoice_order_number="PO-1", **glostrup)
    make_registration(event, name="Bo", invoice_order_number="PO-2", **glostrup)
    make_registration(
        event,
        name="Carl",
        payer=Registration.Payer.CVR,
        cvr="12345678",
        invoice_organisation="Rådgivning ApS",
        invoice_address="Vej 1",
    )
    make_registration(
        event, name="Dorte", payer=Registration.Payer.PERSONAL, invoice_address="Gade 3"
    )
    make_registration(
        event, name="Erik", payer=Registration.Payer.PERSONAL, invoice_address="Gade 4"
    )

    _response, content = download(client, url(event, "invoicing", "csv"))

    rows = parse_csv(content)
    blank = rows.index([])
    invoices, sums = rows[:blank], rows[blank + 1 :]
    assert invoices[0] == [
        "Betaler",
        "EAN- eller CVR-nummer",
        "Organisation",
        "Fakturaadresse",
        "Reference (att.)",
        "Ordrenummer / rekvisitionsnummer",
        "Navn",
        "E-mail",
        "Pris (kr.)",
    ]
    assert [(row[0], row[1], row[2], row[5], row[6], row[8]) for row in invoices[1:]] == [
        ("Privat arbejdsgiver (CVR-nummer)", "12345678", "Rådgivning ApS", "", "Carl", "1250,00"),
        (
            "Offentlig arbejdsgiver (EAN-nummer)",
            "5798000000001",
            "Glostrup Kommune",
            "PO-1",
            "Anne",
            "1250,00",
        ),
        (
            "Offentlig arbejdsgiver (EAN-nummer)",
            "5798000000001",
            "Glostrup Kommune",
            "PO-2",
            "Bo",
            "1250,00",
        ),
        ("Jeg betaler selv", "", "", "", "Dorte", "1250,00"),
        ("Jeg betaler selv", "", "", "", "Erik", "1250,00"),
    ]
    assert invoices[2][3] == "Rådhusvej 2\n2600 Glostrup"
    assert sums == [
        ["Sum pr. betaler"],
        [
            "Betaler",
            "EAN- eller CVR-nummer",
            "Betalt af",
            "Fakturaadresse",
            "Deltagere",
            "Beløb (kr.)",
        ],
        ["Privat arbejdsgiver (CVR-nummer)", "12345678", "Rådgivning ApS", "Vej 1", "1", "1250,00"],
        [
            "Offentlig arbejdsgiver (EAN-nummer)",
            "5798000000001",
            "Glostrup Kommune",
            "Rådhusvej 2\n2600 Glostrup",
            "2",
            "2500,00",
        ],
        ["Jeg betaler selv", "", "Dorte", "Gade 3", "1", "1250,00"],
        ["Jeg betaler selv", "", "Erik", "Gade 4", "1", "1250,00"],
    ]


def test_invoicing_xlsx_has_a_sheet_with_the_sum_per_payer(client, exporter, event):
    for name in ("Anne", "Bo"):
        make_registration(
            event,
            name=name,
            payer=Registration.Payer.EAN,
            ean="5798000000001",
            invoice_organisation="Glostrup Kommune",
        )

    _response, content = download(client, url(event, "invoicing", "xlsx"))

    sheets = parse_xlsx(content)
    assert list(sheets) == ["Fakturering", "Sum pr. betaler"]
    assert sheets["Sum pr. betaler"][1][-2:] == (2, 2500)
    assert sheets["Fakturering"][1][-1] == 1250


def test_invoicing_of_a_free_event_is_404(client, exporter):
    free = make_event(price=0)

    response = client.get(url(free, "invoicing", "csv"))

    assert response.status_code == 404
    assert ExportRecord.objects.count() == 0


# Who may export, and the record of it ------------------------------------------------------


def test_anonymous_gets_the_admin_login_page(client, event):
    path = url(event, "attendees", "csv")

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:login") + "?next=" + path
    assert ExportRecord.objects.count() == 0


def test_staff_without_the_export_permission_get_403(client, event):
    user = User.objects.create_user("kollega", password="x", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    client.force_login(user)

    responses = [
        client.get(url(event, "attendees", "csv")),
        client.get(url(event, "catering", "xlsx")),
        client.get(
            reverse(
                "admin:events_event_export_room_list",
                args=[event.pk, event.blocks.first().workshops.first().pk, "csv"],
            )
        ),
    ]

    assert [response.status_code for response in responses] == [403, 403, 403]
    assert ExportRecord.objects.count() == 0


def test_a_user_with_the_permission_but_no_staff_status_gets_the_login_page(client, event):
    user = User.objects.create_user("medlem", password="x")
    user.user_permissions.add(Permission.objects.get(codename="export_registrations"))
    client.force_login(user)

    response = client.get(url(event, "attendees", "csv"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_each_export_is_recorded_with_who_what_and_how_many_rows(client, exporter, event):
    for _ in range(3):
        make_registration(event)
    workshop = event.blocks.first().workshops.first()

    download(client, url(event, "attendees", "csv"))
    download(client, url(event, "catering", "xlsx"))
    download(
        client, reverse("admin:events_event_export_room_list", args=[event.pk, workshop.pk, "xlsx"])
    )

    records = ExportRecord.objects.order_by("pk")
    assert [
        (r.user, r.username, r.kind, r.format, r.event, r.workshop, r.row_count) for r in records
    ] == [
        (exporter, "eksport", "attendees", "csv", event, None, 3),
        (exporter, "eksport", "catering", "xlsx", event, None, 4),
        (exporter, "eksport", "room_list", "xlsx", event, workshop, 3),
    ]


def test_an_unfinished_download_is_recorded_without_a_row_count(exporter, event, monkeypatch):
    monkeypatch.setattr(exports, "CSV_BUFFER", 1)  # a chunk per row
    for _ in range(3):
        make_registration(event)

    request = RequestFactory().get(url(event, "attendees", "csv"))
    request.user = exporter
    response = exports.export_response(request, kind="attendees", fmt="csv", event=event)
    first = next(iter(response))
    # The browser went away: the server closes the response (the test
    # database's connection must stay open meanwhile).
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)

    assert first.startswith(codecs.BOM_UTF8)
    assert ExportRecord.objects.get().row_count is None


def test_unknown_list_or_format_is_404(client, exporter, event):
    assert client.get(url(event, "everything", "csv")).status_code == 404
    assert client.get(url(event, "attendees", "pdf")).status_code == 404


# A fixed number of queries ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "fmt"),
    [
        ("attendees", "csv"),
        ("attendees", "xlsx"),
        ("catering", "csv"),
        ("invoicing", "csv"),
        ("invoicing", "xlsx"),
    ],
)
def test_an_export_takes_the_same_queries_for_3_rows_as_for_30(
    client, exporter, event, kind, fmt, monkeypatch
):
    monkeypatch.setattr(exports, "CHUNK_SIZE", 4)  # several chunks for 30 rows
    Workshop.objects.update(capacity=40)
    for n in range(3):
        make_registration(
            event, dietary_needs=f"Kost {n}", payer=Registration.Payer.EAN, ean=f"579800000000{n}"
        )
    path = url(event, kind, fmt)
    download(client, path)  # warm the session and permission caches

    with CaptureQueriesContext(connection) as small:
        download(client, path)
    second = event.blocks.last()
    for n in range(27):
        make_registration(
            event,
            dietary_needs=f"Kost {n}",
            payer=Registration.Payer.CVR,
            cvr=f"{n:08d}",
            choices={
                event.blocks.first().pk: event.blocks.first().workshops.last().pk,
                second.pk: second.workshops.last().pk,
            }
            if n % 2
            else None,
        )
    with CaptureQueriesContext(connection) as large:
        download(client, path)

    assert len(large.captured_queries) == len(small.captured_queries)
    # Catering: per day, all attendees, those without needs and each of 27 needs.
    assert ExportRecord.objects.first().row_count == (30 if kind != "catering" else 2 * (2 + 27))


def test_room_list_takes_the_same_queries_for_3_rows_as_for_30(client, exporter, event):
    Workshop.objects.update(capacity=40)
    workshop = event.blocks.first().workshops.first()
    path = reverse("admin:events_event_export_room_list", args=[event.pk, workshop.pk, "csv"])
    for _ in range(3):
        make_registration(event)
    download(client, path)

    with CaptureQueriesContext(connection) as small:
        download(client, path)
    for _ in range(27):
        make_registration(event)
    with CaptureQueriesContext(connection) as large:
        download(client, path)

    assert len(large.captured_queries) == len(small.captured_queries)


# From the admin -------------------------------------------------------------------------


def test_event_page_links_to_the_lists_for_staff_who_may_export(client, exporter, event):
    exporter.is_superuser = True
    exporter.save()

    page = client.get(reverse("admin:events_event_change", args=[event.pk])).content.decode()

    for kind in ("attendees", "catering", "invoicing"):
        for fmt in ("csv", "csv_comma", "xlsx"):
            assert f'href="{url(event, kind, fmt)}"' in page
    workshop = event.blocks.first().workshops.first()
    room_list = reverse("admin:events_event_export_room_list", args=[event.pk, workshop.pk, "csv"])
    assert f'href="{room_list}"' in page


def test_a_programme_editors_event_page_shows_no_lists_and_no_registrations(client, event):
    client.force_login(User.objects.create_superuser("chef", password="x"))
    user = User.objects.create_user("arrangoer", password="x", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="events"))
    make_member(user, role=Membership.Role.PROGRAMME_EDITOR)
    client.force_login(user)

    page = client.get(reverse("admin:events_event_change", args=[event.pk])).content.decode()

    assert url(event, "attendees", "csv") not in page
    assert ("Socialrådgiverdage" in page, "Tilmeldinger" in page, "Ældre og rødgrød 1" in page) == (
        True,
        False,
        False,
    )


def test_export_action_on_the_registration_list_exports_the_selected(client, exporter, event):
    exporter.user_permissions.add(Permission.objects.get(codename="view_registration"))
    anne = make_registration(event, name="Anne")
    make_registration(event, name="Bo")
    carl = make_registration(event, name="Carl")

    response = client.post(
        reverse("admin:registrations_registration_changelist"),
        {"action": "export_selected_csv", "_selected_action": [anne.pk, carl.pk]},
    )

    rows = parse_csv(b"".join(response.streaming_content))
    assert [row[0] for row in rows[1:]] == ["Anne", "Carl"]
    assert response["Content-Disposition"].startswith(
        'attachment; filename="socialraadgiverdage-2017-udvalgte-deltagere-'
    )
    record = ExportRecord.objects.get()
    assert (record.kind, record.row_count) == (ExportRecord.Kind.SELECTION, 2)


def test_export_action_refuses_registrations_of_two_events(client, exporter, event):
    exporter.user_permissions.add(Permission.objects.get(codename="view_registration"))
    other = make_event()
    make_workshop(make_block(other))
    anne = make_registration(event)
    bo = make_registration(other)

    response = client.post(
        reverse("admin:registrations_registration_changelist"),
        {"action": "export_selected_xlsx", "_selected_action": [anne.pk, bo.pk]},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [
        "Vælg tilmeldinger til ét arrangement."
    ]
    assert ExportRecord.objects.count() == 0


def test_export_actions_are_offered_only_with_the_permission(client, event):
    user = User.objects.create_user("kollega", password="x", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_registration", "change_registration"])
    )
    client.force_login(user)
    make_registration(event)

    response = client.get(reverse("admin:registrations_registration_changelist"))

    actions = [name for name, _label in response.context["action_form"].fields["action"].choices]
    assert "export_selected_csv" not in actions
    assert "cancel_registrations" in actions


def test_export_records_are_shown_to_superusers_only(client, exporter, event):
    download(client, url(event, "attendees", "csv"))
    records = reverse("admin:registrations_exportrecord_changelist")

    as_exporter = client.get(records)
    client.force_login(User.objects.create_superuser("chef", password="x"))
    as_superuser = client.get(records)
    change = client.get(
        reverse("admin:registrations_exportrecord_change", args=[ExportRecord.objects.get().pk])
    )

    assert as_exporter.status_code == 403
    assert as_superuser.status_code == 200
    assert list(as_superuser.context["cl"].result_list) == list(ExportRecord.objects.all())
    assert change.status_code == 200
    assert not change.context["has_change_permission"]


def test_all_room_lists_in_one_workbook_a_sheet_per_workshop(client, exporter, event):
    first, second = event.blocks.order_by("day")
    _aeldre, boern = first.workshops.all()
    _aeldre2, boern2 = second.workshops.all()
    make_registration(event, name="Åse Ørum", dietary_needs="Glutenfri")
    make_registration(event, name="Bo Æbelø", choices={first.pk: boern.pk, second.pk: boern2.pk})
    make_registration(event, name="anders And", workplace="Andeby")

    response = client.get(url(event, "room_lists", "xlsx"))

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="socialraadgiverdage-2017-lokalelister-'
        f'{timezone.localdate().isoformat()}.xlsx"'
    )
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == [
        "Ældre og rødgrød 1",
        "Børn på tværs 1",
        "Ældre og rødgrød 2",
        "Børn på tværs 2",
    ]
    sheets = {
        name: [
            [c for c in row if c is not None] for row in workbook[name].iter_rows(values_only=True)
        ]
        for name in workbook.sheetnames
    }
    assert sheets["Ældre og rødgrød 1"][:3] == [
        ["Arrangement", "Socialrådgiverdage"],
        ["Workshop", "Ældre og rødgrød 1"],
        ["Lokale", "Lokale Æ"],
    ]
    assert sheets["Ældre og rødgrød 1"][4:] == [
        ["Deltagere", 2],
        [],
        ["Navn", "Arbejdsplads"],
        ["anders And", "Andeby"],
        ["Åse Ørum", "Glostrup Kommune"],
    ]
    assert sheets["Børn på tværs 1"][-2:] == [
        ["Navn", "Arbejdsplads"],
        ["Bo Æbelø", "Glostrup Kommune"],
    ]
    assert sheets["Børn på tværs 2"][-2:] == [
        ["Navn", "Arbejdsplads"],
        ["Bo Æbelø", "Glostrup Kommune"],
    ]
    assert sheets["Ældre og rødgrød 2"][-3:] == [
        ["Navn", "Arbejdsplads"],
        ["anders And", "Andeby"],
        ["Åse Ørum", "Glostrup Kommune"],
    ]
    assert ExportRecord.objects.get().row_count == 6


def test_all_room_lists_take_the_same_queries_for_4_workshops_as_for_40(client, exporter):
    def queries(workshops: int) -> int:
        event = make_event()
        block = make_block(event)
        for n in range(workshops):
            workshop = make_workshop(block, title=f"Workshop {n}")
            make_registration(event, choices={block.pk: workshop.pk})
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url(event, "room_lists", "xlsx"))
            b"".join(response.streaming_content)
        return len(captured)

    assert queries(4) == queries(40)


def test_room_lists_of_an_event_without_workshops_is_an_empty_list(client, exporter):
    event = make_event()

    response = client.get(url(event, "room_lists", "csv"))

    assert response.status_code == 200
    assert parse_csv(b"".join(response.streaming_content)) == [["Navn", "Arbejdsplads"]]


def test_the_event_page_offers_all_room_lists_at_once(client, exporter, event):
    page = client.get(reverse("admin:events_event_change", args=[event.pk])).content.decode()

    assert "Alle lokalelister (et ark pr. workshop)" in page
    assert f'href="{url(event, "room_lists", "xlsx")}"' in page


def test_unique_sheet_titles_within_31_characters():
    taken = set()
    long = "Kan beskæftigelsesfaglig stolthed udvikles på et stramstyret lovområde"

    titles = [exports.unique_sheet_title(long, taken) for _ in range(3)]
    titles.append(exports.unique_sheet_title("A/B: [x]", taken))

    assert titles == [
        "Kan beskæftigelsesfaglig stolth",
        "Kan beskæftigelsesfaglig st (2)",
        "Kan beskæftigelsesfaglig st (3)",
        "A B   x",
    ]


# One EAN, several organisations ------------------------------------------------------------


def ean_payer(name: str, organisation: str, ean: str = "5798000000001") -> dict:
    return dict(
        name=name,
        payer=Registration.Payer.EAN,
        ean=ean,
        invoice_organisation=organisation,
        invoice_address="Rådhusvej 2",
    )


def test_invoicing_says_when_one_ean_is_given_with_different_organisations(client, exporter, event):
    make_registration(event, **ean_payer("Anne", "Glostrup Kommune"))
    make_registration(event, **ean_payer("Bo", "glostrup  kommune "))
    make_registration(event, **ean_payer("Carl", "Jobcenter Albertslund"))
    make_registration(event, **ean_payer("Dorte", "Roskilde Kommune", ean="5798000000002"))

    _response, content = download(client, url(event, "invoicing", "csv"))

    rows = parse_csv(content)
    blanks = [n for n, row in enumerate(rows) if row == []]
    sums, check = rows[blanks[0] + 1 : blanks[1]], rows[blanks[1] + 1 :]
    assert [row[1:3] + row[4:5] for row in sums[2:]] == [
        ["5798000000001", "KONTROLLÉR: Glostrup Kommune / Jobcenter Albertslund", "3"],
        ["5798000000002", "Roskilde Kommune", "1"],
    ]
    assert check[0] == [
        "Ét EAN- eller CVR-nummer er angivet med forskellige organisationers navne: "
        "5798000000001 (Glostrup Kommune, Jobcenter Albertslund). Faktureringslisten lægger det "
        "sammen som én betaler: kontrollér, hvilken organisation der er den rigtige, før der "
        "faktureres."
    ]
    assert check[2:] == [
        ["Betaler", "EAN- eller CVR-nummer", "Organisation", "Deltagere"],
        ["Offentlig arbejdsgiver (EAN-nummer)", "5798000000001", "Glostrup Kommune", "2"],
        ["Offentlig arbejdsgiver (EAN-nummer)", "5798000000001", "Jobcenter Albertslund", "1"],
    ]


def test_invoicing_without_such_numbers_has_no_check_sheet(client, exporter, event):
    make_registration(event, **ean_payer("Anne", "Glostrup Kommune"))
    make_registration(event, **ean_payer("Bo", "Glostrup kommune"))

    _response, content = download(client, url(event, "invoicing", "xlsx"))

    assert list(parse_xlsx(content)) == ["Fakturering", "Sum pr. betaler"]


def test_the_xlsx_has_a_check_sheet_for_such_numbers(client, exporter, event):
    make_registration(event, **ean_payer("Anne", "Glostrup Kommune"))
    make_registration(event, **ean_payer("Carl", "Jobcenter Albertslund"))

    _response, content = download(client, url(event, "invoicing", "xlsx"))

    sheets = parse_xlsx(content)
    assert list(sheets) == ["Fakturering", "Sum pr. betaler", "Kontrollér før fakturering"]


def test_the_events_page_warns_of_one_ean_with_different_organisations(client, exporter, event):
    make_registration(event, **ean_payer("Anne", "Glostrup Kommune"))
    make_registration(event, **ean_payer("Carl", "Jobcenter Albertslund"))

    response = client.get(reverse("admin:events_event_change", args=[event.pk]))

    warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert warnings == [
        "Ét EAN- eller CVR-nummer er angivet med forskellige organisationers navne: "
        "5798000000001 (Glostrup Kommune, Jobcenter Albertslund). Faktureringslisten lægger det "
        "sammen som én betaler: kontrollér, hvilken organisation der er den rigtige, før der "
        "faktureres."
    ]


def test_no_warning_for_a_programme_editor(client, event):
    call_command("setup_roles", stdout=io.StringIO())
    editor = User.objects.create_user("redaktoer", password="x", is_staff=True)
    make_member(editor, role=Membership.Role.PROGRAMME_EDITOR)
    client.force_login(editor)
    make_registration(event, **ean_payer("Anne", "Glostrup Kommune"))
    make_registration(event, **ean_payer("Carl", "Jobcenter Albertslund"))

    response = client.get(reverse("admin:events_event_change", args=[event.pk]))

    assert response.status_code == 200
    assert "Jobcenter Albertslund" not in response.content.decode()
