"""The admin login lockout (django-axes), by username and address, and by address alone.

django-axes locks a username out from one address after ``AXES_FAILURE_LIMIT``
failed logins. A password sprayed over many usernames from one address fails
once per username and so was never locked out. ``AddressAwareHandler`` locks
the address as well once it has ``AXES_ADDRESS_FAILURE_LIMIT`` failed logins,
whatever the usernames, within ``AXES_COOLOFF_TIME``. That limit is higher than
the per-username one: an office of staff behind one address mistyping now and
then stays well under it; a spray does not.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


class AddressAwareHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        """The failures of this username from this address; the limit if the address is full."""
        failures = super().get_failures(request, credentials)
        from_address = (
            AccessAttempt.objects.filter(
                ip_address=request.axes_ip_address,
                attempt_time__gte=get_cool_off_threshold(request),
            ).aggregate(total=Sum("failures_since_start"))["total"]
            or 0
        )
        if from_address >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            return max(failures, get_failure_limit(request, credentials))
        return failures
