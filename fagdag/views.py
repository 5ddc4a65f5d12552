"""Operational endpoints and error pages of the whole site."""

import math
import sys

from axes.helpers import get_cool_off
from django.conf import settings
from django.core import checks
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError
from django.http import (
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import translate_url
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .middleware import database_unavailable_response


@never_cache
def healthz(request):
    """The process is up and answers. Touches nothing else."""
    return HttpResponse("ok", content_type="text/plain")


@never_cache
def readyz(request):
    """The database answers and has the triggers the seat invariant depends on; 503 when
    not, so a load balancer takes this server out (and the operator looks why)."""
    try:
        errors = checks.run_checks(tags=[checks.Tags.database], databases=[DEFAULT_DB_ALIAS])
    except DatabaseError:
        return JsonResponse({"database": "unavailable"}, status=503)
    if any(error.is_serious() for error in errors):
        return JsonResponse(
            {"database": "ok", "checks": [error.id for error in errors if error.is_serious()]},
            status=503,
        )
    return JsonResponse({"database": "ok"})


@require_GET
@never_cache
def switch_language(request):
    """The language switcher (base.html): on to the page ``next`` in ``language``.

    A page's language is in its address (``i18n_patterns``: "/en/…" English,
    no prefix Danish), so switching is only a redirect: no cookie is set and
    nothing changes, and the switcher is a GET form without a CSRF token. So the
    pages everyone loads in a rush (the event list, the programme) need no CSRF
    cookie (events/event_list_page.py). ``next`` is the page's path in the
    default language (``path_in_default_language``); anything but a path on
    this site goes to the front page, so the switcher cannot send anyone
    elsewhere.
    """
    target = request.GET.get("next", "")
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    language = request.GET.get("language", "")
    if language in dict(settings.LANGUAGES):
        # Resolved as the default language's path, given in the chosen language.
        with translation.override(settings.LANGUAGE_CODE):
            target = translate_url(target, language)
    return HttpResponseRedirect(target)


def bad_request(request, exception=None):
    """``handler400``: the Danish page for a request we cannot read.

    Unlike Django's own 400 view, it does not ask for a CSRF token: that would
    read the form again, and a form Django refuses to read (one sent in another
    character encoding than UTF-8, say ``charset=utf-16``) would then end in a
    500. A form in another encoding gets a sentence of its own.
    """
    charset = request.content_params.get("charset", "") if request.method == "POST" else ""
    wrong_charset = bool(charset) and charset.lower().replace("_", "-") not in {"utf-8", "utf8"}
    return HttpResponseBadRequest(render_to_string("400.html", {"wrong_charset": wrong_charset}))


def server_error(request):
    """``handler500``: the Danish 500 page, or the 503 page when the database is away.

    Django calls it while handling the exception, so ``sys.exc_info()`` is the
    error: a database that cannot be reached outside a view (say, in a
    middleware) is answered like ``DatabaseUnavailableMiddleware`` answers it
    in a view. The 500 page needs neither the database nor the request.
    """
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        return database_unavailable_response()
    return HttpResponseServerError(render_to_string("500.html"))


def lockout(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out admin login (``AXES_LOCKOUT_CALLABLE``)."""
    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else 0
    response = render(
        request,
        "lockout.html",
        {"retry_minutes": math.ceil(seconds / 60)},
        status=429,
    )
    if seconds:
        response["Retry-After"] = str(seconds)
    return response
