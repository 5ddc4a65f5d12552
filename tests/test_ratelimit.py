"""Rate limits per client address, the client address behind proxies, and the bot trap."""

import datetime
import shutil
import subprocess
import threading
import time
import uuid
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.cache import cache, caches
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.test import Client, RequestFactory
from django.urls import reverse

from fagdag.ratelimit import Bucket, Rate, client_address, ratelimit_key
from registrations import services
from registrations.models import Registration
from tests.factories import make_programme, personal_secret
from tests.registrations.test_services import attendee
from tests.registrations.test_views import form_data, register_url

# --- The client address -----------------------------------------------------


def request_from(remote_addr="192.0.2.10", forwarded_for=None):
    headers = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **headers)


def test_without_trusted_proxies_the_connection_address_counts(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    address = client_address(request_from("192.0.2.10", forwarded_for="203.0.113.7"))

    assert address == "192.0.2.10"


def test_behind_one_proxy_the_address_it_appended_counts(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    address = client_address(request_from("127.0.0.1", forwarded_for="6.6.6.6, 203.0.113.7"))

    assert address == "203.0.113.7"


def test_behind_two_proxies_the_second_address_from_the_right_counts(settings):
    settings.TRUSTED_PROXY_COUNT = 2

    address = client_address(
        request_from("127.0.0.1", forwarded_for="6.6.6.6,203.0.113.7, 10.0.0.5")
    )

    assert address == "203.0.113.7"


@pytest.mark.parametrize(
    "forwarded_for",
    [None, "", "203.0.113.7", "not-an-address, 10.0.0.5", " , "],
    ids=["missing", "empty", "too-few", "garbage", "blank-entries"],
)
def test_a_header_that_did_not_come_through_every_proxy_falls_back_to_the_connection(
    settings, forwarded_for
):
    settings.TRUSTED_PROXY_COUNT = 2

    address = client_address(request_from("127.0.0.1", forwarded_for=forwarded_for))

    assert address == "127.0.0.1"


def test_ipv6_clients_are_counted_per_64_network():
    first = ratelimit_key("register", request_from("2001:db8:1:2:aaaa::1"))
    second = ratelimit_key("register", request_from("2001:db8:1:2:bbbb::9"))
    other = ratelimit_key("register", request_from("2001:db8:1:3::1"))

    assert (first, second, other) == ("2001:db8:1:2::/64", "2001:db8:1:2::/64", "2001:db8:1:3::/64")


def test_ipv4_mapped_addresses_are_counted_as_ipv4():
    assert ratelimit_key("register", request_from("::ffff:203.0.113.7")) == "203.0.113.7"


# --- The limits -------------------------------------------------------------

# Just before the turn of a minute, an hour and a ten-minute period: a limit that
# counted in windows of the wall clock would start afresh in the middle of a test.
ALMOST_NINE = datetime.datetime(
    2026, 9, 1, 8, 59, 59, 500_000, tzinfo=ZoneInfo("Europe/Copenhagen")
)


@pytest.fixture
def clock():
    """The clock of the limit tests: stopped, and moved only by the test (``clock.shift``)."""
    with time_machine.travel(ALMOST_NINE, tick=False) as traveller:
        yield traveller


def post_registration(client, event, n, **headers):
    return client.post(
        register_url(event), form_data(event, email=f"person{n}@example.org"), **headers
    )


class Browser:
    """A browser that checks CSRF as a real one would: it fetches the form, then sends it."""

    def __init__(self, event, address="192.0.2.10"):
        self.event, self.address = event, address
        self.client = Client(enforce_csrf_checks=True, REMOTE_ADDR=address)

    def open_form(self):
        response = self.client.get(register_url(self.event))
        assert response.status_code == 200
        return self

    def send(self, **answers):
        token = self.client.cookies[django_settings.CSRF_COOKIE_NAME].value
        data = form_data(self.event, csrfmiddlewaretoken=token, **answers)
        return self.client.post(register_url(self.event), data)

    def send_without_token(self, **answers):
        return self.client.post(register_url(self.event), form_data(self.event, **answers))


@pytest.mark.django_db
def test_registrations_over_the_address_ceiling_get_the_form_back_with_their_answers(
    client, settings, clock
):
    settings.RATELIMIT_REGISTER = "2/m"
    event = make_programme(blocks=1)

    statuses = [post_registration(client, event, n).status_code for n in range(2)]
    refused = client.post(
        register_url(event), form_data(event, name="Bo Kristensen", email="bo@example.org")
    )

    assert statuses == [302, 302]
    assert (refused.status_code, refused["Retry-After"]) == (429, "31")
    content = refused.content.decode()
    assert (
        "Vi modtager mange tilmeldinger fra dit netværk lige nu. Dine svar er bevaret herunder: "
        "send formularen igen om 31 sekunder."
    ) in content
    assert 'value="Bo Kristensen"' in content
    assert 'value="bo@example.org"' in content
    assert Registration.objects.count() == 2


@pytest.mark.django_db
def test_the_address_ceiling_fills_up_again_as_time_goes(client, settings, clock):
    settings.RATELIMIT_REGISTER = "2/m"
    event = make_programme(blocks=1)

    burst = [post_registration(client, event, n).status_code for n in range(3)]
    clock.shift(29)
    too_soon = post_registration(client, event, 3).status_code
    clock.shift(2)
    later = post_registration(client, event, 4).status_code

    assert (burst, too_soon, later) == ([302, 302, 429], 429, 302)


@pytest.mark.django_db
def test_looking_at_the_form_is_not_counted(client, settings, clock):
    settings.RATELIMIT_REGISTER = "1/m"
    event = make_programme(blocks=1)

    pages = [client.get(register_url(event)).status_code for _ in range(5)]
    posted = post_registration(client, event, 1)

    assert (pages, posted.status_code) == ([200] * 5, 302)


@pytest.mark.django_db
def test_each_client_address_has_its_own_count(client, settings, clock):
    settings.RATELIMIT_REGISTER = "1/m"
    event = make_programme(blocks=1)

    first = post_registration(client, event, 1, REMOTE_ADDR="192.0.2.1")
    again = post_registration(client, event, 2, REMOTE_ADDR="192.0.2.1")
    other = post_registration(client, event, 3, REMOTE_ADDR="192.0.2.2")

    assert (first.status_code, again.status_code, other.status_code) == (302, 429, 302)


@pytest.mark.django_db
def test_behind_a_proxy_clients_are_counted_apart_and_cannot_escape_by_forging(
    client, settings, clock
):
    settings.RATELIMIT_REGISTER = "1/m"
    settings.TRUSTED_PROXY_COUNT = 1
    event = make_programme(blocks=1)
    proxy = {"REMOTE_ADDR": "127.0.0.1"}

    anne = post_registration(client, event, 1, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
    forged = post_registration(
        client, event, 2, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7", **proxy
    )
    bo = post_registration(client, event, 3, HTTP_X_FORWARDED_FOR="198.51.100.9", **proxy)

    assert (anne.status_code, forged.status_code, bo.status_code) == (302, 429, 302)


@pytest.mark.django_db
def test_many_registrations_from_one_browser_are_limited_and_not_its_neighbours(settings, clock):
    settings.RATELIMIT_REGISTER_BROWSER = "3/h"
    event = make_programme(blocks=1)
    script = Browser(event).open_form()

    sent = [script.send(email=f"fake{n}@example.org").status_code for n in range(4)]
    neighbour = Browser(event).open_form().send(email="anne@example.org")

    assert (sent, neighbour.status_code) == ([302, 302, 302, 429], 302)
    assert Registration.objects.count() == 4


@pytest.mark.django_db
def test_a_browser_full_of_junk_is_refused_before_its_form_is_read(settings, clock):
    settings.RATELIMIT_JUNK_BROWSER = "3/10m"
    event = make_programme(blocks=1)
    script = Browser(event).open_form()

    junk = [script.send(consent=None).status_code for _ in range(3)]
    valid_but_late = script.send(email="late@example.org")
    neighbour = Browser(event).open_form().send(email="anne@example.org")

    assert junk == [200, 200, 200]
    assert (valid_but_late.status_code, neighbour.status_code) == (429, 302)
    assert 'value="late@example.org"' in valid_but_late.content.decode()
    assert list(Registration.objects.values_list("email", flat=True)) == ["anne@example.org"]


@pytest.mark.django_db
def test_junk_from_an_address_full_of_junk_gets_429_with_the_errors_and_answers(settings, clock):
    settings.RATELIMIT_JUNK = "2/10m"
    event = make_programme(blocks=1)

    answers = [
        Browser(event).open_form().send(consent=None, name="Bo Kristensen") for _ in range(3)
    ]
    member = Browser(event).open_form().send(email="anne@example.org")

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    limited = answers[-1].content.decode()
    assert 'value="Bo Kristensen"' in limited
    assert "Vi kan kun tilmelde dig, hvis du accepterer dette." in limited
    assert "Vi modtager mange tilmeldinger fra dit netværk lige nu." in limited
    assert member.status_code == 302


@pytest.mark.django_db
def test_forms_refused_for_their_csrf_token_use_up_no_registrations(settings, clock):
    settings.RATELIMIT_REGISTER = "2/m"
    settings.RATELIMIT_JUNK = "5/10m"
    event = make_programme(blocks=1)
    attacker = Browser(event)

    refused = {attacker.send_without_token().status_code for _ in range(50)}
    members = [Browser(event).open_form().send(email=f"m{n}@example.org") for n in range(2)]
    invalid_after = Browser(event).open_form().send(consent=None)

    assert refused == {403}
    assert [member.status_code for member in members] == [302, 302]
    assert invalid_after.status_code == 429


@pytest.mark.django_db
def test_two_hundred_members_register_from_one_address_while_an_attacker_sends_junk(
    settings, clock
):
    """A town hall at opening time: 200 members behind one address send the form within
    ten seconds, one in ten after a first try without consent; meanwhile someone on the
    same network sends forms without a CSRF token, invalid forms from one browser, and
    invalid forms from a fresh browser each time. The limits are the production defaults."""
    settings.RATELIMIT_REGISTER = "600/10m"
    settings.RATELIMIT_REGISTER_BROWSER = "10/h"
    settings.RATELIMIT_JUNK = "100/10m"
    settings.RATELIMIT_JUNK_BROWSER = "10/10m"
    event = make_programme(blocks=2, workshops_per_block=4, capacity=250)
    town_hall = "198.51.100.77"
    scripted = Browser(event, town_hall).open_form()
    members, attacker = [], []

    for n in range(200):
        member = Browser(event, town_hall).open_form()
        if n % 10 == 0:
            first_try = member.send(email=f"medlem{n}@example.org", consent=None)
            assert first_try.status_code in {200, 429}
            assert f'value="medlem{n}@example.org"' in first_try.content.decode()
        members.append(member.send(email=f"medlem{n}@example.org").status_code)
        attacker.append(Browser(event, town_hall).send_without_token().status_code)
        attacker.append(scripted.send(email="", name="x").status_code)
        attacker.append(Browser(event, town_hall).open_form().send(consent=None).status_code)
        clock.shift(0.05)

    assert members == [302] * 200
    assert Registration.objects.count() == 200
    assert attacker.count(403) == 200
    assert 302 not in attacker
    # The scripted browser is shut out after its first ten; fresh browsers once the
    # address's junk bucket is empty: the attacker's junk ends up refused.
    assert attacker[-3:] == [403, 429, 429]
    assert attacker.count(429) > 300


@pytest.mark.django_db
def test_send_my_link_again_is_limited(client, settings, clock):
    settings.RATELIMIT_RESEND_LINK = "3/m"
    event = make_programme(blocks=1)
    url = reverse("registrations:resend_link", kwargs={"slug": event.slug})

    statuses = [client.post(url, {"email": f"x{n}@example.org"}).status_code for n in range(4)]
    content = client.post(url, {"email": "y@example.org"}).content.decode()

    assert statuses == [200, 200, 200, 429]
    assert "For mange forespørgsler" in content


@pytest.mark.django_db
def test_personal_link_pages_share_one_limit(client, settings, clock):
    settings.RATELIMIT_PERSONAL = "3/m"
    event = make_programme(blocks=1)
    block = event.blocks.get()
    anne = services.register(
        event=event, attendee=attendee(), choices={block.pk: block.workshops.first().pk}
    )
    personal = reverse("registrations:personal", kwargs={"secret": personal_secret(anne)})
    change = reverse("registrations:change", kwargs={"secret": personal_secret(anne)})
    guessed = reverse("registrations:personal", kwargs={"secret": "gaet" * 8})

    statuses = [
        client.get(personal).status_code,
        client.get(guessed).status_code,
        client.post(change, {}).status_code,
        client.get(personal).status_code,
    ]

    assert statuses == [200, 404, 200, 429]


@pytest.mark.django_db
def test_trusted_load_test_addresses_are_not_limited(client, settings, clock):
    settings.RATELIMIT_REGISTER = "1/m"
    settings.RATELIMIT_TRUSTED_ADDRESSES = ["127.0.0.1"]
    event = make_programme(blocks=1)

    statuses = [post_registration(client, event, n).status_code for n in range(3)]
    stranger = [
        post_registration(client, event, 10 + n, REMOTE_ADDR="192.0.2.1").status_code
        for n in range(2)
    ]

    assert (statuses, stranger) == ([302, 302, 302], [302, 429])


@pytest.mark.django_db
def test_an_empty_rate_means_no_limit(client, settings, clock):
    settings.RATELIMIT_REGISTER = ""
    event = make_programme(blocks=1)

    statuses = [post_registration(client, event, n).status_code for n in range(3)]

    assert statuses == [302, 302, 302]


@pytest.mark.parametrize(
    ("text", "rate"),
    [("30/m", Rate(30, 60)), ("600/10m", Rate(600, 600)), (" 5 / h ", Rate(5, 3600)), ("", None)],
)
def test_rates_are_read_as_count_per_period(text, rate):
    assert Rate.parse(text) == rate


@pytest.mark.parametrize("text", ["30", "0/m", "30/week", "m/30"])
def test_a_rate_that_is_not_count_per_period_is_refused(text):
    with pytest.raises(ImproperlyConfigured):
        Rate.parse(text)


# --- The caches behind the counts --------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_database_cache_counts_every_increment_of_racing_workers():
    """Eight threads, each with its own connection, increment one key 25 times at once."""
    key = f"race-{uuid.uuid4()}"
    cache.add(key, 0, 60)
    barrier = threading.Barrier(8)
    errors = []

    def worker():
        try:
            barrier.wait(timeout=30)
            for _ in range(25):
                cache.incr(key)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert (errors, cache.get(key)) == ([], 200)
    cache.delete(key)


def race_for_tokens(store, bucket, *, workers=8, each=25):
    """``workers`` threads, each with its own connection, take ``each`` tokens at once."""
    barrier = threading.Barrier(workers)
    outcomes, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=30)
            for _ in range(each):
                outcomes.append(bucket.take(store, time.time()))
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors, outcomes


@pytest.mark.django_db(transaction=True)
def test_racing_workers_get_exactly_the_tokens_of_a_bucket_in_the_database_cache(clock):
    bucket = Bucket("race", str(uuid.uuid4()), Rate(100, 3600))

    errors, outcomes = race_for_tokens(caches["database"], bucket)

    assert errors == []
    assert (outcomes.count(0), len(outcomes)) == (100, 200)


@pytest.mark.django_db
def test_racing_workers_get_exactly_the_tokens_of_a_bucket_in_redis(settings, redis_url, clock):
    settings.CACHES = redis_caches(redis_url)
    bucket = Bucket("race", str(uuid.uuid4()), Rate(100, 3600))

    errors, outcomes = race_for_tokens(caches["default"], bucket)

    assert errors == []
    assert (outcomes.count(0), len(outcomes)) == (100, 200)


@pytest.mark.django_db
def test_the_database_cache_refuses_to_increment_a_missing_or_expired_key():
    cache.set("expired", 5, timeout=-1)

    with pytest.raises(ValueError):
        cache.incr("missing")
    with pytest.raises(ValueError):
        cache.incr("expired")


@pytest.mark.django_db
def test_the_database_cache_adds_only_over_a_missing_or_expired_key():
    cache.set("expired", "old", timeout=-1)

    added = (cache.add("fresh", 1, 60), cache.add("fresh", 2, 60), cache.add("expired", "new", 60))

    assert added == (True, False, True)
    assert (cache.get("fresh"), cache.get("expired")) == (1, "new")


@pytest.mark.django_db(transaction=True)
def test_the_database_cache_lets_one_of_racing_adds_win():
    key = f"race-{uuid.uuid4()}"
    barrier = threading.Barrier(8)
    outcomes = []

    def worker(n):
        try:
            barrier.wait(timeout=30)
            outcomes.append(cache.add(key, n, 60))
        except Exception as error:  # reported below
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(outcomes) == [False] * 7 + [True]
    cache.delete(key)


@pytest.fixture
def redis_url(tmp_path):
    """A Redis server of the test's own, on a Unix socket (Debian's redis-server)."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is missing: apt-get install redis-server")
    socket = tmp_path / "redis.sock"
    process = subprocess.Popen(  # noqa: S603 (our own command line)
        [server, "--port", "0", "--unixsocket", str(socket), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not socket.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"unix://{socket}"
    process.terminate()
    process.wait(timeout=10)


def redis_caches(url):
    return {
        **django_settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
    }


@pytest.mark.django_db
def test_limits_count_in_redis_when_it_is_configured(client, settings, redis_url, clock):
    settings.CACHES = redis_caches(redis_url)
    settings.RATELIMIT_REGISTER = "1/m"
    event = make_programme(blocks=1)

    statuses = [post_registration(client, event, n).status_code for n in range(2)]

    assert statuses == [302, 429]
    assert type(caches["default"]).__name__ == "RedisCache"
    assert [key for key in caches["default"]._cache.get_client().keys("*") if b"ratelimit" in key]


@pytest.mark.django_db
def test_limits_count_in_the_database_while_redis_is_down(client, settings, caplog, clock):
    settings.CACHES = redis_caches("redis://127.0.0.1:1/0")  # nothing listens there
    settings.RATELIMIT_REGISTER = "2/m"
    event = make_programme(blocks=1)

    statuses = [post_registration(client, event, n).status_code for n in range(3)]

    assert statuses == [302, 302, 429]
    # Redis is tried once, then left alone for half a minute.
    assert [r.getMessage() for r in caplog.records if r.name == "fagdag.ratelimit"] == [
        "Rate limit cache unavailable; counting in the database cache"
    ]
    assert caches["database"].get_many(
        [f"ratelimit:register:127.0.0.1:{int(time.time() // 60)}"]
    ) == {f"ratelimit:register:127.0.0.1:{int(time.time() // 60)}": 2}


# --- The trap for bots --------------------------------------------------------


@pytest.mark.django_db
def test_the_trap_is_off_screen_and_out_of_the_tab_order(client):
    event = make_programme(blocks=1)

    content = client.get(register_url(event)).content.decode()

    assert (
        '<div class="form-trap">\n'
        '    <label for="id_website">Lad dette felt være tomt</label>\n'
        '    <input type="text" name="website" id="id_website" value="" autocomplete="off" '
        'tabindex="-1">\n'
        "  </div>"
    ) in content


@pytest.mark.django_db
def test_a_filled_in_trap_refuses_the_registration_and_saves_nothing(client):
    event = make_programme(blocks=1)

    response = client.post(register_url(event), form_data(event, website="http://spam.example"))

    assert response.status_code == 200
    assert "Vi kunne ikke modtage formularen" in response.content.decode()
    assert 'value="http://spam.example"' not in response.content.decode()
    assert Registration.objects.count() == 0


@pytest.mark.django_db
def test_an_empty_trap_lets_the_registration_through(client):
    event = make_programme(blocks=1)

    response = client.post(register_url(event), form_data(event, website=""))

    assert response.status_code == 302
    assert Registration.objects.count() == 1
