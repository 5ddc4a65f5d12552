"""Database triggers of the seats: the seat invariant's last guard, and the seat counter.

Refusals, for the rules a CHECK constraint cannot state because they look at
another table:

- a seat's block is its workshop's block (so "one seat per block" means what
  it says);
- a workshop holding seats cannot move to another block.

And ``COUNTERS``, which keep a number rather than refusing:
``events_workshop.seats_taken`` follows every insert, delete and move of a
seat, in the transaction that makes it, so pages read the seats taken without
counting rows. The workshop's CHECK constraint ``seats_taken <= capacity``
(``workshop_seats_within_capacity``) then refuses both a seat in a full
workshop and a capacity lowered below the seats taken: no trigger of its own
is needed for either (tests/registrations/test_triggers.py and the
concurrency tests show it). ``install`` also sets the counter from the seat
rows (``RECOUNT``), so it is right after any migrate, whatever happened while
the triggers were away.

And ``VERSIONS``: a change to an event's questions (its own, or which
standard ones it asks) counts up its ``events_programmeversion`` as a change
to its programme does, so the registration form's kept pages show it at once.

Concurrent writers are serialised before they get here (row locks on
PostgreSQL, IMMEDIATE transactions on SQLite; see
``services.lock_event_and_workshops``), so the count a trigger sees is the
committed one. Installed around every ``migrate`` by this app's config, with
the machinery of events/triggers.py.
"""

from django.db.backends.base.base import BaseDatabaseWrapper

from events.triggers import (
    COUNT_UP,
    Action,
    Refusal,
    check_installed,
    create,
    drop,
    drop_for_migrate,
    has_tables,
)

SEAT_MISMATCH = """
    NOT EXISTS (SELECT 1 FROM events_workshop w
                WHERE w.id = NEW.workshop_id AND w.block_id = NEW.block_id)
"""
WORKSHOP_MOVED_WITH_SEATS = """
    NEW.block_id <> OLD.block_id
    AND EXISTS (SELECT 1 FROM registrations_seat s WHERE s.workshop_id = NEW.id)
"""
REFUSALS = [
    Refusal(
        "seat_block_is_workshop_block",
        "registrations_seat",
        ["INSERT", "UPDATE OF workshop_id, block_id"],
        SEAT_MISMATCH,
    ),
    Refusal(
        "workshop_with_seats_stays_in_block",
        "events_workshop",
        ["UPDATE OF block_id"],
        WORKSHOP_MOVED_WITH_SEATS,
    ),
]

ADD_SEAT = "UPDATE events_workshop SET seats_taken = seats_taken + 1 WHERE id = NEW.workshop_id;"
REMOVE_SEAT = "UPDATE events_workshop SET seats_taken = seats_taken - 1 WHERE id = OLD.workshop_id;"
COUNTERS = [
    Action("count_seat_insert", "registrations_seat", "INSERT", ADD_SEAT),
    Action("count_seat_delete", "registrations_seat", "DELETE", REMOVE_SEAT),
    Action(
        "count_seat_move",
        "registrations_seat",
        "UPDATE OF workshop_id",
        f"{REMOVE_SEAT} {ADD_SEAT}",
        condition="NEW.workshop_id <> OLD.workshop_id",
    ),
]
# What the registration form asks counts up the event's programme version too, as
# its programme does (events/triggers.py): the form's kept pages are keyed by it.
QUESTION_TABLES = ["registrations_question", "registrations_standardquestion"]
VERSIONS = [
    Action(
        f"version_{table.removeprefix('registrations_')}_{event.split()[0].lower()}",
        table,
        event,
        COUNT_UP.format(events=events),
    )
    for table in QUESTION_TABLES
    for event, events in [
        ("INSERT", "SELECT NEW.event_id, 1 WHERE true"),
        (
            "UPDATE",
            "SELECT DISTINCT e.id, 1 FROM events_event e WHERE e.id IN (NEW.event_id, OLD.event_id)",
        ),
        ("DELETE", "SELECT OLD.event_id, 1 WHERE true"),
    ]
]
TRIGGERS = [*REFUSALS, *COUNTERS, *VERSIONS]

RECOUNT = """
    UPDATE events_workshop SET seats_taken = (
        SELECT COUNT(*) FROM registrations_seat s WHERE s.workshop_id = events_workshop.id
    )
    WHERE seats_taken <> (
        SELECT COUNT(*) FROM registrations_seat s WHERE s.workshop_id = events_workshop.id
    )
"""

# Triggers of earlier versions, dropped wherever they are still installed: the
# capacity checks that the CHECK constraint on the seat counter makes redundant.
OBSOLETE = [
    "seat_within_capacity_insert",
    "seat_within_capacity_update",
    "workshop_capacity_covers_seats",
]

TABLES = {"events_workshop", "events_programmeversion", "registrations_seat", *QUESTION_TABLES}


def install(connection: BaseDatabaseWrapper) -> bool:
    """Create the seat triggers and recount the seats (idempotent). False before the tables."""
    if not has_tables(connection, TABLES):
        return False
    drop(connection, OBSOLETE)
    create(connection, TRIGGERS)
    with connection.cursor() as cursor:
        cursor.execute(RECOUNT)
    return True


def uninstall(connection: BaseDatabaseWrapper) -> None:
    """Drop the seat triggers where a migration would trip over them (SQLite's table rebuilds)."""
    drop_for_migrate(connection, TRIGGERS)
    if connection.vendor == "sqlite":
        drop(connection, OBSOLETE)


def check(app_configs=None, databases=None, **kwargs):
    return check_installed(
        app="registrations",
        tables=TABLES,
        triggers=lambda connection: TRIGGERS,
        databases=databases,
    )
