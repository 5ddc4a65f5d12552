"""The organisers' admin of registrations: find, filter, cancel, move, resend and export.

Every change of seats goes through ``registrations.services``, never through
a form here: the status, seats and waitlist places are shown, not edited,
and the actions call the seat service (cancel, ``move_seat``) one
registration at a time, each in its own transaction. An organiser corrects
an attendee's details by hand; a registration is never deleted (cancel it:
its seats go to the waitlist), nor added here (members register through the
form, which keeps every rule).

Exports of the attendee lists (``registrations.exports``) need the
permission ``registrations.export_registrations``; each is recorded as an
``ExportRecord``, which only superusers see.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from events.models import Workshop

from . import exports, services
from .emails import queue_email
from .models import ExportRecord, Registration, Seat, WaitlistEntry

EMPTY = "–"


class WorkshopFilter(admin.SimpleListFilter):
    """Who sits in a workshop; offered once an event is chosen (a big event has 90+)."""

    title = _("workshop")
    parameter_name = "workshop"

    def lookups(self, request, model_admin):
        event_id = request.GET.get("event__id__exact", "")
        if not event_id.isdigit():
            return []
        workshops = (
            Workshop.objects.filter(block__event_id=event_id)
            .select_related("block")
            .order_by("block__day", "block__starts", "block__pk", "position", "pk")
        )
        return [(str(w.pk), f"{w.block.title}: {w.title}") for w in workshops]

    def queryset(self, request, queryset):
        value = self.value()
        if value and str(value).isdigit():
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
            label = gettext("%(title)s (%(taken)d of %(capacity)d seats taken)") % {
                "title": Truncator(workshop.title).chars(70),
                "taken": workshop.seats_taken,
                "capacity": workshop.capacity,
            }
            groups.setdefault(str(workshop.block), []).append((workshop.pk, label))
        self.fields["workshop"].choices = [("", "---------"), *groups.items()]

    def clean_workshop(self):
        return self.workshops[self.cleaned_data["workshop"]]


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
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
        "move_seats",
        "resend_confirmation",
        "export_selected_csv",
        "export_selected_xlsx",
    ]
    readonly_fields = [
        "event",
        "status",
        "created_at",
        "seats_display",
        "waitlist_display",
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
                ],
            },
        ),
        (
            _("Attendee"),
            {
                "fields": [
                    "name",
                    ("email", "email_failed_at"),
                    "phone",
                    "workplace",
                    "job_title",
                    "sector",
                    "membership_number",
                    "dietary_needs",
                ]
            },
        ),
        (
            _("Invoicing"),
            {
                "fields": [
                    "payer",
                    ("ean", "cvr"),
                    "invoice_organisation",
                    "invoice_address",
                    "invoice_attention",
                    "invoice_order_number",
                ]
            },
        ),
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
            obj.email = services.normalise_email(obj.email)
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
            except services.WorkshopFull:
                refused_full.append(registration.name)
                continue
            except services.NotConfirmed:
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
