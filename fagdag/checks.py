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
