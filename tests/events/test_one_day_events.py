"""A one-day event needs no last day (issue 15): empty, it is the first day, in the admin and
everywhere the days are used."""

import datetime

import pytest
from django.urls import reverse

from events.models import Event
from tests.events.test_admin import DAY, block_row, event_add_data, management
from tests.factories import change_url, form_data, make_block, make_event, make_organisation

pytestmark = pytest.mark.django_db


def test_an_event_made_without_a_last_day_lasts_its_first_day():
    event = Event.objects.create(
        organisation=make_organisation(),
        title="Faglig Fællesskabsdag",
        slug="ffd",
        summary="En dag.",
        organiser="DS",
        contact_name="Kontakt",
        contact_email="kontakt@example.org",
        first_day=DAY,
    )

    event.refresh_from_db()
    assert event.last_day == DAY
    assert event.days == [DAY]


def test_the_organiser_adds_a_one_day_event_leaving_the_last_day_empty(client, organiser):
    data = event_add_data(
        last_day="",
        **management("blocks", total=1),
        **block_row(0, "Workshops, blok 1", DAY, "11:00", "12:30"),
    )

    response = client.post(reverse("admin:events_event_add"), data)

    assert response.status_code == 302
    event = Event.objects.get()
    assert (event.first_day, event.last_day) == (DAY, DAY)
    assert event.blocks.get().day == DAY


def test_the_last_day_field_is_optional_and_says_so(client, organiser):
    response = client.get(reverse("admin:events_event_add"))

    field = response.context["adminform"].form.fields["last_day"]
    assert field.required is False
    assert "Lad feltet stå tomt ved et endagsarrangement" in response.content.decode()


def test_emptying_the_last_day_of_a_saved_event_makes_it_one_day(client, organiser):
    event = make_event(last_day=DAY + datetime.timedelta(days=1), first_day=DAY)
    data = form_data(client.get(change_url(event)))
    data["last_day"] = ""

    response = client.post(change_url(event), data)

    assert response.status_code == 302
    event.refresh_from_db()
    assert event.last_day == DAY


def test_a_programme_item_on_the_second_day_keeps_the_last_day_when_emptied(client, organiser):
    event = make_event(first_day=DAY, last_day=DAY + datetime.timedelta(days=1))
    make_block(event, day=DAY + datetime.timedelta(days=1))
    data = form_data(client.get(change_url(event)))
    data["last_day"] = ""

    response = client.post(change_url(event), data)

    assert response.status_code == 200
    assert "efter denne dag" in response.content.decode()
    event.refresh_from_db()
    assert event.last_day == DAY + datetime.timedelta(days=1)
