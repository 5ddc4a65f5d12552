"""The registration form's programme, rendered and built once per process, read per request."""

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from events.models import Event, Speaker, Workshop
from registrations import form_cache
from registrations.forms import RegistrationForm
from registrations.models import Registration
from tests.factories import make_block, make_programme, make_registration, make_workshop
from tests.registrations.test_views import form_data, register_url

pytestmark = pytest.mark.django_db

HIDDEN = re.compile(
    r'<input type="hidden" name="(csrfmiddlewaretoken|submission_token)" value="([^"]*)"'
)


def hidden_values(content: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for name, value in HIDDEN.findall(content):
        values.setdefault(name, []).append(value)
    return values


def without_tokens(content: str) -> str:
    return HIDDEN.sub("", content)


def test_each_request_gets_its_own_tokens_in_the_same_page(client):
    event = make_event_with_programme()

    first = client.get(register_url(event)).content.decode()
    with CaptureQueriesContext(connection) as queries:
        second = client.get(register_url(event)).content.decode()

    assert len(queries) == 2  # the event with its programme version, the seats: nothing more
    assert without_tokens(first) == without_tokens(second)
    assert hidden_values(first)["submission_token"] != hidden_values(second)["submission_token"]
    assert len(set(hidden_values(second)["csrfmiddlewaretoken"])) == 1  # one masked token per page
    assert (
        hidden_values(first)["csrfmiddlewaretoken"] != hidden_values(second)["csrfmiddlewaretoken"]
    )
    assert form_cache.MARK not in second
    assert "@@slot-" not in second


def test_a_form_from_the_remembered_page_registers_with_its_tokens():
    event = make_event_with_programme()
    browser = Client(enforce_csrf_checks=True)
    browser.get(register_url(event))  # renders and remembers the page
    page = browser.get(register_url(event)).content.decode()
    hidden = {name: values[0] for name, values in hidden_values(page).items()}

    response = browser.post(register_url(event), {**form_data(event), **hidden})

    assert response.status_code == 302
    registration = Registration.objects.get()
    assert str(registration.submission_token) == hidden["submission_token"]


def test_seats_left_are_those_of_the_request(client):
    event = make_event_with_programme(capacity=12)
    client.get(register_url(event))
    chosen = event.blocks.first().workshops.first()

    client.post(register_url(event), form_data(event))
    content = Client().get(register_url(event)).content.decode()

    assert option(content, chosen).count("11 ledige pladser") == 1
    assert content.count("12 ledige pladser") == 2 * 4 - 2  # the other block's choice too


def test_a_workshop_that_fills_up_is_shown_disabled_without_rendering_the_page_again(client):
    event = make_event_with_programme(capacity=1)
    client.get(register_url(event))
    chosen = event.blocks.first().workshops.first()

    client.post(register_url(event), form_data(event))
    with CaptureQueriesContext(connection) as queries:
        content = Client().get(register_url(event)).content.decode()

    assert len(queries) == 2
    assert "Fuldt booket" in option(content, chosen)
    assert 'class="form-check workshop-option is-full"' in content
    assert re.search(rf'value="{chosen.pk}" id="[^"]*" disabled', content)
    assert content.count(" disabled") == 2  # the chosen workshop of each block
    assert 'name="waitlist"' not in content


def test_a_fully_booked_block_offers_the_waitlist(client):
    event = make_programme(blocks=2, workshops_per_block=1, capacity=1)
    client.get(register_url(event))

    client.post(register_url(event), form_data(event))
    content = Client().get(register_url(event)).content.decode()

    assert 'name="waitlist"' in content
    assert " disabled" not in content  # a full block's workshops can be chosen to wait for


def test_programme_edits_show_at_once(client):
    event = make_event_with_programme()
    client.get(register_url(event))
    workshop = event.blocks.first().workshops.first()
    speaker = Speaker.objects.filter(workshops=workshop).first()

    Workshop.objects.filter(pk=workshop.pk).update(title="Ny titel", room="Sal 9")
    Speaker.objects.filter(pk=speaker.pk).update(name="Ny Oplægsholder")
    content = client.get(register_url(event)).content.decode()

    assert "Ny titel" in content
    assert "Sal 9" in content
    assert "Ny Oplægsholder" in content


def test_each_language_has_its_own_page(client):
    event = make_event_with_programme()

    danish = client.get(register_url(event)).content.decode()
    with translation.override("en"):
        english = client.get(register_url(event)).content.decode()

    assert "Vælg dine workshops" in danish
    assert "Choose your workshops" in english
    assert "Vælg dine workshops" not in english


def make_event_with_programme(**fields):
    return make_programme(blocks=2, workshops_per_block=4, **fields)


def option(content: str, workshop) -> str:
    """The markup of ``workshop``'s radio option on the form page."""
    start = content.index(f'value="{workshop.pk}" id="')
    ends = (content.find(end, start) for end in ("</details></div>", "</span></div></div>"))
    return content[start : min(end for end in ends if end >= 0)]


def test_a_block_added_after_the_first_submission_is_required_at_once(client):
    event = make_event_with_programme()
    client.post(register_url(event), form_data(event))  # builds the blocks to check against
    new_block = make_block(event, starts=datetime.time(15, 0), ends=datetime.time(16, 0))
    make_workshop(new_block)

    data = form_data(event, email="bo@example.org")
    del data[f"block_{new_block.pk}"]
    response = client.post(register_url(event), data)

    assert response.status_code == 200
    assert "Vælg en workshop i denne blok." in response.content.decode()
    assert Registration.objects.count() == 1


def test_a_workshop_added_after_the_first_submission_can_be_chosen_at_once(client):
    event = make_event_with_programme()
    client.post(register_url(event), form_data(event))
    block = event.blocks.first()
    added = make_workshop(block, title="Ny workshop")

    response = client.post(
        register_url(event),
        form_data(event, email="bo@example.org", **{f"block_{block.pk}": str(added.pk)}),
    )

    assert response.status_code == 302
    assert Registration.objects.get(email="bo@example.org").seats.filter(workshop=added).exists()


def test_a_block_that_filled_up_since_the_first_submission_offers_the_waitlist(client):
    event = make_programme(blocks=2, workshops_per_block=1, capacity=1)
    client.post(register_url(event), form_data(event))  # takes the only seats

    response = client.post(
        register_url(event), form_data(event, email="bo@example.org", waitlist="on")
    )

    assert response.status_code == 302
    assert Registration.objects.get(email="bo@example.org").status == Registration.Status.WAITLISTED


def test_a_refused_submission_shows_the_programme_as_it_is_now(client):
    event = make_event_with_programme()
    client.post(register_url(event), form_data(event))
    workshop = event.blocks.first().workshops.last()
    Workshop.objects.filter(pk=workshop.pk).update(title="Omdøbt workshop")

    response = client.post(register_url(event), form_data(event, email="", name=""))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Omdøbt workshop" in content
    assert "40 ledige pladser" in content


def test_a_query_string_is_filled_into_the_kept_page_not_kept_as_another(client):
    # The filter's query string (events/programme_filter.py) fills in slots of the
    # one kept page: made-up query strings cannot push the real page out.
    event = make_event_with_programme()

    first = client.get(register_url(event) + "?x=1")
    with CaptureQueriesContext(connection) as queries:
        again = client.get(register_url(event) + "?q=nothing-matches-this")

    assert first.status_code == again.status_code == 200
    assert 'name="block_' in again.content.decode()
    assert len(queries) == 2
    assert len(form_cache._pages.items) == 1


# --- a refused submission, answered from the kept page ------------------------------------


def test_a_refused_submission_is_answered_from_the_kept_page_with_the_answers(client):
    event = make_event_with_programme(capacity=1)
    block = event.blocks.first()
    full = block.workshops.first()
    client.get(register_url(event))  # the page is kept
    make_registration(event)  # takes the last seat of the first workshop of each block
    data = form_data(
        event,
        name='Anne "Ø" & Steffensen',  # no <>: not a name (models.validate_person_name)
        dietary_needs="Vegetar\nIngen nødder",
        **{f"block_{block.pk}": str(full.pk)},
    )

    with CaptureQueriesContext(connection) as queries:
        response = client.post(register_url(event), data)
    count = len(queries)
    content = response.content.decode()

    assert response.status_code == 200
    assert "blev fuldt booket, mens du udfyldte formularen" in content
    assert 'id="error-summary"' in content
    assert f'<a href="#fieldset_id_block_{block.pk}">' in content
    assert f'aria-describedby="id_block_{block.pk}_error"' in content
    assert 'value="Anne &quot;Ø&quot; &amp; Steffensen"' in content
    assert "Vegetar\nIngen nødder</textarea>" in content
    assert re.search(r'value="public"[^>]* checked>', content)
    assert re.search(r'name="consent"[^>]* checked>', content)
    assert "Fuldt booket" in option(content, full)
    assert re.search(rf'value="{full.pk}" id="[^"]*" disabled', content)
    assert hidden_values(content)["submission_token"] == [data["submission_token"]]
    assert form_cache.MARK not in content
    # The event, the seats, then the service's reads and writes: no programme read again.
    assert not any(
        "events_workshopspeaker" in query["sql"] for query in queries.captured_queries[:count]
    )


def test_a_workshop_refused_as_full_is_shown_full_whatever_the_seats_read_afterwards(rf):
    # A seat may free up between the service's refusal and the seats read for the page:
    # the member was refused for it, so the page must not offer it as free.
    event = make_event_with_programme(capacity=5)
    event = Event.objects.with_programme_version().get(pk=event.pk)
    block = event.blocks.first()
    refused = block.workshops.first()
    request = rf.post(register_url(event), form_data(event))
    form = RegistrationForm(
        request.POST,
        event=event,
        blocks=form_cache.blocks_to_check(event),
        questions=form_cache.questions(event),
        offers_waitlist=True,
    )
    assert form.is_valid()

    content = form_cache.form_again(request, event, form, full_blocks=[block.pk]).content.decode()

    assert "Fuldt booket" in option(content, refused)
    assert "5 ledige pladser" not in option(content, refused)
    assert 'name="waitlist"' not in content  # the block has other workshops with seats


def test_a_field_with_an_error_is_rendered_as_crispy_renders_it(client):
    event = make_event_with_programme()

    response = client.post(register_url(event), form_data(event, email="ikke-en-adresse"))

    content = response.content.decode()
    assert 'aria-invalid="true"' in content
    assert 'value="ikke-en-adresse"' in content
    assert 'value="Anne Steffensen"' in content
    assert "Indtast en gyldig e-mail-adresse." in content


def test_a_submission_for_a_workshop_already_full_is_refused_without_the_seat_lock(client):
    event = make_event_with_programme(capacity=1)
    block = event.blocks.first()
    full = block.workshops.first()
    make_registration(event)  # the last seat of the first workshop of each block

    with CaptureQueriesContext(connection) as queries:
        response = client.post(register_url(event), form_data(event, email="bo@example.org"))
    sql = [query["sql"] for query in queries.captured_queries]

    assert response.status_code == 200
    assert "blev fuldt booket, mens du udfyldte formularen" in response.content.decode()
    assert "Fuldt booket" in option(response.content.decode(), full)
    # No seat lock waited for. (On PostgreSQL the rate limit's counters lock their
    # own rows of the cache table, fagdag.cache: not the programme's.)
    locks = [statement for statement in sql if "FOR UPDATE" in statement]
    assert [statement for statement in locks if '"fagdag_cache"' not in statement] == []
    assert Registration.objects.filter(email="bo@example.org").count() == 0


def test_a_repeated_submission_that_took_the_last_seat_is_answered_with_its_registration(
    client,
):
    event = make_event_with_programme(capacity=1)
    data = form_data(event, email="bo@example.org")
    first = client.post(register_url(event), data)

    again = client.post(register_url(event), data)  # a double click: now the workshop is full

    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"]
    assert Registration.objects.count() == 1


def test_an_address_already_registered_is_refused_for_a_full_workshop_like_any_other(
    client, mailoutbox
):
    # No membership oracle: the repeat meets the refusal a new address meets
    # (services.register), here the early one, and its owner is not e-mailed,
    # as the service would have refused it as full before looking for it.
    event = make_event_with_programme(capacity=1)
    make_registration(event, email="bo@example.org")
    mailoutbox.clear()

    repeat = client.post(register_url(event), form_data(event, email="Bo@Example.org"))
    new = client.post(register_url(event), form_data(event, email="Cy@Example.org"))

    assert repeat.status_code == new.status_code == 200
    pages = [
        without_tokens(response.content.decode()).replace(address, "ADDRESS")
        for response, address in [(repeat, "Bo@Example.org"), (new, "Cy@Example.org")]
    ]
    assert "blev fuldt booket, mens du udfyldte formularen" in pages[0]
    assert "allerede tilmeldt" not in pages[0]
    assert pages[0] == pages[1]
    assert mailoutbox == []
    assert Registration.objects.filter(email="bo@example.org").count() == 1


def test_a_member_asking_for_the_waitlist_is_left_to_the_seat_service(client):
    event = make_programme(blocks=1, workshops_per_block=1, capacity=1)
    make_registration(event)

    response = client.post(
        register_url(event), form_data(event, email="bo@example.org", waitlist="on")
    )

    assert response.status_code == 302
    assert Registration.objects.get(email="bo@example.org").status == Registration.Status.WAITLISTED
