"""The language switcher: a GET form that only redirects (fagdag.views.switch_language), so
the pages loaded in a rush carry no CSRF token and set no cookie."""

import re

import pytest

from tests.factories import make_programme

pytestmark = pytest.mark.django_db


def switch(client, language, next_path):
    return client.get("/sprog/", {"language": language, "next": next_path})


@pytest.mark.parametrize(
    ("language", "next_path", "target"),
    [
        ("en", "/arrangementer/{slug}/", "/en/arrangementer/{slug}/"),
        ("da", "/arrangementer/{slug}/", "/arrangementer/{slug}/"),
        ("en", "/tilmelding/{slug}/?tema=3", "/en/tilmelding/{slug}/?tema=3"),
        ("en", "/", "/en/"),
    ],
)
def test_the_switcher_sends_the_member_to_the_same_page_in_the_language_chosen(
    client, language, next_path, target
):
    event = make_programme()

    response = switch(client, language, next_path.format(slug=event.slug))

    assert (response.status_code, response["Location"]) == (302, target.format(slug=event.slug))
    assert not response.cookies  # the address says the language; nothing is remembered


def test_the_switcher_works_from_an_english_page(client):
    event = make_programme()

    page = client.get(f"/en/arrangementer/{event.slug}/").content.decode()
    form = re.search(r'<form class="language-switch[^>]*>.*?</form>', page, re.DOTALL)[0]
    assert 'action="/sprog/"' in form and 'method="get"' in form
    assert "csrfmiddlewaretoken" not in form
    next_path = re.search(r'name="next" type="hidden" value="([^"]*)"', form)[1]
    assert next_path == f"/arrangementer/{event.slug}/"

    response = switch(client, "da", next_path)
    assert response["Location"] == f"/arrangementer/{event.slug}/"


@pytest.mark.parametrize(
    "next_path",
    ["https://evil.example/", "//evil.example/", "/\\evil.example/", "evil", "", "/\r\n/x"],
)
def test_the_switcher_never_sends_anyone_to_another_site(client, next_path):
    response = switch(client, "en", next_path)

    assert response.status_code == 302
    assert response["Location"] in {"/", "/en/"}


def test_an_unknown_language_leaves_the_page_as_it_is(client):
    event = make_programme()

    response = switch(client, "xx", f"/arrangementer/{event.slug}/")

    assert response["Location"] == f"/arrangementer/{event.slug}/"


def test_the_switcher_does_not_take_posts(client):
    assert client.post("/sprog/", {"language": "en", "next": "/"}).status_code == 405


@pytest.mark.parametrize(
    "path", ["/", "/en/", "/arrangementer/{slug}/", "/en/arrangementer/{slug}/"]
)
def test_the_event_list_and_programme_give_a_browser_without_cookies_none(client, path):
    """Everyone loads these in a rush: no CSRF secret is made and no cookie set for them."""
    event = make_programme()

    response = client.get(path.format(slug=event.slug))

    assert response.status_code == 200
    assert not response.cookies
    assert "csrfmiddlewaretoken" not in response.content.decode()


def switcher_next(response) -> str:
    return re.search(r'name="next" type="hidden" value="([^"]*)"', response.content.decode())[1]


@pytest.mark.parametrize("path", ["/", "/arrangementer/{slug}/", "/tilmelding/{slug}/"])
def test_a_kept_page_takes_each_requests_own_way_back_for_the_switcher(client, path):
    """Kept pages are rendered by one request and served to the next: the way back must be
    each request's own, never the query string of whoever's request rendered the page."""
    event = make_programme()
    path = path.format(slug=event.slug)

    first = client.get(f"{path}?q=someone-elses-search&blok=1")
    second = client.get(path)
    english = client.get(f"/en{path}?tema=x&amp=1")

    assert switcher_next(first) == f"{path}?q=someone-elses-search&amp;blok=1"
    assert switcher_next(second) == path
    assert switcher_next(english) == f"{path}?tema=x&amp;amp=1"


def test_the_registration_form_shown_again_takes_its_own_way_back(client):
    from tests.registrations.test_views import register_url

    event = make_programme()
    client.get(register_url(event) + "?q=someone-elses-search")  # renders the kept page

    again = client.post(register_url(event) + "?blok=1", {"name": ""})

    assert again.status_code == 200
    assert switcher_next(again) == register_url(event) + "?blok=1"
