"""The organiser's admin, driven through its pages as an organiser (staff in "Arrangører")."""

import datetime
import io

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from events.models import Event, Session, SessionSpeaker, Workshop, WorkshopBlock, WorkshopSpeaker
from tests.factories import (
    change_url,
    error_codes,
    form_data,
    inline_formset,
    make_block,
    make_event,
    make_organisation,
    make_programme,
    make_registration,
    make_session,
    make_speaker,
    make_workshop,
)

pytestmark = pytest.mark.django_db

DAY = timezone.localdate() + datetime.timedelta(days=60)


def management(prefix: str, *, total: int, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def event_add_data(**fields) -> dict:
    data = {
        "organisation": str(make_organisation().pk),
        "title": "Faglig Fællesskabsdag",
        "slug": "faglig-faellesskabsdag",
        "status": Event.Status.DRAFT,
        "summary": "En hel dag med fagligheden og fællesskabet i centrum.",
        "description": "",
        "organiser": "Dansk Socialrådgiverforening, Region Øst",
        "contact_name": "Kontakt Person",
        "contact_email": "kontakt@example.org",
        "first_day": DAY.isoformat(),
        "last_day": DAY.isoformat(),
        "venue": "Festsalen",
        "address": "Toldbodgade 19B, København K",
        "online_links_days_before": "7",
        "registration_opens_0": (DAY - datetime.timedelta(days=50)).isoformat(),
        "registration_opens_1": "09:00",
        "registration_closes_0": (DAY - datetime.timedelta(days=7)).isoformat(),
        "registration_closes_1": "12:00",
        "attendee_limit": "",
        "changes_close_0": "",
        "changes_close_1": "",
        "price": "0",
        "practical_information": "",
        **management("blocks", total=0),
        **management("sessions", total=0),
        # The registration form's questions (registrations/admin.py adds them to the page).
        **management("standard_questions", total=0),
        **management("questions", total=0),
    }
    data.update(fields)
    return data


def block_row(n: int, title: str, day, starts: str, ends: str) -> dict:
    return {
        f"blocks-{n}-title": title,
        f"blocks-{n}-day": day.isoformat() if day else "",
        f"blocks-{n}-starts": starts,
        f"blocks-{n}-ends": ends,
    }


def session_row(n: int, kind: str, title: str, day, starts: str, ends: str) -> dict:
    return {
        f"sessions-{n}-kind": kind,
        f"sessions-{n}-title": title,
        f"sessions-{n}-day": day.isoformat() if day else "",
        f"sessions-{n}-starts": starts,
        f"sessions-{n}-ends": ends,
        f"sessions-{n}-description": "",
    }


# Who may edit the programme --------------------------------------------------------


def test_staff_without_the_organiser_group_gets_403_on_the_event_add_page(client):
    call_command("setup_roles", stdout=io.StringIO())
    client.force_login(User.objects.create_user("kollega", password="x", is_staff=True))

    response = client.get(reverse("admin:events_event_add"))

    assert response.status_code == 403


def test_organiser_index_lists_events_and_speakers_and_hides_blocks_sessions_and_workshops(
    client, organiser
):
    response = client.get(reverse("admin:index"))

    events_app = next(app for app in response.context["app_list"] if app["app_label"] == "events")
    assert [model["object_name"] for model in events_app["models"]] == ["Event", "Speaker"]


# Building a programme ----------------------------------------------------------


def test_organiser_creates_an_event_with_blocks_and_sessions_on_the_add_page(client, organiser):
    data = event_add_data(
        **management("blocks", total=2),
        **block_row(0, "Workshops, blok 1", DAY, "11:00", "12:30"),
        **block_row(1, "Workshops, blok 2", DAY, "14:45", "16:15"),
        **management("sessions", total=3),
        **session_row(0, Session.Kind.ARRIVAL, "Morgenbrød", DAY, "08:45", "09:15"),
        **session_row(1, Session.Kind.WELCOME, "Velkomst", DAY, "09:15", "09:30"),
        **session_row(2, Session.Kind.MEAL, "Frokost", DAY, "12:30", "13:15"),
    )

    response = client.post(reverse("admin:events_event_add"), data)

    assert response.status_code == 302
    event = Event.objects.get()
    assert response["Location"] == reverse("admin:events_event_changelist")
    assert (event.title, event.slug, event.first_day, event.status) == (
        "Faglig Fællesskabsdag",
        "faglig-faellesskabsdag",
        DAY,
        Event.Status.DRAFT,
    )
    assert [(b.title, b.day, b.starts, b.ends) for b in event.blocks.all()] == [
        ("Workshops, blok 1", DAY, datetime.time(11, 0), datetime.time(12, 30)),
        ("Workshops, blok 2", DAY, datetime.time(14, 45), datetime.time(16, 15)),
    ]
    assert [(s.kind, s.title, s.starts) for s in event.sessions.all()] == [
        (Session.Kind.ARRIVAL, "Morgenbrød", datetime.time(8, 45)),
        (Session.Kind.WELCOME, "Velkomst", datetime.time(9, 15)),
        (Session.Kind.MEAL, "Frokost", datetime.time(12, 30)),
    ]


def test_block_and_session_without_a_day_are_put_on_the_events_first_day(client, organiser):
    second_day = DAY + datetime.timedelta(days=1)
    data = event_add_data(
        last_day=second_day.isoformat(),
        **management("blocks", total=1),
        **block_row(0, "Workshops, blok 1", None, "11:00", "12:30"),
        **management("sessions", total=1),
        **session_row(0, Session.Kind.WELCOME, "Velkomst", None, "09:15", "09:30"),
    )

    response = client.post(reverse("admin:events_event_add"), data)

    assert response.status_code == 302
    assert list(WorkshopBlock.objects.values_list("day", flat=True)) == [DAY]
    assert list(Session.objects.values_list("day", flat=True)) == [DAY]


def test_organiser_adds_workshops_to_a_block_on_the_block_page(client, organiser):
    event = make_event(status=Event.Status.DRAFT)
    block = make_block(event)
    data = form_data(client.get(change_url(block)))
    data.update(management("workshops", total=2))
    for n, (title, capacity, room) in enumerate(
        [("Den gode ungeindsats", "30", "Lokale 1"), ("Handler det om ære?", "25", "Lokale 2")]
    ):
        data.update(
            {
                f"workshops-{n}-title": title,
                f"workshops-{n}-position": str(n),
                f"workshops-{n}-description": "Workshoppen lægger op til drøftelse.",
                f"workshops-{n}-capacity": capacity,
                f"workshops-{n}-room": room,
                f"workshops-{n}-theme": "børn/familie",
                f"workshops-{n}-online_link": "",
            }
        )

    response = client.post(change_url(block), data)

    assert response.status_code == 302
    assert response["Location"] == change_url(event)
    assert [(w.title, w.capacity, w.room, w.position) for w in block.workshops.all()] == [
        ("Den gode ungeindsats", 30, "Lokale 1", 0),
        ("Handler det om ære?", 25, "Lokale 2", 1),
    ]


def test_organiser_adds_speakers_to_a_workshop_in_order(client, organiser):
    workshop = make_workshop(make_block(make_event()))
    anne = make_speaker(name="Anne Steffensen", role="socialrådgiver")
    ayhan = make_speaker(name="Ayhan Gormez", role="leder")
    data = form_data(client.get(change_url(workshop)))
    data.update(management("speaker_links", total=2))
    data.update(
        {
            "speaker_links-0-speaker": str(ayhan.pk),
            "speaker_links-0-role": WorkshopSpeaker.Role.FACILITATOR,
            "speaker_links-0-position": "1",
            "speaker_links-1-speaker": str(anne.pk),
            "speaker_links-1-role": WorkshopSpeaker.Role.SPEAKER,
            "speaker_links-1-position": "0",
        }
    )

    response = client.post(change_url(workshop), data)

    assert response.status_code == 302
    assert response["Location"] == change_url(workshop.block)
    assert [(link.speaker, link.role) for link in workshop.speaker_links.all()] == [
        (anne, WorkshopSpeaker.Role.SPEAKER),
        (ayhan, WorkshopSpeaker.Role.FACILITATOR),
    ]


def test_organiser_finds_a_speaker_by_name_in_the_autocomplete(client, organiser):
    morten = make_speaker(name="Morten Ejrnæs", role="sociolog", organisation="AAU")
    make_speaker(name="Helle Antczak")

    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "events",
            "model_name": "sessionspeaker",
            "field_name": "speaker",
            "term": "ejrnæs",
        },
    )

    assert response.status_code == 200
    assert response.json()["results"] == [{"id": str(morten.pk), "text": str(morten)}]


def test_organiser_adds_a_speaker_to_a_plenary_session(client, organiser):
    session = make_session(make_event(), kind=Session.Kind.KEYNOTE, title="Risikovurderinger")
    morten = make_speaker(name="Morten Ejrnæs")
    data = form_data(client.get(change_url(session)))
    data.update(management("speaker_links", total=1))
    data.update({"speaker_links-0-speaker": str(morten.pk), "speaker_links-0-role": "speaker"})
    data["speaker_links-0-position"] = "0"

    response = client.post(change_url(session), data)

    assert response.status_code == 302
    assert response["Location"] == change_url(session.event)
    assert list(SessionSpeaker.objects.values_list("session", "speaker")) == [
        (session.pk, morten.pk)
    ]


def test_organiser_edits_an_event_and_publishes_it(client, organiser):
    event = make_programme(status=Event.Status.DRAFT, title="Fagdag")
    make_session(event)
    data = form_data(client.get(change_url(event)))
    data.update({"title": "Faglig Fællesskabsdag", "status": Event.Status.PUBLISHED})

    response = client.post(change_url(event), data)

    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.title, event.status) == ("Faglig Fællesskabsdag", Event.Status.PUBLISHED)
    assert event.blocks.count() == 2
    assert event.sessions.count() == 1


def test_publishing_an_event_with_an_empty_block_warns_the_organiser(client, organiser):
    event = make_programme(blocks=1, status=Event.Status.DRAFT)
    make_block(
        event, title="Workshops, blok 2", starts=datetime.time(14, 45), ends=datetime.time(16, 15)
    )
    data = form_data(client.get(change_url(event)))
    data["status"] = Event.Status.PUBLISHED

    response = client.post(change_url(event), data, follow=True)

    with translation.override("da"):
        expected = gettext(
            "Members cannot register until every block has workshops. Without workshops: "
            "%(blocks)s."
        ) % {"blocks": "Workshops, blok 2"}
    assert [m.message for m in response.context["messages"] if m.level_tag == "warning"] == [
        expected
    ]


def test_venue_is_required_unless_the_event_is_online(client, organiser):
    response = client.post(reverse("admin:events_event_add"), event_add_data(venue=""))

    assert response.status_code == 200
    assert error_codes(response.context["adminform"].form) == {"venue": ["venue_missing"]}
    assert Event.objects.count() == 0


def test_change_page_links_to_a_preview_of_the_draft_on_the_site(client, organiser):
    event = make_event(status=Event.Status.DRAFT, title="Næste års fagdag")
    content_type = ContentType.objects.get_for_model(Event)
    view_on_site = reverse("admin:view_on_site", args=[content_type.pk, event.pk])

    change_page = client.get(change_url(event)).content.decode()
    preview = client.get(view_on_site, follow=True)

    assert f'href="{view_on_site}"' in change_page
    assert preview.redirect_chain == [(reverse("events:detail", kwargs={"slug": event.slug}), 302)]
    assert preview.status_code == 200
    assert "Næste års fagdag" in preview.content.decode()


def test_workshop_overview_linked_from_the_event_shows_how_full_each_workshop_is(client, organiser):
    event = make_programme(blocks=1, workshops_per_block=2, capacity=10)
    make_programme(blocks=1, workshops_per_block=3)
    make_registration(event, email="anne@example.org")
    change_page = client.get(change_url(event)).content.decode()
    overview = reverse("admin:events_workshop_changelist") + f"?block__event__id__exact={event.pk}"

    response = client.get(overview)

    assert f'href="{overview}"' in change_page
    assert [
        (w.title, w.capacity, w.seats_taken, w.seats_left)
        for w in response.context["cl"].result_list
    ] == [
        (w.title, 10, n, 10 - n)
        for w, n in zip(Workshop.objects.filter(block__event=event), [1, 0], strict=True)
    ]


# The event list ----------------------------------------------------------------


def test_event_changelist_takes_the_same_queries_for_one_event_as_for_three(
    client, organiser, django_assert_num_queries
):
    make_programme()
    url = reverse("admin:events_event_changelist")
    client.get(url)  # warm the session and content type caches

    with CaptureQueriesContext(connection) as one:
        client.get(url)
    make_programme()
    make_programme()

    with django_assert_num_queries(len(one.captured_queries)):
        client.get(url)


# Days: errors at the field, not an error page ------------------------------------


def test_session_day_outside_the_event_days_is_a_form_error_and_saves_nothing(client, organiser):
    data = event_add_data(
        **management("sessions", total=1),
        **session_row(
            0, Session.Kind.WELCOME, "Velkomst", DAY + datetime.timedelta(days=1), "09:15", "09:30"
        ),
    )

    response = client.post(reverse("admin:events_event_add"), data)

    assert response.status_code == 200
    sessions = inline_formset(response, "sessions")
    assert [error_codes(form) for form in sessions.forms] == [{"day": ["day_outside_event"]}]
    assert Event.objects.count() == 0
    assert Session.objects.count() == 0


def test_block_day_outside_the_event_days_on_the_change_page_is_a_form_error(client, organiser):
    event = make_event(first_day=DAY)
    block = make_block(event)
    data = form_data(client.get(change_url(event)))
    data["blocks-0-day"] = (DAY + datetime.timedelta(days=2)).isoformat()

    response = client.post(change_url(event), data)

    assert response.status_code == 200
    blocks = inline_formset(response, "blocks")
    assert error_codes(blocks.forms[0]) == {"day": ["day_outside_event"]}
    block.refresh_from_db()
    assert block.day == DAY


def test_a_block_may_move_to_a_day_the_same_save_adds_to_the_event(client, organiser):
    event = make_event(first_day=DAY)
    block = make_block(event)
    second_day = DAY + datetime.timedelta(days=1)
    data = form_data(client.get(change_url(event)))
    data.update({"last_day": second_day.isoformat(), "blocks-0-day": second_day.isoformat()})

    response = client.post(change_url(event), data)

    assert response.status_code == 302
    block.refresh_from_db()
    assert block.day == second_day


def test_narrowing_the_event_days_below_existing_items_is_a_form_error(client, organiser):
    second_day = DAY + datetime.timedelta(days=1)
    event = make_event(first_day=DAY, last_day=second_day)
    make_session(event, title="Velkomst", day=DAY)
    make_block(event, title="Workshops, blok 3", day=second_day)
    data = form_data(client.get(change_url(event)))
    data["last_day"] = DAY.isoformat()

    response = client.post(change_url(event), data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert error_codes(form) == {"last_day": ["programme_after_last_day"]}
    assert "Workshops, blok 3" in form.errors["last_day"][0]
    event.refresh_from_db()
    assert event.last_day == second_day


def test_moving_the_first_day_past_existing_items_is_a_form_error(client, organiser):
    event = make_event(first_day=DAY)
    make_session(event, title="Velkomst")
    later = DAY + datetime.timedelta(days=7)
    data = form_data(client.get(change_url(event)))
    data.update({"first_day": later.isoformat(), "last_day": later.isoformat()})

    response = client.post(change_url(event), data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert error_codes(form) == {"first_day": ["programme_before_first_day"]}
    event.refresh_from_db()
    assert (event.first_day, event.last_day) == (DAY, DAY)


# Workshops: moved and deleted from their pages --------------------------------------


def test_a_workshop_without_attendees_may_move_to_another_block_of_its_event(client, organiser):
    event = make_programme(blocks=2, workshops_per_block=1)
    first_block, second_block = event.blocks.all()
    workshop = first_block.workshops.get()
    data = form_data(client.get(change_url(workshop)))
    data["block"] = str(second_block.pk)

    response = client.post(change_url(workshop), data)

    assert response.status_code == 302
    assert response["Location"] == change_url(second_block)
    workshop.refresh_from_db()
    assert workshop.block == second_block


def test_workshop_page_offers_only_blocks_of_the_workshops_own_event(client, organiser):
    event = make_programme(blocks=2, workshops_per_block=1)
    make_programme(blocks=1)
    workshop = Workshop.objects.filter(block__event=event).first()

    response = client.get(change_url(workshop))

    block_field = response.context["adminform"].form.fields["block"]
    assert list(block_field.queryset) == list(event.blocks.all())


def test_deleting_a_workshop_on_its_page_returns_to_its_block(client, organiser):
    block = make_block(make_event())
    workshop = make_workshop(block)

    response = client.post(
        reverse("admin:events_workshop_delete", args=[workshop.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert response["Location"] == change_url(block)
    assert Workshop.objects.count() == 0


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
