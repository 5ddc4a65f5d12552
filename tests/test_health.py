import pytest


def test_healthz_answers_without_the_database(client):
    response = client.get("/healthz")

    assert (response.status_code, response.content) == (200, b"ok")


@pytest.mark.django_db
def test_readyz_reports_the_database(client):
    response = client.get("/readyz")

    assert (response.status_code, response.json()) == (200, {"database": "ok"})


@pytest.mark.django_db
def test_readyz_fails_when_a_seat_trigger_is_missing(client):
    from django.db import connection

    from events import triggers

    triggers.drop(connection, ["count_seat_insert"])  # rolled back with the test

    response = client.get("/readyz")

    assert (response.status_code, response.json()) == (
        503,
        {"database": "ok", "checks": ["registrations.E001"]},
    )
