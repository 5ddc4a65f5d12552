"""Random and hostile posts to every public form and every staff form.

Hypothesis sends each form what a real one would, then breaks it: unicode of
every plane, NUL bytes, huge values, numbers where text belongs and text where
numbers do, workshop and block ids of other events or of nothing, keys left
out, keys repeated, keys nobody asked for, bodies that are JSON, multipart or
not UTF-8 at all, and personal links that are almost right. Whatever arrives:

- never a server error (the test client raises a view's exception), and
- never a half-saved registration: every confirmed registration holds exactly
  one seat in each block of its event, no seat belongs to anything else, and
  no workshop holds more seats than it has.

Each example runs in a savepoint that is rolled back afterwards, so every
example starts from the same data and what one example saves cannot hide what
the next one does.
"""

import contextlib
import json
from html.parser import HTMLParser
from urllib.parse import quote, urlencode

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from events.models import Event, Session, Speaker, Workshop, WorkshopBlock
from registrations import services
from registrations.models import Registration, Seat, StandardQuestion
from tests.factories import (
    make_block,
    make_event,
    make_session,
    make_speaker,
    make_workshop,
    personal_secret,
)

pytestmark = pytest.mark.django_db

EXAMPLES = hypothesis_settings(
    max_examples=40,
    deadline=None,
    database=None,  # nothing written to .hypothesis/ in the project
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # the fixtures' data is rolled back per example
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# --- what hostile clients send -------------------------------------------------

# Every plane, unpaired surrogates aside: the test client must encode the text
# to UTF-8 at all (raw bodies below carry what no encoder would make).
ANY_CHARACTER = st.characters(codec="utf-8")
NASTY = [
    "",
    " ",
    "\x00",
    "Anne\x00Steffensen",
    "\r\n",
    "\u202eEKAF",
    "\ufeff",
    "𝔄𝔫𝔫𝔢 🦄 𠜎",
    '=HYPERLINK("http://example.org")',
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00",
    "-1",
    "0",
    "1.5",
    "1e308",
    "NaN",
    "99999999999999999999999999",
    "None",
    "true",
    "[]",
    "{}",
    "wait:",
    "wait:-1",
    "wait:abc",
]
hostile_text = st.one_of(
    st.text(ANY_CHARACTER, max_size=40),
    st.sampled_from(NASTY),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.tuples(ANY_CHARACTER, st.integers(min_value=1_000, max_value=100_000)).map(
        lambda repeated: repeated[0] * repeated[1]  # huge, cheaply
    ),
)
raw_bodies = st.one_of(
    st.binary(max_size=300),  # anything at all, mostly not UTF-8
    st.lists(st.sampled_from([b"a=1", b"%ff%fe", b"%00", b"&&", b"=", b"a", b"\xc3\x28"])).map(
        b"&".join
    ),
)
ENCODINGS = ["urlencoded", "urlencoded", "urlencoded", "multipart", "json", "raw"]


def value_for(key: str, value):
    """Any value, except a big count of inline forms: the admin then builds (and renders)
    its cap of 2,000 forms, ten seconds a request, which proves nothing more each time."""
    if key.endswith(("-TOTAL_FORMS", "-INITIAL_FORMS")):
        return value.filter(
            lambda text: not (text.strip().lstrip("+-").isdigit() and len(text) > 2)
        )
    return value


@st.composite
def mutated(draw, base: list[tuple[str, str]], *, keys: list[str], ids: list[int]):
    """``base`` (a form as a browser would send it), broken here and there."""
    value = st.one_of(hostile_text, st.sampled_from(ids).map(str))
    pairs = []
    for key, original in base:
        action = draw(st.sampled_from(["keep"] * 5 + ["replace", "drop", "repeat"]))
        if action == "keep":
            pairs.append((key, original))
        elif action == "replace":
            pairs.append((key, draw(value_for(key, value))))
        elif action == "repeat":
            pairs += [(key, original), (key, draw(value_for(key, value)))]
    extra_keys = st.one_of(st.sampled_from(keys), hostile_text)
    pairs += draw(st.lists(st.tuples(extra_keys, value), max_size=3))
    return draw(st.permutations(pairs)) if draw(st.booleans()) else pairs


def send(client, path: str, pairs: list[tuple[str, str]], encoding: str, raw: bytes):
    if encoding == "urlencoded":
        body = urlencode(pairs)
        return client.post(path, body, content_type="application/x-www-form-urlencoded")
    if encoding == "multipart":
        data: dict[str, list[str]] = {}
        for key, value in pairs:
            data.setdefault(key, []).append(value)
        return client.post(path, data)
    if encoding == "json":
        return client.post(path, json.dumps(dict(pairs)), content_type="application/json")
    return client.post(path, raw, content_type="application/x-www-form-urlencoded")


@contextlib.contextmanager
def rolled_back():
    """Run the body in a savepoint that is always rolled back."""

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            yield
            raise Rollback
    except Rollback:
        pass


def assert_no_half_registrations():
    blocks_of = {
        event.pk: sorted(event.blocks.values_list("pk", flat=True)) for event in Event.objects.all()
    }
    for registration in Registration.objects.filter(
        status=Registration.Status.CONFIRMED
    ).prefetch_related("seats"):
        seat_blocks = sorted(seat.block_id for seat in registration.seats.all())
        assert seat_blocks == blocks_of[registration.event_id], registration.pk
        assert all(seat.workshop.block_id == seat.block_id for seat in registration.seats.all())
    assert not Seat.objects.exclude(registration__status=Registration.Status.CONFIRMED).exists()
    for workshop in Workshop.objects.annotate(seat_rows=Count("seats")):
        assert workshop.seats_taken == workshop.seat_rows <= workshop.capacity, workshop


def assert_answered(response):
    assert response.status_code < 500, response.status_code


# --- the data the forms work on ------------------------------------------------


@pytest.fixture
def world():
    """A paid two-block event with a full workshop, a registration, and another event."""
    event = make_event(price=350, attendee_limit=50)
    StandardQuestion.objects.create(event=event, field="membership_number", ask="required")
    blocks = [make_block(event), make_block(event, starts="13:00", ends="14:30")]
    workshops = [make_workshop(block, capacity=capacity) for block in blocks for capacity in (1, 3)]
    speaker = make_speaker()
    make_session(event)
    anne = services.register(
        event=event,
        attendee=services.AttendeeDetails(
            name="Anne Steffensen",
            email="anne@example.org",
            workplace="Glostrup Kommune",
            job_title="Socialrådgiver",
            sector=Registration.Sector.PUBLIC,
            membership_number="123456",
            payer=Registration.Payer.PERSONAL,
            invoice_address="Vej 1, 2600 Glostrup",
        ),
        choices={blocks[0].pk: workshops[0].pk, blocks[1].pk: workshops[2].pk},
    )
    other = make_event()
    other_workshop = make_workshop(make_block(other))
    ids = [
        *(w.pk for w in workshops),
        *(b.pk for b in blocks),
        other_workshop.pk,
        other_workshop.block_id,
        0,
        -1,
        2**31,
        2**63,
    ]
    return {
        "event": event,
        "blocks": blocks,
        "workshops": workshops,
        "anne": anne,
        "speaker": speaker,
        "ids": ids,
    }


def registration_base(world) -> list[tuple[str, str]]:
    blocks, workshops = world["blocks"], world["workshops"]
    return [
        ("submission_token", "8a1f6d0e-4a2b-4c39-9d5e-0f1e2d3c4b5a"),
        (f"block_{blocks[0].pk}", str(workshops[1].pk)),
        (f"block_{blocks[1].pk}", str(workshops[3].pk)),
        ("name", "Bo Holm"),
        ("email", "bo@example.org"),
        ("phone", "+45 12 34 56 78"),
        ("workplace", "Roskilde Kommune"),
        ("job_title", "Socialrådgiver"),
        ("sector", "public"),
        ("membership_number", "654321"),
        ("dietary_needs", "Vegetar"),
        ("payer", "ean"),
        ("ean", "5798000000001"),
        ("cvr", ""),
        ("invoice_organisation", "Roskilde Kommune"),
        ("invoice_address", "Rådhusbuen 1, 4000 Roskilde"),
        ("invoice_attention", "Mette Hansen"),
        ("invoice_order_number", "PO-1"),
        ("consent", "on"),
        ("waitlist", "on"),
        ("accept_any_workshop", "on"),
    ]


def field_names(base):
    return [key for key, _value in base]


def personal_path(name: str, secret: str) -> str:
    return reverse(f"registrations:{name}", kwargs={"secret": "x" * 40}).replace(
        "x" * 40, quote(secret, safe="")
    )


secrets_strategy = st.one_of(
    st.just("REAL"),
    st.just("REAL"),
    st.just("REAL"),
    st.sampled_from(["TRUNCATED", "CHANGED"]),
    st.text(ANY_CHARACTER, min_size=1, max_size=70).filter(lambda s: "/" not in s),
    st.text(st.sampled_from("abc\x00"), min_size=32, max_size=64),
)


def tampered(secret_choice: str, real: str) -> str:
    if secret_choice == "REAL":
        return real
    if secret_choice == "TRUNCATED":
        return real[:-1]
    if secret_choice == "CHANGED":
        return real[:-1] + ("A" if real[-1] != "A" else "B")
    return secret_choice


# --- public forms ------------------------------------------------------------------


@EXAMPLES
@given(data=st.data(), encoding=st.sampled_from(ENCODINGS), raw=raw_bodies)
def test_registration_form(client, world, data, encoding, raw):
    base = registration_base(world)
    pairs = data.draw(mutated(base, keys=field_names(base), ids=world["ids"]))
    path = reverse("registrations:register", kwargs={"slug": world["event"].slug})

    with rolled_back():
        assert_answered(send(client, path, pairs, encoding, raw))
        assert_no_half_registrations()


@EXAMPLES
@given(data=st.data(), encoding=st.sampled_from(ENCODINGS), raw=raw_bodies)
def test_resend_link_form(client, world, data, encoding, raw):
    base = [("email", "anne@example.org")]
    pairs = data.draw(mutated(base, keys=["email"], ids=world["ids"]))
    path = reverse("registrations:resend_link", kwargs={"slug": world["event"].slug})

    with rolled_back():
        assert_answered(send(client, path, pairs, encoding, raw))
        assert_no_half_registrations()


PERSONAL_FORMS = {
    "change": lambda world: [
        (f"block_{world['blocks'][0].pk}", f"wait:{world['workshops'][0].pk}"),
        (f"block_{world['blocks'][1].pk}", str(world["workshops"][3].pk)),
    ],
    "cancel": lambda world: [("confirm", "on")],
    "erase": lambda world: [("erase-confirm", "on")],
}


@pytest.mark.parametrize("form", PERSONAL_FORMS)
@EXAMPLES
@given(
    data=st.data(),
    encoding=st.sampled_from(ENCODINGS),
    raw=raw_bodies,
    secret=secrets_strategy,
)
def test_personal_page_forms(client, world, form, data, encoding, raw, secret):
    base = PERSONAL_FORMS[form](world)
    keys = [*field_names(base), *(f"block_{block.pk}" for block in world["blocks"])]
    pairs = data.draw(mutated(base, keys=keys, ids=world["ids"]))
    path = personal_path(form, tampered(secret, personal_secret(world["anne"])))

    with rolled_back():
        assert_answered(send(client, path, pairs, encoding, raw))
        assert_no_half_registrations()


@pytest.mark.parametrize("name", ["personal", "change", "cancel", "erase", "personal_data"])
def test_a_personal_link_with_a_nul_byte_is_not_found(client, world, name):
    """Found by the examples above on PostgreSQL, which refuses NUL in a query with an error."""
    secret = "\x00" + personal_secret(world["anne"])[1:]

    response = client.generic(
        "GET" if name in ("personal", "personal_data") else "POST", personal_path(name, secret)
    )

    assert response.status_code == 404


# --- staff forms: the admin's add and change pages, as a superuser ------------------


class FormFields(HTMLParser):
    """The fields of the admin's main form, as the browser would send them unchanged."""

    def __init__(self):
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self._in_form = False
        self._select: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("id") or "").endswith("_form"):
            self._in_form = True
        if not self._in_form:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.pairs.append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.pairs.append((self._select, attrs.get("value") or ""))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data):
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.pairs.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None


ADMIN_MODELS = {
    "event": (Event, lambda world: world["event"]),
    "workshopblock": (WorkshopBlock, lambda world: world["blocks"][0]),
    "workshop": (Workshop, lambda world: world["workshops"][0]),
    "speaker": (Speaker, lambda world: world["speaker"]),
    "session": (Session, lambda world: world["event"].sessions.first()),
    "registration": (Registration, lambda world: world["anne"]),
}


@pytest.fixture
def admin_page(client, world, model_name, view):
    """The admin page's URL and its form as the browser would send it unchanged, as a superuser."""
    model, instance_of = ADMIN_MODELS[model_name]
    assert model in admin.site._registry, f"{model.__name__} has no admin page"
    client.force_login(User.objects.create_superuser("fuzz-admin", "admin@example.org", "-"))
    opts = model._meta
    if view == "add":
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
    else:
        url = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change", args=[instance_of(world).pk]
        )
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    parser = FormFields()
    parser.feed(response.content.decode())
    assert parser.pairs, f"no form found at {url}"
    return url, [*parser.pairs, ("_save", "Gem")]


# Registrations are made through the public form (and the seat service) only:
# the admin has no add page for them (tested in tests/registrations/test_admin.py).
ADMIN_PAGES = [
    (model_name, view)
    for model_name in ADMIN_MODELS
    for view in ("add", "change")
    if (model_name, view) != ("registration", "add")
]


@pytest.mark.parametrize(("model_name", "view"), ADMIN_PAGES)
@hypothesis_settings(EXAMPLES, max_examples=30)  # the admin's pages are the slow ones
@given(data=st.data(), encoding=st.sampled_from(ENCODINGS), raw=raw_bodies)
def test_admin_forms(client, world, admin_page, model_name, view, data, encoding, raw):
    url, base = admin_page
    pairs = data.draw(mutated(base, keys=field_names(base), ids=world["ids"]))

    with rolled_back():
        assert_answered(send(client, url, pairs, encoding, raw))
        assert_no_half_registrations()
