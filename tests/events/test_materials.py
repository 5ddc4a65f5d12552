"""Materials of the programme (issue 15, seed 003): files are checked, stored privately under a
random name, uploaded by speakers through a revocable link, and deleted with their files."""

import datetime

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from events import services
from events.materials import hash_upload_key
from events.models import Event, Material, MaterialUploadLink
from tests.factories import (
    change_url,
    error_codes,
    form_data,
    inline_formset,
    make_block,
    make_event,
    make_session,
    make_workshop,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PPTX = b"PK\x03\x04" + b"\x00" * 100


def pdf(name="Beskæftigelsesfaglig stolthed.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def workshop_of_event(**event_fields):
    event = make_event(**event_fields)
    return make_workshop(make_block(event), title="Beskæftigelsesfaglig stolthed")


def upload_url(key: str) -> str:
    return reverse("events:upload_materials", args=[key])


def test_a_file_is_stored_under_a_random_name_and_keeps_its_own(materials_dir):
    workshop = workshop_of_event()

    material = Material.objects.create(workshop=workshop, file=pdf())

    assert material.event_id == workshop.block.event_id
    assert material.original_name == "Beskæftigelsesfaglig stolthed.pdf"
    assert material.size == len(PDF)
    stored = materials_dir / material.file.name
    assert stored.read_bytes() == PDF
    assert "stolthed" not in material.file.name
    assert material.file.name.startswith(f"materials/{workshop.block.event_id}/")


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("program.exe", b"MZ\x90\x00", "material_type"),
        ("noter.txt", b"hej", "material_type"),
        ("slides.pdf", b"MZ\x90\x00 not a pdf", "material_content"),
        ("slides.pptx", PDF, "material_content"),
    ],
)
def test_speakers_upload_refuses_what_is_not_pdf_powerpoint_or_word(client, name, content, code):
    workshop = workshop_of_event()
    key = services.make_upload_link(workshop=workshop)

    response = client.post(
        upload_url(key), {"title": "", "file": SimpleUploadedFile(name, content)}
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert [error.code for error in form.errors.as_data()["file"]] == [code]
    assert Material.objects.count() == 0


def test_the_errors_are_in_danish(client):
    workshop = workshop_of_event()
    key = services.make_upload_link(workshop=workshop)

    response = client.post(upload_url(key), {"file": SimpleUploadedFile("program.exe", b"MZ")})

    assert "“program.exe” er ikke en fil, vi kan tage imod." in response.content.decode()


def test_a_file_above_the_size_limit_is_refused_with_its_size(client, settings):
    settings.MATERIALS_MAX_UPLOAD_MB = 1
    workshop = workshop_of_event()
    key = services.make_upload_link(workshop=workshop)
    big = PDF + b"0" * (1024 * 1024)

    response = client.post(upload_url(key), {"file": pdf(content=big)})

    errors = response.context["form"].errors.as_data()["file"]
    assert [error.code for error in errors] == ["material_size"]
    assert "højst fylde 1,0\xa0MB" in response.content.decode()
    assert Material.objects.count() == 0


def test_neither_file_nor_link_is_refused(client):
    workshop = workshop_of_event()
    key = services.make_upload_link(workshop=workshop)

    response = client.post(upload_url(key), {"title": "Slides"})

    assert response.status_code == 200
    assert "Angiv en fil eller et link (én af delene)." in response.content.decode()
    assert Material.objects.count() == 0


def test_a_speaker_uploads_slides_through_the_link(client):
    workshop = workshop_of_event()
    key = services.make_upload_link(workshop=workshop)

    page = client.get(upload_url(key))
    response = client.post(upload_url(key), {"title": "Slides", "file": pdf()}, follow=True)

    assert page.status_code == 200
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    assert workshop.title in page.content.decode()
    material = Material.objects.get()
    assert (material.workshop, material.title, material.uploaded_by_speaker) == (
        workshop,
        "Slides",
        True,
    )
    assert "Slides" in response.content.decode()


def test_a_speaker_adds_a_link_typed_without_scheme(client):
    workshop = workshop_of_event()
    key = services.make_upload_link(workshop=workshop)

    client.post(upload_url(key), {"title": "Video", "link": "video.example.org/optagelse"})

    assert Material.objects.get().link == "https://video.example.org/optagelse"


def test_only_the_keys_hash_is_stored():
    workshop = workshop_of_event()

    key = services.make_upload_link(workshop=workshop)

    link = MaterialUploadLink.objects.get()
    assert link.key_hash == hash_upload_key(key)
    assert key not in link.key_hash


def test_a_new_link_ends_the_old_and_a_revoked_link_opens_nothing(client):
    workshop = workshop_of_event()
    old = services.make_upload_link(workshop=workshop)
    new = services.make_upload_link(workshop=workshop)

    assert client.get(upload_url(old)).status_code == 404
    assert client.get(upload_url(new)).status_code == 200

    services.revoke_upload_links(workshops=[workshop])

    assert client.get(upload_url(new)).status_code == 404
    assert client.post(upload_url(new), {"file": pdf()}).status_code == 404
    assert Material.objects.count() == 0


def test_an_unknown_key_is_a_404(client):
    assert client.get(upload_url("x" * 43)).status_code == 404


def test_material_of_a_workshop_and_a_session_at_once_is_refused():
    event = make_event()
    workshop = make_workshop(make_block(event))
    session = make_session(event)
    material = Material(event=event, workshop=workshop, session=session, link="https://x.dk/")

    with pytest.raises(Exception) as refused:
        material.full_clean()

    assert "ikke begge" in str(refused.value)


def test_delete_materials_removes_files_and_rows(materials_dir):
    workshop = workshop_of_event()
    other = workshop_of_event()
    gone = Material.objects.create(workshop=workshop, file=pdf())
    kept = Material.objects.create(workshop=other, file=pdf())
    Material.objects.create(workshop=workshop, link="https://example.org/video")

    deleted = services.delete_materials(events=Event.objects.filter(pk=workshop.block.event_id))

    assert deleted == 2
    assert not (materials_dir / gone.file.name).exists()
    assert (materials_dir / kept.file.name).exists()
    assert list(Material.objects.all()) == [kept]


def test_deleting_a_material_deletes_its_file(materials_dir, django_capture_on_commit_callbacks):
    material = Material.objects.create(workshop=workshop_of_event(), file=pdf())
    path = materials_dir / material.file.name

    with django_capture_on_commit_callbacks(execute=True):
        material.delete()

    assert not path.exists()


def test_materials_are_shown_from_the_chosen_time():
    now = timezone.now()
    event = make_event(materials_from=now + datetime.timedelta(hours=1))

    assert event.materials_are_shown(now) is False
    assert event.materials_are_shown(now + datetime.timedelta(hours=1)) is True
    assert make_event().materials_are_shown(now) is False


# In the admin ------------------------------------------------------------------------


def test_an_organiser_adds_slides_on_the_workshops_page(client, organiser):
    workshop = workshop_of_event()
    page = client.get(change_url(workshop))
    data = form_data(page)
    data.update({"materials-0-title": "Slides", "materials-0-file": pdf()})

    response = client.post(change_url(workshop), data)

    assert response.status_code == 302
    material = Material.objects.get()
    assert (material.workshop, material.event, material.original_name) == (
        workshop,
        workshop.block.event,
        "Beskæftigelsesfaglig stolthed.pdf",
    )
    again = client.get(change_url(workshop)).content.decode()
    assert reverse("admin:events_material_download", args=[material.pk]) in again
    assert material.file.name not in again  # never the storage's own name or address


def test_the_workshops_page_refuses_a_program_file_at_the_field(client, organiser):
    workshop = workshop_of_event()
    data = form_data(client.get(change_url(workshop)))
    data.update({"materials-0-file": SimpleUploadedFile("virus.exe", b"MZ")})

    response = client.post(change_url(workshop), data)

    assert response.status_code == 200
    formset = inline_formset(response, "materials")
    assert error_codes(formset.forms[0]) == {"file": ["material_type"]}
    assert Material.objects.count() == 0


def test_the_action_shows_each_upload_link_once(client, organiser):
    workshop = workshop_of_event()

    response = client.post(
        reverse("admin:events_workshop_changelist"),
        {"action": "make_upload_links", "_selected_action": [workshop.pk]},
        follow=True,
    )

    page = response.content.decode()
    assert settings.SITE_URL.rstrip("/") + "/materialer/upload/" in page
    link = MaterialUploadLink.objects.get(workshop=workshop)
    shown = page.split("/materialer/upload/")[1].split("/")[0]
    assert hash_upload_key(shown) == link.key_hash
    assert shown not in client.get(change_url(workshop)).content.decode()
