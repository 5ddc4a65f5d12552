"""Database triggers of the programme, and the machinery that installs triggers.

The programme's rules that a CHECK constraint cannot state, because they
look at another table (``REFUSALS``):

- no workshop block or plenary session outside its event's days, and no
  change of the event's days that would leave one outside.

And ``versions()``, which count: every change to what the registration form
or the programme page shows of a programme (a block, a workshop but for its
seats taken, a workshop's speakers, a plenary item and its speakers, a
speaker, the organisation holding it) counts up the event's
``events_programmeversion.number``, so that pages kept in memory know they
are still right without reading the programme. The count has a table of its
own, not a column of the event, so counting takes no lock on the event's row.

A refusing trigger raises an integrity error, as a constraint would.

Triggers are installed after every ``migrate`` (``post_migrate``), like
django-pgtrigger does, rather than in a migration: SQLite rebuilds a table to
alter it, which drops that table's triggers and fails on triggers that name
it, so on SQLite they are dropped before migrating (``pre_migrate``) and
created again after. Installing is idempotent on both databases. An app with
triggers of its own (registrations/triggers.py) uses ``Refusal``, ``Action``,
``create``, ``drop`` and ``missing`` from here, and ``check_installed`` makes
a failed or partial migrate loud: a system check (``manage.py check
--database default``, and every ``migrate``) lists the triggers that are not
there.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core import checks
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

VENDORS = {"sqlite", "postgresql"}


@dataclass(frozen=True)
class Refusal:
    """A BEFORE trigger: each of ``events`` on ``table`` is refused while ``condition`` holds."""

    name: str
    table: str
    events: Sequence[str]  # SQLite's spelling ("UPDATE OF day, event_id"); one trigger each there
    condition: str

    def database_names(self, vendor: str) -> list[str]:
        if vendor == "sqlite":
            return [f"fagdag_{self.name}_{n}" for n in range(len(self.events))]
        return [f"fagdag_{self.name}"]


@dataclass(frozen=True)
class Action:
    """An AFTER trigger: ``statements`` run for each row of ``event`` on ``table`` (when
    ``condition`` holds)."""

    name: str
    table: str
    event: str
    statements: str
    condition: str | None = None

    def database_names(self, vendor: str) -> list[str]:
        return [f"fagdag_{self.name}"]


Trigger = Refusal | Action


def _sqlite(trigger: Trigger) -> Iterable[str]:
    if isinstance(trigger, Refusal):
        for name, event in zip(trigger.database_names("sqlite"), trigger.events, strict=True):
            yield (
                f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {event} ON {trigger.table} "
                f"WHEN {trigger.condition} "
                f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {trigger.name}'); END"
            )
        return
    when = f"WHEN {trigger.condition} " if trigger.condition else ""
    yield (
        f"CREATE TRIGGER IF NOT EXISTS fagdag_{trigger.name} AFTER {trigger.event} "
        f"ON {trigger.table} FOR EACH ROW {when}BEGIN {trigger.statements} END"
    )


def _postgresql(trigger: Trigger) -> Iterable[str]:
    name = f"fagdag_{trigger.name}"
    if isinstance(trigger, Refusal):
        yield f"""
            CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF {trigger.condition} THEN
                    RAISE EXCEPTION '{name}' USING ERRCODE = 'check_violation';
                END IF;
                RETURN NEW;
            END $$
        """
        yield (
            f"CREATE OR REPLACE TRIGGER {name} BEFORE {' OR '.join(trigger.events)} "
            f"ON {trigger.table} FOR EACH ROW EXECUTE FUNCTION {name}()"
        )
        return
    yield f"""
        CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            {trigger.statements}
            RETURN NULL;
        END $$
    """
    when = f"WHEN ({trigger.condition}) " if trigger.condition else ""
    yield (
        f"CREATE OR REPLACE TRIGGER {name} AFTER {trigger.event} ON {trigger.table} "
        f"FOR EACH ROW {when}EXECUTE FUNCTION {name}()"
    )


def has_tables(connection: BaseDatabaseWrapper, tables: set[str]) -> bool:
    return connection.vendor in VENDORS and tables <= set(connection.introspection.table_names())


def create(connection: BaseDatabaseWrapper, triggers: Iterable[Trigger]) -> None:
    """Create (or replace) ``triggers``; idempotent."""
    build = _sqlite if connection.vendor == "sqlite" else _postgresql
    with connection.cursor() as cursor:
        for trigger in triggers:
            for statement in build(trigger):
                cursor.execute(statement)


def drop(connection: BaseDatabaseWrapper, names: Iterable[str]) -> None:
    """Drop the triggers called ``names`` (without the "fagdag_" prefix), where they exist."""
    names = list(names)
    if connection.vendor == "sqlite":
        pattern = re.compile(rf"fagdag_({'|'.join(map(re.escape, names))})(_\d+)?")
        for found in sorted(installed_names(connection)):
            if pattern.fullmatch(found):
                with connection.cursor() as cursor:
                    cursor.execute(f'DROP TRIGGER IF EXISTS "{found}"')
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute(f"DROP FUNCTION IF EXISTS fagdag_{name}() CASCADE")


def drop_for_migrate(connection: BaseDatabaseWrapper, triggers: Iterable[Trigger]) -> None:
    """Drop ``triggers`` where a migration would trip over them (SQLite's table rebuilds)."""
    if connection.vendor == "sqlite":
        drop(connection, [trigger.name for trigger in triggers])


def installed_names(connection: BaseDatabaseWrapper) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        return {name for (name,) in cursor.fetchall()}


def missing(connection: BaseDatabaseWrapper, triggers: Iterable[Trigger]) -> list[str]:
    """The database names of ``triggers`` that the database does not have."""
    installed = installed_names(connection)
    return [
        name
        for trigger in triggers
        for name in trigger.database_names(connection.vendor)
        if name not in installed
    ]


def check_installed(*, app: str, tables: set[str], triggers, databases=None, **kwargs):
    """The system check: an error for each database that lacks some of ``triggers()``.

    Runs only when asked to look at databases (``check --database``, ``migrate``);
    a database without the app's tables yet (before its first migrate) passes.
    """
    errors = []
    for alias in databases or ():
        connection = connections[alias]
        if not has_tables(connection, tables):
            continue
        absent = missing(connection, triggers(connection))
        if absent:
            errors.append(
                checks.Error(
                    f"The database {alias!r} lacks triggers that {app} depends on: "
                    f"{', '.join(absent)}.",
                    hint=(
                        "migrate installs them when it ends: run `manage.py migrate "
                        "--skip-checks` (without it, migrate stops at this check)."
                    ),
                    id=f"{app}.E001",
                )
            )
    return errors


# The programme's own triggers ---------------------------------------------------------

DAY_OUTSIDE_EVENT = """
    NOT EXISTS (SELECT 1 FROM events_event e
                WHERE e.id = NEW.event_id AND NEW.day BETWEEN e.first_day AND e.last_day)
"""
EVENT_DAYS_LEAVE_ITEMS_OUTSIDE = """
    EXISTS (SELECT 1 FROM events_workshopblock b
            WHERE b.event_id = NEW.id AND b.day NOT BETWEEN NEW.first_day AND NEW.last_day)
    OR EXISTS (SELECT 1 FROM events_session s
               WHERE s.event_id = NEW.id AND s.day NOT BETWEEN NEW.first_day AND NEW.last_day)
"""
REFUSALS = [
    Refusal(
        "block_within_event_days",
        "events_workshopblock",
        ["INSERT", "UPDATE OF day, event_id"],
        DAY_OUTSIDE_EVENT,
    ),
    Refusal(
        "session_within_event_days",
        "events_session",
        ["INSERT", "UPDATE OF day, event_id"],
        DAY_OUTSIDE_EVENT,
    ),
    Refusal(
        "event_days_cover_programme",
        "events_event",
        ["UPDATE OF first_day, last_day"],
        EVENT_DAYS_LEAVE_ITEMS_OUTSIDE,
    ),
]

# Where an event's programme as the registration form shows it comes from:
# each change counts up the event's events_programmeversion.number (inserting
# the row the first time), from a SELECT of the events concerned and 1.
EVENTS_OF_BLOCKS = "SELECT DISTINCT b.event_id, 1 FROM events_workshopblock b WHERE b.id IN ({})"
EVENTS_OF_WORKSHOPS = (
    "SELECT DISTINCT b.event_id, 1 FROM events_workshop w "
    "JOIN events_workshopblock b ON b.id = w.block_id WHERE w.id IN ({})"
)
EVENTS_OF_SPEAKER = (
    "SELECT DISTINCT b.event_id, 1 FROM events_workshopspeaker ws "
    "JOIN events_workshop w ON w.id = ws.workshop_id "
    "JOIN events_workshopblock b ON b.id = w.block_id WHERE ws.speaker_id = {0} "
    "UNION SELECT DISTINCT s.event_id, 1 FROM events_sessionspeaker ss "
    "JOIN events_session s ON s.id = ss.session_id WHERE ss.speaker_id = {0}"
)
EVENTS_OF_SESSIONS = "SELECT DISTINCT s.event_id, 1 FROM events_session s WHERE s.id IN ({})"
COUNT_UP = (
    "INSERT INTO events_programmeversion (event_id, number) {events} "
    "ON CONFLICT (event_id) DO UPDATE SET number = events_programmeversion.number + 1;"
)
# Not a change of what the form shows: the count of seats, kept by the seat
# triggers of the app that owns the seats.
WORKSHOP_COLUMNS_NOT_SHOWN = {"id", "seats_taken"}


def versions(workshop_columns: Sequence[str]) -> list[Action]:
    """The counting triggers; a workshop's UPDATE counts for ``workshop_columns`` only."""
    columns = ", ".join(f'"{column}"' for column in workshop_columns)
    counted = [
        ("version_block_insert", "events_workshopblock", "INSERT", "SELECT NEW.event_id, 1"),
        (
            "version_block_update",
            "events_workshopblock",
            "UPDATE",
            "SELECT DISTINCT e.id, 1 FROM events_event e WHERE e.id IN (NEW.event_id, OLD.event_id)",
        ),
        ("version_block_delete", "events_workshopblock", "DELETE", "SELECT OLD.event_id, 1"),
        (
            "version_workshop_insert",
            "events_workshop",
            "INSERT",
            EVENTS_OF_BLOCKS.format("NEW.block_id"),
        ),
        (
            "version_workshop_update",
            "events_workshop",
            f"UPDATE OF {columns}",
            EVENTS_OF_BLOCKS.format("NEW.block_id, OLD.block_id"),
        ),
        (
            "version_workshop_delete",
            "events_workshop",
            "DELETE",
            EVENTS_OF_BLOCKS.format("OLD.block_id"),
        ),
        (
            "version_workshop_speaker_insert",
            "events_workshopspeaker",
            "INSERT",
            EVENTS_OF_WORKSHOPS.format("NEW.workshop_id"),
        ),
        (
            "version_workshop_speaker_update",
            "events_workshopspeaker",
            "UPDATE",
            EVENTS_OF_WORKSHOPS.format("NEW.workshop_id, OLD.workshop_id"),
        ),
        (
            "version_workshop_speaker_delete",
            "events_workshopspeaker",
            "DELETE",
            EVENTS_OF_WORKSHOPS.format("OLD.workshop_id"),
        ),
        # The plenary items and their speakers: the programme page shows them.
        ("version_session_insert", "events_session", "INSERT", "SELECT NEW.event_id, 1"),
        (
            "version_session_update",
            "events_session",
            "UPDATE",
            "SELECT DISTINCT e.id, 1 FROM events_event e WHERE e.id IN (NEW.event_id, OLD.event_id)",
        ),
        ("version_session_delete", "events_session", "DELETE", "SELECT OLD.event_id, 1"),
        (
            "version_session_speaker_insert",
            "events_sessionspeaker",
            "INSERT",
            EVENTS_OF_SESSIONS.format("NEW.session_id"),
        ),
        (
            "version_session_speaker_update",
            "events_sessionspeaker",
            "UPDATE",
            EVENTS_OF_SESSIONS.format("NEW.session_id, OLD.session_id"),
        ),
        (
            "version_session_speaker_delete",
            "events_sessionspeaker",
            "DELETE",
            EVENTS_OF_SESSIONS.format("OLD.session_id"),
        ),
        ("version_speaker_update", "events_speaker", "UPDATE", EVENTS_OF_SPEAKER.format("NEW.id")),
        (
            "version_organisation_update",
            "events_organisation",
            "UPDATE",
            "SELECT e.id, 1 FROM events_event e WHERE e.organisation_id = NEW.id",
        ),
        ("version_speaker_delete", "events_speaker", "DELETE", EVENTS_OF_SPEAKER.format("OLD.id")),
    ]
    # "WHERE true": SQLite's upsert needs a WHERE after a SELECT with no FROM.
    return [
        Action(
            name,
            table,
            event,
            COUNT_UP.format(events=select if " FROM " in select else f"{select} WHERE true"),
        )
        for name, table, event, select in counted
    ]


TABLES = {
    "events_event",
    "events_workshopblock",
    "events_session",
    "events_workshop",
    "events_workshopspeaker",
    "events_sessionspeaker",
    "events_speaker",
    "events_programmeversion",
    "events_organisation",
}


def programme_triggers(connection: BaseDatabaseWrapper) -> list[Trigger]:
    with connection.cursor() as cursor:
        columns = [
            column.name
            for column in connection.introspection.get_table_description(cursor, "events_workshop")
        ]
    shown = [column for column in columns if column not in WORKSHOP_COLUMNS_NOT_SHOWN]
    return [*REFUSALS, *versions(shown)]


def install(connection: BaseDatabaseWrapper) -> bool:
    """Create every trigger of the programme (idempotent). False when the tables are not there yet."""
    if not has_tables(connection, TABLES):
        return False
    create(connection, programme_triggers(connection))
    return True


def uninstall(connection: BaseDatabaseWrapper) -> None:
    """Drop the programme's triggers where a migration would trip over them (SQLite)."""
    drop_for_migrate(connection, [*REFUSALS, *versions([])])


def check(app_configs=None, databases=None, **kwargs):
    return check_installed(
        app="events", tables=TABLES, triggers=programme_triggers, databases=databases
    )
