import pytest


def test_healthz_answers_without_the_database(client):
    response = client.get("/healthz")

    assert (response.status_code, response.content) == (200, b"ok")


@pytest.mark.django_db
def test_readyz_reports_the_database(client):
    response = client.get("/readyz")

    assert (response.status_code, response.json()) == (200, {"database": "ok"})
