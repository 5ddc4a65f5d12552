"""Rate limits per client address on the public pages that bots and floods aim at.

Which views are limited, and by which setting, is the table ``LIMITS`` below:
the registration POST, the "send my link again" POST, and every page behind a
personal link (all methods). ``RateLimitMiddleware`` looks the resolved view
up in it before the view runs, counts the request in Django's cache (through
django-ratelimit, so the counts are shared by every worker and, with Redis,
every app server) and answers a client over its limit with the Danish 429 page
of ``RATELIMIT_VIEW``, with a ``Retry-After`` header.

The client address is the one the trusted proxies in front of the app saw:
``TRUSTED_PROXY_COUNT`` = 0 uses the connection's address (``REMOTE_ADDR``);
N takes the N-th address from the right of ``X-Forwarded-For``, the one the
outermost trusted proxy appended. Addresses further left are the client's own
claims and are never believed. django-axes uses the same address for its
admin login lockout (``AXES_CLIENT_IP_CALLABLE``).
"""

import ipaddress
import logging
import math

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.shortcuts import render
from django.utils.module_loading import import_string
from django_ratelimit import ALL
from django_ratelimit.core import get_usage
from django_ratelimit.exceptions import Ratelimited
from redis.exceptions import RedisError

from .middleware import database_unavailable_response

logger = logging.getLogger(__name__)

# view name -> (group, setting with the rate, methods counted)
LIMITS = {
    "registrations:register": ("register", "RATELIMIT_REGISTER", ("POST",)),
    "registrations:resend_link": ("resend_link", "RATELIMIT_RESEND_LINK", ("POST",)),
    "registrations:confirmation": ("personal", "RATELIMIT_PERSONAL", ALL),
    "registrations:personal": ("personal", "RATELIMIT_PERSONAL", ALL),
    "registrations:change": ("personal", "RATELIMIT_PERSONAL", ALL),
    "registrations:cancel": ("personal", "RATELIMIT_PERSONAL", ALL),
    "registrations:personal_data": ("personal", "RATELIMIT_PERSONAL", ALL),
    "registrations:erase": ("personal", "RATELIMIT_PERSONAL", ALL),
    "registrations:letter": ("personal", "RATELIMIT_PERSONAL", ALL),
    "registrations:letter_txt": ("personal", "RATELIMIT_PERSONAL", ALL),
}


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
        group, rate_setting, methods = limit
        try:
            usage = get_usage(
                request,
                group=group,
                key=ratelimit_key,
                rate=getattr(settings, rate_setting) or None,
                method=methods,
                increment=True,
            )
        except RedisError:
            # A broken shared cache must not stop registrations: let the
            # request through, and say so in the log.
            logger.warning("Rate limit cache unavailable; request not counted", exc_info=True)
            return None
        except (OperationalError, InterfaceError):
            # The database cache, and so the database, cannot be reached: the
            # view could not answer either.
            logger.error("Database unavailable (rate limit cache)")
            return database_unavailable_response()
        if usage is None or not usage["should_limit"]:
            return None
        request.ratelimit_retry_after = max(int(usage["time_left"]), 1)
        view = import_string(settings.RATELIMIT_VIEW)
        return view(request, Ratelimited())


def too_many_requests(request, exception=None):
    """The Danish 429 page (``RATELIMIT_VIEW``), telling when to try again."""
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
