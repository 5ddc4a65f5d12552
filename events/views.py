from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import event_list_page, programme_page, services
from .forms import SpeakerMaterialForm
from .models import Event, Material
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


@require_http_methods(["GET", "POST"])
def upload_materials(request, key):
    """A workshop's speakers add its materials through the link the organiser sent them.

    No login: the key in the link is the permission (``MaterialUploadLink``);
    an unknown or revoked key is a 404. The page shows the workshop's
    materials by name only, and never the files themselves.
    """
    link = services.find_upload_link(key)
    if link is None:
        raise Http404
    workshop = link.workshop
    form = SpeakerMaterialForm(request.POST or None, request.FILES or None, workshop=workshop)
    if request.method == "POST" and form.is_valid():
        material = form.save()
        messages.success(
            request,
            _("Thank you: “%(material)s” is added to %(workshop)s.")
            % {"material": material.label, "workshop": workshop.title},
        )
        return redirect("events:upload_materials", key=key)
    response = render(
        request,
        "events/upload_materials.html",
        {
            "workshop": workshop,
            "event": workshop.block.event,
            "materials": Material._base_manager.filter(workshop=workshop).order_by("created_at"),
            "form": form,
        },
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response
