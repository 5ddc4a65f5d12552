from django.conf import settings
from django.shortcuts import render

from .models import Event
from .selectors import get_programme, get_visible_event


def event_list(request):
    events = Event.objects.public().upcoming()
    return render(request, "events/event_list.html", {"events": events})


def event_detail(request, slug):
    event = get_visible_event(slug=slug, user=request.user)
    return render(
        request,
        "events/event_detail.html",
        {
            "event": event,
            "programme": get_programme(event),
            "registration_state": event.registration_state(),
            "RegistrationState": Event.RegistrationState,
        },
    )


def privacy(request):
    return render(
        request,
        "events/privacy.html",
        {
            "controller": settings.PRIVACY_CONTROLLER,
            "contact_email": settings.PRIVACY_CONTACT_EMAIL,
            "retention_days": settings.RETENTION_DAYS_AFTER_EVENT,
            "bookkeeping_years": settings.BOOKKEEPING_RETENTION_YEARS,
        },
    )
