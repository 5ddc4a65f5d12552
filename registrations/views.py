"""Public registration pages. Thin: validate, call a service, turn its refusal into form errors."""

import re

from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from events.materials import material_response
from events.models import Event
from events.selectors import (
    blocks_with_workshops,
    get_public_event_with_programme_version,
)
from events.templatetags.programme import speakers_line
from fagdag.ratelimit import limit_submissions

from . import (
    calendar,
    emails,
    exceptions,
    form_cache,
    materials,
    privacy,
    ranking,
    selectors,
    services,
    submitted,
)
from .forms import (
    CancelForm,
    ChangeSeatsForm,
    EraseForm,
    LanguageForm,
    LeaveWaitlistForm,
    RegistrationForm,
    ResendLinkForm,
)
from .models import (
    INVOICE,
    Registration,
    new_calendar_key,
)


def _private(response, *, referrer_policy: str = "no-referrer"):
    """Pages behind a personal link: not indexed, and the link never leaks as a referrer.

    A page whose forms post back to us takes "same-origin": under "no-referrer"
    browsers send a form with ``Origin: null``, which Django's CSRF check refuses.
    "same-origin" still sends nothing to other sites.
    """
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = referrer_policy
    response["Cache-Control"] = "private, no-store"
    return response


def _open_event(slug: str) -> Event:
    return get_object_or_404(Event.objects.public(), slug=slug)


def _registration_limited(request, slug, *, retry_after):
    """The rate limit's answer to a submission (fagdag.ratelimit): the form again, with the
    member's answers and when to send it. The decorator makes it a 429."""
    event = get_public_event_with_programme_version(slug=slug)
    message = ngettext(
        "We are receiving many registrations from your network right now. Your answers are "
        "kept below: please send the form again in %(seconds)s second.",
        "We are receiving many registrations from your network right now. Your answers are "
        "kept below: please send the form again in %(seconds)s seconds.",
        retry_after,
    ) % {"seconds": retry_after}
    return _registration_form_again(
        request, event, _submitted_form(request, event), choice_errors={0: message}
    )


def _submitted_form(request, event) -> RegistrationForm:
    return RegistrationForm(
        request.POST,
        event=event,
        blocks=form_cache.blocks_to_check(event),
        questions=form_cache.questions(event),
        offers_waitlist=True,
    )


@require_http_methods(["GET", "POST"])
@limit_submissions(on_limited=_registration_limited)
def register(request, slug):
    # With the programme version that keys the form's kept page and programme (form_cache).
    event = get_public_event_with_programme_version(slug=slug)
    state = event.registration_state()
    if state != Event.RegistrationState.OPEN:
        return render(request, "registrations/unavailable.html", {"event": event, "state": state})
    if event.awaits_draw:  # by preference, before the draw: the ranking form (ranking.py)
        return ranking.register(request, event)

    if request.method == "GET":
        return form_cache.page(request, event)

    # Checked against the programme kept by this process, the waitlist's fields
    # always read (the service decides whether a seat is left); shown again
    # (with errors) with the programme as it is now, speakers and seats and all.
    form = _submitted_form(request, event)
    if not form.is_valid():
        return _registration_form_again(request, event, form)
    try:
        registration = services.register(
            event=event,
            attendee=services.AttendeeDetails.from_mapping(form.cleaned_data),
            choices=form.choices,
            answers=form.answers,
            submission_token=form.cleaned_data["submission_token"],
            language=translation.get_language(),
            registered_here=submitted.registered_here(request, event),
            **form.waitlist_choices,
        )
    except exceptions.AlreadyRegistered as repeat:
        # Answered exactly as a new registration: the owner of the address has
        # been e-mailed, and this browser learns nothing (services.register).
        status, calendar_key = repeat.status, new_calendar_key()
    except exceptions.WorkshopFull as full:
        return _registration_form_again(
            request, event, form, full_blocks=full.block_ids, rows=full.seats
        )
    except exceptions.InvalidChoices as invalid:
        return _registration_form_again(request, event, form, choice_errors=invalid.errors)
    except exceptions.RegistrationError as refused:
        return _registration_form_again(request, event, form, choice_errors={0: refused.message})
    else:
        if registration.made_before:  # this submission, sent again: what it saved
            response = redirect("registrations:confirmation", slug=event.slug)
            submitted.remember_saved(response, event, registration)
            return response
        status, calendar_key = registration.status, registration.calendar_key
    return _submitted(event, form, status, calendar_key)


def _submitted(event, form, status, calendar_key):
    """The answer to a registration made (or a repeat of a registered address, alike):
    on to the page after registering, which shows what this browser sent."""
    response = redirect("registrations:confirmation", slug=event.slug)
    submitted.remember(
        response, event, form, status=status, calendar_key=calendar_key, chosen=form.choices
    )
    return response


def _registration_form_again(
    request, event, form, *, full_blocks=(), choice_errors=None, rows=None
):
    """The submitted ``form`` with its errors and answers, and the seats as they are now,
    answered from the kept page (form_cache.form_again).

    ``full_blocks``: blocks whose chosen workshop filled up meanwhile;
    ``choice_errors``: the service's errors by block id, 0 for the whole form.
    """
    return form_cache.form_again(
        request, event, form, full_blocks=full_blocks, choice_errors=choice_errors, rows=rows
    )


def _registration_by_secret(secret: str) -> Registration:
    registration = selectors.find_by_secret(secret)
    if registration is None:
        raise Http404
    return registration


@require_http_methods(["GET"])
def confirmation(request, slug):
    """The page after registering: what this browser sent, for a short while, and no
    personal link (that goes to the e-mail address only). Alike for a new registration
    and a repeat of a registered address."""
    event = _open_event(slug)
    submission = submitted.read(request, event)
    context = {"event": event, "registration": None}
    if submission is not None and submission[0].status == Registration.Status.RANKED:
        registration, _seats, _waits, rankings = submission
        context.update(registration=registration, ranked_blocks=rankings)
        return _private(render(request, "registrations/ranking_received.html", context))
    if submission is not None:
        registration, seats, waits, _rankings = submission
        context.update(
            registration=registration,
            seats=seats,
            waitlist_entries=waits,
            invoice_answers=[] if event.is_free else registration.attendee_answers(INVOICE),
            day_hours=selectors.day_hours(event),
        )
    return _private(render(request, "registrations/confirmation.html", context))


@require_http_methods(["GET"])
def confirmation_calendar(request, slug):
    """The "Add to calendar" of the page after registering: the .ics of what this browser
    chose, while ``confirmation`` shows it (the same builder as the e-mails' and the
    personal page's files, with the same UIDs). It carries SEQUENCE 0, the version
    before any e-mail's (``calendar.next_sequence``): nothing is saved or counted for
    it, so a repeat of a registered address downloads alike, and the file of any
    later e-mail or personal-page download takes its place in the calendar."""
    event = _open_event(slug)
    submission = submitted.read(request, event)
    if submission is None or submission[0].status != Registration.Status.CONFIRMED:
        raise Http404
    registration, seats, _waits, _rankings = submission
    response = HttpResponse(
        calendar.build_calendar(
            registration=registration,
            seats=seats,
            sessions=event.sessions.order_by("day", "starts", "pk"),
            sequence=0,
        ),
        content_type=f"{calendar.CONTENT_TYPE}; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{calendar.FILENAME}"'
    return _private(response)


def _personal_page(request, registration, secret, **forms):
    """The attendee's own page, with ``forms`` (bound, with errors) in place of the blank ones.

    Its links and forms carry the ``secret`` it was opened with: the database
    holds only digests (``models.PersonalLink``).
    """
    return _private(
        render(
            request,
            "registrations/personal.html",
            _personal_context(registration, secret=secret, **forms),
        ),
        referrer_policy="same-origin",
    )


def _personal_context(registration, **extra):
    event = registration.event
    blocks = blocks_with_workshops(event)
    seats = registration.seats.all()
    context = {
        "registration": registration,
        "event": event,
        "seats": seats,
        "waitlist_entries": registration.waitlist_entries.select_related("workshop", "block"),
        "changes_open": event.changes_are_open(),
        "change_form": ChangeSeatsForm(registration=registration, blocks=blocks),
        "cancel_form": CancelForm(),
        "erase_form": EraseForm(),
        "language_form": LanguageForm(initial={"language": registration.language}),
        "links_shown": event.online_links_shown(),
        "has_online_links": selectors.has_online_links(event, seats),
    }
    context.update(extra)
    return context


@require_http_methods(["GET"])
def personal(request, secret):
    registration = _registration_by_secret(secret)
    return _personal_page(request, registration, secret)


@require_http_methods(["POST"])
def change(request, secret):
    registration = _registration_by_secret(secret)
    blocks = blocks_with_workshops(registration.event)
    form = ChangeSeatsForm(request.POST, registration=registration, blocks=blocks)
    if form.is_valid():
        seats, waits = form.seats_and_waits()
        current = {seat.block_id: seat.workshop_id for seat in registration.seats.all()}
        only_waits = bool(waits) and all(current.get(b) == w for b, w in seats.items())
        try:
            services.change_seats(registration=registration, seats=seats, waits=waits)
        except exceptions.WorkshopFull as full:
            blocks = blocks_with_workshops(registration.event)
            form = ChangeSeatsForm(request.POST, registration=registration, blocks=blocks)
            form.is_valid()
            form.mark_full(full.block_ids)
        except exceptions.InvalidChoices as invalid:
            for block in blocks:
                if block.pk in invalid.errors:
                    form.add_error(
                        RegistrationForm.block_field_name(block), invalid.errors[block.pk]
                    )
            if 0 in invalid.errors:
                form.add_error(None, invalid.errors[0])
        except exceptions.RegistrationError as refused:
            form.add_error(None, refused.message)
        else:
            if only_waits:  # no seat changed: the member joined a waitlist
                messages.success(
                    request,
                    _(
                        "You are on the waitlist. You keep your current workshop until a seat "
                        "is free. We have sent you an e-mail."
                    ),
                )
            else:
                messages.success(
                    request, _("Your workshops are changed. We have sent you an e-mail.")
                )
            return redirect("registrations:personal", secret=secret)
    registration = _registration_by_secret(secret)
    return _personal_page(request, registration, secret, change_form=form)


@require_http_methods(["GET", "POST"])
def cancel(request, secret):
    """Cancel the registration; on GET, the page that asks to confirm it (the e-mails'
    "Was this not you? Cancel it here.")."""
    registration = _registration_by_secret(secret)
    if request.method == "GET":
        return _private(
            render(
                request,
                "registrations/cancel.html",
                _personal_context(registration, secret=secret),
            ),
            referrer_policy="same-origin",
        )
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.cancel(registration=registration)
        except exceptions.RegistrationError as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(
                request, _("Your registration is cancelled. Your seats are given to others.")
            )
            return redirect("registrations:personal", secret=secret)
    return _personal_page(request, registration, secret, cancel_form=form)


@require_http_methods(["POST"])
def renew_link(request, secret):
    """The personal page's "Make a new link": every link so far stops working, this one
    too, and a fresh one is e-mailed to the attendee's address, never shown here
    (``emails.renew_personal_link``).

    Whoever holds a leaked link can thus only lock themselves out: the new
    link reaches the address alone.
    """
    registration = _registration_by_secret(secret)
    emails.renew_personal_link(registration)
    return redirect("registrations:link_renewed")


@require_http_methods(["GET"])
def link_renewed(request):
    return _private(render(request, "registrations/link_renewed.html"))


@require_http_methods(["POST"])
def leave_waitlist(request, secret):
    """Leave the waitlist of one block, keeping the seat there (the button next to the place)."""
    registration = _registration_by_secret(secret)
    form = LeaveWaitlistForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the waitlist to leave."))
        return redirect("registrations:personal", secret=secret)
    try:
        entry = services.leave_waitlist(
            registration=registration, block_id=form.cleaned_data["block"]
        )
    except exceptions.RegistrationError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("You have left the waitlist for “%(workshop)s”. You keep your current seat.")
            % {"workshop": entry.workshop.title},
        )
    return redirect("registrations:personal", secret=secret)


@require_http_methods(["POST"])
def change_language(request, secret):
    """Store the language of the attendee's e-mails and links, and show the page in it."""
    registration = _registration_by_secret(secret)
    form = LanguageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the languages."))
        return redirect("registrations:personal", secret=secret)
    language = form.cleaned_data["language"]
    services.set_language(registration=registration, language=language)
    with translation.override(language):
        # Each language's catalog names itself: Danish reads "… er på dansk fra nu af."
        messages.success(request, _("Your e-mails and links will be in English from now on."))
        url = reverse("registrations:personal", kwargs={"secret": secret})
    return redirect(url)


@require_http_methods(["GET"])
def calendar_file(request, secret):
    """The attendee's programme as an .ics file ("Add to calendar"); only while they hold seats."""
    registration = _registration_by_secret(secret)
    if registration.status != Registration.Status.CONFIRMED:
        raise Http404
    response = HttpResponse(
        calendar.registration_calendar(registration),
        content_type=f"{calendar.CONTENT_TYPE}; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{registration.event.slug}.ics"'
    return _private(response)


@require_http_methods(["GET", "POST"])
def resend_link(request, slug):
    """Send the personal link again. The answer never tells whether the address is registered."""
    event = _open_event(slug)
    form = ResendLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        emails.send_personal_link(event=event, email=form.cleaned_data["email"], request=request)
        return render(request, "registrations/resend_link_sent.html", {"event": event})
    return render(request, "registrations/resend_link.html", {"event": event, "form": form})


def _first_sentence(text: str) -> str:
    first = re.split(r"(?<=[.!?])\s+", " ".join(text.split()), maxsplit=1)[0]
    return Truncator(first).chars(200)


@require_http_methods(["GET"])
def letter(request, secret, as_text=False):
    """The letter to the attendee's manager asking for leave to attend (seed 001).

    A page to copy or print, or (``as_text``) the same letter as a .txt file.
    It names the workshops the attendee holds a seat in (or, on the event's
    waitlist, the ones they wait for), each with its speakers or the first
    sentence of its description.
    """
    registration = _registration_by_secret(secret)
    if registration.status == Registration.Status.CANCELLED:
        raise Http404
    event = registration.event
    if registration.status == Registration.Status.WAITLISTED:
        chosen = registration.waitlist_entries.select_related("workshop", "block").prefetch_related(
            "workshop__speaker_links__speaker"
        )
    else:
        chosen = registration.seats.all()
    workshops = [
        {
            "title": item.workshop.title,
            "line": speakers_line(item.workshop.speaker_links.all())
            or _first_sentence(item.workshop.description),
        }
        for item in chosen
    ]
    text = render_to_string(
        "registrations/letter.txt",
        {
            "registration": registration,
            "event": event,
            "place": ", ".join(part for part in (event.venue, event.address) if part),
            "days": len(event.days),
            "workshops": workshops,
        },
        request=request,
    )
    if as_text:
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{event.slug}-brev.txt"'
        return _private(response)
    return _private(
        render(
            request,
            "registrations/letter.html",
            {"registration": registration, "event": event, "letter": text, "secret": secret},
        )
    )


@require_http_methods(["GET"])
def personal_data(request, secret):
    """Everything we hold about the attendee, as a JSON file (GDPR art. 15 and 20)."""
    registration = _registration_by_secret(secret)
    response = JsonResponse(
        privacy.personal_data(registration), json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    filename = f"fagdag-{registration.event.slug}-data.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _private(response)


@require_http_methods(["POST"])
def erase(request, secret):
    """Cancel the registration and erase the attendee's personal data (GDPR art. 17)."""
    registration = _registration_by_secret(secret)
    form = EraseForm(request.POST)
    if form.is_valid():
        try:
            services.erase(registration=registration)
        except exceptions.RegistrationError as refused:
            form.add_error(None, refused.message)
        else:
            # The personal link is gone with the data: the answer is a page without it.
            return redirect("registrations:erased")
    return _personal_page(request, registration, secret, erase_form=form)


@require_http_methods(["GET"])
def erased(request):
    return _private(render(request, "registrations/erased.html"))


@require_http_methods(["GET"])
def material(request, secret, pk):
    """A file of the event's materials, for an attendee who may see it (else 404): served
    through this check, never from a public address (``registrations.materials``)."""
    registration = _registration_by_secret(secret)
    found = materials.visible_materials(registration).filter(pk=pk).exclude(file="").first()
    if found is None:
        raise Http404
    return _private(material_response(found))
