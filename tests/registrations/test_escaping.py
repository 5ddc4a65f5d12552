"""Markup in any field that reaches the manager letter or an e-mail is shown as text, never run.

Attendees, organisers and speakers type these fields; a ``<meta http-equiv=refresh>`` in a
speaker's organisation once sent the letter page's browser elsewhere.
"""

import datetime
import re

import pytest
from django.urls import reverse

from events.models import Session
from registrations import emails
from tests.factories import (
    make_block,
    make_event,
    make_organisation,
    make_registration,
    make_session,
    make_speaker,
    make_workshop,
    personal_url,
)

pytestmark = pytest.mark.django_db

PAYLOADS = (
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
)
# What must never appear in an HTML page or part: any of the payloads' tags, unescaped.
LIVE_MARKUP = re.compile(r"<meta http-equiv|<script>alert|<img src=x|onerror=alert\(1\)>")


def marked(field: str) -> str:
    """The field's name, to find it in the output, then every payload."""
    return f"{field}:" + "".join(PAYLOADS)


@pytest.fixture
def registration():
    organisation = make_organisation(
        name=marked("organisation-name")[:200], sender_name=marked("sender")[:100]
    )
    event = make_event(
        organisation=organisation,
        title=marked("event-title"),
        summary=marked("event-summary"),
        organiser=marked("event-organiser"),
        contact_name=marked("contact-name"),
        venue=marked("event-venue"),
        address=marked("event-address"),
        practical_information=marked("practical-information"),
        first_day=datetime.date(2030, 5, 7),
    )
    make_session(
        event,
        title=marked("session-title"),
        kind=Session.Kind.KEYNOTE,
        starts=datetime.time(9, 30),
        ends=datetime.time(10, 30),
    )
    block = make_block(event, title=marked("block-title"))
    make_workshop(
        block,
        title=marked("workshop-title"),
        description=marked("workshop-description"),
        room=marked("workshop-room"),
        speakers=[
            make_speaker(
                name=marked("speaker-name"),
                role=marked("speaker-role"),
                organisation=marked("speaker-organisation"),
            )
        ],
    )
    return make_registration(
        event,
        name=marked("attendee-name"),
        workplace=marked("attendee-workplace"),
        job_title=marked("attendee-job-title"),
        dietary_needs=marked("attendee-dietary-needs"),
    )


def test_payloads_would_be_caught_unescaped():
    assert all(LIVE_MARKUP.search(payload) for payload in PAYLOADS)


def test_letter_page_shows_every_field_as_text(client, registration):
    path = reverse(
        "registrations:letter", kwargs={"secret": personal_url(registration).split("/")[-2]}
    )

    content = client.get(path).content.decode()

    for field in (
        "event-title",
        "event-summary",
        "event-organiser",
        "event-venue",
        "event-address",
        "workshop-title",
        "speaker-name",
        "speaker-role",
        "speaker-organisation",
        "attendee-name",
        "attendee-workplace",
        "attendee-job-title",
    ):
        assert f"{field}:&lt;meta http-equiv=&quot;refresh&quot;" in content, field
    assert LIVE_MARKUP.findall(content) == []


@pytest.mark.parametrize("kind", sorted(emails.KINDS))
def test_every_e_mail_shows_every_field_as_text(registration, kind):
    message = emails.build_message(emails.load_registration(registration.pk), kind)

    html = message.alternatives[0][0]
    assert "attendee-name:&lt;meta http-equiv=&quot;refresh&quot;" in html
    assert "event-title:&lt;meta" in html
    assert LIVE_MARKUP.findall(html) == []
    assert "\n" not in message.subject
    assert "\n" not in message.from_email


def test_confirmation_e_mail_shows_the_programme_fields_as_text(registration):
    message = emails.build_message(emails.load_registration(registration.pk), "confirmation")

    html = message.alternatives[0][0]
    for field in ("workshop-title", "event-organiser", "contact-name", "practical-information"):
        assert f"{field}:&lt;meta http-equiv=&quot;refresh&quot;" in html, field
    assert LIVE_MARKUP.findall(html) == []
