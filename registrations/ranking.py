"""The members' side of seats by preference: the ranking form, and changing it later.

For an event that gives seats by preference and has not held its draw
(``Event.awaits_draw``), the registration page (``views.register``) hands the
request here. In each block the member chooses their 1st, 2nd, 3rd … choice
in ordered selects (plain ``<select>`` elements: no JavaScript, every browser
and screen reader knows them, and they work with the keyboard alone). At least
``draws.MINIMUM_RANKED`` per block, or all of a smaller block's; at most
``MAX_RANKED`` (a longer list adds little: "any workshop is fine" covers the
rest). The writes are ``draws.register_ranking`` and ``draws.change_ranking``.
"""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from events.models import Event
from events.selectors import blocks_with_workshops

from . import draws, exceptions, selectors, services, submitted
from .forms import RegistrationForm
from .models import Registration, new_calendar_key

MAX_RANKED = 5


def rank_label(rank: int) -> str:
    return gettext("Choice no. %(rank)d") % {"rank": rank}


class RanksMixin:
    """Ordered selects of each block's workshops, and their cleaning into ``rankings``."""

    def add_rank_fields(self, blocks, current=None) -> None:
        current = current or {}
        self.rank_blocks = []
        for block in blocks:
            workshops = block.workshop_list
            if not workshops:
                continue
            needed = draws.minimum_ranked(len(workshops))
            names = []
            for rank in range(1, min(len(workshops), MAX_RANKED) + 1):
                name = f"rank_{block.pk}_{rank}"
                empty = _("Choose a workshop") if rank <= needed else _("No further wish")
                self.fields[name] = forms.TypedChoiceField(
                    choices=[("", empty), *[(w.pk, w.title) for w in workshops]],
                    coerce=int,
                    empty_value=None,
                    required=False,
                    label=rank_label(rank)
                    if rank <= needed
                    else gettext("%(label)s (optional)") % {"label": rank_label(rank)},
                    error_messages={"invalid_choice": _("Choose one of this block's workshops.")},
                )
                ranking = current.get(block.pk, ())
                if rank <= len(ranking):
                    self.initial[name] = ranking[rank - 1]
                names.append(name)
            self.rank_blocks.append(RankBlock(self, block, names, needed))

    def clean_rankings(self) -> None:
        self.rankings = {}
        for rank_block in self.rank_blocks:
            chosen = [self.cleaned_data.get(name) for name in rank_block.names]
            chosen = [workshop for workshop in chosen if workshop is not None]
            if len(set(chosen)) != len(chosen):
                self.add_error(
                    rank_block.names[0],
                    _("You chose the same workshop more than once. Choose each only once."),
                )
            elif len(chosen) < rank_block.needed:
                self.add_error(
                    rank_block.names[0],
                    ngettext(
                        "Rank at least %(count)d workshop in this block.",
                        "Rank at least %(count)d workshops in this block.",
                        rank_block.needed,
                    )
                    % {"count": rank_block.needed},
                )
            self.rankings[rank_block.block.pk] = chosen

    def add_service_errors(self, errors) -> None:
        """``InvalidChoices.errors`` from the service, on the blocks' first selects."""
        for rank_block in self.rank_blocks:
            if rank_block.block.pk in errors:
                self.add_error(rank_block.names[0], errors[rank_block.block.pk])
        if 0 in errors:
            self.add_error(None, errors[0])


class RankBlock:
    """One block of the form: its selects (bound fields) and errors, for the template."""

    def __init__(self, form, block, names, needed):
        self.form = form
        self.block = block
        self.names = names
        self.needed = needed

    @property
    def fields(self):
        return [self.form[name] for name in self.names]

    @property
    def errors(self):
        return [error for name in self.names for error in self.form.errors.get(name, [])]

    @property
    def id(self):
        return f"rank_block_{self.block.pk}"


class RankingForm(RanksMixin, RegistrationForm):
    """The registration form of an event by preference: the attendee's data and their ranking."""

    def __init__(self, *args, event, blocks, questions, **kwargs):
        super().__init__(
            *args, event=event, blocks=blocks, questions=questions, offers_waitlist=True, **kwargs
        )
        for block in blocks:
            self.fields.pop(self.block_field_name(block), None)
        del self.fields["waitlist"]
        self.offers_waitlist = False  # the template's waitlist section: not for a ranking
        self.fields["accept_any_workshop"].label = _(
            "Any workshop is fine if I cannot get one I ranked"
        )
        self.fields["accept_any_workshop"].help_text = _(
            "Otherwise you go on the waitlist for your first choices when none of the "
            "workshops you ranked has a seat for you."
        )
        self.add_rank_fields(blocks)

    def attendee_fields(self):
        return [
            self[name]
            for name in self.fields
            if not name.startswith("rank_") and name != "accept_any_workshop"
        ]

    def clean(self):
        cleaned = super().clean()
        self.clean_rankings()
        return cleaned


class ChangeRankingForm(RanksMixin, forms.Form):
    accept_any_workshop = forms.BooleanField(
        label=_("Any workshop is fine if I cannot get one I ranked"), required=False
    )

    def __init__(self, *args, registration: Registration, blocks, **kwargs):
        super().__init__(*args, **kwargs)
        current: dict[int, list[int]] = {}
        for ranking in registration.rankings.order_by("block_id", "rank"):
            current.setdefault(ranking.block_id, []).append(ranking.workshop_id)
        self.initial.setdefault("accept_any_workshop", registration.accept_any_workshop)
        self.add_rank_fields(blocks, current)
        # The checkbox after the blocks.
        self.fields["accept_any_workshop"] = self.fields.pop("accept_any_workshop")

    def clean(self):
        cleaned = super().clean()
        self.clean_rankings()
        return cleaned


def register(request, event: Event):
    """The registration page of an event awaiting its draw (``views.register`` hands it on)."""
    if not event.ranking_is_open():
        return render(request, "registrations/ranking_closed.html", {"event": event})
    blocks = blocks_with_workshops(event)
    questions = selectors.event_questions(event)
    form = RankingForm(request.POST or None, event=event, blocks=blocks, questions=questions)
    if request.method == "POST" and form.is_valid():
        registration = None
        try:
            registration = draws.register_ranking(
                event=event,
                attendee=services.AttendeeDetails.from_mapping(form.cleaned_data),
                rankings=form.rankings,
                answers=form.answers,
                submission_token=form.cleaned_data["submission_token"],
                accept_any_workshop=form.cleaned_data.get("accept_any_workshop", False),
                registered_here=submitted.registered_here(request, event),
            )
        except exceptions.AlreadyRegistered as repeat:
            # Answered exactly as a new registration: the owner of the address has
            # been e-mailed, and this browser learns nothing (draws.register_ranking).
            status, calendar_key = repeat.status, new_calendar_key()
        except exceptions.InvalidChoices as invalid:
            form.add_service_errors(invalid.errors)
        except exceptions.RegistrationError as refused:
            form.add_error(None, refused.message)
        else:
            status, calendar_key = registration.status, registration.calendar_key
        if not form.errors:
            # The page after registering (views.confirmation), bound to this browser
            # by a signed cookie: no personal link, which goes to the address alone.
            response = redirect("registrations:confirmation", slug=event.slug)
            if registration is not None and registration.made_before:
                # This submission, sent again: what it saved, not what was sent now.
                submitted.remember_saved(response, event, registration)
            else:
                submitted.remember(
                    response,
                    event,
                    form,
                    status=status,
                    calendar_key=calendar_key,
                    ranked=form.rankings,
                )
            return response
    return render(request, "registrations/ranking.html", {"event": event, "form": form})


def _private(response):
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response


def _registration(secret) -> Registration:
    registration = selectors.find_by_secret(secret)
    if registration is None:
        raise Http404
    return registration


@require_http_methods(["GET", "POST"])
def change(request, secret):
    """Change the ranking through the personal link, until the ranking closes."""
    registration = _registration(secret)
    event = registration.event
    if registration.status != Registration.Status.RANKED or not event.ranking_is_open():
        messages.info(
            request, gettext("The ranking has closed, so your wishes can no longer be changed.")
        )
        return redirect("registrations:personal", secret=secret)
    blocks = blocks_with_workshops(event)
    form = ChangeRankingForm(request.POST or None, registration=registration, blocks=blocks)
    if request.method == "POST" and form.is_valid():
        try:
            draws.change_ranking(
                registration=registration,
                rankings=form.rankings,
                accept_any_workshop=form.cleaned_data["accept_any_workshop"],
            )
        except exceptions.InvalidChoices as invalid:
            form.add_service_errors(invalid.errors)
        except exceptions.RegistrationError as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, gettext("Your wishes are saved. We have sent you an e-mail."))
            return redirect("registrations:personal", secret=secret)
    return _private(
        render(
            request,
            "registrations/ranking_change.html",
            {"registration": registration, "event": event, "form": form, "secret": secret},
        )
    )
