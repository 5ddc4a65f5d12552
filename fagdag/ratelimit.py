"""Rate limits on the public pages that bots and floods aim at, as token buckets in the cache.

Members of one municipality often share one public address, and most of them
register in the first minutes after registration opens: a limit that counts
every form they post refuses honest members first. So the registration form
(``limit_submissions``, a decorator on its view) counts what abuse looks like
and lets the rest through:

- **registrations** (a submission the view accepted, answered with a redirect)
  per address, with a ceiling high enough for a town hall at opening time
  (``RATELIMIT_REGISTER``), and per browser (``RATELIMIT_REGISTER_BROWSER``):
  many registrations from one browser are a script, not a member;
- **junk** (the form answered again: invalid, refused by the service, or
  limited; and any form refused for its CSRF token, ``csrf_failure``) per
  address (``RATELIMIT_JUNK``) and per browser (``RATELIMIT_JUNK_BROWSER``).

A browser whose junk bucket is empty is refused before its form is read; a
submission that turns out to be junk while its address's junk bucket is empty
is answered 429. Neither touches a valid submission from another browser, so
junk from an attacker on the same network never holds registration closed for
the members there. A refused submission is never lost: the view's re-render
hook answers 429 with the form, the member's answers in it, and a Danish
message saying when to send it again. A browser is its CSRF cookie (a valid
POST always has one), hashed: a script that rotates cookies escapes the
per-browser buckets and meets the per-address ones.

Every page behind a personal link (all methods) and the "send my link again"
POST are limited per address by ``RateLimitMiddleware`` (the ``LIMITS`` table);
it runs after the CSRF check, so forms refused for their token do not count
there.

**The buckets.** A rate "N/period" is a bucket of N tokens that refills at
N per period: an idle client may send N at once, then N per period. Each bucket
is kept as two counters in Django's cache, this period's and the previous
period's, and the tokens left are ``N - this - previous * (1 - elapsed/period)``
(the sliding-window estimate of a token bucket: it never lets more than about N
through in any stretch of one period). The counters change only through
``cache.add`` and ``cache.incr``/``decr``, which are atomic on both stores we
use: Redis's SET NX and INCRBY, and ``fagdag.cache.DatabaseCache``'s
``INSERT ... ON CONFLICT DO NOTHING`` and row-locked ``incr``
(tests/test_ratelimit.py races both). Each request counts first and then
compares, and the atomic increment gives racing requests each a number of its
own, so racing workers never get more tokens than there are (the race test:
exactly 100 of 200). A refused registration gives its count back; in the moment
between, a racing request may be refused one token early. The read of the
previous period's counter is not locked: it changes only in the instant a
period turns.

**The stores.** The counts live in ``caches[RATELIMIT_CACHE]`` (Redis with
``REDIS_URL``, shared by every app server). When it cannot be reached the
limits count in the database cache ``caches[RATELIMIT_FALLBACK_CACHE]``
instead of switching off, and the shared one is tried again after
``SHARED_CACHE_RETRY_SECONDS`` (so a dead Redis costs one connection timeout
per process per half minute, not one per request).

**The client address** is the one the trusted proxies in front of the app saw:
``TRUSTED_PROXY_COUNT`` = 0 uses the connection's address (``REMOTE_ADDR``);
N takes the N-th address from the right of ``X-Forwarded-For``, the one the
outermost trusted proxy appended. Addresses further left are the client's own
claims and are never believed. Behind a proxy with ``TRUSTED_PROXY_COUNT`` = 0
every client would share the proxy's address: ``check --deploy`` fails then
(``fagdag.checks``). django-axes uses the same address for its admin login
lockout (``AXES_CLIENT_IP_CALLABLE``).
"""

import dataclasses
import functools
import hashlib
import ipaddress
import logging
import math
import re
import time

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.db import InterfaceError, OperationalError
from django.shortcuts import render
from django.views import csrf
from redis.exceptions import RedisError

from .middleware import database_unavailable_response

logger = logging.getLogger(__name__)

SHARED_CACHE_RETRY_SECONDS = 30

# view name -> (bucket, setting with the rate, methods counted; None: all)
LIMITS = {
    "registrations:resend_link": ("resend_link", "RATELIMIT_RESEND_LINK", ("POST",)),
    "registrations:confirmation": ("personal", "RATELIMIT_PERSONAL", None),
    "registrations:personal": ("personal", "RATELIMIT_PERSONAL", None),
    "registrations:change": ("personal", "RATELIMIT_PERSONAL", None),
    "registrations:cancel": ("personal", "RATELIMIT_PERSONAL", None),
    "registrations:personal_data": ("personal", "RATELIMIT_PERSONAL", None),
    "registrations:erase": ("personal", "RATELIMIT_PERSONAL", None),
    "registrations:letter": ("personal", "RATELIMIT_PERSONAL", None),
    "registrations:letter_txt": ("personal", "RATELIMIT_PERSONAL", None),
}

# --- The client -------------------------------------------------------------


def _parse_address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_address(request) -> str:
    """The client's address, taken from behind ``TRUSTED_PROXY_COUNT`` proxies.

    Falls back to ``REMOTE_ADDR`` when ``X-Forwarded-For`` holds fewer
    addresses than there are trusted proxies (the request did not come through
    them all) or the address there is not an IP address.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < count:
        return remote
    address = _parse_address(forwarded[-count])
    return str(address) if address is not None else remote


def ratelimit_key(group, request) -> str:
    """The bucket a client is counted in: its IPv4 address, or its IPv6 /64 network.

    One IPv6 subscriber is given a whole /64, so counting single IPv6
    addresses would let one client count as millions.
    """
    address = _parse_address(client_address(request))
    if address is None:
        return "unknown"
    if address.version == 6 and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def browser_key(request) -> str | None:
    """The browser, as a hash of its CSRF cookie (never the secret itself); None without one."""
    cookie = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
    if not cookie:
        return None
    return hashlib.sha256(cookie.encode()).hexdigest()[:32]


def is_trusted(request) -> bool:
    """Whether the client is one of ``RATELIMIT_TRUSTED_ADDRESSES`` (load tests on this host)."""
    if not settings.RATELIMIT_TRUSTED_ADDRESSES:
        return False
    address = _parse_address(client_address(request))
    if address is None:
        return False
    for trusted in settings.RATELIMIT_TRUSTED_ADDRESSES:
        try:
            if address in ipaddress.ip_network(trusted, strict=False):
                return True
        except ValueError:
            continue
    return False


# --- The buckets --------------------------------------------------------------

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")


@dataclasses.dataclass(frozen=True)
class Rate:
    """``capacity`` tokens, refilled at ``capacity`` per ``period`` seconds."""

    capacity: int
    period: int

    @classmethod
    def parse(cls, text: str) -> "Rate | None":
        """ "30/m", "600/10m", "5/h"; None for an empty setting (no limit)."""
        if not text:
            return None
        match = RATE.match(text)
        if match is None or int(match[1]) < 1:
            raise ImproperlyConfigured(f"A rate limit is 'count/period', like '30/m': {text!r}")
        return cls(int(match[1]), int(match[2] or 1) * UNITS[match[3]])


@dataclasses.dataclass(frozen=True)
class Bucket:
    """One client's bucket of one kind: ``kind`` ("register", "junk", ...) of ``owner``."""

    kind: str
    owner: str
    rate: Rate

    def _keys(self, now: float) -> tuple[str, str, float]:
        """This period's counter, the previous period's, and the share of this period gone."""
        period = int(now // self.rate.period)
        base = f"ratelimit:{self.kind}:{self.owner}"
        elapsed = (now - period * self.rate.period) / self.rate.period
        return f"{base}:{period}", f"{base}:{period - 1}", elapsed

    def _left(self, current: int, previous: int, elapsed: float) -> float:
        return self.rate.capacity - current - previous * (1 - elapsed)

    def _wait(self, current: int, previous: int, elapsed: float) -> int:
        """Seconds until one more token is left, with ``current`` counted in this period."""
        capacity, period = self.rate.capacity, self.rate.period
        if current + 1 <= capacity and previous:
            # The previous period's share shrinks as this one goes on.
            share = (capacity - 1 - current) / previous
            seconds = period * (1 - share) - elapsed * period
        else:
            # Next period, this one's count is the previous one's, shrinking.
            seconds = (1 - elapsed) * period
            if current:
                seconds += period * max(0.0, 1 - (capacity - 1) / current)
        return min(max(math.ceil(seconds), 1), 2 * period)

    def take(self, store, now: float, counts: dict | None = None) -> int:
        """Take a token: 0 if there was one, else the seconds to wait (the count is kept).

        ``counts``: what ``store.get_many`` read of both counters before.
        """
        current_key, previous_key, elapsed = self._keys(now)
        if counts is None:
            counts = store.get_many([current_key, previous_key])
        current = _increment(
            store, current_key, 1, timeout=2 * self.rate.period + 60, new=current_key not in counts
        )
        previous = counts.get(previous_key, 0)
        if self._left(current - 1, previous, elapsed) >= 1:
            return 0
        return self._wait(current - 1, previous, elapsed)

    def give_back(self, store, now: float) -> None:
        current_key, _, _ = self._keys(now)
        try:
            store.decr(current_key)
        except ValueError:  # expired meanwhile: nothing to give back
            pass

    def charge(self, store, now: float) -> None:
        current_key, _, _ = self._keys(now)
        _increment(store, current_key, 1, timeout=2 * self.rate.period + 60)

    def wait(self, store, now: float, counts: dict | None = None) -> int:
        """0 if a token is left (none is taken), else the seconds until one is."""
        current_key, previous_key, elapsed = self._keys(now)
        if counts is None:
            counts = store.get_many([current_key, previous_key])
        current, previous = counts.get(current_key, 0), counts.get(previous_key, 0)
        if self._left(current, previous, elapsed) >= 1:
            return 0
        return self._wait(current, previous, elapsed)

    def keys(self, now: float) -> tuple[str, str]:
        """This period's counter and the previous period's, to read them with others at once."""
        return self._keys(now)[:2]


def _increment(store, key: str, delta: int, *, timeout: int, new: bool = False) -> int:
    """Add ``delta`` to the counter under ``key``, made if missing; its new value.

    ``new``: the counter was missing a moment ago, so ``add`` is tried first
    (a browser's first registration: one statement fewer on the database).
    """
    if new and store.add(key, delta, timeout):
        return delta
    try:
        return store.incr(key, delta)
    except ValueError:
        if store.add(key, delta, timeout):
            return delta
        return store.incr(key, delta)


def counting(operation):
    """Run ``operation(store)`` on the shared cache, or on the database cache while it is down.

    A database that cannot be reached either raises ``OperationalError``: the
    callers answer the 503 page, as the view could not answer anyway.
    """
    shared = caches[settings.RATELIMIT_CACHE]
    fallback = settings.RATELIMIT_FALLBACK_CACHE
    if not fallback or time.monotonic() >= getattr(shared, "fagdag_down_until", 0.0):
        try:
            return operation(shared)
        except RedisError:
            if not fallback:
                raise
            shared.fagdag_down_until = time.monotonic() + SHARED_CACHE_RETRY_SECONDS
            logger.warning(
                "Rate limit cache unavailable; counting in the database cache", exc_info=True
            )
    return operation(caches[fallback])


def _bucket(kind: str, owner: str | None, rate_setting: str) -> Bucket | None:
    rate = Rate.parse(getattr(settings, rate_setting))
    if owner is None or rate is None:
        return None
    return Bucket(kind, owner, rate)


def _submission_buckets(request) -> dict[str, Bucket | None]:
    address, browser = ratelimit_key("register", request), browser_key(request)
    return {
        "register": _bucket("register", address, "RATELIMIT_REGISTER"),
        "register_browser": _bucket("register-browser", browser, "RATELIMIT_REGISTER_BROWSER"),
        "junk": _bucket("junk", address, "RATELIMIT_JUNK"),
        "junk_browser": _bucket("junk-browser", browser, "RATELIMIT_JUNK_BROWSER"),
    }


# --- The registration form ------------------------------------------------------


def limit_submissions(on_limited):
    """Limit a form's POSTs as the module docstring says; GETs are not counted.

    ``on_limited(request, *args, retry_after=seconds, **kwargs)`` answers a
    limited submission: the form again with the member's answers, status 429
    (it is called with the view's arguments). The view answers an accepted
    submission with a redirect; any other answer to a POST is junk.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method != "POST" or is_trusted(request):
                return view(request, *args, **kwargs)
            buckets = _submission_buckets(request)
            now = time.time()
            try:
                wait = counting(lambda store: _before(store, buckets, now))
            except (OperationalError, InterfaceError):
                logger.error("Database unavailable (rate limit cache)")
                return database_unavailable_response()
            if wait:
                return _limited(on_limited, request, args, kwargs, wait)
            response = view(request, *args, **kwargs)
            if 300 <= response.status_code < 400:
                return response
            wait = counting(lambda store: _after_junk(store, buckets, now))
            if wait:
                return _limited(on_limited, request, args, kwargs, wait)
            return response

        return wrapper

    return decorator


def _before(store, buckets, now) -> int:
    """Refuse a browser full of junk, then take a registration token from browser and address."""
    junk_browser = buckets["junk_browser"]
    takers = [buckets[name] for name in ("register_browser", "register") if buckets[name]]
    # One read of every counter involved.
    counts = store.get_many(
        [
            *(junk_browser.keys(now) if junk_browser else ()),
            *(key for bucket in takers for key in bucket.keys(now)),
        ]
    )
    if junk_browser and (wait := junk_browser.wait(store, now, counts)):
        _charge(store, buckets, now)
        return wait
    taken = []
    for bucket in takers:
        wait = bucket.take(store, now, counts)
        if wait:
            for kept in (*taken, bucket):
                kept.give_back(store, now)
            _charge(store, buckets, now)
            return wait
        taken.append(bucket)
    return 0


def _after_junk(store, buckets, now) -> int:
    """The view did not register: give the tokens back, count junk; wait if the address is full."""
    for name in ("register_browser", "register"):
        if buckets[name]:
            buckets[name].give_back(store, now)
    junk = buckets["junk"]
    wait = junk.wait(store, now) if junk else 0
    _charge(store, buckets, now)
    return wait


def _charge(store, buckets, now) -> None:
    for name in ("junk", "junk_browser"):
        if buckets[name]:
            buckets[name].charge(store, now)


def _limited(on_limited, request, args, kwargs, wait: int):
    response = on_limited(request, *args, retry_after=wait, **kwargs)
    response.status_code = 429
    response["Retry-After"] = str(wait)
    response["Cache-Control"] = "no-store"
    return response


def csrf_failure(request, reason=""):
    """``CSRF_FAILURE_VIEW``: Django's 403 page, the refused form counted as junk."""
    if not is_trusted(request):
        buckets = _submission_buckets(request)
        try:
            counting(lambda store: _charge(store, buckets, time.time()))
        except (OperationalError, InterfaceError):
            logger.error("Database unavailable (rate limit cache)")
    return csrf.csrf_failure(request, reason)


# --- The other pages ------------------------------------------------------------


class RateLimitMiddleware:
    """Count the requests to the views in ``LIMITS``; over the limit, answer 429."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        limit = LIMITS.get(match.view_name) if match else None
        if limit is None or is_trusted(request):
            return None
        kind, rate_setting, methods = limit
        if methods is not None and request.method not in methods:
            return None
        bucket = _bucket(kind, ratelimit_key(kind, request), rate_setting)
        if bucket is None:
            return None
        try:
            wait = counting(lambda store: bucket.take(store, time.time()))
        except (OperationalError, InterfaceError):
            # The database cache, and so the database, cannot be reached: the
            # view could not answer either.
            logger.error("Database unavailable (rate limit cache)")
            return database_unavailable_response()
        if not wait:
            return None
        request.ratelimit_retry_after = wait
        return too_many_requests(request)


def too_many_requests(request, exception=None):
    """The Danish 429 page, telling when to try again."""
    retry_after = getattr(request, "ratelimit_retry_after", 60)
    response = render(
        request,
        "429.html",
        {
            "retry_seconds": retry_after,
            "retry_minutes": math.ceil(retry_after / 60),
        },
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response
