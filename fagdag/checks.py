"""System checks of fagdag's own settings (``manage.py check --deploy``)."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def check_ratelimit_trusted_addresses(app_configs, **kwargs):
    """Trusted load-test addresses are for a benchmark's own server, never for production."""
    if settings.RATELIMIT_TRUSTED_ADDRESSES:
        return [
            checks.Warning(
                "RATELIMIT_TRUSTED_ADDRESSES is set: requests from "
                f"{', '.join(settings.RATELIMIT_TRUSTED_ADDRESSES)} are never rate limited.",
                hint="Leave it empty in production; it is for load tests on the test machine.",
                id="fagdag.W001",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def check_client_address_behind_a_proxy(app_configs, **kwargs):
    """Behind a proxy, ``TRUSTED_PROXY_COUNT`` = 0 makes every client the proxy.

    The settings trust a proxy's ``X-Forwarded-Proto`` (``SECURE_PROXY_SSL_HEADER``,
    set in production), so there is a proxy in front; with no trusted proxy
    counted, the rate limits and the admin lockout would see one address, the
    proxy's, for everyone: one flood would shut out all members, and a lockout
    all staff.
    """
    if settings.SECURE_PROXY_SSL_HEADER and settings.TRUSTED_PROXY_COUNT <= 0:
        return [
            checks.Error(
                "SECURE_PROXY_SSL_HEADER trusts a proxy in front of the app, but "
                "TRUSTED_PROXY_COUNT is 0: every client would be counted as the proxy's "
                "address by the rate limits and the admin lockout.",
                hint="Set TRUSTED_PROXY_COUNT to the number of proxies that append to "
                "X-Forwarded-For (nginx alone: 1).",
                id="fagdag.E141",
            )
        ]
    return []
