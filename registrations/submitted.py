"""What a browser sent on the registration form, kept for the page after registering.

``remember`` puts it in a signed cookie on the answer to the submission
(``views.register``, ``ranking.register``); ``read`` takes it back for
``views.confirmation``. Alike for a new registration and a repeat of a
registered address, and never a personal link (see ``remember``).
"""

import datetime

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import translation

from events.models import Workshop

from . import services
from .models import INVOICE, Registration, Seat, WaitlistEntry, attendee_fields

# How long the page after registering shows what was sent, to the browser that sent it.
SUBMISSION_SHOWN_FOR = datetime.timedelta(minutes=30)
SUBMISSION_COOKIE = "fagdag_submitted"


def _submission_salt(event) -> str:
    return f"registrations.views.submission:{event.pk}"


def remember(
    response, event, form, *, status: str, calendar_key: str = "", chosen=None, ranked=None
) -> None:
    """Give the browser what it sent, for the page after registering (``confirmation``).

    ``chosen``: block id → workshop id; or, for an event by preference
    (``ranking.register``), ``ranked``: block id → workshop ids, first choice first.

    Only what was sent and the status it got: the same for a new registration
    and for a repeat of a registered address, which must look alike. No
    personal link: that goes to the e-mail address alone. Of the attendee's
    data only the name, the address the mail went to (a typo shows) and the
    invoice details given.

    Kept in a signed cookie, not the session: bound to this browser, gone after
    ``SUBMISSION_SHOWN_FOR``, sent only to the event's registration pages (its
    path, in each language), and nothing of it stays on the server (or costs a
    query in the rush). The browser can read what it sent itself, and cannot
    change it.
    """
    _keep(
        response,
        event,
        {
            "status": status,
            "calendar_key": calendar_key,
            "attendee": _shown(services.AttendeeDetails.from_mapping(form.cleaned_data)),
            "workshops": sorted((chosen or {}).values()),
            "ranked": [[block, list(workshops)] for block, workshops in (ranked or {}).items()],
            "accept_any_workshop": bool(form.cleaned_data.get("accept_any_workshop")),
        },
    )


def remember_saved(response, event, registration: Registration) -> None:
    """Give the browser what its submission saved, when it was saved by an earlier request
    of the same submission (``Registration.made_before``: a double click, or the form
    sent again after going back, perhaps with other choices): the page after
    registering shows the registration as it is, not what was sent again. Only
    the browser that sent the submission has its token."""
    if registration.status == Registration.Status.CONFIRMED:
        workshops = registration.seats.values_list("workshop_id", flat=True)
    else:
        workshops = registration.waitlist_entries.values_list("workshop_id", flat=True)
    ranked: dict[int, list[int]] = {}
    for block_id, workshop_id in registration.rankings.order_by("block_id", "rank").values_list(
        "block_id", "workshop_id"
    ):
        ranked.setdefault(block_id, []).append(workshop_id)
    _keep(
        response,
        event,
        {
            "status": registration.status,
            "calendar_key": registration.calendar_key,
            "attendee": _shown({name: getattr(registration, name) for name in _shown_names()}),
            "workshops": sorted(workshops),
            "ranked": [[block, workshops] for block, workshops in ranked.items()],
            "accept_any_workshop": registration.accept_any_workshop,
            "again": True,
        },
    )


def _shown_names() -> set[str]:
    """The attendee's data the page after registering shows."""
    return {"name", "email"} | {field.name for field in attendee_fields(INVOICE)}


def _shown(attendee) -> dict:
    shown = _shown_names()
    return {
        name: value for name, value in attendee.items() if name in shown and value not in ("", None)
    }


def _cookie_name(language: str) -> str:
    """The cookie of the page after registering in ``language`` (each page has its own
    path, so each language its own cookie: a cookie has one path)."""
    return (
        SUBMISSION_COOKIE
        if language == settings.LANGUAGE_CODE
        else f"{SUBMISSION_COOKIE}_{language}"
    )


def _keep(response, event, submission: dict) -> None:
    """The cookie, for the event's registration pages in each language: the page after
    registering shows it, and the form's submissions carry it (``registered_here``)."""
    value = signing.dumps(submission, salt=_submission_salt(event), compress=True)
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            path = reverse("registrations:register", kwargs={"slug": event.slug})
        response.set_cookie(
            _cookie_name(language),
            value,
            max_age=int(SUBMISSION_SHOWN_FOR.total_seconds()),
            path=path,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )


def registered_here(request, event) -> str | None:
    """The calendar key of the registration this browser made for ``event`` a short while
    ago, as we told it (the cookie is signed), or None. The services take a repeat of
    that registration's address from this browser as the same member's (the form loaded
    again after going back carries a new submission token). A repeat of a registered
    address gets a calendar key of its own, which matches no registration."""
    kept = _kept(request, event)
    if kept is None:
        return None
    return kept.get("calendar_key") or None


def _kept(request, event) -> dict | None:
    try:
        return signing.loads(
            request.COOKIES.get(_cookie_name(translation.get_language()), ""),
            salt=_submission_salt(event),
            max_age=SUBMISSION_SHOWN_FOR,
        )
    except signing.BadSignature:  # none, another event's, tampered with or too old
        return None


def read(request, event):
    """What this browser sent to ``event`` a short while ago, as an unsaved registration with
    its seats or waitlist places, and its ranking (a list of blocks with the workshops
    ranked, for an event by preference); None once ``SUBMISSION_SHOWN_FOR`` has passed."""
    kept = _kept(request, event)
    if kept is None:
        return None
    registration = Registration(
        event=event,
        status=kept["status"],
        calendar_key=kept["calendar_key"],
        accept_any_workshop=kept.get("accept_any_workshop", False),
        **kept["attendee"],
    )
    registration.made_before = kept.get("again", False)
    ranked = dict(kept.get("ranked", []))
    workshops = Workshop.objects.select_related("block").filter(
        pk__in={*kept["workshops"], *(pk for pks in ranked.values() for pk in pks)},
        block__event=event,
    )
    by_pk = {workshop.pk: workshop for workshop in workshops}
    places = sorted(
        (by_pk[pk] for pk in kept["workshops"] if pk in by_pk),
        key=lambda w: _programme_order(w.block),
    )
    rankings = [
        (block, [by_pk[pk] for pk in ranked[block.pk] if pk in by_pk])
        for block in sorted(
            {by_pk[pks[0]].block for pks in ranked.values() if pks and pks[0] in by_pk},
            key=_programme_order,
        )
    ]
    if registration.status == Registration.Status.CONFIRMED:
        seats = [Seat(registration=registration, block=w.block, workshop=w) for w in places]
        waits = []
    else:
        seats = []
        waits = [
            WaitlistEntry(registration=registration, block=w.block, workshop=w) for w in places
        ]
    return registration, seats, waits, rankings


def _programme_order(block):
    return (block.day, block.starts, block.pk)
