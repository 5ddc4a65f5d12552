"""Site-wide middleware: a log line per request, a 503 page when the database is away, and
each request's scope of the organisations' data."""

import logging
import time

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from events.models import organisation_scopes

from .logs import redact

request_logger = logging.getLogger("fagdag.requests")
logger = logging.getLogger(__name__)

# Paths a load balancer asks every few seconds: not worth a log line each.
QUIET_PATHS = frozenset({"/healthz", "/readyz"})
DATABASE_RETRY_AFTER = 30  # seconds


class RequestLogMiddleware:
    """One log line per request: method, path (no query string, no secrets), status, duration.

    First in ``MIDDLEWARE``, so the duration covers every other middleware and
    the status is the one the client gets. For a streamed response (CSV
    exports) the duration ends when streaming starts.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        request_logger.log(
            logging.DEBUG if request.path in QUIET_PATHS else logging.INFO,
            "request",
            extra={
                "method": request.method[:16],
                "path": redact(request.path),
                "status": response.status_code,
                "duration_ms": duration_ms,
            },
        )
        return response


def database_unavailable_response() -> HttpResponse:
    """The 503 page; it needs neither the database nor the request."""
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """When the database cannot be reached, answer 503 with a Danish page instead of a traceback.

    Every write of the app runs in one transaction, so a lost connection
    leaves nothing half-saved: the database rolls the transaction back.
    Errors outside a view (in another middleware) reach ``handler500``
    (``fagdag.views.server_error``), which answers 503 for them as well.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError):
            logger.error("Database unavailable: %s", type(exception).__name__)
            return database_unavailable_response()
        return None


class OrganisationScopeMiddleware:
    """Each request's view of the organisations' data (django-scopes).

    In the admin, a person sees the organisations they have a role in: every
    query of an organisation's data (events, programmes, speakers,
    registrations, …) is limited to them, ``organisation`` for the
    programmes, ``attendees`` for the registrations (organisers only), and a
    query made outside a scope raises ``ScopeError`` rather than leaking.
    Superusers see every organisation. The public site shows what is public
    (published events) or what a personal link opens, whoever holds it, so its
    pages run with the scopes off.

    After the authentication middleware, which tells who the user is.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = None

    def __call__(self, request):
        if self.admin_prefix is None:
            self.admin_prefix = reverse("admin:index")
        user = request.user
        if not request.path.startswith(self.admin_prefix) or (user.is_active and user.is_superuser):
            with scopes_disabled():
                return self.get_response(request)
        if user.is_authenticated and user.is_active and user.is_staff:
            scopes = organisation_scopes(user)
        else:
            scopes = {"organisation": [], "attendees": []}
        with scope(**scopes):
            return self.get_response(request)
