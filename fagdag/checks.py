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
def check_mail_settings(app_configs, **kwargs):
    """Mails to members need a mail server and the site's public address for their links.

    Without ``EMAIL_HOST`` production sends nothing (mails wait in the outbox;
    they are never written to disk there), and the mail worker refuses to
    start; without ``SITE_URL`` the personal links in mails would lead nowhere.
    """
    errors = []
    if not settings.EMAIL_HOST:
        errors.append(
            checks.Error(
                "EMAIL_HOST is not set: no e-mail to members can be sent.",
                hint="Set EMAIL_HOST (and EMAIL_HOST_USER, EMAIL_HOST_PASSWORD) to the SMTP server.",
                id="fagdag.E201",
            )
        )
    if not settings.SITE_URL.startswith("https://"):
        errors.append(
            checks.Error(
                "SITE_URL is not the site's https:// address: links in e-mails are built from it.",
                hint="Set SITE_URL, e.g. https://fagdag.example.dk",
                id="fagdag.E202",
            )
        )
    return errors


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
