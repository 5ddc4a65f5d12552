"""events.services.duplicate_event: next year's event from this year's."""

import datetime

import pytest
from django.utils import timezone

from events.models import Event, Session, SessionSpeaker, Workshop, WorkshopSpeaker
from events.services import duplicate_event
from tests.factories import (
    make_event,
    make_programme,
    make_registration,
    make_session,
    make_speaker,
)

pytestmark = pytest.mark.django_db


def test_duplicate_event_copies_the_whole_programme_as_a_draft_without_registrations():
    event = make_programme(
        blocks=2,
        workshops_per_block=3,
        capacity=25,
        title="Fagdag",
        slug="fagdag",
        price=450,
        attendee_limit=120,
    )
    keynote = make_session(event, kind=Session.Kind.KEYNOTE, title="Risikovurderinger")
    SessionSpeaker.objects.create(session=keynote, speaker=make_speaker(name="Morten Ejrnæs"))
    make_registration(event)

    copy = duplicate_event(event=event)

    assert (copy.title, copy.slug, copy.status) == ("Kopi af Fagdag", "kopi-af-fagdag", "draft")
    assert (copy.price, copy.attendee_limit, copy.first_day) == (450, 120, event.first_day)
    assert copy.registrations.count() == 0

    def programme(of):
        return {
            "blocks": [(b.title, b.day, b.starts, b.ends) for b in of.blocks.all()],
            "workshops": [
                (w.block.title, w.title, w.capacity, w.room, w.position)
                for w in Workshop.objects.filter(block__event=of).select_related("block")
            ],
            "speakers": [
                (link.workshop.title, link.speaker_id, link.role, link.position)
                for link in WorkshopSpeaker.objects.filter(workshop__block__event=of)
            ],
            "sessions": [(s.kind, s.title, s.day, s.starts) for s in of.sessions.all()],
            "session speakers": [
                (link.session.title, link.speaker_id)
                for link in SessionSpeaker.objects.filter(session__event=of)
            ],
        }

    assert programme(copy) == programme(event)
    assert Workshop.objects.filter(block__event=copy).count() == 6
    assert set(Workshop.objects.filter(block__event=copy)).isdisjoint(
        Workshop.objects.filter(block__event=event)
    )


def test_duplicate_event_moves_days_and_registration_times_to_the_new_first_day():
    first_day = timezone.localdate() + datetime.timedelta(days=30)
    event = make_programme(
        blocks=2,
        first_day=first_day,
        last_day=first_day + datetime.timedelta(days=1),
        registration_opens=timezone.make_aware(datetime.datetime(2026, 3, 2, 9, 0)),
        registration_closes=timezone.make_aware(datetime.datetime(2026, 4, 1, 12, 0)),
    )
    make_session(event, day=first_day + datetime.timedelta(days=1))
    later = first_day + datetime.timedelta(weeks=30)  # across a change of summer time

    copy = duplicate_event(event=event, first_day=later)

    shift = later - first_day
    assert (copy.first_day, copy.last_day) == (later, later + datetime.timedelta(days=1))
    assert [b.day for b in copy.blocks.all()] == [b.day + shift for b in event.blocks.all()]
    assert [s.day for s in copy.sessions.all()] == [later + datetime.timedelta(days=1)]
    opens = timezone.localtime(copy.registration_opens)
    closes = timezone.localtime(copy.registration_closes)
    assert (opens.date(), opens.time()) == (datetime.date(2026, 3, 2) + shift, datetime.time(9))
    assert (closes.date(), closes.time()) == (datetime.date(2026, 4, 1) + shift, datetime.time(12))


def test_duplicate_event_finds_a_free_web_address():
    event = make_event(title="Fagdag", slug="fagdag")
    make_event(slug="kopi-af-fagdag")

    copy = duplicate_event(event=event)
    again = duplicate_event(event=event)

    assert (copy.slug, again.slug) == ("kopi-af-fagdag-2", "kopi-af-fagdag-3")
    assert Event.objects.count() == 4
