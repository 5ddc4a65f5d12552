"""The organiser's admin: a whole programme is built from the event's page.

The organiser's path, top down:

1. **Events** → an event: what it is, its days, place, registration and price,
   and its programme as two tables of rows: workshop blocks and plenary
   sessions (arrival, meals, talks, …).
2. A block's "Change" link → the block's page: its parallel workshops, with
   seats, room, online link and theme, and how many seats are taken.
3. A workshop's or a session's "Change" link → its page: its speakers, found
   by name (autocomplete) and put in order.

Blocks, plenary sessions and workshops only make sense inside their event, so
they are left out of the admin's index and side bar (``has_module_permission``
returns False): an organiser reaches them through the links above, and the
pages link back up (and "Save" returns there). Their pages and lists stay
reachable by those links and to anyone with the permissions. Speakers stay on
the index: one person speaks at many events, and a typo in a title is fixed
once there.

The database refuses, by trigger, a programme item outside its event's days,
a change of days that would leave one outside, a capacity below the seats
taken and moving a workshop with seats to another block. The forms here make
the same checks first, so the organiser gets a message at the field, not an
error page. Where a check counts seats, it first locks the workshops' rows in
primary-key order, as ``registrations.services`` does, so a registration
arriving meanwhile can neither slip past the check nor deadlock with it.

While the event runs, its page shows the registrations (confirmed, on the
waitlist, cancelled), the attendee lists to download (for staff with the
export permission, see ``registrations.exports``) and every workshop's seats
taken, capacity and waitlist; the list of workshops sorts by how full they
are. An event, a block or a workshop that attendees hold seats in (or wait
for, or, for an event, have registered for) is never deleted: the delete
page says why and what to do instead. An event is duplicated with its whole
programme as next year's draft (``events.services.duplicate_event``), and a
big event's workshops and speakers are imported from a spreadsheet
(``events.resources``) with a preview first.
"""

import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
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
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportMixin
from import_export.forms import ConfirmImportForm, ImportForm

from registrations import exports, services
from registrations.models import ExportRecord, Registration, Seat, WaitlistEntry
from registrations.services import ROW_LOCK

from .models import (
    Event,
    Session,
    SessionSpeaker,
    Speaker,
    Workshop,
    WorkshopBlock,
    WorkshopSpeaker,
)
from .resources import IMPORT_FORMATS, WorkshopResource
from .services import copy_slug, duplicate_event

EMPTY = "–"


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


def lock_and_count_seats(workshop_pks) -> dict[int, int]:
    """Seats taken in each workshop, counted after locking the workshops' rows.

    Rows are locked in primary-key order, the order ``registrations.services``
    takes them in, so neither side can wait on the other in a circle. The
    locks last until the admin's transaction commits, so no seat can be taken
    between this count and the save that relies on it (PostgreSQL; on SQLite
    the admin's IMMEDIATE transaction already holds the database's write lock).
    """
    pks = sorted(set(workshop_pks))
    if not pks:
        return {}
    rows = Workshop.objects.filter(pk__in=pks).order_by("pk")
    if connection.in_atomic_block:
        rows = rows.select_for_update(**ROW_LOCK)
    # seats_taken, read from the locked rows, is their exact count (events/triggers.py).
    counts = dict(rows.values_list("pk", "seats_taken"))
    return {pk: counts.get(pk, 0) for pk in pks}


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


def day_outside_event_error(event: Event) -> ValidationError:
    if event.first_day == event.last_day:
        message = _("The event is on %(first)s only.")
    else:
        message = _("Choose a day from %(first)s to %(last)s, the event's days.")
    return ValidationError(
        message,
        code="day_outside_event",
        params={"first": date_format(event.first_day), "last": date_format(event.last_day)},
    )


def has_valid_days(event: Event | None) -> bool:
    return bool(
        event is not None
        and isinstance(event.first_day, datetime.date)
        and isinstance(event.last_day, datetime.date)
        and event.first_day <= event.last_day
    )


def refill_from_waitlist_after_commit(event: Event) -> None:
    """More seats were made: let the waitlist move in, in its own transaction after ours.

    Afterwards rather than inside the admin's transaction, so the seat service
    takes its locks (event, then workshops) in its own order, never after ours.
    """
    transaction.on_commit(lambda: services.fill_free_seats(event=event), robust=True)


# Deleting: never what attendees hold ------------------------------------------


def registrations_url(**filters) -> str:
    return reverse("admin:registrations_registration_changelist") + "?" + urlencode(filters)


class RefuseDeletingWhatAttendeesHold:
    """An admin whose objects attendees may hold: their delete page says why it cannot be.

    Seats, waitlist places and registrations protect their workshop, block and
    event in the database (``on_delete=PROTECT``). Rather than Django's list
    of every protected row, the delete page (and "Delete selected") gives one
    plain sentence per object with counts and what to do instead; nothing is
    deleted. The counts are a few grouped queries, not the collection of
    every row.
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
            sentence = message % {"name": obj, "seats": held, "waiting": waiting}
            if link is None:
                reasons.append(sentence)
            else:
                reasons.append(format_html('{} <a href="{}">{}</a>', sentence, *link(obj)))
    return reasons


# Event ---------------------------------------------------------------------


class EventAdminForm(forms.ModelForm):
    class Meta:
        model = Event
        fields = [
            "title",
            "slug",
            "status",
            "summary",
            "description",
            "organiser",
            "contact_name",
            "contact_email",
            "first_day",
            "last_day",
            "is_online",
            "venue",
            "address",
            "online_links_days_before",
            "registration_opens",
            "registration_closes",
            "attendee_limit",
            "changes_close",
            "requires_membership_number",
            "price",
            "practical_information",
        ]
        widgets = {"summary": forms.Textarea(attrs={"rows": 3})}

    def clean(self):
        cleaned_data = super().clean()
        if "venue" in self.fields and not cleaned_data.get("is_online"):
            if not cleaned_data.get("venue"):
                self.add_error(
                    "venue",
                    ValidationError(
                        _("Give the venue, or tick “online event”."), code="venue_missing"
                    ),
                )
        first_day, last_day = cleaned_data.get("first_day"), cleaned_data.get("last_day")
        if self.instance.pk and first_day and last_day and first_day <= last_day:
            self._refuse_days_leaving_programme_outside(first_day, last_day)
        return cleaned_data

    def _refuse_days_leaving_programme_outside(self, first_day, last_day):
        """New days must still hold every saved block and session.

        Errors go on the day that leaves items out, so the instance keeps its
        old value there and the programme rows are checked against days that
        hold. Moving the whole event to other days is three saves: extend the
        days over old and new, move the items, then shorten the days.
        """
        event = self.instance
        if (first_day, last_day) == (event.first_day, event.last_day):
            return
        if connection.in_atomic_block:
            # A block or session added meanwhile waits for this row (its
            # foreign key check needs a share lock on it) until we commit.
            list(Event.objects.select_for_update().filter(pk=event.pk).values_list("pk"))
        outside = sorted(
            [
                *WorkshopBlock.objects.filter(event=event).exclude(
                    day__range=(first_day, last_day)
                ),
                *Session.objects.filter(event=event).exclude(day__range=(first_day, last_day)),
            ],
            key=lambda item: (item.day, item.starts),
        )
        before = [item for item in outside if item.day < first_day]
        after = [item for item in outside if item.day > last_day]
        if before:
            self.add_error(
                "first_day",
                ValidationError(
                    _(
                        "The programme has items before this day: %(items)s. To move the "
                        "event, first extend its days to cover the new ones, move these items "
                        "(or delete them) and save; then change the first day."
                    ),
                    code="programme_before_first_day",
                    params={"items": describe_items(before)},
                ),
            )
        if after:
            self.add_error(
                "last_day",
                ValidationError(
                    _(
                        "The programme has items after this day: %(items)s. To move the "
                        "event, first extend its days to cover the new ones, move these items "
                        "(or delete them) and save; then change the last day."
                    ),
                    code="programme_after_last_day",
                    params={"items": describe_items(after)},
                ),
            )


def describe_items(items) -> str:
    return ", ".join(f"{item.title} ({date_format(item.day)})" for item in items)


class ProgrammeItemForm(forms.ModelForm):
    """A workshop block or plenary session; an empty day means the event's first day.

    The day is checked against the event's days as they are being saved (on
    the event's page, the days just typed in), where the model's own
    ``clean()`` sees only saved days, and none for a new event.
    """

    def __init__(self, *args, event: Event | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        if "day" in self.fields:
            self.fields["day"].required = False
            self.fields["day"].help_text = _("Empty: the event's first day.")

    def clean(self):
        cleaned_data = super().clean()
        if "day" not in self.fields or "day" in self.errors:
            return cleaned_data
        event = self.event or cleaned_data.get("event")
        if event is None and self.instance.event_id:
            event = self.instance.event
        if not has_valid_days(event):
            return cleaned_data  # the event's own fields carry the error
        day = cleaned_data.get("day")
        if day is None:
            cleaned_data["day"] = event.first_day
        elif not event.first_day <= day <= event.last_day:
            self.add_error("day", day_outside_event_error(event))
        return cleaned_data


class ProgrammeItemFormSet(BaseInlineFormSet):
    """Rows of the event's page; each form knows the event with its new days."""

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "event": self.instance}


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
        return ngettext(
            "%(workshops)d workshop, %(seats)d seats (%(taken)d taken)",
            "%(workshops)d workshops, %(seats)d seats (%(taken)d taken)",
            block.workshop_count,
        ) % {
            "workshops": block.workshop_count,
            "seats": block.seat_total,
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


def registration_total(status: str) -> Coalesce:
    return subquery_total(
        Registration.objects.filter(event=OuterRef("pk"), status=status),
        per="event",
        aggregate=Count("pk"),
    )


class DuplicateEventForm(forms.Form):
    """The intermediate page of "Duplicate": what the copy is called, and when it is held."""

    title = forms.CharField(label=_("title"), max_length=200)
    slug = forms.SlugField(label=_("web address"), max_length=100)
    first_day = forms.DateField(
        label=_("first day"),
        help_text=_(
            "Every day and time of the programme, and the registration dates, move with it."
        ),
    )

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if Event.objects.filter(slug=slug).exists():
            raise ValidationError(_("Another event has this web address."), code="slug_taken")
        return slug


LISTS = [
    (ExportRecord.Kind.ATTENDEES, _("Attendee list")),
    (ExportRecord.Kind.CATERING, _("Catering")),
    (ExportRecord.Kind.INVOICING, _("Invoicing")),
]
LIST_FORMATS = [
    (ExportRecord.Format.CSV, _("CSV for Excel")),
    (ExportRecord.Format.CSV_COMMA, _("CSV (comma)")),
    (ExportRecord.Format.XLSX, _("Excel (.xlsx)")),
]


def fill_rate(workshop) -> str:
    return f"{round(100 * workshop.seats_taken / workshop.capacity)} %"


@admin.register(Event)
class EventAdmin(RefuseDeletingWhatAttendeesHold, admin.ModelAdmin):
    form = EventAdminForm
    inlines = [WorkshopBlockInline, SessionInline]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = [
        "programme_summary",
        "registration_counts",
        "lists_links",
        "workshop_seats",
        "workshop_seats_and_room_lists",
    ]
    save_on_top = True
    actions = ["duplicate"]
    list_display = [
        "title",
        "days_display",
        "status",
        "workshop_count",
        "seat_total",
        "registered_count",
        "waitlisted_count",
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
                    "give each workshop its link; attendees get the links by e-mail before "
                    "the event."
                ),
                "fields": ["is_online", "venue", "address", "online_links_days_before"],
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
                    "attendee_limit",
                    "changes_close",
                    "requires_membership_number",
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
        return (
            super()
            .get_queryset(request)
            .annotate(
                **seat_figures("block__event"),
                registered_count=registration_total(Registration.Status.CONFIRMED),
                waitlisted_count=registration_total(Registration.Status.WAITLISTED),
                cancelled_count=registration_total(Registration.Status.CANCELLED),
            )
        )

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

    @admin.display(description=_("registered"), ordering="registered_count")
    def registered_count(self, event):
        return event.registered_count

    @admin.display(description=_("waitlist"), ordering="waitlisted_count")
    def waitlisted_count(self, event):
        return event.waitlisted_count

    @admin.display(description=_("programme so far"))
    def programme_summary(self, event):
        if event.pk is None or not hasattr(event, "workshop_count"):
            return _("Save the event to add workshops to its blocks.")
        summary = ngettext(
            "%(workshops)d workshop with %(seats)d seats, %(taken)d taken.",
            "%(workshops)d workshops with %(seats)d seats, %(taken)d taken.",
            event.workshop_count,
        ) % {
            "workshops": event.workshop_count,
            "seats": event.seat_total,
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
                (registrations_url(event__id__exact=event.pk, status__exact=status), label, n)
                for (status, n), label in zip(
                    counts, [_("Confirmed"), _("Waitlisted"), _("Cancelled")], strict=True
                )
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
                waitlist_count=subquery_total(
                    WaitlistEntry.objects.filter(workshop=OuterRef("pk")),
                    per="workshop",
                    aggregate=Count("pk"),
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
                admin_link(workshop),
                workshop.room or EMPTY,
                f"{workshop.seats_taken} / {workshop.capacity}",
                workshop.waitlist_count,
                fill_rate(workshop),
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
        if obj is None:
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
        return exports.export_response(request, kind=kind, fmt=fmt, event=event)

    def export_room_list_view(self, request, object_id, workshop_id, fmt):
        if not request.user.has_perm(exports.EXPORT_PERMISSION):
            raise PermissionDenied
        workshop = get_object_or_404(
            Workshop.objects.select_related("block__event"), pk=workshop_id, block__event=object_id
        )
        return exports.export_response(
            request,
            kind=ExportRecord.Kind.ROOM_LIST,
            fmt=fmt,
            event=workshop.block.event,
            workshop=workshop,
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

    def protected_reasons(self, pks):
        registered = count_by(Registration.objects.filter(event__in=pks), "event")
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
        if change and "attendee_limit" in form.changed_data:
            old_limit, new_limit = form.initial.get("attendee_limit"), obj.attendee_limit
            if old_limit is not None and (new_limit is None or new_limit > old_limit):
                refill_from_waitlist_after_commit(obj)

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


def https_formfield(db_field, **kwargs):
    """Links typed without a scheme (meet.example.org/…) are taken as https."""
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class HttpsLinks:
    """``https_formfield`` for the admin's own form building."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.URLField):
            kwargs.setdefault("assume_scheme", "https")
        return super().formfield_for_dbfield(db_field, request, **kwargs)


def change_url_of(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def admin_link(obj, label=None):
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, label or obj)


class WorkshopInlineForm(forms.ModelForm):
    class Meta:
        model = Workshop
        fields = [
            "title",
            "position",
            "description",
            "capacity",
            "room",
            "theme",
            "online_link",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}
        formfield_callback = https_formfield


class WorkshopInlineFormSet(BaseInlineFormSet):
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
        taken = lock_and_count_seats(form.instance.pk for form in lowered)
        for form in lowered:
            if form.cleaned_data["capacity"] < taken[form.instance.pk]:
                form.add_error("capacity", capacity_below_seats_error(taken[form.instance.pk]))

    def save(self, commit=True):
        # Known before saving, while new rows still look new.
        self.added_seats = any(
            form.instance._state.adding
            or form.cleaned_data.get("capacity", 0) > form.initial.get("capacity", 0)
            for form in self.forms
            if form.has_changed() and not self._should_delete_form(form)
        )
        return super().save(commit)


class WorkshopInline(HttpsLinks, admin.StackedInline):
    model = Workshop
    form = WorkshopInlineForm
    formset = WorkshopInlineFormSet
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
class WorkshopBlockAdmin(RefuseDeletingWhatAttendeesHold, ReachedFromTheEvent):
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

    def protected_reasons(self, pks):
        return attendees_hold_reasons(
            WorkshopBlock.objects.filter(pk__in=pks),
            seats=count_by(Seat.objects.filter(block__in=pks), "block"),
            waits=count_by(WaitlistEntry.objects.filter(block__in=pks), "block"),
            message=gettext(
                "Attendees hold %(seats)d seats in the workshops of %(name)s, and %(waiting)d "
                "wait for one, so it cannot be deleted. Cancel their registrations first, or "
                "keep the block."
            ),
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if any(getattr(formset, "added_seats", False) for formset in formsets):
            refill_from_waitlist_after_commit(form.instance.event)


class SessionSpeakerInline(admin.TabularInline):
    model = SessionSpeaker
    fields = ["speaker", "role", "position"]
    autocomplete_fields = ["speaker"]
    ordering = ["position", "pk"]
    extra = 1


@admin.register(Session)
class SessionAdmin(ReachedFromTheEvent):
    form = ProgrammeItemForm
    inlines = [SessionSpeakerInline]
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


class BlockChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, block):
        return f"{block.event.title}: {block}"


class WorkshopAdminForm(forms.ModelForm):
    """A workshop's own page: its capacity and block are checked against its attendees."""

    class Meta:
        model = Workshop
        fields = [
            "block",
            "title",
            "description",
            "capacity",
            "room",
            "theme",
            "online_link",
            "position",
        ]
        field_classes = {"block": BlockChoiceField}
        widgets = {"description": forms.Textarea(attrs={"rows": 8})}
        formfield_callback = https_formfield

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
        taken = lock_and_count_seats([workshop.pk])[workshop.pk]
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


class WorkshopImportForm(ImportForm):
    event = forms.ModelChoiceField(
        label=_("event"),
        queryset=Event.objects.all(),
        help_text=_("The workshops go into the blocks of this event."),
    )
    field_order = ["event", "import_file", "format", "resource"]


class WorkshopConfirmImportForm(ConfirmImportForm):
    event = forms.ModelChoiceField(queryset=Event.objects.all(), widget=forms.HiddenInput)


@admin.register(Workshop)
class WorkshopAdmin(RefuseDeletingWhatAttendeesHold, ImportMixin, HttpsLinks, ReachedFromTheEvent):
    """A workshop's page, and the list of workshops: how full each is, and the import.

    The import (django-import-export, ``events.resources``) puts a
    spreadsheet's workshops into the blocks of the event chosen on its page,
    after a preview that shows each row's errors; nothing is saved while any
    row has one.
    """

    form = WorkshopAdminForm
    inlines = [WorkshopSpeakerInline]
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
    ]
    readonly_fields = ["block_link", "seats_taken_display"]
    list_display = [
        "title",
        "block",
        "event_title",
        "capacity",
        "seats_taken_display",
        "seats_left_display",
        "waitlist_display",
        "fill_rate_display",
    ]
    list_filter = [("block__event", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title", "room", "theme", "block__event__title"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                waitlist_count=subquery_total(
                    WaitlistEntry.objects.filter(workshop=OuterRef("pk")),
                    per="workshop",
                    aggregate=Count("pk"),
                ),
                fill=Cast("seats_taken", FloatField()) / F("capacity"),
            )
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

    @admin.display(description=_("waitlist"), ordering="waitlist_count")
    def waitlist_display(self, workshop):
        return workshop.waitlist_count

    @admin.display(description=_("full"), ordering="fill")
    def fill_rate_display(self, workshop):
        return fill_rate(workshop)

    def parent(self, workshop):
        return workshop.block

    def protected_reasons(self, pks):
        def link(workshop):
            url = registrations_url(event__id__exact=workshop.block.event_id, workshop=workshop.pk)
            return url, gettext("See who")

        return attendees_hold_reasons(
            Workshop.objects.filter(pk__in=pks).select_related("block"),
            seats=count_by(Seat.objects.filter(workshop__in=pks), "workshop"),
            waits=count_by(WaitlistEntry.objects.filter(workshop__in=pks), "workshop"),
            message=gettext(
                "Attendees hold %(seats)d seats in %(name)s, and %(waiting)d wait for one, so it "
                "cannot be deleted. Move them to another workshop of the block (select them in "
                "the registrations, then “Move to another workshop”) or cancel their "
                "registrations first."
            ),
            link=link,
        )

    # Import ---------------------------------------------------------------------------

    def has_import_permission(self, request):
        return request.user.has_perms(
            ["events.add_workshop", "events.change_workshop", "events.add_speaker"]
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

    def save_model(self, request, obj, form, change):
        grew = not change or (
            "capacity" in form.changed_data
            and form.initial.get("capacity", 0) < form.cleaned_data["capacity"]
        )
        super().save_model(request, obj, form, change)
        if grew:
            refill_from_waitlist_after_commit(obj.block.event)


@admin.register(Speaker)
class SpeakerAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "organisation"]
    search_fields = ["name", "role", "organisation"]
