"""The programme page kept per programme version (events/programme_page.py), its filter on
the server (events/programme_filter.py), what it says of full blocks and of registration,
deadlines nobody misreads, and the kept event list (events/event_list_page.py)."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.models import VENUE_TZ, Event, Workshop, WorkshopBlock
from events.templatetags.programme import deadline
from tests.factories import make_event, make_programme, make_session

pytestmark = pytest.mark.django_db


def detail_url(event, query=""):
    return reverse("events:detail", kwargs={"slug": event.slug}) + query


def shown_workshops(content: str) -> list[str]:
    """The titles of the workshops the page does not hide."""
    return re.findall(
        r'<li class="workshop"[^>]*?(?<! hidden)><h5 class="h6">([^<]*)</h5>', content
    )


def two_themes_programme():
    event = make_programme(
        blocks=2,
        workshops_per_block=2,
        first_day=datetime.date(2030, 10, 30),
        last_day=datetime.date(2030, 10, 31),
    )
    titles = iter(["Børnesamtalen", "Hjemløshed", "Udsatte unge", "Forskning i praksis"])
    themes = iter(["børn/familie", "udsatte", "udsatte", "forskning"])
    for workshop in Workshop.objects.filter(block__event=event).order_by("block__day", "pk"):
        workshop.title, workshop.theme = next(titles), next(themes)
        workshop.save()
    second_block = event.blocks.order_by("starts").last()
    WorkshopBlock.objects.filter(pk=second_block.pk).update(day=event.last_day)
    make_session(event, title="Frokost", day=event.first_day)
    return event


def test_the_filter_hides_on_the_server_what_does_not_match(client):
    event = two_themes_programme()
    second_day = event.last_day.isoformat()

    whole = client.get(detail_url(event)).content.decode()
    theme = client.get(detail_url(event, "?tema=udsatte")).content.decode()
    day_and_theme = client.get(detail_url(event, f"?tema=udsatte&dag={second_day}")).content
    text = client.get(detail_url(event, "?q=BØRNESAMTALEN")).content.decode()
    unknown = client.get(detail_url(event, "?tema=findes-ikke&blok=x&dag=1999-01-01")).content

    assert shown_workshops(whole) == [
        "Børnesamtalen",
        "Hjemløshed",
        "Udsatte unge",
        "Forskning i praksis",
    ]
    assert shown_workshops(theme) == ["Hjemløshed", "Udsatte unge"]
    assert "Viser 2 af 4 workshops" in theme
    assert re.search(
        r'data-day="[-\d]+" hidden>\s*<time[^>]*>[^<]*</time>\s*<div>\s*<h4 class="h5">Frokost',
        theme,
    )
    assert '<option value="udsatte" selected>' in theme
    assert shown_workshops(day_and_theme.decode()) == ["Udsatte unge"]
    assert shown_workshops(text) == ["Børnesamtalen"]
    assert 'value="BØRNESAMTALEN"' in text
    assert shown_workshops(unknown.decode()) == shown_workshops(whole)  # ignored, not an error


def test_a_search_is_escaped_into_the_page(client):
    event = two_themes_programme()

    content = client.get(detail_url(event, '?q="><script>alert(1)</script>')).content.decode()

    assert "<script>alert(1)" not in content
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in content


def test_the_kept_page_shows_the_seats_and_full_blocks_of_each_request(client):
    event = make_programme(blocks=2, workshops_per_block=2, capacity=3)
    client.get(detail_url(event))  # kept
    block = event.blocks.order_by("starts").first()
    Workshop.objects.filter(block=block).update(seats_taken=3)

    with CaptureQueriesContext(connection) as queries:
        content = client.get(detail_url(event)).content.decode()

    assert len(queries) == 2
    assert content.count("Fuldt booket") == 2
    assert content.count("3 ledige pladser") == 2
    assert (
        content.count(
            "Alle workshops i blokken er fuldt booket. Når du tilmelder dig, kan du skrive dig på ventelisten."
        )
        == 1
    )


def test_plenary_edits_show_at_once_on_the_kept_page(client):
    event = make_programme(blocks=1, workshops_per_block=1)
    session = make_session(event, title="Velkomst")
    assert "Velkomst" in client.get(detail_url(event)).content.decode()

    session.title = "Velkommen til dagen"
    session.save()

    assert "Velkommen til dagen" in client.get(detail_url(event)).content.decode()


@pytest.mark.parametrize(
    "closes,words",
    [
        (datetime.datetime(2026, 12, 31, 0, 0, tzinfo=VENUE_TZ), "til og med 30. december 2026"),
        (
            datetime.datetime(2026, 12, 31, 12, 0, tzinfo=VENUE_TZ),
            "til 31. december 2026 kl. 12.00",
        ),
        (
            datetime.datetime(2026, 12, 30, 23, 0, tzinfo=datetime.UTC),
            "til og med 30. december 2026",
        ),
    ],
)
def test_deadlines_are_written_so_nobody_misreads_them(closes, words):
    assert deadline(closes) == words


def test_the_programme_says_until_when_registration_is_open_and_when_it_closed(client):
    closes = datetime.datetime(2030, 1, 1, 0, 0, tzinfo=VENUE_TZ)
    event = make_programme(
        first_day=datetime.date(2030, 2, 1),
        last_day=datetime.date(2030, 2, 1),
        registration_opens=closes - datetime.timedelta(days=30),
        registration_closes=closes,
    )

    with time_machine.travel(closes - datetime.timedelta(days=1)):
        open_page = client.get(detail_url(event)).content.decode()
    with time_machine.travel(closes + datetime.timedelta(minutes=1)):
        closed_page = client.get(detail_url(event)).content.decode()

    assert "Tilmeldingen er åben til og med 31. december 2029" in open_page
    assert (
        "Tilmeld" in open_page and reverse("registrations:register", args=[event.slug]) in open_page
    )
    assert "Tilmeldingen er lukket. Den var åben til og med 31. december 2029." in closed_page
    assert reverse("registrations:register", args=[event.slug]) not in closed_page


def test_the_event_list_is_kept_and_shows_edits_at_once(client):
    event = make_event(title="Faglig Fællesskabsdag")
    client.get("/")

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    count = len(queries)  # now: the next request starts a new log
    again = response.content.decode()
    Event.objects.filter(pk=event.pk).update(title="Faglig dag 2030")
    edited = client.get("/").content.decode()

    assert count == 1
    assert "Faglig Fællesskabsdag" in again
    assert "Faglig dag 2030" in edited


def test_the_kept_event_list_follows_the_clock_without_any_edit(client):
    """The list's key is read from the rows and the time: registration opening and
    closing show at once, with nothing changed in the database."""
    opens = datetime.datetime(2030, 3, 1, 9, 0, tzinfo=VENUE_TZ)
    closes = datetime.datetime(2030, 3, 10, 12, 0, tzinfo=VENUE_TZ)
    with time_machine.travel(opens - datetime.timedelta(minutes=1), tick=False):
        make_event(
            title="Faglig Fællesskabsdag",
            first_day=datetime.date(2030, 4, 1),
            registration_opens=opens,
            registration_closes=closes,
        )
        before = client.get("/").content.decode()
        with CaptureQueriesContext(connection) as queries:
            kept = client.get("/").content.decode()
        count = len(queries)  # now: the next request starts a new log
    with time_machine.travel(opens + datetime.timedelta(minutes=1), tick=False):
        opened = client.get("/").content.decode()
    with time_machine.travel(closes + datetime.timedelta(minutes=1), tick=False):
        closed = client.get("/").content.decode()

    assert count == 1
    assert "Tilmeldingen åbner" in before and "Tilmeldingen åbner" in kept
    assert "Tilmeldingen er åben" in opened and "Tilmeldingen åbner" not in opened
    assert "Tilmeldingen er lukket" in closed
