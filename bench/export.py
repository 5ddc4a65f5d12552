"""Attendee lists of the 90-workshop event: 1,000 and then 10,000 registrations, streamed.

Builds a fresh PostgreSQL database with the demo programme (``load_demo``),
fills Socialrådgiverdage 2017 with registrations (bulk inserts straight
through the ORM: this is a fixture, not the path under test; each has one
seat in each of the six blocks, capacities raised to hold them, so the
database's seat triggers stay satisfied), then downloads every list through
the admin's export URLs with Django's test client, in this process, as a
staff user with the export permission. For each list and size it prints the
rows, seconds, rows per second, the number of database queries and the peak
of Python's memory allocations while the export ran (tracemalloc, in an
earlier download of the same list, so that tracing does not slow the timed
one; that download also warms the caches).

The point: the same number of queries at 1,000 and at 10,000 rows, and a
peak that does not grow with the rows for the streamed CSV.

The database named by ``--db`` is DROPPED and created again; its name must
contain "bench" and it must be on this host. Every loop is bounded by its
count and by ``--deadline`` seconds.

    .venv/bin/python bench/export.py [--db postgres://postgres@127.0.0.1:5432/fagdag_export_bench]
        [--sizes 1000,10000] [--deadline 900]
"""

import argparse
import io
import math
import os
import secrets
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

BASE_DIR = Path(__file__).resolve().parent.parent
SLUG = "socialraadgiverdage-2017"
PRICE = 1450  # the demo event may be free; invoicing needs a price
DIETARY_NEEDS = ["", "", "", "", "Vegetar", "vegetar.", " VEGETAR", "Glutenfri", "Laktosefri"]
DIETARY_NEEDS += ["Halal", "ingen", "Nøddeallergi", "Veganer", "Pescetar"]
BATCH = 1000  # registrations per bulk insert


def recreate_database(database_url: str) -> None:
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if parts.hostname not in {"127.0.0.1", "localhost", "::1"}:
        sys.exit(f"refusing to drop a database on {parts.hostname}: local PostgreSQL only")
    if "bench" not in name:
        sys.exit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    maintenance = parts._replace(path="/postgres").geturl()
    with psycopg.connect(maintenance, autocommit=True) as connection:
        identifier = sql.Identifier(name)
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(identifier))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(identifier))


def configure(database_url: str, data_dir: Path) -> None:
    """Production settings (DEBUG off), this database; then Django is set up."""
    os.environ.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="0",
        ADMIN_REQUIRE_2FA="0",
        DATA_DIR=str(data_dir),
        STATIC_ROOT=str(data_dir / "static"),
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="fagdag.settings",
    )
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


def prepare() -> None:
    from django.core.management import call_command

    started = time.perf_counter()
    for command in ("migrate", "createcachetable", "load_demo"):
        call_command(command, verbosity=0)
    print(f"  migrate, createcachetable, load_demo: {time.perf_counter() - started:.1f} s")


def fill(event, *, until: int, deadline: float) -> None:
    """Add registrations until the event has ``until``, each with a seat in every block."""
    from django.db import transaction
    from django.db.models import Count
    from django.utils import timezone

    from events.models import Workshop
    from registrations.models import Registration, Seat

    blocks = list(event.blocks.prefetch_related("workshops"))
    per_block = {block.pk: [w.pk for w in block.workshops.all()] for block in blocks}
    most = max(math.ceil(until / len(workshops)) + 1 for workshops in per_block.values())
    taken = dict(
        Workshop.objects.filter(block__event=event)
        .annotate(n=Count("seats"))
        .values_list("pk", "n")
    )
    for workshop in Workshop.objects.filter(block__event=event):
        workshop.capacity = max(workshop.capacity, most, taken[workshop.pk])
        workshop.save(update_fields=["capacity"])
    start = event.registrations.count()
    now = timezone.now()
    for first in range(start, until, BATCH):
        if time.monotonic() > deadline:
            sys.exit("deadline reached while filling the event")
        with transaction.atomic():
            batch = Registration.objects.bulk_create(
                registration(event, n, now) for n in range(first, min(first + BATCH, until))
            )
            Seat.objects.bulk_create(
                Seat(
                    registration=attendee,
                    block_id=block_id,
                    workshop_id=workshops[(n + position) % len(workshops)],
                )
                for n, attendee in enumerate(batch, start=first)
                for position, (block_id, workshops) in enumerate(per_block.items())
            )


def registration(event, n: int, now):
    from registrations.models import Registration

    payer = [Registration.Payer.EAN, Registration.Payer.CVR, Registration.Payer.PERSONAL][n % 3]
    return Registration(
        event=event,
        name=f"Deltager {n} Ærø",
        email=f"deltager{n}@example.org",
        phone="12345678",
        workplace=f"{['Glostrup', 'Aarhus', 'Odense', 'Aalborg'][n % 4]} Kommune",
        job_title="Socialrådgiver",
        sector=Registration.Sector.PUBLIC,
        membership_number=str(100000 + n),
        dietary_needs=DIETARY_NEEDS[n % len(DIETARY_NEEDS)],
        consent_given_at=now,
        payer=payer,
        ean=f"57980000{n % 200:05d}" if payer == Registration.Payer.EAN else "",
        cvr=f"{10000000 + n % 150}" if payer == Registration.Payer.CVR else "",
        invoice_organisation=f"Arbejdsgiver {n % 200}",
        invoice_address="Rådhuspladsen 1\n1550 København V",
        invoice_attention="Leder",
        invoice_order_number=f"PO-{n}",
    )


def download(client, path: str) -> tuple[int, int]:
    """GET the list; read the body chunk by chunk, keeping none. Returns (status, bytes)."""
    response = client.get(path)
    size = 0
    for chunk in response.streaming_content:
        size += len(chunk)
    response.close()
    return response.status_code, size


class QueryCounter:
    """Counts the statements sent to the database (survives reconnects, unlike connection.queries)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def measure(client, label: str, path: str) -> dict:
    """One traced download (the peak; it also warms caches), then one timed, counting queries."""
    from django.db import connection

    from registrations.models import ExportRecord

    tracemalloc.start()
    download(client, path)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    counter = QueryCounter()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        status, size = download(client, path)
    seconds = time.perf_counter() - started
    if status != 200:
        sys.exit(f"{label}: HTTP {status}")
    return {
        "label": label,
        "rows": ExportRecord.objects.latest("pk").row_count,
        "seconds": seconds,
        "bytes": size,
        "queries": counter.count,
        "peak": peak,
    }


def lists(event) -> list[tuple[str, str]]:
    from django.urls import reverse

    workshop = event.blocks.first().workshops.first()
    paths = [
        (f"{kind} {fmt}", reverse("admin:events_event_export", args=[event.pk, kind, fmt]))
        for kind, fmt in [
            ("attendees", "csv"),
            ("attendees", "csv_comma"),
            ("attendees", "xlsx"),
            ("catering", "csv"),
            ("invoicing", "csv"),
            ("invoicing", "xlsx"),
            ("room_lists", "xlsx"),
        ]
    ]
    paths.append(
        (
            "room list csv",
            reverse("admin:events_event_export_room_list", args=[event.pk, workshop.pk, "csv"]),
        )
    )
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/fagdag_export_bench")
    parser.add_argument("--sizes", default="1000,10000", help="registrations, ascending")
    parser.add_argument("--deadline", type=float, default=900, help="seconds for everything")
    options = parser.parse_args()
    deadline = time.monotonic() + options.deadline
    sizes = sorted(int(size) for size in options.sizes.split(","))
    if not sizes or sizes[0] < 1 or sizes[-1] > 100_000:
        sys.exit("--sizes: between 1 and 100000 registrations")

    print(f"Export benchmark on {urlsplit(options.db)._replace(netloc='…').geturl()}")
    print(f"  load average: {os.getloadavg()[0]:.2f}")
    recreate_database(options.db)
    with tempfile.TemporaryDirectory(prefix="fagdag-export-bench-") as data_dir:
        (Path(data_dir) / "static").mkdir()
        configure(options.db, Path(data_dir))
        prepare()
        from django.contrib.auth.models import Permission, User
        from django.core.management import call_command
        from django.test import Client

        from events.models import Event, Membership, Workshop

        event = Event.objects.get(slug=SLUG)
        if event.is_free:
            Event.objects.filter(pk=event.pk).update(price=PRICE)
            event.refresh_from_db()
        workshops = Workshop.objects.filter(block__event=event).count()
        print(f"  {event.title}: {event.blocks.count()} blocks, {workshops} workshops")
        user = User.objects.create_user("bench-export", is_staff=True)
        user.user_permissions.add(Permission.objects.get(codename="export_registrations"))
        # An organiser of the event's organisation: the admin shows it nothing else.
        call_command("setup_roles", verbosity=0, stdout=io.StringIO())
        Membership.objects.create(
            user=user, organisation=event.organisation, role=Membership.Role.ORGANISER
        )
        client = Client()
        client.force_login(user)

        results = {}
        for size in sizes:
            started = time.perf_counter()
            fill(event, until=size, deadline=deadline)
            print(f"  {size} registrations in place: {time.perf_counter() - started:.1f} s")
            for label, path in lists(event):
                if time.monotonic() > deadline:
                    sys.exit("deadline reached while exporting")
                results[(label, size)] = measure(client, label, path)

    print()
    header = f"{'list':<22}{'regs':>7}{'rows':>7}{'seconds':>9}{'rows/s':>9}{'KiB':>8}"
    print(header + f"{'queries':>9}{'peak KiB':>10}")
    for (label, size), figures in results.items():
        rate = figures["rows"] / figures["seconds"] if figures["seconds"] else 0
        print(
            f"{label:<22}{size:>7}{figures['rows']:>7}{figures['seconds']:>9.2f}{rate:>9.0f}"
            f"{figures['bytes'] / 1024:>8.0f}{figures['queries']:>9}{figures['peak'] / 1024:>10.0f}"
        )
    changed = [
        label
        for label, _path in {(label, None) for (label, _size) in results}
        if len({results[(label, size)]["queries"] for size in sizes}) > 1
    ]
    print()
    print("Same number of queries at every size:", "yes" if not changed else f"no: {changed}")


if __name__ == "__main__":
    from django_scopes import scopes_disabled

    with scopes_disabled():  # a benchmark, not a person: every organisation
        main()
