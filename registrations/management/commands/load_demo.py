"""Load the three demo events of the seed documents: idempotent, and quick enough for every start.

Each event's organisation (keyed on its name) is created the first time and
brought in line with the facts when they differ; an organisation that matches
is not written. Then, for each event (keyed on its slug):

- an event that already has registrations is left exactly as it is, its
  questions too: its programme holds their seats, moving its days would
  strand them, and their answers belong to its questions;
- an event whose fields, programme and questions already match the facts is
  not written at all, so a second run the same day changes nothing (not even
  primary keys);
- otherwise, when its fields or programme differ, its programme is deleted,
  the event updated or created (in its organisation), and the programme
  created again with a handful of bulk inserts, its speakers among its
  organisation's; when its questions differ (the standard questions it
  chooses, and its own), they are deleted and created again.

The days move with today's date (see ``_demo_data.weekday_from``), so an event
without registrations is rebuilt roughly once a week.
"""

import datetime
from collections.abc import Iterable

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count, Prefetch, Sum
from django.utils import timezone
from django_scopes import scopes_disabled

from events.models import (
    VENUE_TZ,
    Event,
    Organisation,
    Session,
    SessionSpeaker,
    Speaker,
    SpeakerLink,
    Workshop,
    WorkshopBlock,
    WorkshopSpeaker,
)
from registrations.models import Question, StandardQuestion

from ._demo_data import (
    EventFacts,
    OrganisationFacts,
    Person,
    WorkshopFacts,
    demo_events,
    hhmm,
)

CREATED, REBUILT, UNCHANGED, KEPT = "created", "rebuilt", "unchanged", "kept"


class Command(BaseCommand):
    help = (
        "Create or update the demo events from the seed documents (Faglig Fællesskabsdag, "
        "Socialrådgiverdage 2017, KKR konference 2021). Safe to run again: an event with "
        "registrations is left alone."
    )

    @scopes_disabled()  # a command, not a person: every organisation
    def handle(self, *args, **options):
        today = timezone.localdate()
        for facts in demo_events(today):
            event, outcome = load_event(facts, today=today)
            self.stdout.write(_summary_line(event, outcome))


ORGANISATION_DETAILS = (
    "short_name",
    "contact_email",
    "privacy_controller",
    "privacy_email",
    "sender_name",
    "reply_to",
    "membership_number_label",
)


def load_organisation(facts: OrganisationFacts) -> Organisation:
    """The organisation named in ``facts``, made the first time; its details set to the
    facts' when they differ (and only then written)."""
    details = {name: getattr(facts, name) for name in ORGANISATION_DETAILS}
    organisation, _created = Organisation.objects.get_or_create(name=facts.name, defaults=details)
    changed = [name for name, value in details.items() if getattr(organisation, name) != value]
    if changed:
        for name in changed:
            setattr(organisation, name, details[name])
        organisation.save(update_fields=changed)
    return organisation


def load_event(facts: EventFacts, *, today: datetime.date) -> tuple[Event, str]:
    """Bring one demo event in line with its facts, unless it has registrations."""
    organisation = load_organisation(facts.organisation)
    with transaction.atomic():
        # Lock the event row first (the order registrations.services keeps). On
        # PostgreSQL a registration being inserted needs a share lock on it, so one
        # arriving meanwhile waits for this rebuild instead of seeing half of it.
        event = Event.objects.select_for_update().filter(slug=facts.slug).first()
        if event is not None and event.registrations.exists():
            return event, KEPT
        fields = _event_fields(facts, organisation=organisation, today=today)
        programme_matches = (
            event is not None
            and all(getattr(event, name) == value for name, value in fields.items())
            and _stored_programme(event) == _wanted_programme(facts, owner=organisation)
        )
        questions_match = event is not None and _stored_questions(event) == _wanted_questions(facts)
        if programme_matches and questions_match:
            return event, UNCHANGED
        created = event is None
        if not programme_matches:
            if event is not None:
                # Delete the old programme before the days move: the database refuses
                # days that would leave a block or session outside the event.
                event.sessions.all().delete()
                event.blocks.all().delete()
            event, created = Event.objects.update_or_create(slug=facts.slug, defaults=fields)
            _create_programme(event, facts)
        if not questions_match:
            event.standard_questions.all().delete()
            event.questions.all().delete()
            _create_questions(event, facts)
        return event, CREATED if created else REBUILT


def _event_fields(facts: EventFacts, *, organisation: Organisation, today: datetime.date) -> dict:
    def midnight(day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=VENUE_TZ)

    return {
        "organisation": organisation,
        "title": facts.title,
        "summary": facts.summary,
        "description": facts.description,
        "organiser": facts.organiser,
        "contact_name": facts.contact_name,
        "contact_email": facts.contact_email,
        "is_online": facts.is_online,
        "online_link": facts.online_link,
        "venue": facts.venue,
        "address": facts.address,
        "first_day": facts.first_day,
        "last_day": facts.last_day,
        # Whole days rather than "now", so that runs on the same day agree.
        "registration_opens": midnight(today - datetime.timedelta(days=1)),
        "registration_closes": midnight(facts.first_day - datetime.timedelta(weeks=1)),
        "attendee_limit": facts.attendee_limit,
        "price": facts.price,
        "practical_information": facts.practical_information,
        "catering": facts.catering,
        "status": Event.Status.PUBLISHED,
    }


# --- Comparing what is stored with what is wanted --------------------------------
# Both sides become the same plain tuples: speakers as (name, role, organisation,
# link role, owning organisation's id) in order, sessions and blocks sorted by time;
# standard questions sorted, the event's own in their order.


def _links_of(workshop: WorkshopFacts) -> tuple[tuple[Person, str], ...]:
    return tuple((person, SpeakerLink.Role.SPEAKER) for person in workshop.speakers) + tuple(
        (person, SpeakerLink.Role.FACILITATOR) for person in workshop.facilitators
    )


def _stored_link_keys(links: Iterable[SpeakerLink]) -> tuple:
    ordered = sorted(links, key=lambda link: (link.position, link.pk))
    return tuple(
        (
            link.speaker.name,
            link.speaker.role,
            link.speaker.organisation,
            link.role,
            link.speaker.owner_id,
        )
        for link in ordered
    )


def _wanted_programme(facts: EventFacts, *, owner: Organisation) -> tuple:
    def link_key(person: Person, role: str) -> tuple:
        return (person.name, person.role, person.organisation, role, owner.pk)

    sessions = sorted(
        (
            facts.first_day + datetime.timedelta(days=item.day),
            hhmm(item.starts),
            hhmm(item.ends),
            item.kind,
            item.title,
            item.description,
            tuple(link_key(person, SpeakerLink.Role.SPEAKER) for person in item.speakers),
        )
        for item in facts.sessions
    )
    blocks = sorted(
        (
            facts.first_day + datetime.timedelta(days=block.day),
            hhmm(block.starts),
            hhmm(block.ends),
            block.title,
            tuple(
                (
                    position,
                    workshop.title,
                    workshop.description,
                    workshop.capacity,
                    workshop.room,
                    workshop.online_link,
                    workshop.theme,
                    tuple(link_key(person, role) for person, role in _links_of(workshop)),
                )
                for position, workshop in enumerate(block.workshops, start=1)
            ),
        )
        for block in facts.blocks
    )
    return tuple(sessions), tuple(blocks)


def _stored_programme(event: Event) -> tuple:
    session_links = Prefetch(
        "speaker_links", queryset=SessionSpeaker.objects.select_related("speaker")
    )
    workshop_links = Prefetch(
        "speaker_links", queryset=WorkshopSpeaker.objects.select_related("speaker")
    )
    sessions = sorted(
        (
            session.day,
            session.starts,
            session.ends,
            session.kind,
            session.title,
            session.description,
            _stored_link_keys(session.speaker_links.all()),
        )
        for session in event.sessions.prefetch_related(session_links)
    )
    blocks = sorted(
        (
            block.day,
            block.starts,
            block.ends,
            block.title,
            tuple(
                (
                    workshop.position,
                    workshop.title,
                    workshop.description,
                    workshop.capacity,
                    workshop.room,
                    workshop.online_link,
                    workshop.theme,
                    _stored_link_keys(workshop.speaker_links.all()),
                )
                for workshop in sorted(
                    block.workshops.all(), key=lambda workshop: (workshop.position, workshop.pk)
                )
            ),
        )
        for block in event.blocks.prefetch_related(
            Prefetch("workshops", queryset=Workshop.objects.prefetch_related(workshop_links))
        )
    )
    return tuple(sessions), tuple(blocks)


def _wanted_questions(facts: EventFacts) -> tuple:
    standard = tuple(sorted((str(field), str(ask)) for field, ask in facts.standard_questions))
    own = tuple(
        (
            position,
            question.label,
            question.help_text,
            question.kind,
            "\n".join(question.choices),
            question.required,
        )
        for position, question in enumerate(facts.questions, start=1)
    )
    return standard, own


def _stored_questions(event: Event) -> tuple:
    standard = tuple(sorted(event.standard_questions.values_list("field", "ask")))
    own = tuple(
        event.questions.order_by("position", "pk").values_list(
            "position", "label", "help_text", "kind", "choices", "required"
        )
    )
    return standard, own


# --- Writing ---------------------------------------------------------------------------


def _speakers_for(people: Iterable[Person], *, owner: Organisation) -> dict[Person, Speaker]:
    """The speaker row of each person in ``owner``'s speakers: an existing one with the same
    name, role and organisation (the oldest, should an organiser have made two), or a new one."""
    people = set(people)
    found: dict[Person, Speaker] = {}
    speakers = Speaker.objects.filter(owner=owner, name__in={p.name for p in people})
    for speaker in speakers.order_by("pk"):
        found.setdefault(Person(speaker.name, speaker.role, speaker.organisation), speaker)
    missing = [person for person in people if person not in found]
    created = Speaker.objects.bulk_create(
        Speaker(owner=owner, name=p.name, role=p.role, organisation=p.organisation) for p in missing
    )
    found.update(zip(missing, created, strict=True))
    return found


def _create_programme(event: Event, facts: EventFacts) -> None:
    speakers = _speakers_for(
        [person for item in facts.sessions for person in item.speakers]
        + [
            person
            for block in facts.blocks
            for workshop in block.workshops
            for person, _role in _links_of(workshop)
        ],
        owner=event.organisation,
    )

    def day(offset: int) -> datetime.date:
        return facts.first_day + datetime.timedelta(days=offset)

    sessions = Session.objects.bulk_create(
        Session(
            event=event,
            day=day(item.day),
            starts=hhmm(item.starts),
            ends=hhmm(item.ends),
            kind=item.kind,
            title=item.title,
            description=item.description,
        )
        for item in facts.sessions
    )
    SessionSpeaker.objects.bulk_create(
        SessionSpeaker(session=session, speaker=speakers[person], position=position)
        for session, item in zip(sessions, facts.sessions, strict=True)
        for position, person in enumerate(item.speakers, start=1)
    )

    blocks = WorkshopBlock.objects.bulk_create(
        WorkshopBlock(
            event=event,
            day=day(block.day),
            starts=hhmm(block.starts),
            ends=hhmm(block.ends),
            title=block.title,
        )
        for block in facts.blocks
    )
    placed = [
        (block, position, workshop)
        for block, block_facts in zip(blocks, facts.blocks, strict=True)
        for position, workshop in enumerate(block_facts.workshops, start=1)
    ]
    workshops = Workshop.objects.bulk_create(
        Workshop(
            block=block,
            position=position,
            title=workshop.title,
            description=workshop.description,
            capacity=workshop.capacity,
            room=workshop.room,
            online_link=workshop.online_link,
            theme=workshop.theme,
        )
        for block, position, workshop in placed
    )
    WorkshopSpeaker.objects.bulk_create(
        WorkshopSpeaker(workshop=workshop, speaker=speakers[person], role=role, position=position)
        for workshop, (_block, _position, facts_of_workshop) in zip(workshops, placed, strict=True)
        for position, (person, role) in enumerate(_links_of(facts_of_workshop), start=1)
    )


def _create_questions(event: Event, facts: EventFacts) -> None:
    StandardQuestion.objects.bulk_create(
        StandardQuestion(event=event, field=field, ask=ask)
        for field, ask in facts.standard_questions
    )
    Question.objects.bulk_create(
        Question(
            event=event,
            label=question.label,
            help_text=question.help_text,
            kind=question.kind,
            choices="\n".join(question.choices),
            required=question.required,
            position=position,
        )
        for position, question in enumerate(facts.questions, start=1)
    )


def _summary_line(event: Event, outcome: str) -> str:
    blocks = WorkshopBlock.objects.filter(event=event).count()
    totals = Workshop.objects.filter(block__event=event).aggregate(
        workshops=Count("pk"), seats=Sum("capacity")
    )
    days = f"{event.first_day:%d.%m.%Y}"
    if event.last_day != event.first_day:
        days += f"–{event.last_day:%d.%m.%Y}"
    line = (
        f"{event.title} ({days}): {_count(blocks, 'block')}, "
        f"{_count(totals['workshops'], 'workshop')}, {_count(totals['seats'] or 0, 'seat')}"
        f" – {outcome}"
    )
    if outcome == KEPT:
        line += " (it has registrations, so its days and programme were left alone)"
    return line


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
