"""The database counts every change to what the registration form shows of a programme."""

import datetime
import itertools

import pytest

from events.models import Event, ProgrammeVersion, Speaker, Workshop, WorkshopBlock, WorkshopSpeaker
from registrations import services
from tests.factories import (
    make_block,
    make_programme,
    make_registration,
    make_session,
    make_speaker,
    make_workshop,
)

pytestmark = pytest.mark.django_db


def version(event: Event) -> int | None:
    return (
        ProgrammeVersion.objects.filter(event_id=event.pk).values_list("number", flat=True).first()
    )


def read_with_version(event: Event) -> int | None:
    return Event.objects.with_programme_version().get(pk=event.pk).programme_version


def test_every_change_to_blocks_workshops_and_their_speakers_counts_up_the_version():
    event = make_programme(blocks=2, workshops_per_block=2)
    block = event.blocks.order_by("pk").first()
    workshop = block.workshops.order_by("pk").first()
    link = WorkshopSpeaker.objects.filter(workshop=workshop).first()
    seen = [version(event)]

    def changed():
        now = version(event)
        assert now is not None and now > seen[-1], "the version did not count up"
        assert read_with_version(event) == now
        seen.append(now)

    WorkshopBlock.objects.filter(pk=block.pk).update(title="Ny blok")
    changed()
    new_block = make_block(event, starts=datetime.time(14, 0), ends=datetime.time(15, 0))
    changed()
    new_workshop = make_workshop(new_block)
    changed()
    Workshop.objects.filter(pk=new_workshop.pk).update(block=block)
    changed()
    new_workshop.delete()
    changed()
    new_block.delete()
    changed()
    WorkshopSpeaker.objects.create(workshop=workshop, speaker=make_speaker(), position=5)
    changed()
    WorkshopSpeaker.objects.filter(pk=link.pk).update(role=WorkshopSpeaker.Role.FACILITATOR)
    changed()
    Speaker.objects.filter(pk=link.speaker_id).update(organisation="Aalborg Universitet")
    changed()
    WorkshopSpeaker.objects.filter(pk=link.pk).delete()
    changed()


def test_any_column_of_a_workshop_but_its_seats_taken_counts_up_the_version():
    event = make_programme(blocks=2, workshops_per_block=1)
    first, second = event.blocks.order_by("pk")
    workshop = first.workshops.get()
    values = {
        "block": second,
        "title": "Ny titel",
        "description": "Ny beskrivelse.",
        "capacity": 99,
        "room": "Sal 9",
        "online_link": "https://møde.example.org/ny",
        "theme": "forskning",
        "position": 7,
    }
    shown = {
        field.name
        for field in Workshop._meta.concrete_fields
        if not field.primary_key and field.name != "seats_taken"
    }
    assert set(values) == shown, "a new column of the workshop: add it here"

    for name, value in values.items():
        before = version(event)
        Workshop.objects.filter(pk=workshop.pk).update(**{name: value})
        assert version(event) > before, name


def test_a_speaker_counts_up_the_version_of_every_event_they_speak_at():
    speaker = make_speaker()
    events = [make_programme(blocks=1, workshops_per_block=1) for _ in range(2)]
    for event in events:
        make_workshop(event.blocks.get(), speakers=[speaker])
    elsewhere = make_programme(blocks=1, workshops_per_block=1)
    before = [version(event) for event in [*events, elsewhere]]

    speaker.name = "Nyt Navn"
    speaker.save()

    assert [version(event) for event in events] == [before[0] + 1, before[1] + 1]
    assert version(elsewhere) == before[2]


def test_a_workshop_moved_to_another_event_counts_up_both():
    first = make_programme(blocks=1, workshops_per_block=1)
    second = make_programme(blocks=1, workshops_per_block=1)
    workshop = first.blocks.get().workshops.get()
    before = version(first), version(second)

    Workshop.objects.filter(pk=workshop.pk).update(block=second.blocks.get())

    assert (version(first), version(second)) == (before[0] + 1, before[1] + 1)


def test_seats_and_the_event_itself_leave_the_version_alone():
    event = make_programme(blocks=2, workshops_per_block=2)
    before = version(event)

    registration = make_registration(event)
    services.cancel(registration=registration)
    Event.objects.filter(pk=event.pk).update(title="Nyt navn")  # the event's own row keys it

    assert version(event) == before


def test_plenary_items_and_their_speakers_count_up_the_version():
    # The programme page, kept per version (events/programme_page.py), shows them.
    event = make_programme(blocks=1, workshops_per_block=1)
    counts = [version(event)]

    session = make_session(event)
    counts.append(version(event))
    session.title = "Nyt oplæg"
    session.save()
    counts.append(version(event))
    speaker = make_speaker(name="Ida Holm")
    session.speaker_links.create(speaker=speaker)
    counts.append(version(event))
    speaker.name = "Ida Holm-Berg"
    speaker.save()
    counts.append(version(event))
    session.delete()
    counts.append(version(event))

    assert all(later > earlier for earlier, later in itertools.pairwise(counts))


def test_an_event_can_be_deleted_with_its_programme():
    event = make_programme(blocks=2, workshops_per_block=2)
    pk = event.pk

    event.delete()

    assert not Event.objects.filter(pk=pk).exists()
