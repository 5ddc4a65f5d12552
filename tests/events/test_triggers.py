"""The programme's guards in the database (events/triggers.py), and the check that says when
they are missing. The counting triggers are tested in test_programme_version.py."""

import datetime

import pytest
from django.core import checks
from django.db import IntegrityError, connection, transaction

from events import triggers
from events.models import Event, Session, WorkshopBlock
from tests.factories import make_block, make_event, make_session

pytestmark = pytest.mark.django_db


def database_check_errors() -> list[tuple[str, str]]:
    """(id, message) of each error of the system checks that look at the database."""
    return [
        (error.id, error.msg)
        for error in checks.run_checks(tags=[checks.Tags.database], databases=["default"])
    ]


def test_database_refuses_a_block_outside_its_events_days():
    event = make_event()

    with pytest.raises(IntegrityError), transaction.atomic():
        make_block(event, day=event.last_day + datetime.timedelta(days=1))

    assert WorkshopBlock.objects.filter(event=event).count() == 0


def test_database_refuses_a_session_moved_outside_its_events_days():
    event = make_event()
    session = make_session(event)

    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.filter(pk=session.pk).update(
            day=event.first_day - datetime.timedelta(days=1)
        )

    session.refresh_from_db()
    assert session.day == event.first_day


def test_database_refuses_event_days_that_leave_a_block_outside():
    day = datetime.date(2031, 3, 4)
    event = make_event(first_day=day)
    make_block(event)
    later = day + datetime.timedelta(days=7)

    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(first_day=later, last_day=later)

    event.refresh_from_db()
    assert (event.first_day, event.last_day) == (day, day)


def test_a_missing_programme_trigger_fails_the_database_check_until_install_puts_it_back():
    triggers.drop(connection, ["version_block_insert"])  # the DDL is rolled back with the test

    errors = database_check_errors()
    triggers.install(connection)

    assert errors == [
        (
            "events.E001",
            "The database 'default' lacks triggers that events depends on: "
            "fagdag_version_block_insert.",
        )
    ]
    assert database_check_errors() == []
