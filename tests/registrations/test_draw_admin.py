"""The organiser's draw in the admin (registrations/draw_admin.py), and the scheduled command."""

import datetime
import io

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from events.models import Event
from registrations.models import AllocationRun, ExportRecord, Registration, Seat
from tests.factories import (
    change_url,
    form_data,
    make_member,
    make_organisation,
    make_programme,
)
from tests.registrations.test_draws import rank

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    event = make_programme(
        blocks=2,
        workshops_per_block=4,
        capacity=2,
        seat_allocation=Event.SeatAllocation.PREFERENCES,
        preferences_close=timezone.now() + datetime.timedelta(days=7),
    )
    for order in [(0, 1, 2)] * 3 + [(1, 0, 2), (3, 2, 1)]:
        rank(event, order=order)
    return event


def draw_url(event, *args):
    if args:
        return reverse("admin:events_event_draw_export", args=[event.pk, *args])
    return reverse("admin:events_event_draw", args=[event.pk])


def test_the_event_page_offers_the_preview_of_the_draw(client, organiser, event):
    content = client.get(change_url(event)).content.decode()

    assert "5 medlemmer har prioriteret workshops." in content
    assert draw_url(event) in content


def test_going_back_to_first_come_is_refused_while_members_wait_for_the_draw(
    client, organiser, event
):
    data = form_data(client.get(change_url(event)))
    data["seat_allocation"] = "first_come"

    response = client.post(change_url(event), data)

    assert response.status_code == 200
    assert "5 medlemmer har prioriteret workshops og venter på fordelingen." in (
        response.content.decode()
    )
    event.refresh_from_db()
    assert event.seat_allocation == Event.SeatAllocation.PREFERENCES


def test_the_preview_shows_a_chart_and_saves_nothing(client, organiser, event):
    response = client.get(draw_url(event) + "?seed=11")

    content = response.content.decode()
    assert response.status_code == 200
    assert "Forhåndsvisning: intet gemmes" in content
    assert content.count('<svg class="draw-bars" role="img"') == 2
    assert "Med lodtrækningstallet 11 ville fordelingen give 5 en plads" in content
    assert 'name="seed" value="11"' in content
    assert Seat.objects.count() == 0
    assert AllocationRun.objects.count() == 0
    assert Registration.objects.filter(status=Registration.Status.RANKED).count() == 5


def test_running_the_draw_saves_it_with_the_previewed_seed_and_mails_everyone(
    client, organiser, event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(draw_url(event), {"seed": "11"}, follow=True)

    content = response.content.decode()
    run = AllocationRun.objects.get(event=event)
    assert (run.seed, run.username, run.placed_count) == (11, "arrangoer", 5)
    assert "Fordelingen er kørt: 5 fik plads, 0 er på ventelisten." in content
    assert "Lodtrækningstal" in content
    assert '<svg class="draw-bars"' in content
    assert Seat.objects.count() == 10
    assert len(mail.outbox) == 5
    assert all(m.subject.startswith("Dine workshops efter fordelingen") for m in mail.outbox)
    event.refresh_from_db()
    assert event.drawn_at is not None


def test_a_second_run_is_refused(client, organiser, event):
    client.post(draw_url(event), {"seed": "11"})

    response = client.post(draw_url(event), {"seed": "12"}, follow=True)

    assert AllocationRun.objects.get().seed == 11
    assert response.status_code == 200


def test_running_without_a_seed_saves_nothing(client, organiser, event):
    response = client.post(draw_url(event), {"seed": "abc"}, follow=True)

    assert "Fordelingens lodtrækningstal mangler." in response.content.decode()
    assert AllocationRun.objects.count() == 0


def test_the_figures_export_as_csv_and_xlsx(client, organiser, event):
    client.post(draw_url(event), {"seed": "3"})

    response = client.get(draw_url(event, "csv"))
    text = b"".join(response.streaming_content).decode("utf-8-sig")

    lines = text.splitlines()
    assert lines[0].startswith("Blok;Workshop;Pladser i fordelingen;Ønsket som 1. prioritet")
    assert len([line for line in lines if line.startswith("Workshops, blok")]) == 8 + 2
    xlsx = client.get(draw_url(event, "xlsx"))
    assert xlsx.status_code == 200
    assert [r.kind for r in ExportRecord.objects.all()] == ["draw", "draw"]


def test_another_organisations_organiser_cannot_see_the_draw(client, event):
    stranger = User.objects.create_user("fremmed", password="x", is_staff=True)
    call_command("setup_roles", stdout=io.StringIO())
    make_member(stranger, organisation=make_organisation("KKR Midtjylland"))
    client.force_login(stranger)

    assert client.get(draw_url(event)).status_code == 404
    assert client.post(draw_url(event), {"seed": "1"}).status_code == 404
    assert AllocationRun.objects.count() == 0


def test_the_action_on_the_list_of_events_leads_to_the_draw(client, organiser, event):
    response = client.post(
        reverse("admin:events_event_changelist"),
        {"action": "hold_draw", "_selected_action": [event.pk]},
    )

    assert response.status_code == 302
    assert response["Location"] == draw_url(event)


def test_the_scheduled_command_holds_the_draws_whose_ranking_has_closed(event):
    out = io.StringIO()

    call_command("run_due_draws", stdout=out)
    assert out.getvalue() == ""
    with time_machine.travel(event.preferences_close + datetime.timedelta(minutes=2)):
        call_command("run_due_draws", stdout=out)
        call_command("run_due_draws", stdout=out)

    assert out.getvalue().startswith(f"{event.title}: draw held with seed ")
    assert out.getvalue().count("draw held") == 1
    assert AllocationRun.objects.get().username == ""
