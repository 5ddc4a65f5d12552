"""Database triggers for the rules a CHECK constraint cannot state, because they look at another table.

- no workshop block or plenary session outside its event's days, and no
  change of the event's days that would leave one outside;
- a seat's block is its workshop's block (so "one seat per block" means what it says);
- a workshop never holds more seats than its capacity: inserting or moving a
  seat into a full workshop, or lowering a capacity below the seats taken, is
  refused;
- a workshop holding seats cannot move to another block.

And one that keeps a number rather than refusing: ``events_workshop.seats_taken``
follows every insert, delete and move of a seat (``COUNTERS``), so that pages
read the seats taken without counting rows; a CHECK constraint on the
workshop keeps it within the capacity, and the refusal of a seat in a full
workshop reads it too (one row, however many seats the workshop holds). ``install`` also sets it from the seat
rows, so it is right after any migrate, whatever happened while the triggers
were away.

And ``VERSIONS``, which count: every change to what the registration form
shows of a programme (a block, a workshop but for its seats taken, a
workshop's speakers, a speaker) counts up the event's
``events_programmeversion.number``, so that the form's pages kept in memory
know they are still right without reading the programme
(registrations/form_cache.py). These take no lock the seat service takes:
the count has a table of its own, not a column of the event.

The refusing ones raise an integrity error, as a constraint would. Concurrent writers are
serialised before they get here (row locks on PostgreSQL, IMMEDIATE
transactions on SQLite; see registrations.services), so the count a trigger
sees is the committed one.

They are installed after every ``migrate`` (``post_migrate``), like
django-pgtrigger does, rather than in a migration: SQLite rebuilds a table to
alter it, which drops that table's triggers and fails on triggers that name it,
so on SQLite they are dropped before migrating (``pre_migrate``) and created
again after. Installing is idempotent on both databases.
"""

from django.db.backends.base.base import BaseDatabaseWrapper

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
SEAT_MISMATCH = """
    NOT EXISTS (SELECT 1 FROM events_workshop w
                WHERE w.id = NEW.workshop_id AND w.block_id = NEW.block_id)
"""
# The workshop's seat count (``COUNTERS``) against its capacity: one row read,
# however many seats the workshop holds. Without the counter column (a
# database migrated back before it) the seat rows are counted instead.
SEAT_OVER_CAPACITY = """
    (SELECT w.seats_taken >= w.capacity FROM events_workshop w WHERE w.id = NEW.workshop_id)
"""
SEAT_OVER_CAPACITY_COUNTED = """
    (SELECT COUNT(*) FROM registrations_seat s WHERE s.workshop_id = NEW.workshop_id)
    >= (SELECT w.capacity FROM events_workshop w WHERE w.id = NEW.workshop_id)
"""
CAPACITY_BELOW_SEATS = """
    NEW.capacity < (SELECT COUNT(*) FROM registrations_seat s WHERE s.workshop_id = NEW.id)
"""
WORKSHOP_MOVED_WITH_SEATS = """
    NEW.block_id <> OLD.block_id
    AND EXISTS (SELECT 1 FROM registrations_seat s WHERE s.workshop_id = NEW.id)
"""

# name, table, events (SQLite spelling; one trigger per event there), condition,
# the tables it needs.
TRIGGERS = [
    (
        "block_within_event_days",
        "events_workshopblock",
        ["INSERT", "UPDATE OF day, event_id"],
        DAY_OUTSIDE_EVENT,
    ),
    (
        "session_within_event_days",
        "events_session",
        ["INSERT", "UPDATE OF day, event_id"],
        DAY_OUTSIDE_EVENT,
    ),
    (
        "event_days_cover_programme",
        "events_event",
        ["UPDATE OF first_day, last_day"],
        EVENT_DAYS_LEAVE_ITEMS_OUTSIDE,
    ),
    (
        "seat_block_is_workshop_block",
        "registrations_seat",
        ["INSERT", "UPDATE OF workshop_id, block_id"],
        SEAT_MISMATCH,
    ),
    ("seat_within_capacity_insert", "registrations_seat", ["INSERT"], SEAT_OVER_CAPACITY),
    (
        "seat_within_capacity_update",
        "registrations_seat",
        ["UPDATE OF workshop_id"],
        f"NEW.workshop_id <> OLD.workshop_id AND {SEAT_OVER_CAPACITY}",
    ),
    (
        "workshop_capacity_covers_seats",
        "events_workshop",
        ["UPDATE OF capacity"],
        CAPACITY_BELOW_SEATS,
    ),
    (
        "workshop_with_seats_stays_in_block",
        "events_workshop",
        ["UPDATE OF block_id"],
        WORKSHOP_MOVED_WITH_SEATS,
    ),
]
ADD_SEAT = "UPDATE events_workshop SET seats_taken = seats_taken + 1 WHERE id = NEW.workshop_id;"
REMOVE_SEAT = "UPDATE events_workshop SET seats_taken = seats_taken - 1 WHERE id = OLD.workshop_id;"

# name, event, condition (or None), statements: AFTER triggers on registrations_seat.
COUNTERS = [
    ("count_seat_insert", "INSERT", None, ADD_SEAT),
    ("count_seat_delete", "DELETE", None, REMOVE_SEAT),
    (
        "count_seat_move",
        "UPDATE OF workshop_id",
        "NEW.workshop_id <> OLD.workshop_id",
        REMOVE_SEAT + " " + ADD_SEAT,
    ),
]
RECOUNT = """
    UPDATE events_workshop SET seats_taken = (
        SELECT COUNT(*) FROM registrations_seat s WHERE s.workshop_id = events_workshop.id
    )
    WHERE seats_taken <> (
        SELECT COUNT(*) FROM registrations_seat s WHERE s.workshop_id = events_workshop.id
    )
"""

# Where an event's programme as the registration form shows it comes from:
# each change counts up the event's events_programmeversion.number (inserting
# the row the first time). name, table, event (the workshop's UPDATE is given
# its columns by ``install``: all but seats_taken, so counting a seat is not
# a change), and a SELECT of the events concerned and 1.
EVENTS_OF_BLOCKS = "SELECT DISTINCT b.event_id, 1 FROM events_workshopblock b WHERE b.id IN ({})"
EVENTS_OF_WORKSHOPS = (
    "SELECT DISTINCT b.event_id, 1 FROM events_workshop w "
    "JOIN events_workshopblock b ON b.id = w.block_id WHERE w.id IN ({})"
)
EVENTS_OF_SPEAKER = (
    "SELECT DISTINCT b.event_id, 1 FROM events_workshopspeaker ws "
    "JOIN events_workshop w ON w.id = ws.workshop_id "
    "JOIN events_workshopblock b ON b.id = w.block_id WHERE ws.speaker_id = {}"
)
VERSIONS = [
    ("version_block_insert", "events_workshopblock", "INSERT", "SELECT NEW.event_id, 1 WHERE true"),
    (
        "version_block_update",
        "events_workshopblock",
        "UPDATE",
        "SELECT DISTINCT e.id, 1 FROM events_event e WHERE e.id IN (NEW.event_id, OLD.event_id)",
    ),
    ("version_block_delete", "events_workshopblock", "DELETE", "SELECT OLD.event_id, 1 WHERE true"),
    (
        "version_workshop_insert",
        "events_workshop",
        "INSERT",
        EVENTS_OF_BLOCKS.format("NEW.block_id"),
    ),
    (
        "version_workshop_update",
        "events_workshop",
        "UPDATE OF {workshop_columns}",
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
    ("version_speaker_update", "events_speaker", "UPDATE", EVENTS_OF_SPEAKER.format("NEW.id")),
    ("version_speaker_delete", "events_speaker", "DELETE", EVENTS_OF_SPEAKER.format("OLD.id")),
]
COUNT_UP = (
    "INSERT INTO events_programmeversion (event_id, number) {events} "
    "ON CONFLICT (event_id) DO UPDATE SET number = events_programmeversion.number + 1;"
)
# Not a change of what the form shows: the count of seats, kept by COUNTERS.
WORKSHOP_COLUMNS_NOT_SHOWN = {"id", "seats_taken"}

TABLES_NEEDED = {
    "events_event",
    "events_workshopblock",
    "events_session",
    "events_workshop",
    "registrations_seat",
}


def _triggers(*, counters: bool):
    for name, table, events, condition in TRIGGERS:
        if not counters:
            condition = condition.replace(SEAT_OVER_CAPACITY, SEAT_OVER_CAPACITY_COUNTED)
        yield name, table, events, condition


def _sqlite_statements(*, counters: bool, workshop_columns: list[str] | None):
    for name, table, events, condition in _triggers(counters=counters):
        for n, event in enumerate(events):
            yield (
                f"CREATE TRIGGER IF NOT EXISTS fagdag_{name}_{n} BEFORE {event} ON {table} "
                f"WHEN {condition} "
                f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END"
            )
    for name, event, condition, statements in COUNTERS if counters else []:
        when = f"WHEN {condition} " if condition else ""
        yield (
            f"CREATE TRIGGER IF NOT EXISTS fagdag_{name} AFTER {event} ON registrations_seat "
            f"FOR EACH ROW {when}BEGIN {statements} END"
        )
    for name, table, event, events in VERSIONS if workshop_columns else []:
        event = event.format(workshop_columns=", ".join(f'"{c}"' for c in workshop_columns))
        yield (
            f"CREATE TRIGGER IF NOT EXISTS fagdag_{name} AFTER {event} ON {table} "
            f"FOR EACH ROW BEGIN {COUNT_UP.format(events=events)} END"
        )


def _sqlite_names():
    for name, _table, events, _condition in TRIGGERS:
        for n in range(len(events)):
            yield f"fagdag_{name}_{n}"
    for name, *_rest in [*COUNTERS, *VERSIONS]:
        yield f"fagdag_{name}"


def _postgresql_statements(*, counters: bool, workshop_columns: list[str] | None):
    for name, table, events, condition in _triggers(counters=counters):
        yield f"""
            CREATE OR REPLACE FUNCTION fagdag_{name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF {condition} THEN
                    RAISE EXCEPTION 'fagdag_{name}' USING ERRCODE = 'check_violation';
                END IF;
                RETURN NEW;
            END $$
        """
        yield (
            f"CREATE OR REPLACE TRIGGER fagdag_{name} BEFORE {' OR '.join(events)} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION fagdag_{name}()"
        )
    for name, event, condition, statements in COUNTERS if counters else []:
        yield f"""
            CREATE OR REPLACE FUNCTION fagdag_{name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                {statements}
                RETURN NULL;
            END $$
        """
        when = f"WHEN ({condition}) " if condition else ""
        yield (
            f"CREATE OR REPLACE TRIGGER fagdag_{name} AFTER {event} ON registrations_seat "
            f"FOR EACH ROW {when}EXECUTE FUNCTION fagdag_{name}()"
        )
    for name, table, event, events in VERSIONS if workshop_columns else []:
        event = event.format(workshop_columns=", ".join(f'"{c}"' for c in workshop_columns))
        yield f"""
            CREATE OR REPLACE FUNCTION fagdag_{name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                {COUNT_UP.format(events=events)}
                RETURN NULL;
            END $$
        """
        yield (
            f"CREATE OR REPLACE TRIGGER fagdag_{name} AFTER {event} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION fagdag_{name}()"
        )


def install(connection: BaseDatabaseWrapper) -> bool:
    """Create every trigger (idempotent). Returns False when the tables are not there yet."""
    if not TABLES_NEEDED <= set(connection.introspection.table_names()):
        return False
    statements = {"sqlite": _sqlite_statements, "postgresql": _postgresql_statements}.get(
        connection.vendor
    )
    if statements is None:
        return False
    with connection.cursor() as cursor:
        columns = [
            column.name
            for column in connection.introspection.get_table_description(cursor, "events_workshop")
        ]
        counted = "seats_taken" in columns
        versioned = "events_programmeversion" in connection.introspection.table_names(cursor)
        shown = [column for column in columns if column not in WORKSHOP_COLUMNS_NOT_SHOWN]
        for statement in statements(
            counters=counted, workshop_columns=shown if versioned else None
        ):
            cursor.execute(statement)
        if counted:
            cursor.execute(RECOUNT)
    return True


def uninstall(connection: BaseDatabaseWrapper) -> None:
    """Drop the triggers where a migration would trip over them (SQLite's table rebuilds)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for name in _sqlite_names():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
