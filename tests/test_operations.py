"""Operations: Danish error pages, 503 without a database, request logs, gunicorn, backups."""

import json
import logging
import re
import smtplib
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied
from django.db import OperationalError, connection
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import permission_denied

from fagdag.logs import JsonFormatter, redact
from fagdag.views import server_error
from registrations import services
from tests.factories import make_programme, personal_secret
from tests.registrations.test_services import attendee
from tests.registrations.test_views import form_data

# --- Error pages ------------------------------------------------------------


@pytest.mark.django_db
def test_unknown_page_gets_the_danish_404_page(client):
    response = client.get("/findes-ikke/")

    assert response.status_code == 404
    assert "<h1>Siden findes ikke</h1>" in response.content.decode()


@pytest.mark.django_db
def test_form_without_its_csrf_token_gets_the_danish_403_page():
    event = make_programme(blocks=1)
    client = Client(enforce_csrf_checks=True)

    response = client.post(f"/tilmelding/{event.slug}/", form_data(event))

    assert response.status_code == 403
    assert "<h1>Formularen er udløbet</h1>" in response.content.decode()


@pytest.mark.django_db
def test_permission_denied_gets_the_danish_403_page():
    request = RequestFactory().get("/eksport/")

    response = permission_denied(request, PermissionDenied())

    assert response.status_code == 403
    assert "<h1>Adgang nægtet</h1>" in response.content.decode()


def test_a_forged_host_gets_the_danish_400_page(client):
    response = client.get("/healthz", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert "<h1>Forespørgslen kunne ikke læses</h1>" in response.content.decode()


def test_an_error_gets_the_danish_500_page():
    request = RequestFactory().get("/")
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        response = server_error(request)

    assert response.status_code == 500
    assert "<h1>Der gik noget galt</h1>" in response.content.decode()


def test_a_lost_database_outside_a_view_gets_the_503_page():
    request = RequestFactory().get("/")
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        response = server_error(request)

    assert (response.status_code, response["Retry-After"]) == (503, "30")
    assert "<h1>Siden har travlt</h1>" in response.content.decode()


# --- 503 when the database cannot be reached --------------------------------

REQUESTS_WITHOUT_DATABASE = """
import json
import django
django.setup()
from django.test import Client

client = Client(HTTP_HOST="fagdag.example.org")
results = {}
for name, response in [
    ("programme", client.get("/", secure=True)),
    ("register", client.post("/tilmelding/fagdag/", {"name": "Anne"}, secure=True)),
    ("personal", client.get("/tilmelding/min/abcdefghijklmnopqrstuvwxyz/", secure=True)),
    ("readyz", client.get("/readyz", secure=True)),
]:
    results[name] = {
        "status": response.status_code,
        "retry_after": response.get("Retry-After"),
        "body": response.content.decode(),
    }
print(json.dumps(results))
"""


def test_pages_answer_503_when_the_database_is_unreachable(production_env):
    """A production process whose PostgreSQL is a closed port: 503 pages, no tracebacks."""
    result = subprocess.run(  # noqa: S603 (our own command line)
        [sys.executable, "-c", REQUESTS_WITHOUT_DATABASE],
        cwd=django_settings.BASE_DIR,
        env={
            **production_env,
            "DJANGO_SETTINGS_MODULE": "fagdag.settings",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nothing",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    results = json.loads(result.stdout)
    for name in ("programme", "register", "personal"):
        assert (results[name]["status"], results[name]["retry_after"]) == (503, "30"), name
        assert "<h1>Siden har travlt</h1>" in results[name]["body"], name
        assert "Traceback" not in results[name]["body"]
    assert results["readyz"]["status"] == 503
    logged = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    request_lines = [
        (line["method"], line["path"], line["status"])
        for line in logged
        if line["logger"] == "fagdag.requests"
    ]
    assert request_lines == [
        ("GET", "/", 503),
        ("POST", "/tilmelding/fagdag/", 503),
        ("GET", "/tilmelding/min/<secret>/", 503),
    ]
    assert "abcdefghijklmnopqrstuvwxyz" not in result.stderr


# --- Request logs -----------------------------------------------------------


@pytest.mark.django_db
def test_each_request_logs_one_json_line_without_query_or_secret(client, caplog):
    event = make_programme(blocks=1)
    block = event.blocks.get()
    anne = services.register(
        event=event, attendee=attendee(), choices={block.pk: block.workshops.first().pk}
    )
    caplog.set_level(logging.INFO, logger="fagdag.requests")

    client.get(
        reverse("registrations:personal", kwargs={"secret": personal_secret(anne)}) + "?email=anne"
    )

    (record,) = [r for r in caplog.records if r.name == "fagdag.requests"]
    line = json.loads(JsonFormatter().format(record))
    assert set(line) == {
        "time",
        "level",
        "logger",
        "message",
        "method",
        "path",
        "status",
        "duration_ms",
    }
    assert (line["level"], line["logger"], line["message"]) == (
        "INFO",
        "fagdag.requests",
        "request",
    )
    assert (line["method"], line["path"], line["status"]) == (
        "GET",
        "/tilmelding/min/<secret>/",
        200,
    )
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert personal_secret(anne) not in caplog.text
    assert anne.email not in JsonFormatter().format(record)


def test_health_checks_are_not_logged_at_info(client, caplog):
    caplog.set_level(logging.INFO, logger="fagdag.requests")

    client.get("/healthz")

    assert [r for r in caplog.records if r.name == "fagdag.requests"] == []


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("/tilmelding/min/Xy_9-abc/", "/tilmelding/min/<secret>/"),
        ("/en/tilmelding/min/Xy_9-abc/skift/", "/en/tilmelding/min/<secret>/skift/"),
        ("/tilmelding/min/Xy_9-abc", "/tilmelding/min/<secret>"),
        ("/tilmelding/fagdag/bekraeftelse/Xy_9-abc/", "/tilmelding/fagdag/bekraeftelse/<secret>/"),
        ("Not Found: /tilmelding/min/Xy_9-abc/brev/", "Not Found: /tilmelding/min/<secret>/brev/"),
        ("/tilmelding/min/slettet/", "/tilmelding/min/slettet/"),
        ("/tilmelding/fagdag/", "/tilmelding/fagdag/"),
    ],
)
def test_secrets_of_personal_links_are_redacted(text, redacted):
    assert redact(text) == redacted


def test_the_formatter_writes_extra_fields_but_no_objects():
    record = logging.makeLogRecord(
        {
            "name": "fagdag.tasks",
            "levelname": "WARNING",
            "msg": "Mail to %s failed",
            "args": ("/tilmelding/min/hemmelig/",),
            "registration_id": 7,
            "request": object(),
        }
    )

    line = json.loads(JsonFormatter().format(record))

    assert {key: line[key] for key in line if key != "time"} == {
        "level": "WARNING",
        "logger": "fagdag.tasks",
        "message": "Mail to /tilmelding/min/<secret>/ failed",
        "registration_id": 7,
    }


# --- gunicorn -----------------------------------------------------------------


def test_gunicorn_serves_the_app_with_its_config_and_logs_json(production_env):
    """gunicorn.conf.py as production runs it: one worker on a free port of 127.0.0.1."""
    process = subprocess.Popen(  # noqa: S603 (our own command line)
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "fagdag.wsgi",
        ],
        cwd=django_settings.BASE_DIR,
        env={**production_env, "GUNICORN_BIND": "127.0.0.1:0", "WEB_CONCURRENCY": "1"},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = None
        deadline = time.monotonic() + 30
        while port is None and time.monotonic() < deadline:
            found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", process.stderr.readline())
            port = found and found.group(1)
        assert port, "gunicorn did not start"
        time.sleep(0.5)  # the worker boots after the master listens
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/healthz?x=1",
            headers={"Host": "fagdag.example.org", "X-Forwarded-Proto": "https"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our server)
            status, body = response.status, response.read()
            headers = dict(response.headers)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)

    assert (status, body) == (200, b"ok")
    assert headers["Strict-Transport-Security"] == "max-age=31536000"
    assert headers["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in headers
    logged = [json.loads(line) for line in stderr.splitlines()]  # every line is JSON
    # gunicorn's own lines; /healthz is logged at DEBUG only, below the production level.
    assert {line["logger"] for line in logged} == {"gunicorn.error"}
    assert "Traceback" not in stderr


# --- Backups ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_backup_of_the_database_restores_identically():
    event = make_programme(blocks=2)
    blocks = list(event.blocks.all())
    services.register(
        event=event,
        attendee=attendee(),
        choices={block.pk: block.workshops.first().pk for block in blocks},
    )
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite://{db['NAME']}"
        schema = "main"
    else:
        url = (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        )
        schema = "public"

    result = subprocess.run(  # noqa: S603 (our own command line)
        [sys.executable, "bin/backup-restore-check", url],
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"  {schema}.registrations_registration: 1 rows, same" in result.stdout
    assert f"  {schema}.registrations_seat: 2 rows, same" in result.stdout
    assert "Restore check passed:" in result.stdout
    if connection.vendor == "postgresql":  # the restored copy was dropped again
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_database WHERE datname LIKE %s", ["%restore_check%"]
            )
            assert cursor.fetchone() == (0,)


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        (
            "Key (event_id, email)=(3, anne@example.org) exists.",
            "Key (event_id, email)=(3, <e-mail>) exists.",
        ),
        (
            "{'anne.s+x@glostrup.dk': (550, b'5.1.1 <anne.s+x@glostrup.dk>: Recipient rejected')}",
            "{'<e-mail>': (550, b'5.1.1 <<e-mail>>: Recipient rejected')}",
        ),
        ("mailto:bo@æblegård.dk?subject=x", "mailto:<e-mail>?subject=x"),
        ("no address @ all", "no address @ all"),
    ],
)
def test_e_mail_addresses_are_redacted(text, redacted):
    assert redact(text) == redacted


def test_the_filter_blanks_addresses_in_tracebacks_and_values_in_sql():
    from fagdag.logs import PersonalDataFilter

    try:
        raise smtplib.SMTPRecipientsRefused({"anne@example.org": (550, b"refused")})
    except smtplib.SMTPRecipientsRefused:
        failure = logging.makeLogRecord(
            {
                "name": "django_tasks",
                "msg": "Task %s failed",
                "args": ("t1",),
                "exc_info": sys.exc_info(),
            }
        )
    statement = "INSERT INTO r (name, email) VALUES ('Anne O''Steffensen', 'anne@example.org')"
    query = logging.makeLogRecord(
        {
            "name": "django.db.backends",
            "msg": "(%.3f) %s; args=%s; alias=%s",
            "args": (0.001, statement, ("Anne O'Steffensen", "anne@example.org"), "default"),
            "duration": 0.001,
            "sql": statement,
            "params": ("Anne O'Steffensen", "anne@example.org"),
            "alias": "default",
        }
    )

    kept = [PersonalDataFilter().filter(record) for record in (failure, query)]

    assert kept == [True, True]
    assert failure.getMessage() == "Task t1 failed"
    assert "SMTPRecipientsRefused" in failure.exc_text
    assert "anne@example.org" not in failure.exc_text
    assert "anne@example.org" not in JsonFormatter().format(failure)
    assert (
        query.getMessage() == "(0.001) INSERT INTO r (name, email) VALUES ('…', '…'); alias=default"
    )
    assert "Steffensen" not in JsonFormatter().format(query)
