"""Several organisations on one site: no admin URL shows one organisation's attendees to another's
people, nor anyone's personal link to anybody.

Two organisations, Alfa (A) and Bravo (B), each with a whole event (and a draft): blocks,
workshops, a plenary session, speakers, registrations (confirmed, waitlisted, cancelled) with
answers to a question of the event's own, and a history made by its own organiser at work in the
admin (a registration corrected, an attendee moved into a full workshop, the personal links sent,
the attendee list taken, so an ``ExportRecord``). B's attendees have names, addresses, numbers
and needs found nowhere else ("Bodil Bsen", "bodil@b.example", "B-777", "B-diet"): a leak is a
plain substring.

The walk discovers the URLs rather than listing them: every route of the admin site
(``admin.site.get_urls()``) with each parameter filled in (B's objects, A's first and those with a
history, an id nobody has; every list kind and format), the forms of change and delete pages sent
back; each model's list with the filters its page offers set to B's objects, a search, a popup;
every action of every admin posted with A's and B's objects together, as chosen and confirmed;
the autocomplete of every relation to an admin that searches; "view on site" of every object of
B, registered or not; adding, and changing one of A's objects, with a relation into B; the
spreadsheet import and its confirmation into B's event. A route with a parameter the walk cannot
fill fails it, so a URL added later cannot slip past.

Every request is answered in a savepoint rolled back afterwards (the walk changes nothing for the
next request), and its response is read whole: status, headers (``Location``, a download's file
name), the messages it queued, the body, a download as production streams it (after the request's
scope has ended), an .xlsx unzipped. Five people walk:

- ``alice``, organiser of A: nothing of B;
- ``carl``, organiser of A and programme editor of B: B's programme, none of B's attendees;
- ``pia``, programme editor of A: no attendee of A or of B;
- ``nobody``, staff with no role: nothing;
- anonymous: the login page.

A response breaks the rules when it shows a string the person may not see or any personal link,
raises or answers 500, changes B's data they may not change, or answers for an object of B that
the scopes hide from them otherwise than for an id nobody has (status and ``Location``), which
tells that it exists. Any status is fine otherwise: a 404; the login page; a 302 to the index
("does not exist"); a 403, which is the same for B's object as for a missing one (checked). Every
violation of one person's walk is reported at once; and the walk must see what the person's role
does show them (``controls``), or it would pass if everything were a 404.
"""

import contextlib
import dataclasses
import datetime
import functools
import html
import io
import itertools
import json
import pathlib
import re
import tempfile
import time
import zipfile
from collections import Counter
from decimal import Decimal

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, Subquery, Value
from django.db.models.signals import post_delete, post_save
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.test import Client, override_settings
from django.urls import URLResolver, reverse
from django_scopes import scope, scopes_disabled
from django_scopes.manager import DisabledQuerySet
from import_export.tmp_storages import TempFolderStorage

from events.models import Event, Material, Membership, Organisation, Workshop
from registrations import services
from registrations.models import ExportRecord, Registration, secret_digest
from tests.factories import (
    IMPORT_URL,
    csv_file,
    form_data,
    make_block,
    make_event,
    make_member,
    make_organisation,
    make_session,
    make_speaker,
    make_workshop,
    personal_secret,
)

pytestmark = pytest.mark.django_db

NO_SUCH_ID = 2_147_483_000  # an id no object has: what a hidden object must look like
PERSONAL_LINK = re.compile(r"/tilmelding/min/(?!slettet/)[^\s\"'<>]")


# The two organisations ----------------------------------------------------------------------

# What each organisation's attendees answered: only ever in that organisation's admin.
ATTENDEES = {
    "A": [
        dict(
            name="Anna Asen",
            email="anna@a.example",
            membership_number="A-111",
            dietary_needs="A-diet",
            workplace="Alfa Arbejdsplads",
            payer=Registration.Payer.PERSONAL,
            invoice_address="Avej 1, Aby",
        ),
        dict(
            name="Arne Aventer",
            email="arne@a.example",
            membership_number="A-222",
            dietary_needs="A-diet-2",
            workplace="Alfa Arbejdsplads",
        ),
        dict(name="Asta Aflyst", email="asta@a.example", membership_number="A-333"),
    ],
    "B": [
        dict(
            name="Bodil Bsen",
            email="bodil@b.example",
            membership_number="B-777",
            dietary_needs="B-diet",
            workplace="Bravo Arbejdsplads",
            phone="B-phone-7777",
            payer=Registration.Payer.PERSONAL,
            invoice_organisation="Bravo Fakturamodtager",
            invoice_address="Bvej 7, Bby",
            invoice_attention="Bente Bogholder",
        ),
        dict(
            name="Bjarne Bventer",
            email="bjarne@b.example",
            membership_number="B-888",
            dietary_needs="B-diet-2",
            workplace="Bravo Arbejdsplads",
        ),
        dict(name="Birte Bafmeldt", email="birte@b.example", membership_number="B-999"),
    ],
}
ANSWER = {"A": "A-svar-hemmeligt", "B": "B-svar-hemmeligt"}


def attendee_strings(letter: str) -> set[str]:
    values = {
        value for attendee in ATTENDEES[letter] for key, value in attendee.items() if key != "payer"
    }
    return values | {ANSWER[letter]}


@dataclasses.dataclass
class OrganisationData:
    """One organisation's data, as made here; ``objects`` are found by the scopes themselves."""

    letter: str
    organisation: Organisation
    event: Event
    draft: Event
    registrations: list
    programme_titles: set[str]
    objects: dict = dataclasses.field(default_factory=dict)  # model -> its objects of the org


def make_organisation_with_an_event(letter: str, word: str) -> OrganisationData:
    organisation = make_organisation(f"Organisation {word}", short_name=word)
    event = make_event(
        organisation=organisation,
        title=f"{word} Fagdag",
        slug=f"{word.lower()}-fagdag",
        organiser=f"{word} arrangoer",
        price=Decimal("250.00"),
    )
    draft = make_event(
        organisation=organisation,
        title=f"{word} Kladde",
        slug=f"{word.lower()}-kladde-hemmelig",
        status=Event.Status.DRAFT,
    )
    titles = {event.title, draft.title, organisation.name}
    for b in (1, 2):
        block = make_block(
            event,
            title=f"{word} blok {b}",
            starts=datetime.time(8 + 2 * b, 0),
            ends=datetime.time(9 + 2 * b, 30),
        )
        titles.add(block.title)
        for w in (1, 2):
            speaker = make_speaker(owner=organisation, name=f"{word} Taler {b}{w}")
            workshop = make_workshop(
                block,
                title=f"{word} workshop {b}{w}",
                capacity=1 if (b, w) != (2, 1) else 10,
                speakers=[speaker],
            )
            titles |= {speaker.name, workshop.title}
    session = make_session(event, title=f"{word} velkomst")
    speaker = make_speaker(owner=organisation, name=f"{word} Velkomsttaler")
    session.speaker_links.create(speaker=speaker, position=0)
    titles |= {session.title, speaker.name}
    slides = Material.objects.create(
        workshop=workshop,
        title=f"{word} slides",
        file=SimpleUploadedFile(f"{word}-slides.pdf", b"%PDF-1.4 " + word.encode()),
    )
    titles |= {slides.title, slides.original_name}

    question = answers = None
    Question = optional_model("registrations", "Question")
    if Question is not None:
        question = Question.objects.create(
            event=event, label=f"{word} spoergsmaal", kind=Question.Kind.TEXT
        )
        titles.add(question.label)
        answers = {question.pk: ANSWER[letter]}

    first, second = (list(block.workshops.order_by("pk")) for block in event.blocks.order_by("pk"))
    confirmed, waiting, cancelled = ATTENDEES[letter]
    # Every workshop but the second block's first has one seat: the first attendee and the one
    # who later cancels fill the first block, so the second attendee waits.
    plan = [
        (confirmed, first[0], second[0], False),
        (cancelled, first[1], second[1], False),
        (waiting, first[0], second[0], True),
    ]
    registrations = {}
    for attendee, workshop, other, waitlist in plan:
        details = {"workplace": f"{word} Arbejdsplads", "job_title": "Socialraadgiver"}
        details.update(attendee)
        details["sector"] = Registration.Sector.PUBLIC
        registrations[attendee["name"]] = services.register(
            event=event,
            attendee=services.AttendeeDetails(**details),
            choices={workshop.block_id: workshop.pk, other.block_id: other.pk},
            waitlist=waitlist,
            **({"answers": answers} if answers else {}),
        )
    registrations = [registrations[attendee["name"]] for attendee in ATTENDEES[letter]]
    return OrganisationData(letter, organisation, event, draft, registrations, titles)


def cancel_one(org: OrganisationData) -> None:
    """The third attendee cancels; the second still waits (for a workshop still full)."""
    services.cancel(registration=org.registrations[2], by_organiser=True)
    for registration in org.registrations:
        registration.refresh_from_db()
    assert [r.status for r in org.registrations] == ["confirmed", "waitlisted", "cancelled"]


def optional_model(app_label: str, name: str):
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


# The scopes tell what belongs to an organisation ----------------------------------------


def scoped_models() -> dict[type, set[str]]:
    """Every model with a scoped default manager, and the scope dimensions it needs."""
    found = {}
    with scope():  # scopes on, no dimension: a scoped manager refuses
        for model in apps.get_models():
            if not isinstance(model._default_manager.get_queryset(), DisabledQuerySet):
                continue
            with scope(organisation=[]):
                needs_attendees = isinstance(
                    model._default_manager.get_queryset(), DisabledQuerySet
                )
            found[model] = {"attendees"} if needs_attendees else {"organisation"}
    return found


def objects_of(organisation: Organisation, models_: dict) -> dict[type, list]:
    """The organisation's objects of each scoped model, as the scopes themselves see them; its
    memberships, people, the organisation itself and the history of its objects."""
    found = {}
    with scope(organisation=[organisation.pk], attendees=[organisation.pk]):
        for model in models_:
            found[model] = list(model._default_manager.order_by("pk"))
    found[Organisation] = [organisation]
    found[Membership] = list(Membership.objects.filter(organisation=organisation))
    found[User] = [membership.user for membership in found[Membership]]
    history = []
    for model, objects in list(found.items()):
        if objects and model is not User:
            history += LogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(model),
                object_id__in=[str(obj.pk) for obj in objects],
            )
    found[LogEntry] = history
    return found


class Snapshot:
    """An organisation's data, read by SQL compiled once (the walk reads it after every request):
    every row, per scope dimension, or how many rows of each model."""

    def __init__(self, organisation: Organisation, models_: dict):
        self.rows = {"organisation": [], "attendees": []}
        counts = {}
        with scope(organisation=[organisation.pk], attendees=[organisation.pk]):
            for n, (model, dimensions) in enumerate(models_.items()):
                rows = model._default_manager.order_by("pk")
                for dimension in dimensions:
                    self.rows[dimension].append((model._meta.label, sql_of(rows.values())))
                one = rows.order_by().annotate(one=Value(1)).values("one")
                counts[f"n{n}"] = Subquery(one.annotate(n=Count("pk")).values("n")[:1])
        self.rows["organisation"] += [
            ("memberships", sql_of(Membership.objects.filter(organisation=organisation).values())),
            ("organisation", sql_of(Organisation.objects.filter(pk=organisation.pk).values())),
        ]
        self.labels = [model._meta.label for model in models_]
        count = Organisation.objects.filter(pk=organisation.pk).annotate(**counts)
        self.count_sql = sql_of(count.values_list(*counts))

    def read(self, dimension: str) -> list:
        return [(label, run(sql)) for label, sql in self.rows[dimension]]

    def counts(self) -> dict[str, int]:
        return dict(zip(self.labels, run(self.count_sql)[0], strict=True))


def sql_of(queryset) -> tuple[str, tuple]:
    return queryset.query.sql_with_params()


def run(sql) -> list:
    with connection.cursor() as cursor:
        cursor.execute(*sql)
        return cursor.fetchall()


# The people ----------------------------------------------------------------------------------


@dataclasses.dataclass
class Walker:
    name: str
    user: User | None
    forbidden: dict[str, str]  # string -> what it is
    hidden_models: set[type]  # models whose objects of B must look like ones that do not exist
    protected: tuple[str, ...]  # scope dimensions of B's data no request of theirs may change


@dataclasses.dataclass
class World:
    a: OrganisationData
    b: OrganisationData
    models: dict  # the scoped models, and the dimension each needs
    walkers: dict[str, Walker]
    secrets: dict[str, str]
    payloads: dict  # (model, pk) -> a superuser's change page of the object
    snapshot: Snapshot
    baseline: dict  # B's data, every row: each request is rolled back, so it stays this
    counts: dict  # how many rows of each of B's models


def staff(username: str, *memberships) -> User:
    user = User.objects.create_user(username, is_staff=True)
    for organisation, role in memberships:
        make_member(user, organisation=organisation, role=role)
    return user


def organiser_works_in_the_admin(org: OrganisationData, organiser: User) -> None:
    """The organisation's own organiser at work in the admin, as the history records it:
    corrects a registration, moves an attendee into a full workshop (overriding its
    capacity), sends the personal links, takes the attendee list."""
    client = Client()
    client.force_login(organiser)
    first = org.registrations[0]
    changelist = reverse("admin:registrations_registration_changelist")
    page = client.get(change_url(first))
    corrected = client.post(change_url(first), {**form_data(page), "phone": f"{first.phone} "})
    assert corrected.status_code == 302, "the organiser corrects a registration"
    full = org.event.blocks.order_by("pk")[1].workshops.order_by("pk")[1]
    moved = client.post(
        changelist,
        {
            "action": "move_seats",
            "_selected_action": [first.pk],
            "apply": "1",
            "workshop": full.pk,
            "override_capacity": "on",
        },
    )
    assert moved.status_code == 302, "the organiser moves an attendee into a full workshop"
    client.post(
        changelist,
        {"action": "send_personal_link", "_selected_action": [r.pk for r in org.registrations]},
    )
    export = reverse("admin:events_event_export", args=[org.event.pk, "attendees", "csv"])
    listed = b"".join(client.get(export).streaming_content).decode()
    assert first.name in listed, "the organiser takes the attendee list"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Made once for the module's tests (each walker's test only reads it: every request is
    rolled back), in a transaction rolled back after the last."""
    with (
        django_db_blocker.unblock(),
        scopes_disabled(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        yield make_world()
        transaction.set_rollback(True)


def make_world() -> World:
    call_command("setup_roles", stdout=io.StringIO())
    a = make_organisation_with_an_event("A", "Alfa")
    b = make_organisation_with_an_event("B", "Bravo")
    Role = Membership.Role
    organiser_works_in_the_admin(a, staff("anders", (a.organisation, Role.ORGANISER)))
    organiser_works_in_the_admin(b, staff("bob", (b.organisation, Role.ORGANISER)))
    cancel_one(a)
    cancel_one(b)
    people = {
        "alice": staff("alice", (a.organisation, Role.ORGANISER)),
        "carl": staff(
            "carl", (a.organisation, Role.ORGANISER), (b.organisation, Role.PROGRAMME_EDITOR)
        ),
        "pia": staff("pia", (a.organisation, Role.PROGRAMME_EDITOR)),
        "nobody": staff("nobody"),
        "anonymous": None,
    }
    User.objects.create_superuser("root", "root@example.org", "x")

    models_ = scoped_models()
    a.objects = objects_of(a.organisation, models_)
    b.objects = objects_of(b.organisation, models_)
    secrets = {}
    for registration in Registration.objects.all():
        secret = personal_secret(registration)
        secrets[secret] = f"personal-link key of {registration.name}"
        secrets[secret_digest(secret)] = f"personal-link digest of {registration.name}"

    b_attendees = {s: "attendee data of B" for s in attendee_strings("B")}
    a_attendees = {s: "attendee data of A" for s in attendee_strings("A")}
    b_programme = {s: "title of B's programme" for s in b.programme_titles}
    b_programme[b.draft.slug] = "address of B's unpublished event"
    attendee_models = {m for m, dimensions in models_.items() if "attendees" in dimensions}
    # Scoped objects must look like ones that do not exist; the unscoped (organisations,
    # people, history) are hidden by permissions, which Django may check after looking.
    nothing_of_b = (set(models_), ("organisation", "attendees"))
    sees = {
        "alice": ({**b_attendees, **b_programme, **secrets}, *nothing_of_b),
        "carl": ({**b_attendees, **secrets}, attendee_models, ("attendees",)),
        "pia": ({**a_attendees, **b_attendees, **b_programme, **secrets}, *nothing_of_b),
        "nobody": ({**a_attendees, **b_attendees, **b_programme, **secrets}, *nothing_of_b),
        "anonymous": ({**a_attendees, **b_attendees, **b_programme, **secrets}, *nothing_of_b),
    }
    walkers = {name: Walker(name, people[name], *sees[name]) for name in people}
    payloads = change_payloads([a, b])
    snapshot = Snapshot(b.organisation, models_)
    baseline = {dimension: snapshot.read(dimension) for dimension in snapshot.rows}
    return World(a, b, models_, walkers, secrets, payloads, snapshot, baseline, snapshot.counts())


def change_payloads(organisations) -> dict:
    """What each registered object's change page sends back, as a superuser sees it."""
    client = Client()
    client.force_login(User.objects.get(username="root"))
    payloads = {}
    for org in organisations:
        for model, objects in org.objects.items():
            if model not in admin.site._registry or model is User:
                continue
            for obj in objects[:1] if org.letter == "A" else objects:
                page = client.get(change_url(obj))
                if page.status_code == 200 and "adminform" in page.context:
                    payloads[(model, obj.pk)] = page
    return payloads


# Probes: one request each -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Probe:
    method: str
    url: str
    data: tuple = ()  # (key, value) pairs; a list of values as a tuple
    route: str = ""  # the admin route it exercises, for the walk's coverage
    hidden: tuple = ()  # (model label, pk) of the objects of B it names that the user may not see
    twin: "Probe | None" = None  # the same request with those objects' ids replaced by NO_SUCH_ID
    temp_files: tuple = ()  # (name, text) of files an import left for its confirmation

    @property
    def key(self):
        return (self.method, self.url, self.data)

    def __str__(self):
        shown = f"{self.method} {self.url}"
        fields = dict(self.data)
        brief = {
            k: fields[k]
            for k in ("action", "_selected_action", "post", "confirm", "apply", "event")
            if k in fields
        }
        return f"{shown} {brief}" if brief else shown


def post_data(data: dict) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in data.items()))


class Missing:
    """An object of ``model`` that does not exist."""

    pk = NO_SUCH_ID

    def __init__(self, model):
        self.model = model
        self._meta = model._meta

    def __eq__(self, other):
        return isinstance(other, Missing) and other.model is self.model

    def __hash__(self):
        return hash((Missing, self.model))


def change_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def is_hidden(walker: Walker, world: World, obj) -> bool:
    model = type(obj)
    return model in walker.hidden_models and obj in world.b.objects.get(model, [])


def with_twins(build, walker: Walker, world: World, objects: dict) -> list[Probe]:
    """The probes ``build(objects)`` makes, each marked with the objects of B it names that the
    user may not see, and paired with the same probes for objects that do not exist."""
    hidden = tuple(
        (type(obj)._meta.label, obj.pk)
        for obj in objects.values()
        for obj in (obj if isinstance(obj, list) else [obj])
        if is_hidden(walker, world, obj)
    )
    probes = build(objects)
    if not hidden:
        return probes

    def missing(obj):
        if isinstance(obj, list):
            return list(dict.fromkeys(missing(each) for each in obj))
        return Missing(type(obj)) if is_hidden(walker, world, obj) else obj

    twins = build({name: missing(obj) for name, obj in objects.items()})
    return [
        dataclasses.replace(probe, hidden=hidden, twin=twin)
        for probe, twin in zip(probes, twins, strict=True)
    ]


ROUTE_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def admin_routes():
    """(route, name, parameter names, model) of every URL of the admin site."""
    prefix = reverse("admin:index")
    for entry in admin.site.get_urls():
        if isinstance(entry, URLResolver):
            app_label, model_name = str(entry.pattern).strip("/").split("/")
            model = apps.get_model(app_label, model_name)
            for pattern in entry.url_patterns:
                route = prefix + str(entry.pattern) + str(pattern.pattern)
                yield route, pattern.name, list(pattern.pattern.converters), model
        else:
            route = prefix + str(entry.pattern)
            names = list(getattr(entry.pattern, "converters", {}))
            names += [n for n in entry.pattern.regex.groupindex if n not in names]
            yield route, entry.name, names, None


def fill(route: str, values: dict) -> str:
    return ROUTE_PARAM.sub(lambda m: str(values[m.group(2)]), route)


def objects_for(world: World, model, *, all_of_a: bool = False, few: bool = False) -> list:
    """B's objects of ``model`` (the first three and any with a history; only the first if
    ``few``); A's first, those with a history (or all of them); one that does not exist."""
    b_objects = list(world.b.objects.get(model, []))
    a_objects = list(world.a.objects.get(model, []))
    b_objects = [obj for n, obj in enumerate(b_objects) if n < 3 or has_history(world, obj)]
    if not all_of_a:
        a_objects = [obj for n, obj in enumerate(a_objects) if n == 0 or has_history(world, obj)]
    if few:
        return [*b_objects[:1], *a_objects[:1], Missing(model)]
    return [*b_objects, *a_objects, Missing(model)]


def has_history(world: World, obj) -> bool:
    content_type = ContentType.objects.get_for_model(obj)
    return any(
        entry.content_type_id == content_type.pk and entry.object_id == str(obj.pk)
        for org in (world.a, world.b)
        for entry in org.objects[LogEntry]
    )


def route_probes(walker: Walker, world: World, unfilled: list) -> list[Probe]:
    """GET every route of the admin site with every parameter filled in; POST its forms."""
    probes = []
    for route, name, params, model in admin_routes():
        name = name or ""
        if name == "view_on_site":
            probes += view_on_site_probes(walker, world, route)
            continue
        if name == "app_list":
            for app_label in sorted({m._meta.app_label for m in admin.site._registry}):
                url = reverse("admin:app_list", kwargs={"app_label": app_label})
                probes.append(Probe("GET", url, route=route))
            continue
        if params == ["url"]:  # the admin's catch-all: no such page
            probes.append(Probe("GET", reverse("admin:index") + "no/such/page/", route=route))
            continue
        choices = {}
        for param in params:
            if param in ("object_id", "pk", "id"):
                choices[param] = objects_for(
                    world,
                    model,
                    all_of_a=model is Registration,
                )
                if name.startswith("events_event_export"):  # B's and A's event, not the drafts
                    choices[param] = [world.b.event, world.a.event, Missing(Event)]
            elif param == "workshop_id":
                choices[param] = [
                    world.b.objects[Workshop][0],
                    world.a.objects[Workshop][0],
                    Missing(Workshop),
                ]
            elif param == "kind":
                choices[param] = list(ExportRecord.Kind.values)
            elif param == "fmt":
                choices[param] = list(ExportRecord.Format.values)
            else:
                unfilled.append(f"{route}: parameter {param}")
                choices = None
                break
        if choices is None:
            continue

        def build(values, route=route, name=name, posts=True):
            url = fill(route, {k: getattr(v, "pk", v) for k, v in values.items()})
            sent = form_posts(world, route, name, url, values) if posts else []
            return [Probe("GET", url, route=route), *sent]

        for values in combinations(choices):
            # A missing object's forms are sent only as the twin of one of B's.
            posts = not any(isinstance(value, Missing) for value in values.values())
            probes += with_twins(functools.partial(build, posts=posts), walker, world, values)
    return probes


def combinations(choices: dict) -> list[dict]:
    """Every combination of the objects; each of the other values (list kinds, formats) once."""
    objects = {k: v for k, v in choices.items() if not isinstance(v[0], str)}
    plain = {k: v for k, v in choices.items() if isinstance(v[0], str)}
    width = max((len(values) for values in plain.values()), default=1)
    plain_rows = [{k: v[i % len(v)] for k, v in plain.items()} for i in range(width)]
    return [
        {**dict(zip(objects, chosen, strict=True)), **row}
        for chosen in itertools.product(*objects.values())
        for row in plain_rows
    ]


def form_posts(world, route, name, url, values) -> list[Probe]:
    """The forms of the page, sent back: for B's objects (and missing ones) only; A's own are
    the organisers' everyday work, and their pages are read by the GET."""
    obj = values.get("object_id")
    if obj is not None and obj not in world.b.objects.get(type(obj), []):
        if not isinstance(obj, Missing):
            return []
    if name.endswith("_delete"):
        return [Probe("POST", url, post_data({"post": "yes"}), route)]
    if name.endswith("_change") and obj is not None:
        page = world.payloads.get((type(obj), obj.pk))
        data = form_data(page) if page is not None else {}
        return [Probe("POST", url, post_data({**data, "_save": "1"}), route)]
    if name == "logout":
        return [Probe("POST", url, route=route)]
    if name == "password_change":
        data = {"old_password": "wrong", "new_password1": "x", "new_password2": "y"}
        return [Probe("POST", url, post_data(data), route)]
    return []


def view_on_site_probes(walker: Walker, world: World, route: str) -> list[Probe]:
    """ "View on site" (``/admin/r/<content type>/<id>/``) of B's objects of every model,
    registered or not (two of each: an event and a draft), and of A's first of each model
    that has a page on the site."""
    probes = []
    for org in (world.b, world.a):
        for model, objects in org.objects.items():
            content_type = ContentType.objects.get_for_model(model)

            def build(values, content_type=content_type):
                url = reverse("admin:view_on_site", args=[content_type.pk, values["obj"].pk])
                return [Probe("GET", url, route=route)]

            if org is world.a and not hasattr(model, "get_absolute_url"):
                continue
            for obj in objects[:2] if org is world.b else objects[:1]:
                probes += with_twins(build, walker, world, {"obj": obj})
    return probes


# Finds every object of B's (any case), and is no forbidden string itself: a list repeats the
# term searched for.
SEARCH_TERMS = ["b"]


def changelist_probes(walker: Walker, world: World) -> list[Probe]:
    """Each model's list with every filter of its page set to B's objects, searches, popups."""
    probes = []
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        route = url
        if not (world.a.objects.get(model) or world.b.objects.get(model)):
            continue  # no organisation's data: the plain list (a route) is enough
        queries = [{"_popup": "1", "_to_field": "id"}]
        queries += [{"q": term} for term in SEARCH_TERMS if model_admin.search_fields]
        combined = {}
        for parameter, target in filter_parameters(model, model_admin):
            for obj in objects_for(world, target, few=True):
                query = {parameter: obj.pk}
                queries.append(query)
                if obj in world.b.objects.get(target, []):
                    combined.setdefault(parameter, obj.pk)
        if combined:
            queries.append(combined)
        for query in queries:
            filtered = url + "?" + "&".join(f"{k}={v}" for k, v in query.items())
            probes.append(Probe("GET", filtered, route=route))
    return probes


def filter_parameters(model, model_admin):
    """(query parameter, related model) of each filter of the list that names an object."""
    for spec in model_admin.list_filter:
        if isinstance(spec, (tuple, list)):
            spec = spec[0]
        if isinstance(spec, str):
            field = get_fields_from_path(model, spec)[-1]
            if field.is_relation:
                target = field.related_model
                yield f"{spec}__{target._meta.pk.name}__exact", target
        else:
            target = optional_model(model._meta.app_label, spec.parameter_name) or next(
                (m for m in apps.get_models() if m._meta.model_name == spec.parameter_name), None
            )
            if target is not None:
                yield spec.parameter_name, target


def action_probes(walker: Walker, world: World) -> list[Probe]:
    """Every action of every admin, posted with A's and B's objects together (the action may
    act on A's), as chosen and confirmed with each intermediate page's fields pointing into B."""
    probes = []
    b_workshop = world.b.objects[Workshop][0]
    confirmation = {
        "post": "yes",  # delete_selected
        "confirm": "1",  # cancel_registrations
        "apply": "1",  # move_seats, duplicate
        "workshop": b_workshop.pk,
        "override_capacity": "on",
        "title": "Kopi fra proeven",
        "slug": "kopi-fra-proeven",
        "first_day": "2099-01-05",
    }
    for model, model_admin in admin.site._registry.items():
        url = changelist_url(model)
        b_objects = list(world.b.objects.get(model, []))
        a_objects = list(world.a.objects.get(model, []))
        selection, steps = [*a_objects, *b_objects], (False, True)
        if not b_objects:  # no organisation's data: the action asked for, on a missing object
            selection, steps = [Missing(model)], (False,)
        for name, confirm in itertools.product(action_names(model_admin), steps):

            def build(values, name=name, confirm=confirm, url=url):
                data = {
                    "action": name,
                    "_selected_action": [str(obj.pk) for obj in values["selection"]],
                    **(confirmation if confirm else {}),
                }
                return [Probe("POST", url, post_data(data), url)]

            probes += with_twins(build, walker, world, {"selection": selection})
    return probes


def action_names(model_admin) -> list[str]:
    names = [name for name, _function in admin.site.actions]
    names += [a if isinstance(a, str) else a.__name__ for a in model_admin.actions or []]
    return names


def changelist_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def autocomplete_probes(walker: Walker, world: World) -> list[Probe]:
    """The autocomplete of every admin that searches (what it answers depends on that admin,
    not on the relation asking): each relation an admin declares, and one relation of any
    model to each other such admin, which a request could name all the same."""
    probes = []
    url = reverse("admin:autocomplete")
    declared = autocomplete_fields_of_admins()
    asked = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not (field.is_relation and field.concrete and field.related_model):
                continue
            remote_admin = admin.site._registry.get(field.related_model)
            if remote_admin is None or not remote_admin.search_fields:
                continue
            relation = (model._meta.app_label, model._meta.model_name, field.name)
            if relation not in declared and field.related_model in asked:
                continue
            asked.add(field.related_model)
            for term in ["", *(SEARCH_TERMS if relation in declared else [])]:
                query = {
                    "app_label": model._meta.app_label,
                    "model_name": model._meta.model_name,
                    "field_name": field.name,
                    "term": term,
                }
                full = url + "?" + "&".join(f"{k}={v}" for k, v in query.items())
                probes.append(Probe("GET", full, route=url))
    return probes


def autocomplete_fields_of_admins() -> set[tuple[str, str, str]]:
    found = set()
    for model, model_admin in admin.site._registry.items():
        for owner in [model_admin, *model_admin.inlines]:
            owner_model = getattr(owner, "model", model)
            for field in owner.autocomplete_fields:
                found.add((owner_model._meta.app_label, owner_model._meta.model_name, field))
    return found


def add_probes(walker: Walker, world: World) -> list[Probe]:
    """Adding an object whose relation points into B, and changing one of A's objects so that
    it does: the data of A's object's page, with each chosen object of B put in."""
    probes = []
    for (model, pk), page in world.payloads.items():
        if not any(obj.pk == pk for obj in world.a.objects.get(model, [])):
            continue
        data = form_data(page)
        form = page.context["adminform"].form
        main = {bound.html_name for bound in form}
        inline_free = {
            k: v for k, v in data.items() if k.split("-")[0] not in inline_prefixes(page)
        }
        for inline in page.context["inline_admin_formsets"]:
            prefix = inline.formset.prefix
            inline_free.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
        for field_name, field in form.fields.items():
            if not isinstance(field, ModelChoiceField) or field_name not in main:
                continue
            targets = world.b.objects.get(field.queryset.model, [])
            if not targets:
                continue
            value = (
                [targets[0].pk] if isinstance(field, ModelMultipleChoiceField) else targets[0].pk
            )
            opts = model._meta
            add_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
            fresh = {"slug": f"proeve-{model._meta.model_name}"} if "slug" in main else {}
            added = {**inline_free, **fresh, field_name: value, "_save": "1"}
            changed = {**data, field_name: value, "_save": "1"}
            probes.append(Probe("POST", add_url, post_data(added), add_url))
            probes.append(Probe("POST", change_url_of(model, pk), post_data(changed), add_url))
    return probes


def inline_prefixes(page) -> set[str]:
    return {inline.formset.prefix for inline in page.context["inline_admin_formsets"]}


def change_url_of(model, pk) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[pk])


def import_probes(walker: Walker, world: World) -> list[Probe]:
    """The spreadsheet import: offered for B's event; a file uploaded into B's event, and into
    A's event naming B's block; the confirmation of each (the file as the preview left it)."""
    url = reverse(IMPORT_URL)
    process = reverse("admin:events_workshop_process_import")
    b_block = world.b.event.blocks.order_by("pk").first()
    probes = [
        Probe("GET", f"{url}?event={world.b.event.pk}", route=url),
        Probe("GET", f"{url}?event={world.a.event.pk}", route=url),
    ]
    for n, (event, block) in enumerate(
        ((world.b.event, b_block.title), (world.a.event, b_block.pk))
    ):
        content = csv_file(f"{block};Proevens workshop;Om;5;Lokale;;;")
        upload = SimpleUploadedFile("workshops.csv", content)
        data = {"event": event.pk, "import_file": upload, "format": "0", "resource": "0"}
        probes.append(Probe("POST", url, tuple(data.items()), url))
        name = f"fagdag-admin-scoping-{n}.csv"
        confirm = {
            "event": event.pk,
            "import_file_name": name,
            "original_file_name": "workshops.csv",
            "format": "0",
            "resource": "0",
        }
        temp_file = ((name, content.decode("utf-8")),)
        probes.append(Probe("POST", process, post_data(confirm), process, temp_files=temp_file))
    return probes


def all_probes(walker: Walker, world: World, unfilled: list) -> list[Probe]:
    probes = [
        *route_probes(walker, world, unfilled),
        *changelist_probes(walker, world),
        *action_probes(walker, world),
        *autocomplete_probes(walker, world),
        *add_probes(walker, world),
        *import_probes(walker, world),
    ]
    unique = {}
    for probe in probes:
        unique.setdefault(probe.key, probe)
    return list(unique.values())


# Reading a response whole ------------------------------------------------------------------


def read(response) -> str:
    """Everything the response tells: status, headers, the messages it queued, the body (a
    download as it streams after the request's scope has ended, an .xlsx unzipped)."""
    if response.streaming:
        with scope():  # scopes on, no dimension: as production streams it, outside the request
            content = b"".join(response.streaming_content)
    else:
        content = response.content
    if content.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(content)) as workbook:
            content = b"\n".join(workbook.read(name) for name in workbook.namelist())
    text = content.decode("utf-8", errors="replace")
    parts = [f"{key}: {value}" for key, value in response.items()]
    request = getattr(response, "wsgi_request", None)
    if request is not None and hasattr(request, "_messages"):
        parts += [str(message) for message in get_messages(request)]
    parts += [text, html.unescape(text)]
    if "json" in response.get("Content-Type", ""):
        parts.append(json.dumps(json.loads(content), ensure_ascii=False))
    return "\n".join(parts)


@contextlib.contextmanager
def saves():
    """The objects saved or deleted meanwhile (a GET that saves nothing needs no reading of B's
    data after it)."""
    saved = []

    def record(sender, instance=None, **kwargs):
        saved.append(instance)

    signals = (post_save, post_delete)
    for signal in signals:
        signal.connect(record, weak=False, dispatch_uid="admin-scoping-walk")
    try:
        yield saved
    finally:
        for signal in signals:
            signal.disconnect(dispatch_uid="admin-scoping-walk")


@dataclasses.dataclass
class Outcome:
    status: int
    location: str
    text: str


@dataclasses.dataclass
class Walk:
    walker: Walker
    world: World
    client: Client
    outcomes: dict = dataclasses.field(default_factory=dict)
    violations: list = dataclasses.field(default_factory=list)
    statuses: Counter = dataclasses.field(default_factory=Counter)

    def violate(self, probe, status, what):
        self.violations.append(f"{self.walker.name} {status} {probe}: {what}")

    def request(self, probe: Probe) -> Outcome:
        if probe.key in self.outcomes:
            return self.outcomes[probe.key]
        self.log_in()
        for name, text in probe.temp_files:
            TempFolderStorage(name=name, encoding="utf-8").save(text)
        with transaction.atomic():  # rolled back below: the next request finds the same data
            try:
                with saves() as saved:
                    outcome = self.send(probe)
            except Exception as error:  # each one is reported (and B's data not read after it:
                outcome = Outcome(0, "", "")  # a database error leaves the block unusable)
                self.violate(probe, "raised", f"{type(error).__name__}: {error}"[:300])
            else:
                self.check_unchanged(probe, outcome, saved)
            transaction.set_rollback(True)
        self.client.cookies.pop("messages", None)  # a message belongs to its own request
        for name, _text in probe.temp_files:
            pathlib.Path(tempfile.gettempdir(), name).unlink(missing_ok=True)
        self.outcomes[probe.key] = outcome
        self.statuses[outcome.status] += 1
        return outcome

    def send(self, probe: Probe) -> Outcome:
        if probe.method == "GET":
            response = self.client.get(probe.url)
        else:
            data = {k: list(v) if isinstance(v, tuple) else v for k, v in probe.data}
            for value in data.values():
                if hasattr(value, "seek"):  # an uploaded file, sent again
                    value.seek(0)
            response = self.client.post(probe.url, data)
        return Outcome(response.status_code, response.get("Location", ""), read(response))

    def check_unchanged(self, probe: Probe, outcome: Outcome, saved: list) -> None:
        """B's data is as it was: after a GET that saved or deleted anything (an attendee list
        is recorded), as many rows of each model; after a POST, every row the same."""
        if probe.method == "GET":
            if not saved:
                return
            was, now = self.world.counts, self.world.snapshot.counts()
            changed = [
                f"{label} {was[label]} -> {now[label]}" for label in was if now[label] != was[label]
            ]
            if changed:
                self.violate(probe, outcome.status, f"changed how many rows B has: {changed}")
            return
        for dimension in self.walker.protected:
            now = dict(self.world.snapshot.read(dimension))
            changed = [
                label for label, rows in self.world.baseline[dimension] if now[label] != rows
            ]
            if changed:
                self.violate(probe, outcome.status, f"changed B's {dimension} data: {changed}")

    def log_in(self):
        if self.walker.user is None:
            return
        session = self.client.cookies.get(settings.SESSION_COOKIE_NAME)
        if session is None or not session.value:
            self.client.force_login(self.walker.user)

    def check(self, probe: Probe) -> None:
        outcome = self.request(probe)
        if outcome.status >= 500:
            self.violate(probe, outcome.status, "server error")
        for string, what in self.walker.forbidden.items():
            if string in outcome.text:
                self.violate(probe, outcome.status, f"shows {string!r} ({what})")
        link = PERSONAL_LINK.search(outcome.text)
        if link:
            self.violate(probe, outcome.status, f"shows a personal link {link.group()!r}")
        if probe.twin is not None:
            self.compare_with_missing(probe, outcome)

    def compare_with_missing(self, probe: Probe, outcome: Outcome) -> None:
        """An object the user may not see answers as one that does not exist."""
        missing = self.request(probe.twin)
        seen = (outcome.status, ANY_ID.sub("/<id>", outcome.location))
        unseen = (missing.status, ANY_ID.sub("/<id>", missing.location))
        if seen != unseen:
            self.violate(
                probe,
                outcome.status,
                f"tells that {', '.join(f'{label} {pk}' for label, pk in probe.hidden)} of B exists: "
                f"{outcome.status} {outcome.location!r}, where an id nobody has gets "
                f"{missing.status} {missing.location!r}",
            )


ANY_ID = re.compile(r"/\d+(?=/)")


# What each person must see of their own (the walk would pass if everything were a 404) ------


def controls(walk: Walk, world: World) -> list[str]:
    """Pages of the walk where the person sees what their role shows them."""
    a, b = world.a, world.b
    anna = a.registrations[0]
    a_speaker = "Alfa Taler 11"
    export = reverse("admin:events_event_export", args=[a.event.pk, "attendees", "csv"])
    catering = reverse("admin:events_event_export", args=[a.event.pk, "catering", "csv"])
    a_workshop = a.objects[Workshop][0]
    room_list = reverse(
        "admin:events_event_export_room_list", args=[a.event.pk, a_workshop.pk, "xlsx"]
    )
    registrations = reverse("admin:registrations_registration_changelist")
    autocomplete = (
        reverse("admin:autocomplete")
        + "?app_label=events&model_name=workshopspeaker&field_name=speaker&term="
    )
    view_on_site = reverse(
        "admin:view_on_site",
        args=[ContentType.objects.get_for_model(a.event).pk, a.event.pk],
    )
    expected = {
        "alice": [
            (change_url(a.event), 200, ["Alfa Fagdag", "Alfa blok 1", "Alfa workshop 11"]),
            (registrations, 200, ["Anna Asen", "Arne Aventer"]),
            (registrations + f"?event__id__exact={a.event.pk}", 200, ["Anna Asen"]),
            (change_url(anna), 200, ["anna@a.example", "A-111", "A-diet"]),
            (export, 200, ["Anna Asen", "A-111"]),
            (catering, 200, ["A-diet"]),
            (room_list, 200, ["Anna Asen"]),
            (autocomplete, 200, [a_speaker]),
            (view_on_site, 302, [a.event.slug]),
        ],
        "carl": [
            (change_url(b.event), 200, ["Bravo Fagdag", "Bravo blok 1"]),
            (change_url(a.event), 200, ["Alfa Fagdag"]),
            (registrations, 200, ["Anna Asen"]),
            (autocomplete, 200, [a_speaker, "Bravo Taler 11"]),
        ],
        "pia": [
            (change_url(a.event), 200, ["Alfa Fagdag", "Alfa blok 1"]),
            (autocomplete, 200, [a_speaker]),
            (registrations, 403, []),
            (export, 403, []),
        ],
        "nobody": [(change_url(a.event), 403, []), (registrations, 403, [])],
        "anonymous": [(change_url(a.event), 302, ["/admin/login/"])],
    }[walk.walker.name]
    failures = []
    for url, status, strings in expected:
        outcome = walk.outcomes.get(("GET", url, ()))
        if outcome is None:
            failures.append(f"{walk.walker.name}: the walk never asked for {url}")
            continue
        if outcome.status != status:
            failures.append(f"{walk.walker.name} {url}: {outcome.status}, expected {status}")
        failures += [
            f"{walk.walker.name} {url}: does not show {s!r}"
            for s in strings
            if s not in outcome.text
        ]
    return failures


# The walks -----------------------------------------------------------------------------------


def test_the_walk_covers_every_route_action_and_autocomplete_of_the_admin(world):
    """Every route of the admin site gets a request, every action a post, every autocomplete
    field of an admin a query: a URL added later cannot slip past the walk."""
    unfilled = []
    probes = all_probes(world.walkers["alice"], world, unfilled)

    routes = {route for route, _name, _params, _model in admin_routes()}
    walked_routes = {probe.route for probe in probes}
    actions = {
        (model._meta.label, name)
        for model, model_admin in admin.site._registry.items()
        for name in action_names(model_admin)
    }
    posted_actions = set()
    for probe in probes:
        fields = dict(probe.data)
        if "action" in fields:
            model = next(m for m in admin.site._registry if probe.url == changelist_url(m))
            posted_actions.add((model._meta.label, fields["action"]))
    autocompletes = {
        f"app_label={app}&model_name={model}&field_name={field}"
        for app, model, field in autocomplete_fields_of_admins()
    }
    asked = {
        probe.url.split("?")[1].rsplit("&term=")[0]
        for probe in probes
        if probe.url.startswith(reverse("admin:autocomplete") + "?")
    }

    assert unfilled == []
    assert routes - walked_routes == set()
    assert actions - posted_actions == set()
    assert autocompletes - asked == set()


def walk_as(client, world: World, name: str) -> tuple[Walk, list[str]]:
    """``name``'s walk: every probe, each response checked; and what the controls miss."""
    walker = world.walkers[name]
    walk = Walk(walker, world, client)
    unfilled = []
    probes = all_probes(walker, world, unfilled)
    started = time.perf_counter()
    for probe in probes:
        walk.check(probe)
    seconds = time.perf_counter() - started
    print(
        f"\n{name}: {len(probes)} probes, {len(walk.outcomes)} requests in {seconds:.1f} s; "
        f"statuses {dict(sorted(walk.statuses.items()))}; {len(walk.violations)} violations"
    )
    for violation in walk.violations:
        print("  " + violation)
    return walk, unfilled + controls(walk, world)


@pytest.mark.parametrize("name", ["alice", "carl", "pia", "nobody", "anonymous"])
def test_no_admin_url_shows_another_organisations_attendees_or_a_personal_link(client, world, name):
    walk, failures = walk_as(client, world, name)

    assert failures == [], "the walk does not see what the role shows: " + "\n".join(failures)
    assert walk.violations == [], f"{len(walk.violations)} violations:\n" + "\n".join(
        walk.violations
    )
