"""The members' ranking form (registrations/ranking.py) and what the personal page says."""

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events.models import Event, Workshop
from registrations import draws
from registrations.models import Ranking, Registration
from tests.factories import make_programme, personal_secret, personal_url, registration_form_data
from tests.registrations.test_draws import rank, workshop_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return make_programme(
        blocks=2,
        workshops_per_block=4,
        seat_allocation=Event.SeatAllocation.PREFERENCES,
        preferences_close=timezone.now() + datetime.timedelta(days=7),
    )


def register_url(event):
    return reverse("registrations:register", kwargs={"slug": event.slug})


def ranking_data(event, orders=None, **overrides):
    """The form's data, ranking the workshops at positions ``orders[block index]``."""
    data = registration_form_data(event)
    for block in event.blocks.all():
        data.pop(f"block_{block.pk}")
    for index, (block, ids) in enumerate(workshop_ids(event).items()):
        order = (orders or {}).get(index, (0, 1, 2))
        for rank_, position in enumerate(order, start=1):
            data[f"rank_{block}_{rank_}"] = str(ids[position])
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_the_registration_page_of_an_event_by_preference_is_the_ranking_form(client, event):
    content = client.get(register_url(event)).content.decode()

    assert "Pladserne fordeles ved lodtrækning, ikke efter først til mølle." in content
    assert 'name="rank_' in content
    assert "1. prioritet" in content
    assert "5. prioritet" not in content  # 4 workshops per block: at most 4 wishes
    assert 'type="radio" name="block_' not in content
    close = timezone.localtime(event.preferences_close)
    assert f"{close:%H.%M}" in content


def test_the_programme_says_the_seats_are_given_by_a_draw(client, event):
    content = client.get(event.get_absolute_url()).content.decode()

    close = timezone.localtime(event.preferences_close)
    assert f"Prioritér workshops indtil {close.day}. " in content
    assert "pladserne fordeles ved lodtrækning" in content


def test_a_member_ranks_and_gets_the_received_page_and_an_email(
    client, event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(register_url(event), ranking_data(event, {0: (3, 1, 0)}))

    registration = Registration.objects.get()
    assert response.status_code == 302
    # The page after registering, bound to this browser: no personal link in its address.
    assert response["Location"] == reverse(
        "registrations:confirmation", kwargs={"slug": event.slug}
    )
    assert registration.status == Registration.Status.RANKED
    first_block = min(workshop_ids(event))
    assert list(
        Ranking.objects.filter(block_id=first_block)
        .order_by("rank")
        .values_list("workshop_id", flat=True)
    ) == [workshop_ids(event)[first_block][i] for i in (3, 1, 0)]
    assert [m.subject for m in mail.outbox] == [f"Vi har dine ønsker: {event.title}"]
    page = client.get(response["Location"]).content.decode()
    assert "Vi har dine ønsker" in page
    assert "anne@example.org" in page
    titles = dict(Workshop.objects.values_list("pk", "title"))
    ranked = [titles[workshop_ids(event)[first_block][i]] for i in (3, 1, 0)]
    assert re.search(".*".join(re.escape(f"<li>{title}</li>") for title in ranked), page, re.S)
    assert "/tilmelding/min/" not in page
    # Another browser sees nothing of it.
    assert "anne@example.org" not in Client().get(response["Location"]).content.decode()


def test_ranking_again_with_a_registered_address_looks_like_a_new_ranking(
    event, django_capture_on_commit_callbacks
):
    """No membership oracle (as views.register): the same redirect and page; the address's
    owner is e-mailed a fresh link, and nothing of the repeat is saved."""
    first, again = Client(), Client()
    with django_capture_on_commit_callbacks(execute=True):
        new = first.post(register_url(event), ranking_data(event))
    registration = Registration.objects.get()
    rankings_before = list(registration.rankings.values_list("block_id", "rank", "workshop_id"))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        repeat = again.post(register_url(event), ranking_data(event, {0: (3, 2, 1)}))

    assert (repeat.status_code, repeat["Location"]) == (new.status_code, new["Location"])
    assert Registration.objects.get() == registration
    assert (
        list(registration.rankings.values_list("block_id", "rank", "workshop_id"))
        == rankings_before
    )
    assert [m.to for m in mail.outbox] == [["anne@example.org"]]
    assert "/tilmelding/min/" in mail.outbox[0].body
    assert mail.outbox[0].subject != f"Vi har dine ønsker: {event.title}"
    page = again.get(repeat["Location"]).content.decode()
    assert "Vi har dine ønsker" in page
    assert "Der findes allerede" not in page


def test_the_form_refuses_too_few_wishes_and_the_same_workshop_twice(client, event):
    (first, ids1), (second, ids2) = workshop_ids(event).items()
    data = ranking_data(event)
    data.pop(f"rank_{first}_3")
    data[f"rank_{second}_2"] = str(ids2[0])

    response = client.post(register_url(event), data)

    content = response.content.decode()
    assert response.status_code == 200
    assert "Prioritér mindst 3 workshops i denne blok." in content
    assert "Du har valgt den samme workshop flere gange." in content
    assert f'href="#rank_block_{first}"' in content
    assert Registration.objects.count() == 0
    # The answers are kept.
    assert 'value="Anne Steffensen"' in content
    assert f'<option value="{ids1[1]}" selected>' in content


def test_after_the_ranking_closes_the_page_says_the_draw_is_coming(client, event):
    with time_machine.travel(event.preferences_close + datetime.timedelta(seconds=1)):
        response = client.post(register_url(event), ranking_data(event))

    assert "Prioriteringen er lukket, og fordelingen giver nu pladserne." in (
        response.content.decode()
    )
    assert Registration.objects.count() == 0


def test_after_the_draw_the_registration_page_is_first_come_again(client, event):
    rank(event)
    draws.run_draw(event=event, seed=1)

    content = client.get(register_url(event)).content.decode()

    assert 'type="radio" name="block_' in content
    assert 'name="rank_' not in content


def test_the_personal_page_shows_the_wishes_and_when_the_draw_is(client, event):
    registration = rank(event)

    content = client.get(personal_url(registration)).content.decode()

    assert "Dine ønsker" in content
    close = timezone.localtime(event.preferences_close)
    assert f"Fordelingen foretages {close.day}. " in content
    assert reverse(
        "registrations:ranking_change", kwargs={"secret": personal_secret(registration)}
    ) in (content)
    assert "Ingen workshops." not in content


def test_a_member_changes_the_wishes_through_the_personal_link(
    client, event, django_capture_on_commit_callbacks
):
    registration = rank(event)
    url = reverse("registrations:ranking_change", kwargs={"secret": personal_secret(registration)})
    page = client.get(url).content.decode()
    (first, ids), (second, ids2) = workshop_ids(event).items()
    assert f'<option value="{ids[0]}" selected>' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                f"rank_{first}_1": ids[3],
                f"rank_{first}_2": ids[2],
                f"rank_{first}_3": ids[1],
                f"rank_{second}_1": ids2[0],
                f"rank_{second}_2": ids2[1],
                f"rank_{second}_3": ids2[2],
                f"rank_{second}_4": ids2[3],
                "accept_any_workshop": "on",
            },
        )

    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.accept_any_workshop is True
    assert registration.rankings.filter(block_id=first, rank=1).get().workshop_id == ids[3]
    assert registration.rankings.filter(block_id=second).count() == 4
    assert len(mail.outbox) == 1


def test_after_the_window_closes_the_wishes_cannot_be_changed(client, event):
    registration = rank(event)
    url = reverse("registrations:ranking_change", kwargs={"secret": personal_secret(registration)})

    with time_machine.travel(event.preferences_close):
        response = client.get(url, follow=True)

    assert "Prioriteringen er lukket, så dine ønsker kan ikke længere ændres." in (
        response.content.decode()
    )


def test_the_wishes_are_in_the_members_data_download(client, event):
    registration = rank(event, order=(2, 0, 1))

    data = client.get(
        reverse("registrations:personal_data", kwargs={"secret": personal_secret(registration)})
    ).json()

    first_block = event.blocks.order_by("day", "starts", "pk").first()
    titles = list(first_block.workshops.order_by("pk").values_list("title", flat=True))
    assert data["rankings"][:3] == [
        {"block": first_block.title, "rank": rank_, "workshop": titles[i]}
        for rank_, i in enumerate((2, 0, 1), start=1)
    ]
    assert len(data["rankings"]) == 6


def test_a_ranking_sent_again_after_going_back_shows_what_was_saved(client, event):
    """The same submission (its token) with another order: nothing changes, and the page
    after registering shows the ranking saved, not the one sent again."""
    from django.core import signing

    first_data = ranking_data(event, {0: (0, 1, 2)})
    client.post(register_url(event), first_data)
    again = client.post(
        register_url(event),
        {**ranking_data(event, {0: (3, 2, 1)}), "submission_token": first_data["submission_token"]},
    )

    registration = Registration.objects.get()
    saved = list(
        Ranking.objects.filter(registration=registration, block=event.blocks.order_by("pk")[0])
        .order_by("rank")
        .values_list("workshop_id", flat=True)
    )
    first_block_ids = workshop_ids(event)[event.blocks.order_by("pk")[0].pk]
    assert saved == first_block_ids[:3]
    kept = signing.loads(
        again.cookies["fagdag_submitted"].value,
        salt=f"registrations.views.submission:{event.pk}",
    )
    assert dict(kept["ranked"])[event.blocks.order_by("pk")[0].pk] == saved


def test_the_same_browser_ranking_again_with_a_new_token_changes_nothing(client, event):
    """The form loaded again (a new token) from the browser that ranked: its own wishes,
    shown as saved, and no "someone tried to register you again" e-mail."""
    from registrations.models import OutgoingEmail

    client.post(register_url(event), ranking_data(event, {0: (0, 1, 2)}))
    again = client.post(register_url(event), ranking_data(event, {0: (3, 2, 1)}))

    content = client.get(again["Location"]).content.decode()
    assert "Du havde allerede sendt dine ønsker med denne adresse" in content
    assert Registration.objects.count() == 1
    assert not OutgoingEmail.objects.filter(kind="register_again").exists()
    first_block = event.blocks.order_by("pk")[0]
    saved = list(
        Ranking.objects.filter(block=first_block)
        .order_by("rank")
        .values_list("workshop_id", flat=True)
    )
    assert saved == workshop_ids(event)[first_block.pk][:3]
