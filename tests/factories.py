"""Builders of test data, in one place. Each ``make_*`` returns saved objects; below
them, what the admin's pages and the spreadsheet import of workshops are sent."""

import datetime
import itertools
import uuid

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from events.models import (
    Event,
    Membership,
    Organisation,
    Session,
    Speaker,
    Workshop,
    WorkshopBlock,
    WorkshopSpeaker,
)

_counter = itertools.count(1)

DS_REGION_OST = "Dansk Socialrådgiverforening, Region Øst"


def make_organisation(name: str = DS_REGION_OST, **fields) -> Organisation:
    """The organisation called ``name``, made the first time (every ``make_*`` uses
    Region Øst unless told otherwise)."""
    defaults = dict(
        short_name=name[:50],
        contact_email="kontakt@example.org",
        privacy_controller=name,
        membership_number_label="Medlemsnummer i DS",
    )
    defaults.update(fields)
    organisation, _created = Organisation.objects.get_or_create(name=name, defaults=defaults)
    return organisation


def make_member(user, *, organisation=None, role=Membership.Role.ORGANISER) -> Membership:
    """``user`` gets ``role`` in ``organisation`` (Region Øst by default)."""
    return Membership.objects.create(
        user=user, organisation=organisation or make_organisation(), role=role
    )


def make_event(**fields) -> Event:
    n = next(_counter)
    first_day = fields.pop("first_day", timezone.localdate() + datetime.timedelta(days=30))
    defaults = dict(
        organisation=fields.pop("organisation", None) or make_organisation(),
        title=f"Fagdag {n}",
        slug=f"fagdag-{n}",
        summary="En dag med fagligheden i centrum.",
        organiser="Dansk Socialrådgiverforening, Region Øst",
        contact_name="Kontakt Person",
        contact_email="kontakt@example.org",
        venue="Festsalen",
        first_day=first_day,
        last_day=fields.pop("last_day", first_day),
        registration_opens=timezone.now() - datetime.timedelta(days=1),
        registration_closes=timezone.now() + datetime.timedelta(days=20),
        status=Event.Status.PUBLISHED,
    )
    defaults.update(fields)
    return Event.objects.create(**defaults)


def make_block(event: Event, **fields) -> WorkshopBlock:
    defaults = dict(
        title=f"Workshops, blok {event.blocks.count() + 1}",
        day=event.first_day,
        starts=datetime.time(11, 0),
        ends=datetime.time(12, 30),
    )
    defaults.update(fields)
    return WorkshopBlock.objects.create(event=event, **defaults)


def make_workshop(block: WorkshopBlock, *, speakers=(), **fields) -> Workshop:
    n = next(_counter)
    defaults = dict(title=f"Workshop {n}", description="Beskrivelse.", capacity=40, room="Lokale 1")
    defaults.update(fields)
    workshop = Workshop.objects.create(block=block, **defaults)
    for position, speaker in enumerate(speakers):
        WorkshopSpeaker.objects.create(workshop=workshop, speaker=speaker, position=position)
    return workshop


def make_speaker(**fields) -> Speaker:
    n = next(_counter)
    defaults = dict(
        owner=fields.pop("owner", None) or make_organisation(),
        name=f"Oplægsholder {n}",
        role="socialrådgiver",
        organisation="Glostrup Kommune",
    )
    defaults.update(fields)
    return Speaker.objects.create(**defaults)


def make_session(event: Event, **fields) -> Session:
    defaults = dict(
        title="Velkomst",
        kind=Session.Kind.WELCOME,
        day=event.first_day,
        starts=datetime.time(9, 15),
        ends=datetime.time(9, 30),
    )
    defaults.update(fields)
    return Session.objects.create(event=event, **defaults)


def make_programme(
    *, blocks: int = 2, workshops_per_block: int = 4, capacity: int = 40, **event_fields
):
    """An event with blocks of parallel workshops, each with one speaker."""
    event = make_event(**event_fields)
    for b in range(blocks):
        block = make_block(
            event,
            starts=datetime.time(9 + 2 * (b % 4), 0),
            ends=datetime.time(10 + 2 * (b % 4), 30),
            day=event.first_day + datetime.timedelta(days=b // 4)
            if event.last_day > event.first_day
            else event.first_day,
        )
        for _ in range(workshops_per_block):
            make_workshop(block, capacity=capacity, speakers=[make_speaker()])
    return event


def make_registration(event: Event, *, choices=None, waitlist: bool = False, **details):
    """A registration made through the seat service; by default the first workshop of each block."""
    from registrations import services
    from registrations.models import Registration

    n = next(_counter)
    attendee = dict(
        name=f"Deltager {n}",
        email=f"deltager{n}@example.org",
        workplace="Glostrup Kommune",
        job_title="Socialrådgiver",
        sector=Registration.Sector.PUBLIC,
    )
    attendee.update(details)
    if choices is None:
        choices = {block.pk: block.workshops.first().pk for block in event.blocks.all()}
    return services.register(
        event=event,
        attendee=services.AttendeeDetails(**attendee),
        choices=choices,
        waitlist=waitlist,
    )


# The admin's pages ---------------------------------------------------------------


def change_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def delete_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk])


def form_data(response) -> dict:
    """What a browser sends back for the page as it is: every form's and inline's values."""
    page_forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        page_forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in page_forms:
        for field in form:
            widget, value = field.field.widget, field.value()
            if isinstance(widget, forms.CheckboxInput):
                if value:
                    data[field.html_name] = "on"
            elif isinstance(widget, forms.MultiWidget):
                for n, part in enumerate(widget.decompress(value)):
                    data[f"{field.html_name}_{n}"] = "" if part is None else str(part)
            else:
                data[field.html_name] = "" if value is None else str(value)
    return data


def inline_formset(response, prefix: str):
    return next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == prefix
    )


def error_codes(form) -> dict[str, list[str]]:
    return {
        field: [error.code for error in errors] for field, errors in form.errors.as_data().items()
    }


# The spreadsheet import of workshops (events/imports.py) -------------------------

IMPORT_URL = "admin:events_workshop_import"
HEADER = "Blok;Titel;Beskrivelse;Pladser;Lokale;Tema;Online-link;Oplægsholdere"


def import_event():
    event = make_event(title="Socialrådgiverdage")
    make_block(event, title="Workshops, blok 1")
    make_block(
        event, title="Workshops, blok 2", starts=datetime.time(14, 0), ends=datetime.time(15, 30)
    )
    return event


def upload(client, event, content: bytes, *, name="workshops.csv", fmt="0"):
    return client.post(
        reverse(IMPORT_URL),
        {
            "event": event.pk,
            "import_file": SimpleUploadedFile(name, content),
            "format": fmt,
            "resource": "0",
        },
    )


def csv_file(*rows: str) -> bytes:
    return ("\ufeff" + "\r\n".join([HEADER, *rows]) + "\r\n").encode()


def personal_secret(registration) -> str:
    """The secret of a working personal link of the registration, made as an e-mail makes
    one (only e-mails carry it: the database holds its digest); the same one for the same
    instance, so that a test's links agree with those on the page it opens."""
    from registrations.models import issue_personal_link

    if "_test_secret" not in registration.__dict__:
        registration.__dict__["_test_secret"] = issue_personal_link(registration)
    return registration.__dict__["_test_secret"]


def personal_url(registration, name: str = "personal") -> str:
    """The path of the attendee's personal page (the link only e-mails carry), by a fresh link."""
    return reverse(f"registrations:{name}", kwargs={"secret": personal_secret(registration)})


def registration_form_data(event, **overrides) -> dict:
    """What a member sends on ``event``'s registration form: the standard answers and the
    first workshop of each block; ``overrides`` add or replace fields (None drops one)."""
    data = {
        "name": "Anne Steffensen",
        "email": "anne@example.org",
        "phone": "",
        "workplace": "Glostrup Kommune",
        "job_title": "Socialrådgiver",
        "sector": "public",
        "membership_number": "",
        "dietary_needs": "Vegetar",
        "consent": "on",
        "submission_token": str(uuid.uuid4()),
    }
    for block in event.blocks.all():
        data[f"block_{block.pk}"] = str(block.workshops.first().pk)
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}
