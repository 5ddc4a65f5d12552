"""Personal links: only their digest is stored, each e-mail carries its own, and they can be
renewed (every earlier one stops working). Names are names. The migration that hashed the
links of registrations made before keeps those links working."""

import hashlib
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from events.selectors import blocks_with_workshops
from registrations import emails, selectors
from registrations.forms import RegistrationForm
from registrations.models import PersonalLink, Registration
from tests.factories import (
    make_programme,
    make_registration,
    personal_secret,
    personal_url,
)
from tests.factories import registration_form_data as form_data

pytestmark = pytest.mark.django_db

LINK = re.compile(r"/tilmelding/min/([\w-]{43})/")


def secret_in(message) -> str:
    [secret] = set(LINK.findall(message.body))
    return secret


@pytest.fixture
def _site(settings):
    settings.SITE_URL = "https://fagdag.example.org"


@pytest.fixture
def anne():
    return make_registration(make_programme(), name="Anne Steffensen", email="anne@example.org")


def test_only_the_digest_of_a_link_is_stored(anne):
    secret = personal_secret(anne)

    [link] = PersonalLink.objects.all()
    assert link.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert len(secret) == 43  # 256 bits, URL-safe base64
    stored = [
        str(value)
        for row in Registration.objects.values_list()
        for value in row
        if value is not None
    ] + [str(value) for row in PersonalLink.objects.values_list() for value in row]
    assert not any(secret in value for value in stored)
    assert selectors.find_by_secret(secret) == anne


def test_each_mail_carries_a_link_of_its_own_and_all_keep_working(
    anne, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        emails.queue_email(anne, "confirmation")
        emails.queue_email(anne, "reminder")

    first, second = (secret_in(message) for message in mail.outbox)
    assert first != second
    assert selectors.find_by_secret(first) == selectors.find_by_secret(second) == anne


def test_send_my_link_again_sends_a_fresh_link_and_the_old_one_stops_working(
    client, anne, django_capture_on_commit_callbacks
):
    old = personal_secret(anne)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("registrations:resend_link", kwargs={"slug": anne.event.slug}),
            {"email": "anne@example.org"},
        )

    fresh = secret_in(mail.outbox[-1])
    assert client.get(reverse("registrations:personal", kwargs={"secret": old})).status_code == 404
    assert (
        client.get(reverse("registrations:personal", kwargs={"secret": fresh})).status_code == 200
    )


def test_make_a_new_link_e_mails_it_and_every_earlier_link_stops_working(
    client, anne, django_capture_on_commit_callbacks
):
    other = personal_secret(Registration.objects.get(pk=anne.pk))
    path = personal_url(anne)
    assert 'action="' + personal_url(anne, "renew_link") + '"' in client.get(path).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(personal_url(anne, "renew_link"), follow=True)

    content = response.content.decode()
    assert response.redirect_chain == [(reverse("registrations:link_renewed"), 302)]
    assert "Vi har sendt dig et nyt personligt link på e-mail." in content
    assert not LINK.search(content)  # shown nowhere but in the mail
    [message] = mail.outbox
    assert message.to == ["anne@example.org"]
    assert client.get(path).status_code == 404
    assert (
        client.get(reverse("registrations:personal", kwargs={"secret": other})).status_code == 404
    )
    fresh = reverse("registrations:personal", kwargs={"secret": secret_in(message)})
    assert client.get(fresh).status_code == 200


def test_make_a_new_link_needs_a_post_and_a_working_link(client, anne):
    assert client.get(personal_url(anne, "renew_link")).status_code == 405
    wrong = reverse("registrations:renew_link", kwargs={"secret": "A" * 43})
    assert client.post(wrong).status_code == 404
    assert mail.outbox == []


def test_the_admin_action_sends_a_fresh_link_and_revokes_the_old(
    client, organiser, anne, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://fagdag.example.org"
    old = personal_secret(anne)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:registrations_registration_changelist"),
            {"action": "send_personal_link", "_selected_action": [anne.pk]},
        )

    [message] = mail.outbox
    assert selectors.find_by_secret(old) is None
    assert selectors.find_by_secret(secret_in(message)) == anne


@pytest.mark.usefixtures("_site")
def test_confirmation_says_was_this_not_you_with_a_link_to_the_cancel_page(
    client, django_capture_on_commit_callbacks
):
    event = make_programme()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("registrations:register", kwargs={"slug": event.slug}), form_data(event)
        )

    [message] = mail.outbox
    cancel = reverse("registrations:cancel", kwargs={"secret": secret_in(message)})
    assert f"Var det ikke dig? Afmeld her: https://fagdag.example.org{cancel}\n" in message.body
    html = message.alternatives[0][0]
    assert (
        f'<p>Var det ikke dig? <a href="https://fagdag.example.org{cancel}">Afmeld her.</a></p>'
        in html
    )
    page = client.get(cancel).content.decode()
    assert "<h1>Afmeld din tilmelding</h1>" in page
    assert f'action="{cancel}"' in page


@pytest.mark.usefixtures("_site")
def test_the_waitlist_mail_says_was_this_not_you_too(django_capture_on_commit_callbacks):
    event = make_programme(blocks=1, workshops_per_block=1, capacity=1)
    make_registration(event)
    with django_capture_on_commit_callbacks(execute=True):
        waiting = make_registration(event, waitlist=True)

    [message] = [m for m in mail.outbox if m.to == [waiting.email]]
    assert (
        "Var det ikke dig? Afmeld her: https://fagdag.example.org/tilmelding/min/" in message.body
    )


# Names are names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Anne\nLog ind med MitID på https://mitid-dk.example/", "line_break"),
        ("Anne\rSteffensen", "line_break"),
        ("Log ind på https://mitid-dk.example", "not_a_name"),
        ("Anne www.mitid-login.dk", "not_a_name"),
        ("Besøg mitid-login.dk nu", "not_a_name"),
        ("anne@example.org", "not_a_name"),
        ('Anne"><script>alert(1)</script>', "not_a_name"),
        ("A" * 101, "too_long"),
    ],
)
def test_a_name_that_is_not_a_name_is_refused_at_the_field(name, code):
    event = make_programme()
    form = RegistrationForm(
        form_data(event, name=name),
        event=event,
        blocks=blocks_with_workshops(event),
        questions=selectors.event_questions(event),
    )

    assert not form.is_valid()
    assert [error.code for error in form.errors.as_data()["name"]] == [code]


@pytest.mark.parametrize(
    "name", ["Anne Steffensen", "Jens-Ole O'Hara", "Anne B. Ærø-Østergaard", "Dr. Åse Ü. Nguyễn"]
)
def test_real_names_are_welcome(name):
    event = make_programme()
    form = RegistrationForm(
        form_data(event, name=name),
        event=event,
        blocks=blocks_with_workshops(event),
        questions=selectors.event_questions(event),
    )

    assert "name" not in form.errors


def test_the_form_shows_a_clear_danish_message_at_the_name_field(client):
    event = make_programme()

    response = client.post(
        reverse("registrations:register", kwargs={"slug": event.slug}),
        form_data(event, name="Anne\nLog ind på https://mitid-dk.example/"),
    )

    assert response.status_code == 200
    assert "Skriv navnet på én linje." in response.content.decode()
    assert Registration.objects.count() == 0


def test_the_admin_refuses_a_name_with_a_web_address(client, organiser, anne):
    url = reverse("admin:registrations_registration_change", args=[anne.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data["name"] = "Anne, se https://mitid-dk.example"

    response = client.post(url, data)

    assert response.status_code == 200
    assert "Skriv kun dit navn: ingen webadresse, e-mailadresse eller specialtegn." in (
        response.content.decode()
    )
    anne.refresh_from_db()
    assert anne.name == "Anne Steffensen"


# The migration ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_hashes_existing_links_and_they_keep_working():
    executor = MigrationExecutor(connection)
    loader = executor.loader
    [target] = [
        key
        for key in loader.disk_migrations
        if key[0] == "registrations" and key[1].endswith("trust_personal_link_digests")
    ]
    [before] = loader.get_migration(*target).dependencies
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate([before])
        old = executor.loader.project_state([before]).apps
        event = make_programme()  # current models: the events app is unchanged by this
        registration = old.get_model("registrations", "Registration").objects.create(
            event_id=event.pk,
            name="Anne",
            email="anne@example.org",
            workplace="Glostrup",
            job_title="Socialrådgiver",
            sector="public",
            consent_given_at="2030-01-01T00:00:00Z",
            secret="z" * 43,
        )

        executor = MigrationExecutor(connection)
        executor.migrate([target])

        migrated = executor.loader.project_state([target]).apps
        link = migrated.get_model("registrations", "PersonalLink").objects.get()
        assert link.registration_id == registration.pk
        assert link.digest == hashlib.sha256(b"z" * 43).hexdigest()
        key = migrated.get_model("registrations", "Registration").objects.get().calendar_key
        assert key == str(registration.pk)
    finally:
        MigrationExecutor(connection).migrate(latest)
        call_command("migrate", verbosity=0)
    assert selectors.find_by_secret("z" * 43).pk == registration.pk
