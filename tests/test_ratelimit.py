"""Rate limits per client address, the client address behind proxies, and the bot trap."""

import shutil
import subprocess
import threading
import time
import uuid

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache, caches
from django.db import connections
from django.test import RequestFactory
from django.urls import reverse

from fagdag.ratelimit import client_address, ratelimit_key
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


def post_registration(client, event, n, **headers):
    return client.post(
        register_url(event), form_data(event, email=f"person{n}@example.org"), **headers
    )


@pytest.mark.django_db
def test_registration_posts_over_the_limit_get_the_danish_429_page(client, settings):
    settings.RATELIMIT_REGISTER = "2/m"
    event = make_programme(blocks=1)

    statuses = [post_registration(client, event, n).status_code for n in range(2)]
    refused = post_registration(client, event, 3)

    assert statuses == [302, 302]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    content = refused.content.decode()
    assert "For mange forespørgsler" in content
    assert f"Prøv igen om {refused['Retry-After']} sekund" in content
    assert Registration.objects.count() == 2


@pytest.mark.django_db
def test_looking_at_the_form_is_not_counted(client, settings):
    settings.RATELIMIT_REGISTER = "1/m"
    event = make_programme(blocks=1)

    pages = [client.get(register_url(event)).status_code for _ in range(5)]
    posted = post_registration(client, event, 1)

    assert (pages, posted.status_code) == ([200] * 5, 302)


@pytest.mark.django_db
def test_each_client_address_has_its_own_count(client, settings):
    settings.RATELIMIT_REGISTER = "1/m"
    event = make_programme(blocks=1)

    first = post_registration(client, event, 1, REMOTE_ADDR="192.0.2.1")
    again = post_registration(client, event, 2, REMOTE_ADDR="192.0.2.1")
    other = post_registration(client, event, 3, REMOTE_ADDR="192.0.2.2")

    assert (first.status_code, again.status_code, other.status_code) == (302, 429, 302)


@pytest.mark.django_db
def test_behind_a_proxy_clients_are_counted_apart_and_cannot_escape_by_forging(client, settings):
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
def test_send_my_link_again_is_limited(client, settings):
    settings.RATELIMIT_RESEND_LINK = "3/m"
    event = make_programme(blocks=1)
    url = reverse("registrations:resend_link", kwargs={"slug": event.slug})

    statuses = [client.post(url, {"email": f"x{n}@example.org"}).status_code for n in range(4)]

    assert statuses == [200, 200, 200, 429]


@pytest.mark.django_db
def test_personal_link_pages_share_one_limit(client, settings):
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
def test_trusted_load_test_addresses_are_not_limited(client, settings):
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
def test_an_empty_rate_means_no_limit(client, settings):
    settings.RATELIMIT_REGISTER = ""
    event = make_programme(blocks=1)

    statuses = [post_registration(client, event, n).status_code for n in range(3)]

    assert statuses == [302, 302, 302]


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
def test_limits_count_in_redis_when_it_is_configured(client, settings, redis_url):
    settings.CACHES = redis_caches(redis_url)
    settings.RATELIMIT_REGISTER = "1/m"
    event = make_programme(blocks=1)

    statuses = [post_registration(client, event, n).status_code for n in range(2)]

    assert statuses == [302, 429]
    assert type(caches["default"]).__name__ == "RedisCache"


@pytest.mark.django_db
def test_registration_goes_on_when_redis_is_down(client, settings, caplog):
    settings.CACHES = redis_caches("redis://127.0.0.1:1/0")
    settings.RATELIMIT_REGISTER = "1/m"
    event = make_programme(blocks=1)

    statuses = [post_registration(client, event, n).status_code for n in range(2)]

    assert statuses == [302, 302]
    assert [r.getMessage() for r in caplog.records if r.name == "fagdag.ratelimit"] == [
        "Rate limit cache unavailable; request not counted"
    ] * 2


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
