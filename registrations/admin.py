"""The organisers' admin of registrations: find, filter, cancel, move, resend and export.

Every change of seats goes through ``registrations.services``, never through
a form here: the status, seats and waitlist places are shown, not edited,
and the actions call the seat service (cancel, ``move_seat``) one
registration at a time, each in its own transaction. An organiser acting for
a member does it through these actions (move, cancel, send the member their
personal link by e-mail), each written to the registration's history with
who did it; the personal link itself never appears in the admin (a
registration has no "view on site"). An organiser corrects
an attendee's details by hand; a registration is never deleted (cancel it:
its seats go to the waitlist), nor added here (members register through the
form, which keeps every rule).

Exports of the attendee lists (``registrations.exports``) need the
permission ``registrations.export_registrations``; each is recorded as an
``ExportRecord``, which only superusers see.

The second half of this module is the attendee side of the programme's
pages: the programme's admins of events/admin.py, subclassed and registered
in their place (see "The attendee side of the programme's pages" below).
"""

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from events import admin as programme_admin
from events.forms import WorkshopAdminForm
from events.imports import WorkshopResource
from events.models import Event, Workshop, WorkshopBlock, organisation_scopes

from . import exceptions, exports, services
from . import forms as registration_forms
from .draw_admin import DrawAdminMixin
from .emails import queue_email, renew_personal_link
from .models import (
    ABOUT,
    DEFAULT_ASK,
    INVOICE,
    Answer,
    ExportRecord,
    Question,
    Registration,
    Seat,
    StandardQuestion,
    WaitlistEntry,
    attendee_fields,
    normalise_email,
)

EMPTY = "–"


def is_id(value) -> bool:
    """Whether a query parameter is a primary key: ASCII digits only ("²".isdigit() is true,
    and int() of it fails), and short enough for the database's integer."""
    return bool(re.fullmatch(r"[0-9]{1,18}", str(value or "")))


class WorkshopFilter(admin.SimpleListFilter):
    """Who sits in a workshop; offered once an event is chosen (a big event has 90+)."""

    title = _("workshop")
    parameter_name = "workshop"

    def lookups(self, request, model_admin):
        event_id = request.GET.get("event__id__exact", "")
        if not is_id(event_id):
            return []
        workshops = (
            Workshop.objects.filter(block__event_id=event_id)
            .select_related("block")
            .order_by("block__day", "block__starts", "block__pk", "position", "pk")
        )
        return [(str(w.pk), f"{w.block.title}: {w.title}") for w in workshops]

    def queryset(self, request, queryset):
        value = self.value()
        if is_id(value):
            return queryset.filter(seats__workshop_id=value)
        return queryset


class EmailNotDeliveredFilter(admin.SimpleListFilter):
    title = _("e-mail not delivered")
    parameter_name = "email_failed"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(email_failed_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(email_failed_at__isnull=True)
        return queryset


class MoveSeatForm(forms.Form):
    """The intermediate page of "Move to another workshop": the workshop, grouped by block."""

    workshop = forms.TypedChoiceField(label=_("Move to the workshop"), coerce=int)
    override_capacity = forms.BooleanField(
        label=_("Override capacity"),
        required=False,
        help_text=_(
            "When the workshop is full, raise its capacity to make room. The change is "
            "recorded in the workshop's history."
        ),
    )

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.workshops = {
            workshop.pk: workshop
            for workshop in Workshop.objects.filter(block__event=event)
            .select_related("block")
            .order_by("block__day", "block__starts", "block__pk", "position", "pk")
        }
        groups: dict[str, list] = {}
        for workshop in self.workshops.values():
            label = ngettext(
                "%(title)s (%(taken)d of %(capacity)d seat taken)",
                "%(title)s (%(taken)d of %(capacity)d seats taken)",
                workshop.capacity,
            ) % {
                "title": Truncator(workshop.title).chars(70),
                "taken": workshop.seats_taken,
                "capacity": workshop.capacity,
            }
            groups.setdefault(str(workshop.block), []).append((workshop.pk, label))
        self.fields["workshop"].choices = [("", "---------"), *groups.items()]

    def clean_workshop(self):
        return self.workshops[self.cleaned_data["workshop"]]


class RegistrationAdminForm(forms.ModelForm):
    """An organiser's corrections of an attendee's details, checked as the registration form
    checks them; an address already registered for the event is refused at the field (the
    database's unique constraint would refuse it too, but as an error page)."""

    class Meta:
        model = Registration
        fields = [field.name for field in attendee_fields()]

    def clean_email(self):
        email = normalise_email(self.cleaned_data["email"])
        registration = self.instance
        if registration.status != Registration.Status.CANCELLED and (
            Registration._base_manager.filter(event=registration.event_id, email=email)
            .exclude(status=Registration.Status.CANCELLED)
            .exclude(pk=registration.pk)
            .exists()
        ):
            raise ValidationError(
                _("This e-mail address is already registered for the event."),
                code="email_already_registered",
            )
        return email

    def _clean_with(self, name: str, validator, *, compact: bool = False):
        value = self.cleaned_data.get(name, "")
        if name not in self.changed_data:
            return value  # as the member gave it: a correction elsewhere is not held up by it
        if compact:
            value = registration_forms.compact_digits(value)
        if value:
            validator(value)
        return value

    def clean_phone(self):
        return self._clean_with("phone", registration_forms.validate_phone)

    def clean_membership_number(self):
        return self._clean_with("membership_number", registration_forms.validate_membership_number)

    def clean_ean(self):
        return self._clean_with("ean", registration_forms.validate_ean, compact=True)

    def clean_cvr(self):
        return self._clean_with("cvr", registration_forms.validate_cvr, compact=True)


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    form = RegistrationAdminForm
    list_display = [
        "name",
        "email",
        "workplace",
        "event",
        "status",
        "created_at",
        "email_failed_at",
    ]
    list_filter = [
        ("event", admin.RelatedOnlyFieldListFilter),
        "status",
        WorkshopFilter,
        EmailNotDeliveredFilter,
    ]
    list_select_related = ["event"]
    search_fields = ["name", "email", "workplace"]
    search_help_text = _("Search by name, e-mail or workplace.")
    actions = [
        "cancel_registrations",
        "erase_personal_data",
        "move_seats",
        "resend_confirmation",
        "send_personal_link",
        "export_selected_csv",
        "export_selected_xlsx",
    ]
    readonly_fields = [
        "event",
        "status",
        "created_at",
        "seats_display",
        "waitlist_display",
        "answers_display",
        "accept_any_workshop",
        "email_failed_at",
        "consent_given_at",
        "updated_at",
        "anonymised_at",
        "invoice_data_erased_at",
    ]
    fieldsets = [
        (
            _("Registration and seats"),
            {
                "description": _(
                    "Seats change only through the actions of the list of registrations: "
                    "cancel, or move to another workshop."
                ),
                "fields": [
                    "event",
                    "status",
                    "created_at",
                    "seats_display",
                    "waitlist_display",
                    "accept_any_workshop",
                    "language",
                ],
            },
        ),
        (
            _("Attendee"),
            {
                "fields": [
                    *(
                        ("email", "email_failed_at") if field.name == "email" else field.name
                        for field in attendee_fields(ABOUT)
                    ),
                    "answers_display",
                ]
            },
        ),
        (_("Invoicing"), {"fields": [field.name for field in attendee_fields(INVOICE)]}),
        (
            _("Consent and erasure"),
            {
                "fields": [
                    "consent_given_at",
                    "updated_at",
                    "anonymised_at",
                    "invoice_data_erased_at",
                ]
            },
        ),
    ]

    def has_add_permission(self, request):
        return False  # members register through the form, which keeps every rule

    def has_delete_permission(self, request, obj=None):
        return False  # cancel instead: the seats go to the waitlist

    def has_export_permission(self, request):
        return request.user.has_perm(exports.EXPORT_PERMISSION)

    @admin.display(description=_("answers to the event's own questions"))
    def answers_display(self, registration):
        answers = registration.answers.select_related("question")
        if not answers:
            return EMPTY
        return format_html(
            "<dl>{}</dl>",
            format_html_join(
                "", "<dt>{}</dt><dd>{}</dd>", ((a.question.label, a.shown) for a in answers)
            ),
        )

    @admin.display(description=_("seats"))
    def seats_display(self, registration):
        seats = Seat.objects.filter(registration=registration).select_related("block", "workshop")
        seats = seats.order_by("block__day", "block__starts", "block__pk")
        if not seats:
            return EMPTY
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", "<li>{}: {}</li>", ((s.block, s.workshop) for s in seats)),
        )

    @admin.display(description=_("waits for"))
    def waitlist_display(self, registration):
        entries = WaitlistEntry.objects.filter(registration=registration)
        entries = entries.select_related("block", "workshop").order_by("block__day", "block__pk")
        if not entries:
            return EMPTY
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", "<li>{}: {}</li>", ((e.block, e.workshop) for e in entries)),
        )

    def save_model(self, request, obj, form, change):
        if "email" in form.changed_data:
            obj.email = normalise_email(obj.email)
            obj.email_failed_at = None  # a new address: the next mail may well arrive
        super().save_model(request, obj, form, change)

    # Actions ------------------------------------------------------------------------

    def intermediate_page(self, request, template: str, *, title: str, registrations, **context):
        return TemplateResponse(
            request,
            f"admin/registrations/registration/{template}",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.opts,
                "registrations": registrations,
                "action": request.POST.get("action", ""),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                **context,
            },
        )

    @admin.action(description=_("Cancel the selected registrations"), permissions=["change"])
    def cancel_registrations(self, request, queryset):
        active = list(
            queryset.exclude(status=Registration.Status.CANCELLED).select_related("event")
        )
        if not active:
            self.message_user(request, gettext("None of them is active."), messages.WARNING)
            return None
        if "confirm" not in request.POST:
            return self.intermediate_page(
                request,
                "cancel_confirmation.html",
                title=gettext("Cancel registrations"),
                registrations=active,
            )
        for registration in active:
            services.cancel(registration=registration, by_organiser=True)
            self.log_change(request, registration, gettext("Cancelled by an organiser."))
        self.message_user(
            request,
            ngettext(
                "Cancelled %(count)d registration; its seats went to the waitlist.",
                "Cancelled %(count)d registrations; their seats went to the waitlist.",
                len(active),
            )
            % {"count": len(active)},
            messages.SUCCESS,
        )
        return None

    @admin.action(
        description=_("Erase the attendees' personal data (at their request)"),
        permissions=["change"],
    )
    def erase_personal_data(self, request, queryset):
        """Meet a member's request to be forgotten (GDPR art. 17), whenever it comes.

        Asks first. Each registration goes through ``services.erase`` as an
        organiser's: cancelled (seats to the waitlist) unless the event is over,
        then anonymised. The history records who erased it, in words that name
        no one (the registration's own entries lose its name too).
        """
        registrations = list(queryset.filter(anonymised_at__isnull=True).select_related("event"))
        if not registrations:
            self.message_user(
                request, gettext("Their personal data is already erased."), messages.WARNING
            )
            return None
        if "confirm" not in request.POST:
            return self.intermediate_page(
                request,
                "erase_confirmation.html",
                title=gettext("Erase personal data"),
                registrations=registrations,
            )
        for registration in registrations:
            erased = services.erase(registration=registration, by_organiser=True)
            self.log_change(request, erased, gettext("Personal data erased by an organiser."))
        self.message_user(
            request,
            ngettext(
                "Erased the personal data of %(count)d registration.",
                "Erased the personal data of %(count)d registrations.",
                len(registrations),
            )
            % {"count": len(registrations)},
            messages.SUCCESS,
        )
        return None

    @admin.action(description=_("Move to another workshop"), permissions=["change"])
    def move_seats(self, request, queryset):
        registrations = list(queryset.select_related("event"))
        if len({registration.event_id for registration in registrations}) != 1:
            self.message_user(
                request, gettext("Choose registrations of one event."), messages.ERROR
            )
            return None
        form = MoveSeatForm(
            request.POST if "apply" in request.POST else None, event=registrations[0].event
        )
        if not form.is_valid():
            return self.intermediate_page(
                request,
                "move_seats.html",
                title=gettext("Move to another workshop"),
                registrations=registrations,
                form=form,
            )
        self._move(request, registrations, **form.cleaned_data)
        return None

    def _move(self, request, registrations, *, workshop, override_capacity):
        refused_full, refused_status = [], []
        for registration in registrations:
            try:
                move = services.move_seat(
                    registration=registration,
                    workshop=workshop,
                    override_capacity=override_capacity,
                    by=request.user,
                )
            except exceptions.WorkshopFull:
                refused_full.append(registration.name)
                continue
            except exceptions.NotConfirmed:
                refused_status.append(registration.name)
                continue
            if move.from_workshop != move.to_workshop:
                self.log_change(request, registration, self._move_message(move))
            if move.capacity_raised_from is not None:
                self.message_user(request, self._move_message(move), messages.WARNING)
        moved = len(registrations) - len(refused_full) - len(refused_status)
        if moved:
            self.message_user(
                request,
                ngettext(
                    "Moved %(count)d registration to %(workshop)s.",
                    "Moved %(count)d registrations to %(workshop)s.",
                    moved,
                )
                % {"count": moved, "workshop": workshop},
                messages.SUCCESS,
            )
        if refused_full:
            self.message_user(
                request,
                gettext(
                    "%(workshop)s is full, so these were not moved: %(names)s. Tick “Override "
                    "capacity” to move them all the same."
                )
                % {"workshop": workshop, "names": ", ".join(refused_full)},
                messages.ERROR,
            )
        if refused_status:
            self.message_user(
                request,
                gettext("Only confirmed registrations hold seats; not moved: %(names)s.")
                % {"names": ", ".join(refused_status)},
                messages.ERROR,
            )

    @staticmethod
    def _move_message(move: services.SeatMove) -> str:
        message = gettext("Moved from %(old)s to %(new)s by an organiser.") % {
            "old": move.from_workshop or EMPTY,
            "new": move.to_workshop,
        }
        if move.capacity_raised_from is not None:
            message += " " + gettext(
                "Capacity of %(workshop)s raised from %(old)d to %(new)d (override)."
            ) % {
                "workshop": move.to_workshop,
                "old": move.capacity_raised_from,
                "new": move.to_workshop.capacity,
            }
        return message

    @admin.action(
        description=_("Send the attendees their personal link by e-mail"), permissions=["change"]
    )
    def send_personal_link(self, request, queryset):
        """The link goes to the attendee's address only: it never shows in the admin. Every
        earlier link of theirs stops working (``emails.renew_personal_link``)."""
        active = list(queryset.active())
        for registration in active:
            renew_personal_link(registration)
            self.log_change(request, registration, gettext("Personal link sent by e-mail."))
        self.message_user(
            request,
            ngettext(
                "%(count)d attendee gets their personal link by e-mail.",
                "%(count)d attendees get their personal link by e-mail.",
                len(active),
            )
            % {"count": len(active)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Send the confirmation e-mail again"), permissions=["change"])
    def resend_confirmation(self, request, queryset):
        confirmed = list(queryset.filter(status=Registration.Status.CONFIRMED))
        for registration in confirmed:
            queue_email(registration, "confirmation")
            self.log_change(request, registration, gettext("Confirmation e-mail sent again."))
        self.message_user(
            request,
            ngettext(
                "The confirmation goes out again to %(count)d attendee.",
                "The confirmation goes out again to %(count)d attendees.",
                len(confirmed),
            )
            % {"count": len(confirmed)},
            messages.SUCCESS,
        )
        skipped = queryset.count() - len(confirmed)
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d registration is not confirmed and got nothing.",
                    "%(count)d registrations are not confirmed and got nothing.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

    @admin.action(description=_("Export the selected as CSV for Excel"), permissions=["export"])
    def export_selected_csv(self, request, queryset):
        return self._export_selected(request, queryset, ExportRecord.Format.CSV)

    @admin.action(description=_("Export the selected as Excel (.xlsx)"), permissions=["export"])
    def export_selected_xlsx(self, request, queryset):
        return self._export_selected(request, queryset, ExportRecord.Format.XLSX)

    def _export_selected(self, request, queryset, fmt):
        events = list(queryset.order_by().values_list("event", flat=True).distinct()[:2])
        if len(events) != 1:
            self.message_user(
                request, gettext("Choose registrations of one event."), messages.ERROR
            )
            return None
        return exports.export_response(
            request,
            kind=ExportRecord.Kind.SELECTION,
            fmt=fmt,
            event=queryset.first().event,
            registrations=queryset,
        )


@admin.register(ExportRecord)
class ExportRecordAdmin(admin.ModelAdmin):
    """Who took which attendee list out, and when: for superusers, read only."""

    list_display = ["created_at", "username", "kind", "format", "event", "workshop", "row_count"]
    list_filter = ["kind", "format", ("event", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["event", "workshop"]
    search_fields = ["username"]
    date_hierarchy = "created_at"

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# The attendee side of the programme's pages ----------------------------------------------
#
# The programme's admins (events/admin.py) edit the programme only. Here they
# are subclassed and registered in their place, with what the programme's
# pages show and guard of the attendees: registrations and waitlists per
# event and workshop, the lists to download, a capacity never below the seats
# taken (checked under the seat service's locks), new seats handed to the
# waitlists (``services.offer_new_seats``), and nothing deleted that
# attendees hold.


def subquery_count(queryset, *, per: str) -> Coalesce:
    """How many rows of ``queryset`` belong to the outer row (through ``per``); 0 if none."""
    return programme_admin.subquery_total(queryset, per=per, aggregate=Count("pk"))


def sees_attendees(request, event=None) -> bool:
    """Whether the user's role shows them registrations (organisers, not programme
    editors): of any event, or of ``event``, whose organisation they must be an
    organiser of (a programme editor of one organisation may organise another)."""
    user = request.user
    if not user.has_perm("registrations.view_registration"):
        return False
    if event is None or user.is_superuser:
        return True
    return event.organisation_id in organisation_scopes(user)["attendees"]


def registrations_url(**filters) -> str:
    return reverse("admin:registrations_registration_changelist") + "?" + urlencode(filters)


def lock_and_count_seats(event_id: int, workshop_pks) -> dict[int, int]:
    """Seats taken in each of the event's workshops ``workshop_pks``, under the seat service's locks.

    The locks last until the admin's transaction commits, so no seat can be
    taken between this count and the save that relies on it.
    """
    pks = sorted(set(workshop_pks))
    if not pks:
        return {}
    _event, workshops = services.lock_event_and_workshops(
        Event(pk=event_id), workshop_ids=pks, event_row=False
    )
    return {pk: workshops[pk].seats_taken if pk in workshops else 0 for pk in pks}


def capacity_below_seats_error(taken: int) -> ValidationError:
    return ValidationError(
        ngettext(
            "One seat is taken in this workshop; it needs at least one seat.",
            "%(taken)d seats are taken in this workshop; it needs at least %(taken)d seats.",
            taken,
        ),
        code="capacity_below_seats_taken",
        params={"taken": taken},
    )


def adds_seats(form) -> bool:
    """Whether saving the workshop or event ``form`` may make room: a new workshop, or a
    changed capacity or attendee limit. When it did not after all, nobody moves."""
    return form.instance._state.adding or bool(
        {"capacity", "attendee_limit"} & set(form.changed_data)
    )


class RefuseDeletingWhatAttendeesHold:
    """An admin whose objects attendees may hold: their delete page says why it cannot be.

    Seats, waitlist places and registrations protect their workshop, block and
    event in the database (``on_delete=PROTECT``). Rather than Django's list
    of every protected row, the delete page (and "Delete selected") gives one
    plain sentence per object with counts and what to do instead; nothing is
    deleted. The counts are a few grouped queries, not the collection of
    every row, and they count every attendee (``_base_manager``, outside the
    scope): a programme editor, who sees no attendees, must be refused too,
    and never shown Django's list of the protected registrations.
    """

    def protected_reasons(self, pks: list[int]) -> list[str]:
        raise NotImplementedError

    def get_deleted_objects(self, objs, request):
        reasons = self.protected_reasons([obj.pk for obj in objs])
        if reasons:
            return [], {}, set(), reasons
        return super().get_deleted_objects(objs, request)


def count_by(queryset, field: str) -> dict[int, int]:
    return dict(queryset.order_by().values(field).annotate(n=Count("pk")).values_list(field, "n"))


def attendees_hold_reasons(objects, *, seats, waits, message, link=None) -> list[str]:
    """One sentence per object that attendees hold seats in or wait for."""
    reasons = []
    for obj in objects:
        held, waiting = seats.get(obj.pk, 0), waits.get(obj.pk, 0)
        if held or waiting:
            sentence = message % {
                "name": obj,
                "seats": ngettext("%(count)d seat", "%(count)d seats", held) % {"count": held},
                "waiting": ngettext("%(count)d waits for one", "%(count)d wait for one", waiting)
                % {"count": waiting},
            }
            if link is None:
                reasons.append(sentence)
            else:
                reasons.append(format_html('{} <a href="{}">{}</a>', sentence, *link(obj)))
    return reasons


LISTS = [
    (ExportRecord.Kind.ATTENDEES, _("Attendee list")),
    (ExportRecord.Kind.ROOM_LISTS, _("All room lists (a sheet per workshop)")),
    (ExportRecord.Kind.CATERING, _("Catering")),
    (ExportRecord.Kind.INVOICING, _("Invoicing")),
]
LIST_FORMATS = [
    (ExportRecord.Format.CSV, _("CSV for Excel")),
    (ExportRecord.Format.CSV_COMMA, _("CSV (comma)")),
    (ExportRecord.Format.XLSX, _("Excel (.xlsx)")),
]


class StandardQuestionFormSet(BaseInlineFormSet):
    """Every standard question, each with what the event asks: its own choice where it
    made one, else the default (``DEFAULT_ASK``) as an unchanged row, saved only when
    changed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = set(self.queryset.values_list("field", flat=True)) if self.instance.pk else set()
        self.initial_extra = [
            {"field": field, "ask": ask}
            for field, ask in DEFAULT_ASK.items()
            if field not in chosen
        ]


class StandardQuestionInline(admin.TabularInline):
    model = StandardQuestion
    formset = StandardQuestionFormSet
    fields = ["field", "ask"]
    can_delete = False
    max_num = len(DEFAULT_ASK)
    verbose_name_plural = _(
        "Standard questions: the name and e-mail are always asked; choose what else is"
    )

    def get_extra(self, request, obj=None, **kwargs):
        chosen = set(obj.standard_questions.values_list("field", flat=True)) if obj else set()
        return len([field for field in DEFAULT_ASK if field not in chosen])


class QuestionForm(forms.ModelForm):
    delete_answers = forms.BooleanField(
        label=_("Yes, delete it with its answers"),
        required=False,
        help_text=_("Needed to delete a question that attendees have answered."),
    )

    def clean(self):
        cleaned_data = super().clean()
        kind, choices = cleaned_data.get("kind"), cleaned_data.get("choices", "")
        if kind in {Question.Kind.CHOICE, Question.Kind.CHOICES}:
            if len([line for line in choices.splitlines() if line.strip()]) < 2:
                self.add_error("choices", _("Give at least two choices, one per line."))
        return cleaned_data


class QuestionFormSet(BaseInlineFormSet):
    """A question with answers is deleted only when the organiser confirms it, told how many
    answers go with it."""

    def clean(self):
        super().clean()
        for form in self.deleted_forms:
            answers = form.instance.pk and Answer._base_manager.filter(question=form.instance)
            count = answers.count() if answers else 0
            if count and not form.cleaned_data.get("delete_answers"):
                form.add_error(
                    "delete_answers",
                    ngettext(
                        "One attendee has answered this question; the answer is deleted with "
                        "it. Tick the box to delete both.",
                        "%(count)d attendees have answered this question; their answers are "
                        "deleted with it. Tick the box to delete them all.",
                        count,
                    )
                    % {"count": count},
                )
        # An error on a form marked for deletion alone does not stop the formset's save.
        if any("delete_answers" in form.errors for form in self.deleted_forms):
            raise ValidationError(
                _("A question that attendees have answered was not deleted: see below.")
            )


class QuestionInline(admin.StackedInline):
    model = Question
    form = QuestionForm
    formset = QuestionFormSet
    fields = [("label", "kind", "required", "position"), "choices", "help_text", "delete_answers"]
    extra = 0
    verbose_name_plural = _(
        "The event's own questions, asked after the standard ones in the order given"
    )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "choices":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 4, "cols": 60})
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class EventAdmin(DrawAdminMixin, RefuseDeletingWhatAttendeesHold, programme_admin.EventAdmin):
    """The event's page with its registrations, lists and every workshop's seats and waitlist,
    and, for organisers, what its registration form asks and its draw (draw_admin.py)."""

    sees_attendees = staticmethod(sees_attendees)
    actions = [*programme_admin.EventAdmin.actions, "hold_draw"]

    @admin.action(description=_("Preview and run the draw (by preference)"))
    def hold_draw(self, request, queryset):
        events = list(queryset[:2])
        if len(events) != 1 or not events[0].allocates_by_preference:
            self.message_user(
                request,
                gettext("Choose one event that gives seats by preference."),
                messages.ERROR,
            )
            return None
        return HttpResponseRedirect(reverse("admin:events_event_draw", args=[events[0].pk]))

    inlines = [*programme_admin.EventAdmin.inlines, StandardQuestionInline, QuestionInline]

    readonly_fields = [
        *programme_admin.EventAdmin.readonly_fields,
        "registration_counts",
        "lists_links",
        "workshop_seats",
        "workshop_seats_and_room_lists",
    ]
    list_display = [
        *programme_admin.EventAdmin.list_display[:5],
        "registered_count",
        "waitlisted_count",
        *programme_admin.EventAdmin.list_display[5:],
    ]

    def get_list_display(self, request):
        if sees_attendees(request):
            return self.list_display
        return programme_admin.EventAdmin.list_display

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            self.warn_of_payer_number_conflicts(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def warn_of_payer_number_conflicts(self, request, object_id) -> None:
        """Organisations given the same EAN or CVR number: the invoicing list sums them as
        one payer, so the organiser hears of it here, not only in the list."""
        if not (object_id.isascii() and object_id.isdigit()):
            return
        event = Event.objects.filter(pk=object_id).first()
        if event is None or event.is_free or not sees_attendees(request, event):
            return
        conflicts = exports.payer_number_conflicts(event)
        if conflicts:
            messages.warning(request, exports.conflicts_warning(conflicts.values()))

    def get_queryset(self, request):
        def total(status):
            return subquery_count(
                Registration.objects.filter(event=OuterRef("pk"), status=status), per="event"
            )

        return (
            super()
            .get_queryset(request)
            .annotate(
                registered_count=total(Registration.Status.CONFIRMED),
                waitlisted_count=total(Registration.Status.WAITLISTED),
                cancelled_count=total(Registration.Status.CANCELLED),
            )
        )

    @admin.display(description=_("registered"), ordering="registered_count")
    def registered_count(self, event):
        return event.registered_count

    @admin.display(description=_("waitlist"), ordering="waitlisted_count")
    def waitlisted_count(self, event):
        return event.waitlisted_count

    @admin.display(description=_("registrations"))
    def registration_counts(self, event):
        if event.pk is None or not hasattr(event, "registered_count"):
            return EMPTY
        counts = [
            (Registration.Status.CONFIRMED, event.registered_count),
            (Registration.Status.WAITLISTED, event.waitlisted_count),
            (Registration.Status.CANCELLED, event.cancelled_count),
        ]
        return format_html_join(
            " · ",
            '<a href="{}">{}: {}</a>',
            (
                (
                    registrations_url(event__id__exact=event.pk, status__exact=status),
                    Registration.Status(status).label,
                    n,
                )
                for status, n in counts
            ),
        )

    @admin.display(description=_("attendee lists"))
    def lists_links(self, event):
        if event.pk is None:
            return EMPTY
        rows = []
        for kind, label in LISTS:
            if kind == ExportRecord.Kind.INVOICING and event.is_free:
                continue
            links = format_html_join(
                " ",
                '<a class="button" href="{}" download>{}</a>',
                (
                    (
                        reverse("admin:events_event_export", args=[event.pk, kind, fmt]),
                        format_label,
                    )
                    for fmt, format_label in LIST_FORMATS
                ),
            )
            rows.append((label, links))
        return format_html(
            "<table><tbody>{}</tbody></table>",
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
        )

    @admin.display(description=_("seats per workshop"))
    def workshop_seats(self, event):
        return self._workshop_seats(event, room_lists=False)

    @admin.display(description=_("seats per workshop"))
    def workshop_seats_and_room_lists(self, event):
        return self._workshop_seats(event, room_lists=True)

    def _workshop_seats(self, event, *, room_lists: bool):
        """Every workshop of the event: seats taken of capacity, waitlist, how full. One query."""
        if event.pk is None:
            return EMPTY
        workshops = (
            Workshop.objects.filter(block__event=event)
            .annotate(
                waitlist_count=subquery_count(
                    WaitlistEntry.objects.filter(workshop=OuterRef("pk")), per="workshop"
                )
            )
            .select_related("block")
            .order_by("block__day", "block__starts", "block__pk", "position", "pk")
        )
        if not workshops:
            return _("No workshops yet.")
        header = [_("Block"), _("Workshop"), _("Room"), _("Seats taken"), _("Waitlist")]
        header += [_("Full")]
        if room_lists:
            header.append(_("Room list"))
        rows = []
        for workshop in workshops:
            cells = [
                workshop.block,
                programme_admin.admin_link(workshop),
                workshop.room or EMPTY,
                f"{workshop.seats_taken} / {workshop.capacity}",
                workshop.waitlist_count,
                programme_admin.fill_rate(workshop),
            ]
            if room_lists:
                cells.append(
                    format_html_join(
                        " ",
                        '<a href="{}" download>{}</a>',
                        (
                            (
                                reverse(
                                    "admin:events_event_export_room_list",
                                    args=[event.pk, workshop.pk, fmt],
                                ),
                                label,
                            )
                            for fmt, label in LIST_FORMATS
                        ),
                    )
                )
            rows.append(format_html_join("", "<td>{}</td>", ((cell,) for cell in cells)))
        return format_html(
            '<table class="workshop-seats"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>',
            format_html_join("", "<th>{}</th>", ((title,) for title in header)),
            format_html_join("", "<tr>{}</tr>", ((row,) for row in rows)),
        )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not sees_attendees(request, obj):
            return fieldsets
        may_export = request.user.has_perm(exports.EXPORT_PERMISSION)
        registrations = ["registration_counts", *(["lists_links"] if may_export else [])]
        seats = "workshop_seats_and_room_lists" if may_export else "workshop_seats"
        return [
            (
                _("Registrations"),
                {
                    "description": _(
                        "Each number leads to the registrations; cancel them or move them to "
                        "another workshop there."
                    ),
                    "fields": registrations,
                },
            ),
            *fieldsets,
            (
                _("Seats per workshop"),
                {"classes": ["collapse"], "fields": [seats]},
            ),
        ]

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/lists/<str:kind>/<str:fmt>/",
                view(self.export_view),
                name="events_event_export",
            ),
            path(
                "<int:object_id>/lists/workshop/<int:workshop_id>/<str:fmt>/",
                view(self.export_room_list_view),
                name="events_event_export_room_list",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request, object_id, kind, fmt):
        """An attendee list of the event, for staff with the export permission (else 403)."""
        if not request.user.has_perm(exports.EXPORT_PERMISSION):
            raise PermissionDenied
        if kind not in {list_kind for list_kind, _label in LISTS}:
            raise Http404("No such list.")
        event = get_object_or_404(Event, pk=object_id)
        if not sees_attendees(request, event):
            raise Http404  # a programme editor of the event's organisation: not its attendees
        return exports.export_response(request, kind=kind, fmt=fmt, event=event)

    def export_room_list_view(self, request, object_id, workshop_id, fmt):
        if not request.user.has_perm(exports.EXPORT_PERMISSION):
            raise PermissionDenied
        workshop = get_object_or_404(
            Workshop.objects.select_related("block__event"), pk=workshop_id, block__event=object_id
        )
        if not sees_attendees(request, workshop.block.event):
            raise Http404
        return exports.export_response(
            request,
            kind=ExportRecord.Kind.ROOM_LIST,
            fmt=fmt,
            event=workshop.block.event,
            workshop=workshop,
        )

    def protected_reasons(self, pks):
        registered = count_by(Registration._base_manager.filter(event__in=pks), "event")
        reasons = []
        for event in Event.objects.filter(pk__in=registered):
            count = registered[event.pk]
            reasons.append(
                format_html(
                    '{} <a href="{}">{}</a>',
                    ngettext(
                        "%(event)s has %(count)d registration (cancelled ones count too), so it "
                        "cannot be deleted: set its status to “Cancelled” instead. Attendees' "
                        "personal data is erased after the retention period.",
                        "%(event)s has %(count)d registrations (cancelled ones count too), so it "
                        "cannot be deleted: set its status to “Cancelled” instead. Attendees' "
                        "personal data is erased after the retention period.",
                        count,
                    )
                    % {"event": event.title, "count": count},
                    registrations_url(event__id__exact=event.pk),
                    gettext("See the registrations"),
                )
            )
        return reasons

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and adds_seats(form):
            services.offer_new_seats(event=obj)


class WorkshopFormSet(BaseInlineFormSet):
    """The block's workshops; a capacity may not go below the seats already taken."""

    def clean(self):
        super().clean()
        lowered = [
            form
            for form in self.forms
            if form.instance.pk
            and not self._should_delete_form(form)
            and "capacity" in form.changed_data
            and form.cleaned_data.get("capacity") is not None
        ]
        if not lowered:
            return
        taken = lock_and_count_seats(self.instance.event_id, [form.instance.pk for form in lowered])
        for form in lowered:
            if form.cleaned_data["capacity"] < taken[form.instance.pk]:
                form.add_error("capacity", capacity_below_seats_error(taken[form.instance.pk]))

    def save(self, commit=True):
        # Known before saving, while new rows still look new.
        self.adds_seats = any(
            adds_seats(form)
            for form in self.forms
            if form.has_changed() and not self._should_delete_form(form)
        )
        return super().save(commit)


class WorkshopInline(programme_admin.WorkshopInline):
    formset = WorkshopFormSet


class WorkshopBlockAdmin(RefuseDeletingWhatAttendeesHold, programme_admin.WorkshopBlockAdmin):
    inlines = [WorkshopInline]

    def protected_reasons(self, pks):
        return attendees_hold_reasons(
            WorkshopBlock.objects.filter(pk__in=pks),
            seats=count_by(Seat._base_manager.filter(block__in=pks), "block"),
            waits=count_by(WaitlistEntry._base_manager.filter(block__in=pks), "block"),
            message=gettext(
                "Attendees hold %(seats)s in the workshops of %(name)s, and %(waiting)s, so it "
                "cannot be deleted. Cancel their registrations first, or keep the block."
            ),
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if any(getattr(formset, "adds_seats", False) for formset in formsets):
            services.offer_new_seats(event=form.instance.event)


class WorkshopForm(WorkshopAdminForm):
    """A workshop's own page: its capacity and block are checked against its attendees."""

    def clean(self):
        cleaned_data = super().clean()
        workshop = self.instance
        if workshop.pk is None:
            return cleaned_data
        capacity, block = cleaned_data.get("capacity"), cleaned_data.get("block")
        lowered = "capacity" in self.changed_data and capacity is not None
        moved = block is not None and block.pk != workshop.block_id
        if not (lowered or moved):
            return cleaned_data
        taken = lock_and_count_seats(workshop.block.event_id, [workshop.pk])[workshop.pk]
        if lowered and capacity < taken:
            self.add_error("capacity", capacity_below_seats_error(taken))
        if moved and (taken or WaitlistEntry.objects.filter(workshop=workshop).exists()):
            # Seats and waitlist entries name the block too; they would point
            # at the old one.
            self.add_error(
                "block",
                ValidationError(
                    _(
                        "Attendees hold seats in this workshop or wait for one, so it cannot "
                        "move to another block."
                    ),
                    code="workshop_with_attendees_moved",
                ),
            )
        return cleaned_data


class SeatsWorkshopResource(WorkshopResource):
    """The spreadsheet import under the seat service's locks: the event's row and all its
    workshops, so that no capacity goes below the seats taken by a registration made
    meanwhile; raised capacities go to the waitlists after it commits."""

    def lock(self) -> None:
        _event, workshops = services.lock_event_and_workshops(self.event)
        self.seats_taken = {pk: workshop.seats_taken for pk, workshop in workshops.items()}

    def capacity_errors(self, workshop):
        taken = self.seats_taken.get(workshop.pk, 0) if workshop.pk else 0
        return [capacity_below_seats_error(taken)] if workshop.capacity < taken else []

    def imported(self) -> None:
        services.offer_new_seats(event=self.event)


class WorkshopAdmin(RefuseDeletingWhatAttendeesHold, programme_admin.WorkshopAdmin):
    """The workshop's page and list with its waitlist; the import with the seat service's locks."""

    form = WorkshopForm
    resource_classes = [SeatsWorkshopResource]
    list_display = [
        *programme_admin.WorkshopAdmin.list_display[:-1],
        "waitlist_display",
        *programme_admin.WorkshopAdmin.list_display[-1:],
    ]

    def get_list_display(self, request):
        if sees_attendees(request):
            return self.list_display
        return programme_admin.WorkshopAdmin.list_display

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                waitlist_count=subquery_count(
                    WaitlistEntry.objects.filter(workshop=OuterRef("pk")), per="workshop"
                )
            )
        )

    @admin.display(description=_("waitlist"), ordering="waitlist_count")
    def waitlist_display(self, workshop):
        return workshop.waitlist_count

    def protected_reasons(self, pks):
        def link(workshop):
            url = registrations_url(event__id__exact=workshop.block.event_id, workshop=workshop.pk)
            return url, gettext("See who")

        return attendees_hold_reasons(
            Workshop.objects.filter(pk__in=pks).select_related("block"),
            seats=count_by(Seat._base_manager.filter(workshop__in=pks), "workshop"),
            waits=count_by(WaitlistEntry._base_manager.filter(workshop__in=pks), "workshop"),
            message=gettext(
                "Attendees hold %(seats)s in %(name)s, and %(waiting)s, so it "
                "cannot be deleted. Move them to another workshop of the block (select them in "
                "the registrations, then “Move to another workshop”) or cancel their "
                "registrations first."
            ),
            link=link,
        )

    def save_model(self, request, obj, form, change):
        added = adds_seats(form)  # known before saving, while a new workshop still looks new
        super().save_model(request, obj, form, change)
        if added:
            services.offer_new_seats(event=obj.block.event)


for model, model_admin in [
    (Event, EventAdmin),
    (WorkshopBlock, WorkshopBlockAdmin),
    (Workshop, WorkshopAdmin),
]:
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
