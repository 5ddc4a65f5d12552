"""The programme's admin: a whole programme is built from the event's page.

The organiser's path, top down:

1. **Events** → an event: what it is, its days, place, registration and price,
   and its programme as two tables of rows: workshop blocks and plenary
   sessions (arrival, meals, talks, …).
2. A block's "Change" link → the block's page: its parallel workshops, with
   seats, room, online link and theme.
3. A workshop's or a session's "Change" link → its page: its speakers, found
   by name (autocomplete) and put in order.

Blocks, plenary sessions and workshops only make sense inside their event, so
they are left out of the admin's index and side bar (``has_module_permission``
returns False): an organiser reaches them through the links above, and the
pages link back up (and "Save" returns there). Their pages and lists stay
reachable by those links and to anyone with the permissions. Speakers stay on
the index: one person speaks at many events, and a typo in a title is fixed
once there.

The database refuses, by trigger, a programme item outside its event's days
and a change of days that would leave one outside (events/triggers.py); the
forms (events/forms.py) make the same checks first, so the organiser gets a
message at the field, not an error page. An event is duplicated with its whole programme as
next year's draft (``events.services.duplicate_event``), and a big event's
workshops and speakers are imported from a spreadsheet (``events.imports``)
with a preview first.

This module edits the programme only. The attendee side of these same pages
(registrations and waitlists per event and workshop, the attendee lists to
download, the checks of a capacity against the seats taken, the refusal to
delete what attendees hold) is added by **registrations/admin.py**, which
subclasses these admins and registers its subclasses in their place.
"""

import datetime

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import (
    Count,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.http import content_disposition_header
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportMixin

from . import imports
from .forms import (
    DuplicateEventForm,
    EventAdminForm,
    ProgrammeItemForm,
    ProgrammeItemFormSet,
    WorkshopAdminForm,
    WorkshopConfirmImportForm,
    WorkshopImportForm,
    WorkshopInlineForm,
)
from .imports import IMPORT_FORMATS, WorkshopResource
from .materials import ACCEPT, material_response
from .models import (
    Event,
    Material,
    Membership,
    Organisation,
    Session,
    SessionSpeaker,
    Speaker,
    Workshop,
    WorkshopBlock,
    WorkshopSpeaker,
)
from .services import (
    copy_slug,
    duplicate_event,
    make_upload_link,
    revoke_upload_links,
)

EMPTY = "–"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class OfTheUsersOrganisations:
    """The ``organisation`` (or ``owner``) is one of the user's, preset when they have one,
    and stays what it is once saved: moving an event would move its attendees' data to
    another organisation's people."""

    organisation_field = "organisation"

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, self.organisation_field] if obj is not None else fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == self.organisation_field:
            kwargs["queryset"] = Organisation.objects.of(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        organisations = list(Organisation.objects.of(request.user)[:2])
        if len(organisations) == 1:
            initial.setdefault(self.organisation_field, organisations[0].pk)
        return initial


# Counting ------------------------------------------------------------------


def subquery_total(queryset, *, per: str, aggregate) -> Coalesce:
    """``aggregate`` over the rows of ``queryset`` that belong to the outer row; 0 if none.

    ``queryset`` is filtered with ``OuterRef("pk")`` through the path ``per``.
    One subquery per figure, never a join: joining workshops and seats (or
    registrations) into one query would multiply their rows and inflate
    every count and sum.
    """
    totals = queryset.order_by().values(per).annotate(total=aggregate).values("total")[:1]
    return Coalesce(Subquery(totals), Value(0), output_field=IntegerField())


def seat_figures(per: str) -> dict:
    """Workshops, seats offered and seats taken of the outer row (a block or an event).

    ``per`` is the path from a workshop to the outer row: ``"block"`` or
    ``"block__event"``. Seats taken are the workshops' own counts (``seats_taken``).
    """

    def total(model, aggregate):
        return subquery_total(
            model.objects.filter(**{per: OuterRef("pk")}), per=per, aggregate=aggregate
        )

    return {
        "workshop_count": total(Workshop, Count("pk")),
        "seat_total": total(Workshop, Sum("capacity")),
        "seats_taken": total(Workshop, Sum("seats_taken")),
    }


class MaterialFileInput(forms.FileInput):
    """The file's name, downloaded through the admin's checked view (never the storage's URL),
    above the field to upload a new one."""

    def render(self, name, value, attrs=None, renderer=None):
        field = super().render(name, value, attrs, renderer)
        material = getattr(value, "instance", None)
        if not value or material is None or material.pk is None:
            return field
        url = reverse("admin:events_material_download", args=[material.pk])
        return format_html(
            '<p><a href="{}">{}</a></p><p>{}</p>{}',
            url,
            material.original_name or _("Download"),
            _("Replace with another file:"),
            field,
        )


class MaterialForm(forms.ModelForm):
    """The admin gives the model and fields, inside the request's scope (django-scopes)."""

    class Meta:
        widgets = {"file": MaterialFileInput(attrs={"accept": ACCEPT})}


class MaterialInline(admin.TabularInline):
    """Materials of a workshop or a plenary session, on its page (the event is set from it)."""

    model = Material
    form = MaterialForm
    fields = ["title", "file", "link", "uploaded_by_speaker"]
    readonly_fields = ["uploaded_by_speaker"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    extra = 1
    verbose_name_plural = _("Materials for the attendees (shown from the event's chosen time)")


class EventMaterialInline(MaterialInline):
    """On the event's page: materials for every attendee of the event (of no one workshop or
    plenary session; those are added on the workshop's or session's page)."""

    fk_name = "event"
    extra = 0
    verbose_name_plural = _(
        "Materials for every attendee (shown from the chosen time; a workshop's or a plenary "
        "session's are added on its page)"
    )

    def get_queryset(self, request):
        return super().get_queryset(request).filter(workshop=None, session=None)


class WorkshopBlockInline(admin.TabularInline):
    model = WorkshopBlock
    form = ProgrammeItemForm
    formset = ProgrammeItemFormSet
    fields = ["title", "day", "starts", "ends", "workshops_summary"]
    readonly_fields = ["workshops_summary"]
    show_change_link = True
    extra = 1

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                **seat_figures("block"),
            )
        )

    @admin.display(description=_("workshops and seats"))
    def workshops_summary(self, block):
        if block.pk is None or not hasattr(block, "workshop_count"):
            return EMPTY
        return _("%(workshops)s, %(seats)s (%(taken)d taken)") % {
            "workshops": workshops_phrase(block.workshop_count),
            "seats": seats_phrase(block.seat_total),
            "taken": block.seats_taken,
        }


class SessionInline(admin.TabularInline):
    model = Session
    form = ProgrammeItemForm
    formset = ProgrammeItemFormSet
    fields = ["kind", "title", "day", "starts", "ends", "description", "speakers_list"]
    readonly_fields = ["speakers_list"]
    show_change_link = True
    extra = 1

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("speaker_links", queryset=SessionSpeaker.objects.select_related("speaker"))
            )
        )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "description":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 2, "cols": 40})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("speakers"))
    def speakers_list(self, session):
        if session.pk is None:
            return EMPTY
        return ", ".join(link.speaker.name for link in session.speaker_links.all()) or EMPTY


class TimingListFilter(admin.SimpleListFilter):
    title = _("when")
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [("upcoming", _("Upcoming")), ("past", _("Past"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "upcoming":
            return queryset.filter(last_day__gte=today)
        if self.value() == "past":
            return queryset.filter(last_day__lt=today)
        return queryset


def fill_rate(workshop) -> str:
    return f"{round(100 * workshop.seats_taken / workshop.capacity)} %"


@admin.register(Event)
class EventAdmin(OfTheUsersOrganisations, admin.ModelAdmin):
    form = EventAdminForm
    # The plenary link typed without a scheme is taken as https (as ``HTTPS_LINKS``).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [WorkshopBlockInline, SessionInline, EventMaterialInline]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["programme_summary"]
    save_on_top = True
    actions = ["duplicate"]
    list_display = [
        "title",
        "days_display",
        "status",
        "workshop_count",
        "seat_total",
        "registration_opens",
        "registration_closes",
    ]
    list_filter = ["status", TimingListFilter, "is_online"]
    date_hierarchy = "first_day"
    search_fields = ["title", "organiser"]
    fieldsets = [
        (
            _("About the event"),
            {
                "description": _(
                    "What members see on the event's page. Only published events are shown "
                    "to members; while the event is a draft, “View on site” shows you the "
                    "page as it will look."
                ),
                "fields": [
                    "organisation",
                    "title",
                    "slug",
                    "status",
                    "summary",
                    "description",
                    "organiser",
                    ("contact_name", "contact_email"),
                ],
            },
        ),
        (
            _("Days"),
            {
                "description": _(
                    "Every workshop block and plenary session lies on one of these days."
                ),
                "fields": [("first_day", "last_day")],
            },
        ),
        (
            _("Place"),
            {
                "description": _(
                    "Where the event is held. For an online event leave the venue empty and "
                    "give the plenary sessions and each workshop their link; attendees get the "
                    "links by e-mail, on their personal page and in their calendar the chosen "
                    "number of days before the event, not before."
                ),
                "fields": [
                    "is_online",
                    "venue",
                    "address",
                    "online_link",
                    "online_links_days_before",
                ],
            },
        ),
        (
            _("Registration"),
            {
                "description": _(
                    "When members can register, and until when they can change workshops or "
                    "cancel through their personal link. With no closing time, registration "
                    "closes when the event begins."
                ),
                "fields": [
                    ("registration_opens", "registration_closes"),
                    ("seat_allocation", "preferences_close"),
                    "attendee_limit",
                    "changes_close",
                ],
            },
        ),
        (
            _("Price and payment"),
            {
                "description": _(
                    "0 for a free event. Above 0, the registration form asks who pays "
                    "(employer by EAN or CVR number, or the attendee) and for invoice details."
                ),
                "fields": ["price"],
            },
        ),
        (
            _("Confirmation e-mail"),
            {
                "description": _("Sent to each attendee with the confirmation."),
                "fields": ["practical_information"],
            },
        ),
        (
            _("Materials"),
            {
                "description": _(
                    "Slides and other material for the attendees, added in the table "
                    "“Materials” below or on a workshop's page, where you can also make an upload "
                    "link for its speakers. Attendees see a workshop's material if they held a "
                    "seat in it; a plenary session's, or one of neither, every attendee sees."
                ),
                "fields": ["materials_from"],
            },
        ),
        (
            _("Programme"),
            {
                "description": _(
                    "Add the programme in the tables below: plenary sessions (arrival, meals, "
                    "talks, breaks) and workshop blocks, each on one of the event's days. After "
                    "saving, open a block with its “Change” link to add its workshops and "
                    "seats, and a workshop or session to add its speakers."
                ),
                "fields": ["programme_summary"],
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(**seat_figures("block__event"))

    def get_inline_instances(self, request, obj=None):
        # Materials come after the programme: not on the page that adds the event.
        return [
            inline
            for inline in super().get_inline_instances(request, obj)
            if obj is not None or not isinstance(inline, EventMaterialInline)
        ]

    @admin.display(description=_("days"), ordering="first_day")
    def days_display(self, event):
        if event.first_day == event.last_day:
            return date_format(event.first_day)
        return f"{date_format(event.first_day)}–{date_format(event.last_day)}"

    @admin.display(description=_("workshops"), ordering="workshop_count")
    def workshop_count(self, event):
        return event.workshop_count

    @admin.display(description=_("seats"), ordering="seat_total")
    def seat_total(self, event):
        return event.seat_total

    @admin.display(description=_("programme so far"))
    def programme_summary(self, event):
        if event.pk is None or not hasattr(event, "workshop_count"):
            return _("Save the event to add workshops to its blocks.")
        summary = _("%(workshops)s with %(seats)s, %(taken)d taken.") % {
            "workshops": workshops_phrase(event.workshop_count),
            "seats": seats_phrase(event.seat_total),
            "taken": event.seats_taken,
        }
        overview = (
            reverse("admin:events_workshop_changelist") + f"?block__event__id__exact={event.pk}"
        )
        import_url = reverse("admin:events_workshop_import") + f"?event={event.pk}"
        return format_html(
            '{} <a href="{}">{}</a> · <a href="{}">{}</a>',
            summary,
            overview,
            _("See how full each workshop is"),
            import_url,
            _("Import workshops and speakers from a spreadsheet"),
        )

    @admin.action(
        description=_("Duplicate with the whole programme, as a draft"), permissions=["add"]
    )
    def duplicate(self, request, queryset):
        events = list(queryset[:2])
        if len(events) != 1:
            self.message_user(request, gettext("Choose one event to duplicate."), messages.ERROR)
            return None
        event = events[0]
        initial = {
            "title": gettext("Copy of %(title)s") % {"title": event.title},
            "slug": copy_slug(event),
            # The same weekday a year later: where most yearly events fall.
            "first_day": event.first_day + datetime.timedelta(weeks=52),
        }
        form = DuplicateEventForm(
            request.POST if "apply" in request.POST else None, initial=initial
        )
        if not form.is_valid():
            return TemplateResponse(
                request,
                "admin/events/event/duplicate.html",
                {
                    **self.admin_site.each_context(request),
                    "title": gettext("Duplicate %(event)s") % {"event": event},
                    "opts": self.opts,
                    "event": event,
                    "form": form,
                    "action": request.POST.get("action", ""),
                    "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                },
            )
        copy = duplicate_event(event=event, **form.cleaned_data)
        self.log_addition(
            request, copy, gettext("Duplicated from %(event)s.") % {"event": event.title}
        )
        self.message_user(
            request,
            format_html(
                gettext(
                    "{} is a draft copy of {} with its whole programme. Check it, then publish it."
                ),
                admin_link(copy),
                event.title,
            ),
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:events_event_change", args=[copy.pk]))

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        event = form.instance
        if event.status != Event.Status.PUBLISHED:
            return
        empty_blocks = list(event.blocks.filter(workshops__isnull=True))
        if empty_blocks:
            messages.warning(
                request,
                _(
                    "Members cannot register until every block has workshops. Without "
                    "workshops: %(blocks)s."
                )
                % {"blocks": ", ".join(block.title for block in empty_blocks)},
            )


# Blocks, sessions, workshops: pages reached from the event -------------------


class ReachedFromTheEvent(admin.ModelAdmin):
    """Left out of the index; reached through the event's page.

    "Save" and "Delete" lead back up to the page the organiser came from (the
    event, or the block), not to a list they never saw.
    """

    def has_module_permission(self, request):
        return False

    def parent(self, obj):
        raise NotImplementedError

    def redirect_to_parent(self, request, parent, fallback):
        parent_admin = self.admin_site.get_model_admin(type(parent))
        if not parent_admin.has_view_or_change_permission(request, parent):
            return fallback
        opts = parent._meta
        return HttpResponseRedirect(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[parent.pk])
        )

    def response_post_save_change(self, request, obj):
        fallback = super().response_post_save_change(request, obj)
        return self.redirect_to_parent(request, self.parent(obj), fallback)

    def response_post_save_add(self, request, obj):
        fallback = super().response_post_save_add(request, obj)
        return self.redirect_to_parent(request, self.parent(obj), fallback)

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id)) if request.method == "POST" else None
        parent = self.parent(obj) if obj is not None else None
        response = super().delete_view(request, object_id, extra_context)
        if parent is not None and response.status_code == 302:
            return self.redirect_to_parent(request, parent, response)
        return response


def change_url_of(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def workshops_phrase(count: int) -> str:
    return ngettext("%(count)d workshop", "%(count)d workshops", count) % {"count": count}


def seats_phrase(count: int) -> str:
    return ngettext("%(count)d seat", "%(count)d seats", count) % {"count": count}


def admin_link(obj, label=None):
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, label or obj)


# Links typed without a scheme (meet.example.org/…) are taken as https.
HTTPS_LINKS = {models.URLField: {"assume_scheme": "https"}}


class WorkshopInline(admin.StackedInline):
    model = Workshop
    form = WorkshopInlineForm
    formfield_overrides = HTTPS_LINKS
    fields = [
        ("title", "position"),
        "description",
        ("capacity", "seats_taken_display"),
        ("room", "theme"),
        "online_link",
        "speakers_list",
    ]
    readonly_fields = ["seats_taken_display", "speakers_list"]
    show_change_link = True
    extra = 1

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch(
                    "speaker_links", queryset=WorkshopSpeaker.objects.select_related("speaker")
                )
            )
        )

    @admin.display(description=_("seats taken"))
    def seats_taken_display(self, workshop):
        if workshop.pk is None:
            return EMPTY
        return workshop.seats_taken

    @admin.display(description=_("speakers"))
    def speakers_list(self, workshop):
        if workshop.pk is None:
            return _("Save the workshop, then add its speakers with “Change”.")
        names = ", ".join(link.speaker.name for link in workshop.speaker_links.all())
        return names or _("None yet: add them with “Change”.")


@admin.register(WorkshopBlock)
class WorkshopBlockAdmin(ReachedFromTheEvent):
    form = ProgrammeItemForm
    inlines = [WorkshopInline]
    list_display = ["title", "event", "day", "starts", "ends"]
    list_filter = [("event", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["event"]
    search_fields = ["title", "event__title"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["event", "title", "day", "starts", "ends"]
        return ["event_link", "title", "day", "starts", "ends"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["event_link"]

    @admin.display(description=_("event"))
    def event_link(self, block):
        return admin_link(block.event)

    def parent(self, block):
        return block.event


class SessionSpeakerInline(admin.TabularInline):
    model = SessionSpeaker
    fields = ["speaker", "role", "position"]
    autocomplete_fields = ["speaker"]
    ordering = ["position", "pk"]
    extra = 1


@admin.register(Session)
class SessionAdmin(ReachedFromTheEvent):
    form = ProgrammeItemForm
    inlines = [SessionSpeakerInline, MaterialInline]
    list_display = ["title", "kind", "event", "day", "starts", "ends"]
    list_filter = [("event", admin.RelatedOnlyFieldListFilter), "kind"]
    list_select_related = ["event"]
    search_fields = ["title", "event__title"]

    def get_fields(self, request, obj=None):
        fields = ["kind", "title", "day", "starts", "ends", "description"]
        return ["event", *fields] if obj is None else ["event_link", *fields]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["event_link"]

    @admin.display(description=_("event"))
    def event_link(self, session):
        return admin_link(session.event)

    def parent(self, session):
        return session.event


class WorkshopSpeakerInline(admin.TabularInline):
    model = WorkshopSpeaker
    fields = ["speaker", "role", "position"]
    autocomplete_fields = ["speaker"]
    ordering = ["position", "pk"]
    extra = 1


@admin.register(Workshop)
class WorkshopAdmin(ImportMixin, ReachedFromTheEvent):
    """A workshop's page, and the list of workshops: how full each is, and the import.

    The import (django-import-export, ``events.imports``) puts a
    spreadsheet's workshops into the blocks of the event chosen on its page,
    after a preview that shows each row's errors; nothing is saved while any
    row has one.
    """

    form = WorkshopAdminForm
    formfield_overrides = HTTPS_LINKS
    inlines = [WorkshopSpeakerInline, MaterialInline]
    actions = ["make_upload_links", "revoke_upload_links"]
    resource_classes = [WorkshopResource]
    import_formats = IMPORT_FORMATS
    import_form_class = WorkshopImportForm
    confirm_form_class = WorkshopConfirmImportForm
    fields = [
        "block_link",
        "block",
        "title",
        "description",
        ("capacity", "seats_taken_display"),
        ("room", "theme"),
        "online_link",
        "position",
        "upload_link_display",
    ]
    readonly_fields = ["block_link", "seats_taken_display", "upload_link_display"]
    list_display = [
        "title",
        "block",
        "event_title",
        "capacity",
        "seats_taken_display",
        "seats_left_display",
        "fill_rate_display",
    ]
    list_filter = [("block__event", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title", "room", "theme", "block__event__title"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(fill=Cast("seats_taken", FloatField()) / F("capacity"))
            .select_related("block__event")
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "block" in form.base_fields:
            blocks = WorkshopBlock.objects.select_related("event")
            if obj is not None:
                # Another block of the same event; a workshop never changes event.
                blocks = blocks.filter(event_id=obj.block.event_id)
            form.base_fields["block"].queryset = blocks
        return form

    @admin.display(description=_("event and block"))
    def block_link(self, workshop):
        if workshop.pk is None:
            return EMPTY
        return format_html("{} › {}", admin_link(workshop.block.event), admin_link(workshop.block))

    @admin.display(description=_("event"), ordering="block__event__first_day")
    def event_title(self, workshop):
        return workshop.block.event.title

    @admin.display(description=_("seats taken"), ordering="seats_taken")
    def seats_taken_display(self, workshop):
        if workshop.pk is None:
            return EMPTY
        return workshop.seats_taken

    @admin.display(description=_("seats left"))
    def seats_left_display(self, workshop):
        return workshop.seats_left

    @admin.display(description=_("full"), ordering="fill")
    def fill_rate_display(self, workshop):
        return fill_rate(workshop)

    def parent(self, workshop):
        return workshop.block

    # Speakers' upload links -------------------------------------------------------------

    @admin.display(description=_("upload link for speakers"))
    def upload_link_display(self, workshop):
        if workshop.pk is None:
            return EMPTY
        link = getattr(workshop, "upload_link", None) if workshop.pk else None
        how = _(
            "Make one (or a new one, which ends the old) with the action “Make upload links for "
            "the speakers” in the list of workshops; the link is shown once, for you to send."
        )
        if link is None:
            return format_html("{} {}", _("None."), how)
        return format_html(
            "{} {}",
            _("Made %(when)s.")
            % {"when": date_format(timezone.localtime(link.created_at), "DATETIME_FORMAT")},
            how,
        )

    @admin.action(description=_("Make upload links for the speakers"), permissions=["change"])
    def make_upload_links(self, request, queryset):
        rows = []
        for workshop in queryset.order_by("block__day", "block__starts", "position", "pk"):
            key = make_upload_link(workshop=workshop)
            # From SITE_URL, as in e-mails: never from the request's Host header.
            path = reverse("events:upload_materials", args=[key])
            url = settings.SITE_URL.rstrip("/") + path
            rows.append((workshop.title, url))
        self.message_user(
            request,
            format_html(
                "{}<ul>{}</ul>",
                _(
                    "Send each workshop's speakers its link: with it they can add slides and "
                    "other material without logging in. Copy the links now: they are not shown "
                    "again. An earlier link of these workshops no longer works."
                ),
                format_html_join("", "<li>{}: <code>{}</code></li>", rows),
            ),
            messages.SUCCESS,
        )

    @admin.action(description=_("Revoke the speakers' upload links"), permissions=["change"])
    def revoke_upload_links(self, request, queryset):
        count = revoke_upload_links(workshops=queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d upload link revoked: it no longer works.",
                "%(count)d upload links revoked: they no longer work.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    # Import ---------------------------------------------------------------------------

    import_template_name = "admin/events/workshop/import.html"

    def has_import_permission(self, request):
        return request.user.has_perms(
            ["events.add_workshop", "events.change_workshop", "events.add_speaker"]
        )

    def get_urls(self):
        return [
            path(
                "import/template.<str:fmt>",
                self.admin_site.admin_view(self.import_template_view),
                name="events_workshop_import_template",
            ),
            *super().get_urls(),
        ]

    def import_template_view(self, request, fmt):
        """The spreadsheet to fill in: the columns in the organiser's language and two example
        workshops (in the blocks of the event given as ``?event=``, when it is theirs)."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        if fmt not in ("xlsx", "csv"):
            raise Http404
        event_id = request.GET.get("event", "")
        event = None
        if event_id.isascii() and event_id.isdigit():
            event = Event.objects.filter(pk=event_id).first()
        name = gettext("workshops-template")
        if fmt == "xlsx":
            content, content_type = imports.template_xlsx(event), XLSX_CONTENT_TYPE
        else:
            content, content_type = imports.template_csv(event), "text/csv; charset=utf-8"
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, f"{name}.{fmt}")
        return response

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        if getattr(response, "context_data", None) is not None:
            response.context_data["title"] = gettext("Import workshops and speakers")
            response.context_data["column_help"] = [
                (label, imports.COLUMN_HELP[column])
                for column, label in zip(imports.COLUMNS, imports.template_header(), strict=True)
            ]
            event = request.GET.get("event", "")
            response.context_data["template_query"] = (
                f"?event={event}" if event.isascii() and event.isdigit() else ""
            )
            result = response.context_data.get("result")
            if result is not None:
                # The preview's columns and errors under the names the organiser reads.
                labels = dict(zip(imports.COLUMNS, imports.template_header(), strict=True))
                response.context_data["diff_headers"] = [
                    labels.get(header, header) for header in result.diff_headers
                ]
                response.context_data["invalid_rows"] = [
                    (
                        row,
                        [
                            (labels.get(name, name), errors)
                            for name, errors in row.field_specific_errors.items()
                        ],
                    )
                    for row in result.invalid_rows
                ]
        return response

    def add_success_message(self, result, request):
        new, updated = (result.totals[kind] for kind in ("new", "update"))
        messages.success(
            request,
            gettext("Import done: %(new)s, %(updated)s.")
            % {
                "new": ngettext("%(count)d new workshop", "%(count)d new workshops", new)
                % {"count": new},
                "updated": ngettext(
                    "%(count)d workshop updated", "%(count)d workshops updated", updated
                )
                % {"count": updated},
            },
        )

    def add_data_read_fail_error_to_form(self, form, e):
        form.add_error(
            "import_file",
            gettext(
                "The file could not be read. Check that the format chosen is the one the file "
                "is saved in (.xlsx or CSV), or start from the template."
            ),
        )

    def get_import_form_initial(self, request):
        initial = super().get_import_form_initial(request)
        event = request.GET.get("event", "")
        if event.isdigit():
            initial["event"] = int(event)
        return initial

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["event"] = import_form.cleaned_data["event"].pk
        return initial

    def get_import_resource_kwargs(self, request, **kwargs):
        resource_kwargs = super().get_import_resource_kwargs(request, **kwargs)
        form = resource_kwargs.pop("form", None)
        if form is not None and form.is_bound and form.is_valid():
            resource_kwargs["event"] = form.cleaned_data["event"]
        return resource_kwargs

    def process_result(self, result, request):
        response = super().process_result(result, request)
        imported = [row.instance for row in result.rows if getattr(row, "instance", None)]
        if imported:
            return HttpResponseRedirect(change_url_of(imported[0].block.event))
        return response


@admin.register(Material)
class MaterialAdmin(ReachedFromTheEvent):
    """Materials are added on the event's, workshop's and session's pages; here staff of the
    event's organisation download a file through a view that checks (never the storage's URL)."""

    form = MaterialForm
    formfield_overrides = HTTPS_LINKS
    list_display = ["label", "event", "workshop", "session", "created_at"]
    list_select_related = ["event", "workshop", "session"]
    list_filter = [("event", admin.RelatedOnlyFieldListFilter)]

    def get_fields(self, request, obj=None):
        return (
            ["event", "workshop", "session", "title", "file", "link"]
            if obj is None
            else ["event_link", "workshop", "session", "title", "file", "link"]
        )

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["event_link"]

    @admin.display(description=_("event"))
    def event_link(self, material):
        return admin_link(material.event)

    def parent(self, material):
        return material.event

    def get_urls(self):
        return [
            path(
                "<int:object_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="events_material_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, object_id):
        """The file, for staff who may see the material (its event's organisation's people)."""
        if not self.has_view_or_change_permission(request):
            raise Http404
        material = get_object_or_404(Material.objects.exclude(file=""), pk=object_id)
        return material_response(material)


@admin.register(Speaker)
class SpeakerAdmin(OfTheUsersOrganisations, admin.ModelAdmin):
    organisation_field = "owner"
    fields = ["owner", "name", "role", "organisation"]
    list_display = ["name", "role", "organisation"]
    search_fields = ["name", "role", "organisation"]


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ["user", "role"]
    autocomplete_fields = ["user"]
    extra = 1


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    """Organisations and their people: for superusers (no role gives these permissions).

    To add an organisation: its name, contact, the data controller its events'
    privacy pages name, and how its e-mails are sent; then its people, each
    with a role. A person added here can log in to the admin ("Staff status"
    is set for them) once they have a password and, in production, a
    two-factor device (README, "Staff login").
    """

    inlines = [MembershipInline]
    list_display = ["name", "short_name", "contact_email"]
    search_fields = ["name", "short_name"]
    fieldsets = [
        (None, {"fields": ["name", "short_name", "contact_email"]}),
        (
            _("Privacy"),
            {
                "description": _(
                    "The organisation is the data controller of its attendees' personal "
                    "data: its events' privacy pages name it."
                ),
                "fields": ["privacy_controller", "privacy_email"],
            },
        ),
        (
            _("E-mails and the registration form"),
            {"fields": ["sender_name", "reply_to", "membership_number_label"]},
        ),
    ]

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for membership in formset.new_objects:
            if not membership.user.is_staff:
                membership.user.is_staff = True
                membership.user.save(update_fields=["is_staff"])
