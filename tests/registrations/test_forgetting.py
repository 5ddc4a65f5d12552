"""Forgetting (GDPR art. 17): after erasure nothing of the person is left anywhere.

A member with a name and address found nowhere else registers, changes
workshops, is corrected, moved and mailed by an organiser (one mail refused by
the mail server on the way), and is then erased, by themselves or by the
organiser. Then every row of every table of the database (tables outside
Django's models included, encoded values decoded) and every log record of
every logger at DEBUG, SQL statements included, are searched for the name and
the addresses. Before the erasure the same search finds them: the search
works.
"""

import base64
import binascii
import datetime
import logging
import re
import smtplib
import zlib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events.models import Workshop
from fagdag.logs import PersonalDataFilter
from registrations.models import ExportRecord, Question, Registration
from tests.factories import (
    make_programme,
    make_registration,
    personal_secret,
    registration_form_data,
)

pytestmark = pytest.mark.django_db

NAME = "Zebulon Quixtrøm-Vangsgaard"
EMAIL = "zebulon.quixtroem@vangsgaard-eksempel.dk"
NEW_EMAIL = "z.quixtroem@arbejde-vangsgaard.dk"  # the address an organiser corrects it to
# What must be gone: words of the name and of both addresses, searched for
# without regard to case (and "quixtr" also finds "Quixtr\u00f8m" and "Quixtr%C3%B8m").
TRACES = ("zebulon", "quixtr", "vangsgaard")


class RefusingMailServer(EmailBackend):
    """A mail server that refuses the recipient of the next ``refusals`` mails, naming the
    address as real servers do (550 5.1.1), then delivers to mail.outbox."""

    refusals = 0

    def send_messages(self, messages):
        if RefusingMailServer.refusals:
            RefusingMailServer.refusals -= 1
            to = messages[0].to[0]
            raise smtplib.SMTPRecipientsRefused(
                {to: (550, f"5.1.1 <{to}>: Recipient address rejected".encode())}
            )
        return super().send_messages(messages)


# The search -------------------------------------------------------------------------


def table_names() -> list[tuple[str, str]]:
    """(schema, table) of every table of the database, not only Django's models'."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_type = 'BASE TABLE' "
                "AND table_schema NOT IN ('pg_catalog', 'information_schema')"
            )
            return sorted(cursor.fetchall())
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return sorted(("main", name) for (name,) in cursor.fetchall())


_ENCODED = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")


def readable_forms(value) -> list[str]:
    """The value as text, and whatever its base64 parts decode (and decompress) to: Django's
    sessions, signed values and cache entries are stored so."""
    if value is None:
        return []
    if isinstance(value, memoryview):
        value = value.tobytes()
    text = value.decode("utf-8", "ignore") if isinstance(value, bytes) else str(value)
    forms = [text]
    for part in _ENCODED.findall(text):
        padded = part + "=" * (-len(part) % 4)
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                data = decode(padded)
            except (binascii.Error, ValueError):
                continue
            forms.append(data.decode("utf-8", "ignore"))
            try:
                forms.append(zlib.decompress(data).decode("utf-8", "ignore"))
            except zlib.error:
                pass
    return forms


def traces_in_database() -> dict[str, list[str]]:
    """Table -> the rows (as text) holding any of ``TRACES``."""
    found = {}
    with connection.cursor() as cursor:
        for schema, table in table_names():
            quote = connection.ops.quote_name
            name = f"{quote(schema)}.{quote(table)}" if schema != "main" else quote(table)
            cursor.execute(f"SELECT * FROM {name}")  # noqa: S608 (names from the catalogue)
            for row in cursor.fetchall():
                text = " ".join(form for value in row for form in readable_forms(value))
                if any(trace in text.lower() for trace in TRACES):
                    found.setdefault(table, []).append(text[:300])
    return found


def traces_in(text: str) -> list[str]:
    return [trace for trace in TRACES if trace in text.lower()]


@pytest.fixture
def every_logger_at_debug(caplog):
    """Every logger at DEBUG, and SQL statements logged as with DEBUG on."""
    for name in ["", *logging.root.manager.loggerDict]:
        caplog.set_level(logging.DEBUG, logger=name)
    connection.force_debug_cursor = True
    yield caplog
    connection.force_debug_cursor = False


def written_log(records) -> str:
    """The lines the site's own log handler (``LOGGING``) writes for ``records``."""
    [handler] = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, PersonalDataFilter) for f in handler.filters)
    ]
    return "\n".join(handler.format(record) for record in records if handler.filter(record))


# The member's life ------------------------------------------------------------------------


def admin_change(client, registration, **changes):
    url = reverse("admin:registrations_registration_change", args=[registration.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in form.fields}
    response = client.post(url, {**data, **changes})
    assert response.status_code == 302, response.context["adminform"].form.errors
    return response


def admin_action(client, action: str, registration, **data):
    return client.post(
        reverse("admin:registrations_registration_changelist"),
        {"action": action, "_selected_action": [registration.pk], **data},
        follow=True,
    )


def live_a_members_life(client, organiser, event, capture_on_commit) -> Registration:
    """Register, change, be corrected, moved and mailed in the admin; one mail is refused."""
    question = Question.objects.create(
        event=event, label="Hvem er din leder?", kind=Question.Kind.TEXT, position=1
    )
    member = Client()
    first, second = event.blocks.order_by("pk")
    RefusingMailServer.refusals = 1  # the confirmation's first try

    with capture_on_commit(execute=True):
        registered = member.post(
            reverse("registrations:register", kwargs={"slug": event.slug}),
            registration_form_data(
                event,
                name=NAME,
                email=EMAIL,
                phone="+45 40 12 34 56",
                membership_number="7755331",
                dietary_needs="Zebulon tåler ikke nødder",
                **{f"question_{question.pk}": "Zebulons leder er Vangsgaard senior"},
            ),
        )
    assert registered.status_code == 302
    registration = Registration.objects.get(email=EMAIL)
    personal = reverse("registrations:personal", kwargs={"secret": personal_secret(registration)})

    with capture_on_commit(execute=True):
        changed = member.post(
            reverse("registrations:change", kwargs={"secret": personal_secret(registration)}),
            {
                f"block_{first.pk}": str(first.workshops.order_by("pk").last().pk),
                f"block_{second.pk}": str(registration.seats.get(block=second).workshop_id),
            },
        )
    assert changed.status_code == 302
    assert member.get(personal).status_code == 200
    assert member.get(personal + "data.json").status_code == 200

    with capture_on_commit(execute=True):
        admin_change(client, registration, email=NEW_EMAIL, workplace="Vangsgaard Kommune")
        full = Workshop.objects.filter(block=second).exclude(
            pk=registration.seats.get(block=second).workshop_id
        )[0]
        Workshop.objects.filter(pk=full.pk).update(capacity=1)
        make_registration(  # fills it: the move overrides its capacity
            event, choices={first.pk: first.workshops.first().pk, second.pk: full.pk}
        )
        admin_action(
            client,
            "move_seats",
            registration,
            apply="1",
            workshop=str(full.pk),
            override_capacity="on",
        )
        admin_action(client, "resend_confirmation", registration)
        admin_action(client, "send_personal_link", registration)
    listed = client.get(reverse("admin:registrations_registration_changelist"), {"q": "zebulon"})
    assert listed.context["cl"].result_count == 1
    export = client.get(
        reverse(
            "admin:events_event_export",
            args=[event.pk, ExportRecord.Kind.ATTENDEES, ExportRecord.Format.CSV],
        )
    )
    assert NAME in b"".join(export.streaming_content).decode("utf-8-sig")
    assert RefusingMailServer.refusals == 0
    assert {EMAIL, NEW_EMAIL} <= {address for message in mail.outbox for address in message.to}
    return Registration.objects.get(pk=registration.pk)


@pytest.mark.parametrize("erased_by", ["the member", "an organiser after the change deadline"])
def test_after_erasure_no_table_and_no_log_line_holds_the_name_or_the_address(
    client,
    organiser,
    settings,
    every_logger_at_debug,
    django_capture_on_commit_callbacks,
    erased_by,
):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingMailServer"
    event = make_programme(blocks=2, workshops_per_block=2, capacity=5, price=0)
    registration = live_a_members_life(client, organiser, event, django_capture_on_commit_callbacks)
    before = traces_in_database()

    with django_capture_on_commit_callbacks(execute=True):
        if erased_by == "the member":
            erased = Client().post(
                reverse("registrations:erase", kwargs={"secret": personal_secret(registration)}),
                {"erase-confirm": "on"},
            )
            assert erased.status_code == 302
        else:
            event.changes_close = timezone.now() - datetime.timedelta(minutes=1)
            event.save()
            confirmed = admin_action(client, "erase_personal_data", registration, confirm="1")
            assert confirmed.status_code == 200

    registration.refresh_from_db()
    assert registration.anonymised_at is not None
    # The search finds what is there: the registration and the admin's history named them.
    assert {"registrations_registration", "django_admin_log"} <= set(before)
    assert traces_in_database() == {}
    logged = every_logger_at_debug.records
    assert any(r.name == "django.db.backends" for r in logged)  # SQL was logged, values and all
    # The refused mail was logged (by its outbox row's number and the server's code).
    assert any("refused by the mail server" in r.getMessage() for r in logged)
    assert traces_in(every_logger_at_debug.text) == []
    assert traces_in(written_log(logged)) == []


def test_the_migration_takes_names_out_of_old_capacity_override_messages(organiser):
    import importlib

    from django.apps import apps
    from django.contrib.admin.models import CHANGE, LogEntry

    migration = importlib.import_module(
        "registrations.migrations.0009_forget_names_in_override_history"
    )
    workshop = make_programme(blocks=1).blocks.get().workshops.first()
    messages = [
        "Capacity raised from 30 to 31 to move Zebulon Quixtrøm-Vangsgaard in (override).",
        "Antal pladser hævet fra 5 til 6 for at flytte Zebulon Quixtrøm ind (tilsidesat).",
        "Capacity raised from 7 to 8 to move an attendee in (override).",
        '[{"changed": {"fields": ["Capacity (seats)"]}}]',
    ]
    for message in messages:
        LogEntry.objects.log_actions(
            user_id=organiser.pk,
            queryset=[workshop],
            action_flag=CHANGE,
            change_message=message,
            single_object=True,
        )

    migration.nameless_override_messages(apps, None)

    assert list(LogEntry.objects.order_by("pk").values_list("change_message", flat=True)) == [
        "Capacity raised from 30 to 31 to move an attendee in (override).",
        "Antal pladser hævet fra 5 til 6 for at flytte en deltager ind (tilsidesat).",
        "Capacity raised from 7 to 8 to move an attendee in (override).",
        '[{"changed": {"fields": ["Capacity (seats)"]}}]',
    ]
