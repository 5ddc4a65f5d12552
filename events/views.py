from django.conf import settings
from django.shortcuts import render

from . import event_list_page, programme_page
from .models import Event
from .selectors import get_visible_event, get_visible_event_with_programme_version


def event_list(request):
    """The upcoming events, kept rendered while they and their states stay (event_list_page)."""
    return event_list_page.page(request)


def event_detail(request, slug):
    """The programme, kept rendered per programme version and language (programme_page)."""
    event = get_visible_event_with_programme_version(slug=slug, user=request.user)
    return programme_page.page(request, event)


def privacy_context() -> dict:
    """What every privacy page says of the site itself: who runs it, and how long data is kept."""
    return {
        "operator": settings.PRIVACY_CONTROLLER,
        "operator_email": settings.PRIVACY_CONTACT_EMAIL,
        "retention_days": settings.RETENTION_DAYS_AFTER_EVENT,
        "bookkeeping_years": settings.BOOKKEEPING_RETENTION_YEARS,
    }


def privacy(request):
    """The site's privacy page: the operator, and a link to each upcoming event's own page."""
    events = Event.objects.public().upcoming().select_related("organisation")
    return render(request, "events/privacy.html", {**privacy_context(), "events": events})


def event_privacy(request, slug):
    """The privacy page of one event (``events:event_privacy``), naming its organisation as
    the controller of its attendees' data; shown to whoever may see the event's page."""
    event = get_visible_event(slug=slug, user=request.user)
    organisation = event.organisation
    return render(
        request,
        "events/privacy.html",
        {
            **privacy_context(),
            "event": event,
            "organisation": organisation,
            "controller": organisation.privacy_controller,
            "privacy_email": organisation.privacy_email or organisation.contact_email,
        },
    )
