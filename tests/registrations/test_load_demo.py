import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from events.models import (
    Event,
    Membership,
    Organisation,
    Session,
    Speaker,
    SpeakerLink,
    Workshop,
    WorkshopBlock,
)
from registrations.management.commands._demo_data import demo_events
from registrations.management.commands.load_demo import load_event
from registrations.models import Answer, Question, StandardQuestion
from registrations.selectors import event_questions
from registrations.services import AttendeeDetails, register

pytestmark = pytest.mark.django_db

FF = "faglig-faellesskabsdag"
SD17 = "socialraadgiverdage-2017"
KKR = "kkr-konference-2021"
REGION_OEST = "Dansk Socialrådgiverforening, Region Øst"
DS = "Dansk Socialrådgiverforening"
KKR_MIDTJYLLAND = "KKR Midtjylland"


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
        for model in (
            Organisation,
            Event,
            Session,
            WorkshopBlock,
            Workshop,
            Speaker,
            StandardQuestion,
            Question,
        )
    }


def asked(slug: str) -> dict[str, str]:
    """How the event asks each standard question, its own choice or the default."""
    return event_questions(Event.objects.get(slug=slug)).ask


def speaker_owners(slug: str) -> set[str]:
    """The organisations owning the speakers on the event's programme."""
    of_sessions = Speaker.objects.filter(sessions__event__slug=slug)
    of_workshops = Speaker.objects.filter(workshops__block__event__slug=slug)
    return {speaker.owner.name for speaker in [*of_sessions, *of_workshops]}


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
    assert asked(FF)[StandardQuestion.Field.MEMBERSHIP_NUMBER] == StandardQuestion.Ask.REQUIRED
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


def test_load_demo_makes_the_three_organisers_with_their_details():
    load_demo()

    assert list(
        Organisation.objects.order_by("name").values_list(
            "name",
            "short_name",
            "contact_email",
            "privacy_email",
            "sender_name",
            "reply_to",
            "membership_number_label",
        )
    ) == [
        (
            DS,
            "DS",
            "ds@example.org",
            "persondata.ds@example.org",
            "Dansk Socialrådgiverforening",
            "",
            "Medlemsnummer i DS",
        ),
        (
            REGION_OEST,
            "DS Region Øst",
            "region.oest@example.org",
            "",
            "DS Region Øst",
            "",
            "Medlemsnummer i DS",
        ),
        (
            KKR_MIDTJYLLAND,
            "KKR Midtjylland",
            "kkr.midtjylland@example.org",
            "",
            "KKR Midtjylland",
            "",
            "",
        ),
    ]
    for organisation in Organisation.objects.all():
        assert organisation.privacy_controller.startswith(f"{organisation.name}, ")
        assert organisation.privacy_controller.endswith(" (demo)")


def test_each_event_and_its_speakers_belong_to_its_organiser():
    load_demo()

    assert dict(Event.objects.values_list("slug", "organisation__name")) == {
        FF: REGION_OEST,
        SD17: DS,
        KKR: KKR_MIDTJYLLAND,
    }
    assert {slug: Event.objects.get(slug=slug).organiser for slug in (FF, SD17, KKR)} == {
        FF: REGION_OEST,
        SD17: DS,
        KKR: KKR_MIDTJYLLAND,
    }
    assert speaker_owners(FF) == {REGION_OEST}
    assert speaker_owners(SD17) == {DS}
    assert speaker_owners(KKR) == {KKR_MIDTJYLLAND}
    assert Speaker.objects.filter(sessions=None, workshops=None).count() == 0


def test_ds_days_ask_the_membership_number_and_say_what_the_day_offers_to_eat():
    load_demo()

    Field, Ask = StandardQuestion.Field, StandardQuestion.Ask
    for slug in (FF, SD17):
        questions = event_questions(Event.objects.get(slug=slug))
        assert questions.membership_number_label == "Medlemsnummer i DS"
        assert questions.ask[Field.MEMBERSHIP_NUMBER] == Ask.REQUIRED
        assert questions.ask[Field.DIETARY_NEEDS] == Ask.OPTIONAL
        assert questions.ask[Field.SECTOR] == Ask.REQUIRED
        assert questions.custom == []
    assert Event.objects.get(slug=FF).catering == "Dagen byder på morgenbrød, frokost og kage."
    assert Event.objects.get(slug=SD17).catering.startswith("Begge dage byder på morgenkaffe")


def test_kkr_konference_asks_no_membership_number_dietary_needs_or_invoice():
    load_demo()

    Field, Ask = StandardQuestion.Field, StandardQuestion.Ask
    assert Event.objects.get(slug=KKR).catering == ""
    assert asked(KKR) == {
        Field.MEMBERSHIP_NUMBER: Ask.NO,
        Field.WORKPLACE: Ask.REQUIRED,
        Field.JOB_TITLE: Ask.REQUIRED,
        Field.SECTOR: Ask.REQUIRED,
        Field.PHONE: Ask.OPTIONAL,
        Field.DIETARY_NEEDS: Ask.NO,
        Field.INVOICE: Ask.NO,
    }


def test_kkr_konference_asks_which_of_the_19_municipalities_you_work_in():
    load_demo()

    municipality, evaluation = event_questions(Event.objects.get(slug=KKR)).custom
    assert (municipality.label, municipality.kind, municipality.required) == (
        "Hvilken kommune arbejder du i?",
        Question.Kind.CHOICE,
        False,
    )
    assert len(municipality.choice_list) == 19
    assert municipality.choice_list[:2] == ["Favrskov Kommune", "Hedensted Kommune"]
    assert municipality.choice_list[-1] == "Aarhus Kommune"
    assert {"Randers Kommune", "Silkeborg Kommune", "Samsø Kommune"} < set(municipality.choice_list)
    assert (evaluation.label, evaluation.kind, evaluation.required) == (
        "Må vi kontakte dig om evalueringen af konferencen?",
        Question.Kind.YES_NO,
        False,
    )


def test_running_twice_changes_nothing():
    first_output = load_demo()
    counts = row_counts()
    workshop_ids = list(Workshop.objects.values_list("pk", flat=True))
    question_ids = list(Question.objects.values_list("pk", flat=True))
    standard_question_ids = list(StandardQuestion.objects.values_list("pk", flat=True))
    organisations = list(Organisation.objects.values())

    second_output = load_demo()

    assert row_counts() == counts
    assert list(Workshop.objects.values_list("pk", flat=True)) == workshop_ids
    assert list(Question.objects.values_list("pk", flat=True)) == question_ids
    assert list(StandardQuestion.objects.values_list("pk", flat=True)) == standard_question_ids
    assert list(Organisation.objects.values()) == organisations
    assert first_output.count("– created") == 3
    assert second_output.count("– unchanged") == 3


def test_changed_questions_are_put_back_without_rebuilding_the_programme():
    load_demo()
    workshop_ids = list(Workshop.objects.values_list("pk", flat=True))
    Question.objects.filter(event__slug=KKR, kind=Question.Kind.YES_NO).delete()
    StandardQuestion.objects.filter(event__slug=FF).delete()

    output = load_demo()

    assert [line.rsplit(" – ", 1)[1] for line in output.splitlines()] == [
        "rebuilt",
        "unchanged",
        "rebuilt",
    ]
    assert Question.objects.filter(event__slug=KKR).count() == 2
    assert asked(FF)[StandardQuestion.Field.MEMBERSHIP_NUMBER] == StandardQuestion.Ask.REQUIRED
    assert list(Workshop.objects.values_list("pk", flat=True)) == workshop_ids


def test_an_organisation_changed_by_hand_gets_the_demo_details_back():
    load_demo()
    Organisation.objects.filter(name=KKR_MIDTJYLLAND).update(
        contact_email="andet@example.org", membership_number_label="Medarbejdernummer"
    )

    load_demo()

    kkr = Organisation.objects.get(name=KKR_MIDTJYLLAND)
    assert (kkr.contact_email, kkr.membership_number_label) == ("kkr.midtjylland@example.org", "")


def test_an_event_of_another_organisation_moves_to_its_own_with_its_speakers():
    """As after the migration that gave every event made before organisations one of
    them (events 0006)."""
    load_demo()
    everyone = Organisation.objects.create(
        name="fagdag", contact_email="kontakt@example.org", privacy_controller="fagdag"
    )
    Event.objects.filter(slug=KKR).update(organisation=everyone)
    Speaker.objects.filter(owner__name=KKR_MIDTJYLLAND).update(owner=everyone)

    output = load_demo()

    assert output.splitlines()[2].endswith(" – rebuilt")
    assert Event.objects.get(slug=KKR).organisation.name == KKR_MIDTJYLLAND
    assert speaker_owners(KKR) == {KKR_MIDTJYLLAND}


def test_a_later_day_moves_the_events_and_rebuilds_the_same_programme():
    load_demo()
    counts = row_counts()
    later = timezone.localdate() + datetime.timedelta(weeks=10)

    outcomes = [load_event(facts, today=later)[1] for facts in demo_events(later)]

    assert outcomes == ["rebuilt", "rebuilt", "rebuilt"]
    assert row_counts() == counts
    assert Event.objects.get(slug=SD17).first_day > later


def test_event_with_registrations_keeps_its_programme_and_questions():
    load_demo()
    event = Event.objects.get(slug=KKR)
    block = event.blocks.get()
    municipality = event.questions.get(kind=Question.Kind.CHOICE)
    register(
        event=event,
        attendee=AttendeeDetails(
            name="Anna Andersen",
            email="anna@example.org",
            workplace="Socialafdelingen",
            job_title="socialrådgiver",
            sector="public",
        ),
        choices={block.pk: block.workshops.first().pk},
        answers={municipality.pk: "Randers Kommune"},
    )
    Workshop.objects.filter(block=block).update(title="Ændret af arrangøren")
    Question.objects.filter(pk=municipality.pk).update(label="Hvor arbejder du?")
    StandardQuestion.objects.filter(event=event, field=StandardQuestion.Field.PHONE).delete()
    StandardQuestion.objects.create(
        event=event, field=StandardQuestion.Field.PHONE, ask=StandardQuestion.Ask.REQUIRED
    )
    later = timezone.localdate() + datetime.timedelta(weeks=10)

    outcomes = [load_event(facts, today=later)[1] for facts in demo_events(later)]
    output = load_demo()

    assert outcomes == ["rebuilt", "rebuilt", "kept"]
    assert set(block.workshops.values_list("title", flat=True)) == {"Ændret af arrangøren"}
    assert Event.objects.get(slug=KKR).first_day == event.first_day
    assert list(event.questions.values_list("label", flat=True)) == [
        "Hvor arbejder du?",
        "Må vi kontakte dig om evalueringen af konferencen?",
    ]
    assert asked(KKR)[StandardQuestion.Field.PHONE] == StandardQuestion.Ask.REQUIRED
    assert list(Answer.objects.values_list("question", "value")) == [
        (municipality.pk, "Randers Kommune")
    ]
    assert "KKR konference 2021" in output.splitlines()[2]
    assert output.splitlines()[2].endswith("left alone)")


# --- demo_admin: the logins make run prints ------------------------------------------


def demo_admin() -> list[str]:
    out = io.StringIO()
    call_command("demo_admin", stdout=out)
    return out.getvalue().splitlines()


def login_of(line: str) -> tuple[str, str]:
    """(user, password) of a printed login line."""
    _start, user, password = line.rsplit("  ", 2)
    return user.removeprefix("user: "), password.removeprefix("password: ")


def test_demo_admin_refuses_outside_development(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="development only"):
        call_command("demo_admin", stdout=io.StringIO())

    assert User.objects.count() == 0


def test_demo_admin_prints_the_admin_and_one_organiser_login_per_organisation(settings):
    settings.DEBUG = True
    settings.SITE_URL = "http://127.0.0.1:8127"
    load_demo()

    lines = demo_admin()

    admin_url = "http://127.0.0.1:8127/admin/"
    assert [line.split("  password: ")[0] for line in lines] == [
        f"Admin: {admin_url}  user: admin",
        f"Arrangør for {REGION_OEST}: {admin_url}  user: arrangoer-region-oest",
        f"Arrangør for {DS}: {admin_url}  user: arrangoer-ds",
        f"Arrangør for {KKR_MIDTJYLLAND}: {admin_url}  user: arrangoer-kkr",
    ]
    for line in lines[1:]:
        username, password = login_of(line)
        user = User.objects.get(username=username)
        assert user.check_password(password) is True
        assert (user.is_active, user.is_staff, user.is_superuser) == (True, True, False)
    assert list(
        Membership.objects.order_by("user__username").values_list(
            "user__username", "organisation__name", "role"
        )
    ) == [
        ("arrangoer-ds", DS, Membership.Role.ORGANISER),
        ("arrangoer-kkr", KKR_MIDTJYLLAND, Membership.Role.ORGANISER),
        ("arrangoer-region-oest", REGION_OEST, Membership.Role.ORGANISER),
    ]


def test_demo_admin_gives_new_passwords_and_the_organiser_role_back(settings):
    settings.DEBUG = True
    load_demo()
    first = [login_of(line) for line in demo_admin()]
    Membership.objects.filter(user__username="arrangoer-kkr").update(
        role=Membership.Role.PROGRAMME_EDITOR
    )
    User.objects.filter(username="arrangoer-kkr").update(is_staff=False, is_superuser=True)

    second = [login_of(line) for line in demo_admin()]

    assert [user for user, _password in second] == [user for user, _password in first]
    assert {password for _user, password in first} & {p for _user, p in second} == set()
    kkr = User.objects.get(username="arrangoer-kkr")
    assert (kkr.is_staff, kkr.is_superuser) == (True, False)
    assert list(kkr.memberships.values_list("role", flat=True)) == [Membership.Role.ORGANISER]
    assert User.objects.count() == 4


def test_demo_organiser_sees_only_its_organisations_event_in_the_admin(settings, client):
    settings.DEBUG = True
    call_command("setup_roles", stdout=io.StringIO())
    load_demo()
    demo_admin()
    client.force_login(User.objects.get(username="arrangoer-kkr"))

    response = client.get(reverse("admin:events_event_changelist"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "KKR konference 2021" in page
    assert "Faglig Fællesskabsdag" not in page
    assert "Socialrådgiverdage 2017" not in page
