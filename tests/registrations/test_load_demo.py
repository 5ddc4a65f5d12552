import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from events.models import Event, Session, Speaker, SpeakerLink, Workshop, WorkshopBlock
from registrations.management.commands._demo_data import demo_events
from registrations.management.commands.load_demo import load_event
from registrations.services import AttendeeDetails, register

pytestmark = pytest.mark.django_db

FF = "faglig-faellesskabsdag"
SD17 = "socialraadgiverdage-2017"
KKR = "kkr-konference-2021"


def load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def plenary(slug: str) -> list[tuple[str, str, str]]:
    return [
        (f"{s.starts:%H.%M}", f"{s.ends:%H.%M}", s.title)
        for s in Session.objects.filter(event__slug=slug).order_by("day", "starts")
    ]


def speakers_of(workshop: Workshop) -> list[tuple[str, str, str, str]]:
    return [
        (link.speaker.name, link.speaker.role, link.speaker.organisation, link.role)
        for link in workshop.speaker_links.select_related("speaker").order_by("position")
    ]


def row_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Event, Session, WorkshopBlock, Workshop, Speaker)
    }


def test_load_demo_creates_three_published_events_with_open_registration():
    output = load_demo()

    events = Event.objects.order_by("slug")
    assert [event.slug for event in events] == [FF, KKR, SD17]
    assert {event.status for event in events} == {Event.Status.PUBLISHED}
    assert [event.registration_is_open for event in events] == [True, True, True]
    assert output.splitlines()[0].startswith("Faglig Fællesskabsdag (")
    assert output.splitlines()[0].endswith(": 2 blocks, 8 workshops, 320 seats – created")


def test_registration_closes_a_week_before_each_event():
    load_demo()

    for event in Event.objects.all():
        closes = timezone.localtime(event.registration_closes)
        assert closes.date() == event.first_day - datetime.timedelta(weeks=1)
        assert event.first_day > timezone.localdate()


def test_faglig_faellesskabsdag_has_two_blocks_of_four_workshops_of_40_seats():
    load_demo()

    blocks = WorkshopBlock.objects.filter(event__slug=FF).order_by("starts")
    assert [(f"{b.starts:%H.%M}", f"{b.ends:%H.%M}", b.title) for b in blocks] == [
        ("11.00", "12.30", "Workshops, blok 1"),
        ("14.45", "16.15", "Workshops, blok 2"),
    ]
    assert [b.workshops.count() for b in blocks] == [4, 4]
    workshops = Workshop.objects.filter(block__event__slug=FF)
    assert {w.capacity for w in workshops} == {40}
    assert [w.room for w in workshops] == ["Lokale 1", "Lokale 2", "Lokale 3", "Lokale 4"] * 2


def test_faglig_faellesskabsdag_workshops_have_their_seed_speakers():
    load_demo()

    ungeindsats = Workshop.objects.get(
        block__event__slug=FF, title="Den gode, helhedsorienterede ungeindsats"
    )
    aere = Workshop.objects.get(block__event__slug=FF, title="Handler det om ære?")
    assert speakers_of(ungeindsats) == [
        ("Anne Steffensen", "socialrådgiver", "Ungeindsatsen, Glostrup Kommune", "speaker"),
        ("Ayhan Gormez", "leder", "Ungeindsatsen, Glostrup Kommune", "speaker"),
    ]
    assert speakers_of(aere) == [("Anna Barfod Rye", "rådgiver", "RED Center", "speaker")]
    assert aere.description.startswith("Alle socialrådgivere, der møder etniske minoriteter")


def test_faglig_faellesskabsdag_plenary_items_keep_the_seed_times():
    load_demo()

    times = [(starts, ends) for starts, ends, _title in plenary(FF)]
    titles = [title for _starts, _ends, title in plenary(FF)]
    assert times == [
        ("08.45", "09.15"),
        ("09.15", "09.30"),
        ("09.30", "10.45"),
        ("10.45", "11.00"),
        ("12.30", "13.15"),
        ("13.15", "14.30"),
        ("14.30", "14.45"),
        ("16.15", "16.30"),
    ]
    assert titles[:2] == ["Morgenbrød", "Velkomst"]
    assert titles[3:5] == ["Pause", "Frokost"]
    assert titles[5:] == [
        "Etiske udfordringer når det sociale arbejde digitaliseres",
        "Kage",
        "Fælles opsamling og tak for i dag",
    ]


def test_faglig_faellesskabsdag_keynotes_have_their_speakers_and_abstract():
    load_demo()

    keynotes = Session.objects.filter(event__slug=FF, kind=Session.Kind.KEYNOTE).order_by("starts")
    assert [
        [link.speaker.name for link in keynote.speaker_links.order_by("position")]
        for keynote in keynotes
    ] == [["Morten Ejrnæs"], ["Helle Antczak", "Klavs Birkholm"]]
    assert keynotes[0].description.startswith("Socialrådgivere har ofte nøglepositioner")


def test_faglig_faellesskabsdag_is_a_paid_one_day_member_event():
    load_demo()

    event = Event.objects.get(slug=FF)
    assert event.price == Decimal("350.00")
    assert event.requires_membership_number is True
    assert event.first_day == event.last_day
    assert event.organiser == "Dansk Socialrådgiverforening, Region Øst"
    assert event.contact_email == "region.oest@example.org"
    assert event.is_online is False


def test_socialraadgiverdage_runs_wednesday_and_thursday_with_six_blocks():
    load_demo()

    event = Event.objects.get(slug=SD17)
    blocks = event.blocks.order_by("day", "starts")
    assert [day.weekday() for day in event.days] == [2, 3]
    assert [block.day for block in blocks] == [event.first_day] * 3 + [event.last_day] * 3
    assert [block.workshops.count() for block in blocks] == [16] * 6
    assert event.price == Decimal("2995.00")


def test_socialraadgiverdage_has_at_least_90_workshops_in_the_five_themes():
    load_demo()

    workshops = Workshop.objects.filter(block__event__slug=SD17)
    assert workshops.count() >= 90
    assert set(workshops.values_list("theme", flat=True)) == {
        "børn/familie",
        "beskæftigelse",
        "udsatte",
        "forskning",
        "profession",
    }
    assert {30 <= capacity <= 80 for capacity in workshops.values_list("capacity", flat=True)} == {
        True
    }


def test_socialraadgiverdage_marks_generated_workshops_as_examples():
    load_demo()

    workshops = Workshop.objects.filter(block__event__slug=SD17)
    real = workshops.exclude(title__startswith="Eksempel: ")
    examples = workshops.filter(title__startswith="Eksempel: ")
    assert [w.title for w in real] == [
        "Kan beskæftigelsesfaglig stolthed udvikles på et stramstyret og gennemreguleret lovområde?"
    ]
    assert examples.count() == workshops.count() - 1
    assert examples.exclude(description__startswith="Genereret eksempel").count() == 0


def test_socialraadgiverdage_keynotes_name_the_seed_speakers():
    load_demo()

    keynotes = Session.objects.filter(event__slug=SD17, kind=Session.Kind.KEYNOTE)
    assert [list(k.speakers.values_list("name", "role")) for k in keynotes] == [
        [("Lotte Bøgh Andersen", "professor")],
        [("Stine Bosse", "bestyrelsesformand")],
    ]


def test_kkr_konference_is_free_online_on_a_tuesday():
    load_demo()

    event = Event.objects.get(slug=KKR)
    assert event.is_free is True
    assert event.is_online is True
    assert event.venue == ""
    assert event.organiser == "KKR Midtjylland"
    assert event.first_day.weekday() == 1


def test_kkr_konference_has_one_block_of_four_workshops_each_with_one_facilitator():
    load_demo()

    block = WorkshopBlock.objects.get(event__slug=KKR)
    workshops = list(block.workshops.all())
    assert (f"{block.starts:%H.%M}", f"{block.ends:%H.%M}") == ("16.55", "17.30")
    assert block.title == "Workshops i virtuelle break out rooms"
    assert len(workshops) == 4
    assert [
        w.speaker_links.filter(role=SpeakerLink.Role.FACILITATOR).count() for w in workshops
    ] == [1, 1, 1, 1]
    assert [w.online_link for w in workshops] == [
        f"https://meet.example.org/kkr-2021-workshop-{n}" for n in (1, 2, 3, 4)
    ]
    assert speakers_of(workshops[1]) == [
        ("Anette Holm", "socialchef", "Holstebro Kommune", "speaker"),
        ("Søren Landkildehus", "arbejdsmarkedschef", "Holstebro Kommune", "speaker"),
        ("Carsten Wulff", "vicedirektør, socialområdet", "Region Midtjylland", "facilitator"),
    ]


def test_kkr_konference_plenary_runs_from_16_to_18_without_gaps_around_the_block():
    load_demo()

    assert [(starts, ends) for starts, ends, _title in plenary(KKR)] == [
        ("16.00", "16.10"),
        ("16.10", "16.25"),
        ("16.25", "16.55"),
        ("17.30", "17.45"),
        ("17.45", "17.55"),
        ("17.55", "18.00"),
    ]


def test_running_twice_changes_nothing():
    first_output = load_demo()
    counts = row_counts()
    workshop_ids = list(Workshop.objects.values_list("pk", flat=True))

    second_output = load_demo()

    assert row_counts() == counts
    assert list(Workshop.objects.values_list("pk", flat=True)) == workshop_ids
    assert first_output.count("– created") == 3
    assert second_output.count("– unchanged") == 3


def test_a_later_day_moves_the_events_and_rebuilds_the_same_programme():
    load_demo()
    counts = row_counts()
    later = timezone.localdate() + datetime.timedelta(weeks=10)

    outcomes = [load_event(facts, today=later)[1] for facts in demo_events(later)]

    assert outcomes == ["rebuilt", "rebuilt", "rebuilt"]
    assert row_counts() == counts
    assert Event.objects.get(slug=SD17).first_day > later


def test_event_with_registrations_keeps_its_programme():
    load_demo()
    event = Event.objects.get(slug=KKR)
    block = event.blocks.get()
    register(
        event=event,
        attendee=AttendeeDetails(
            name="Anna Andersen",
            email="anna@example.org",
            workplace="Randers Kommune",
            job_title="socialrådgiver",
            sector="public",
        ),
        choices={block.pk: block.workshops.first().pk},
    )
    Workshop.objects.filter(block=block).update(title="Ændret af arrangøren")
    later = timezone.localdate() + datetime.timedelta(weeks=10)

    outcomes = [load_event(facts, today=later)[1] for facts in demo_events(later)]
    output = load_demo()

    assert outcomes == ["rebuilt", "rebuilt", "kept"]
    assert set(block.workshops.values_list("title", flat=True)) == {"Ændret af arrangøren"}
    assert Event.objects.get(slug=KKR).first_day == event.first_day
    assert "KKR konference 2021" in output.splitlines()[2]
    assert output.splitlines()[2].endswith("left alone)")
