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
