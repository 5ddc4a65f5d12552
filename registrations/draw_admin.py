"""The organiser's side of seats by preference, on the event's admin page.

``DrawAdminMixin`` (mixed into ``admin.EventAdmin``) adds, for an event that
gives seats by preference:

- a "Draw" section on the event's page: before the draw, how many have ranked
  and a button to the preview; after it, the run's record (seed, method, who,
  when) with the chart and the export;
- the draw page (``<event>/draw/``): a preview with a new seed (or the one in
  ``?seed=``) that saves nothing, its chart, and a button that holds the draw
  with that very seed (``draws.run_draw``), so what was previewed is what is
  held if nobody ranked meanwhile;
- the figures as CSV or .xlsx (``<event>/draw/<fmt>/``, ``exports``).

The chart is a server-rendered SVG (no JavaScript, nothing from another
host): per block, for each workshop, the members who want it as first choice
against its seats, and whom it got by their rank of it; the same figures are
in a table beside it for screen readers and for copying.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from events.models import Event

from . import draws, exports
from .models import AllocationRun, ExportRecord, Registration

RANK_LABELS = {
    "1": _("1st choice"),
    "2": _("2nd choice"),
    "3": _("3rd choice"),
    "other": _("later choice"),
    "any": _("not ranked (any is fine)"),
}
RANK_COLOURS = {
    "1": "#1a7f37",
    "2": "#4fb36b",
    "3": "#bfd94a",
    "other": "#f0a02c",
    "any": "#8c959f",
}
DEMAND_COLOUR = "#0b5cad"

# The chart's geometry, in SVG units.
LABEL_WIDTH = 230
BAR_WIDTH = 400
ROW_HEIGHT = 34
BAR_HEIGHT = 12


def chart_blocks(statistics: list[dict]) -> list[dict]:
    """The statistics with each bar's geometry, for ``admin/events/event/_draw_chart.html``."""
    blocks = []
    for block in statistics:
        top = max(
            [1, *(max(w["first_choice"], w["seats"], w["placed"]) for w in block["workshops"])]
        )
        scale = BAR_WIDTH / top
        rows = []
        for index, workshop in enumerate(block["workshops"]):
            y = index * ROW_HEIGHT
            x = LABEL_WIDTH
            segments = []
            for key in draws.RANK_KEYS:
                count = workshop["by_rank"][key]
                if count:
                    width = count * scale
                    segments.append(
                        {"x": x, "width": width, "colour": RANK_COLOURS[key], "count": count}
                    )
                    x += width
            rows.append(
                {
                    **workshop,
                    "y": y,
                    "text_y": y + 15,
                    "demand_y": y + 2,
                    "placed_y": y + 2 + BAR_HEIGHT + 2,
                    "demand_width": workshop["first_choice"] * scale,
                    "demand_end": LABEL_WIDTH + workshop["first_choice"] * scale + 4,
                    "seats_x": LABEL_WIDTH + workshop["seats"] * scale,
                    "segments": segments,
                    "short_title": workshop["title"][:30]
                    + ("…" if len(workshop["title"]) > 30 else ""),
                    "over": workshop["first_choice"] > workshop["seats"],
                }
            )
        totals = block["by_rank"]
        placed = sum(totals.values())
        blocks.append(
            {
                **block,
                "rows": rows,
                "height": len(rows) * ROW_HEIGHT + 4,
                "width": LABEL_WIDTH + BAR_WIDTH + 60,
                "totals": [
                    {
                        "label": RANK_LABELS[key],
                        "count": totals[key],
                        "share": round(100 * totals[key] / placed) if placed else 0,
                        "colour": RANK_COLOURS[key],
                    }
                    for key in draws.RANK_KEYS
                ],
            }
        )
    return blocks


def render_chart(statistics: list[dict]) -> str:
    return render_to_string(
        "admin/events/event/_draw_chart.html",
        {
            "blocks": chart_blocks(statistics),
            "demand_colour": DEMAND_COLOUR,
            "legend": [(RANK_LABELS[key], RANK_COLOURS[key]) for key in draws.RANK_KEYS],
        },
    )


def draw_listing(event: Event, statistics: list[dict]) -> exports.Listing:
    """The draw's figures as an export: one row per workshop, and the totals per block."""
    ranks = [str(RANK_LABELS[key]) for key in draws.RANK_KEYS]
    return exports.Listing(
        name=gettext("draw"),
        tables=[
            exports.Table(
                gettext("Workshops"),
                [
                    gettext("Block"),
                    gettext("Workshop"),
                    gettext("Seats in the draw"),
                    gettext("Wanted as 1st choice"),
                    gettext("Ranked by"),
                    gettext("Placed"),
                    *ranks,
                ],
                [
                    [
                        block["title"],
                        w["title"],
                        w["seats"],
                        w["first_choice"],
                        w["ranked"],
                        w["placed"],
                        *(w["by_rank"][key] for key in draws.RANK_KEYS),
                    ]
                    for block in statistics
                    for w in block["workshops"]
                ],
            ),
            exports.Table(
                gettext("Blocks"),
                [gettext("Block"), *ranks, gettext("On the waitlist")],
                [
                    [
                        block["title"],
                        *(block["by_rank"][key] for key in draws.RANK_KEYS),
                        block["waitlisted"],
                    ]
                    for block in statistics
                ],
            ),
        ],
    )


class DrawAdminMixin:
    """See the module docstring. Needs ``sees_attendees`` (given by the admin module)."""

    sees_attendees = None  # set by registrations.admin

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:object_id>/draw/", view(self.draw_view), name="events_event_draw"),
            path(
                "<int:object_id>/draw/<str:fmt>/",
                view(self.draw_export_view),
                name="events_event_draw_export",
            ),
            *super().get_urls(),
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None or not obj.awaits_draw:
            return form

        class KeepsRankedMembers(form):
            """Refuses going back to first come while members wait for the draw: their
            registrations hold no seats, and no draw would ever give them any."""

            def clean_seat_allocation(self):
                value = super().clean_seat_allocation()
                ranked = Registration.objects.filter(
                    event=self.instance, status=Registration.Status.RANKED
                ).count()
                if value != Event.SeatAllocation.PREFERENCES and ranked:
                    raise ValidationError(
                        ngettext(
                            "%(count)d member has ranked the workshops and waits for the "
                            "draw. Run the draw first; the seats left then go first come.",
                            "%(count)d members have ranked the workshops and wait for the "
                            "draw. Run the draw first; the seats left then go first come.",
                            ranked,
                        )
                        % {"count": ranked}
                    )
                return value

        return KeepsRankedMembers

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "draw_overview"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not obj.allocates_by_preference or not self.sees_attendees(request, obj):
            return fieldsets
        after = next(
            (
                index + 1
                for index, (_title, options) in enumerate(fieldsets)
                if "seat_allocation" in str(options.get("fields", ()))
            ),
            len(fieldsets),
        )
        return [
            *fieldsets[:after],
            (
                _("Draw"),
                {
                    "description": _(
                        "Members rank the workshops until the ranking closes; then the draw "
                        "gives the seats. Preview it first: the preview saves nothing."
                    ),
                    "fields": ["draw_overview"],
                },
            ),
            *fieldsets[after:],
        ]

    @admin.display(description=_("draw"))
    def draw_overview(self, event):
        if event.pk is None or not event.allocates_by_preference:
            return "–"
        run = AllocationRun.objects.filter(event=event).first()
        if run is None:
            ranked = Registration.objects.filter(
                event=event, status=Registration.Status.RANKED
            ).count()
            return format_html(
                '<p>{}</p><p><a class="button" href="{}">{}</a></p>',
                ngettext(
                    "%(count)d member has ranked the workshops.",
                    "%(count)d members have ranked the workshops.",
                    ranked,
                )
                % {"count": ranked},
                reverse("admin:events_event_draw", args=[event.pk]),
                gettext("Preview the draw"),
            )
        return format_html(
            '{}<p><a class="button" href="{}">{}</a></p>',
            render_to_string("admin/events/event/_draw_run.html", {"run": run}),
            reverse("admin:events_event_draw", args=[event.pk]),
            gettext("See the draw's chart"),
        )

    def _draw_event(self, request, object_id) -> Event:
        event = get_object_or_404(Event, pk=object_id)
        if not self.sees_attendees(request, event) or not request.user.has_perm(
            "registrations.change_registration"
        ):
            raise PermissionDenied
        if not event.allocates_by_preference:
            raise Http404("The event does not give seats by preference.")
        return event

    def draw_view(self, request, object_id):
        event = self._draw_event(request, object_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "event": event,
            "title": gettext("Draw: %(event)s") % {"event": event.title},
            "legend": [(RANK_LABELS[key], RANK_COLOURS[key]) for key in draws.RANK_KEYS],
        }
        run = AllocationRun.objects.filter(event=event).first()
        if request.method == "POST" and run is None:
            try:
                seed = int(request.POST.get("seed", ""))
            except ValueError:
                seed = None
            if seed is None or not 0 <= seed < 2**62:
                messages.error(request, gettext("The draw's seed is missing. Preview it again."))
                return HttpResponseRedirect(request.path)
            try:
                outcome = draws.run_draw(event=event, seed=seed, by=request.user)
            except draws.RegistrationError as refused:
                messages.error(request, str(refused.message))
            else:
                messages.success(
                    request,
                    gettext(
                        "The draw is held: %(placed)d placed, %(waiting)d on the waitlist. "
                        "Everyone gets an e-mail."
                    )
                    % {
                        "placed": len(outcome.placed),
                        "waiting": len(outcome.waitlisted),
                    },
                )
            return HttpResponseRedirect(request.path)
        if run is not None:
            context.update(run=run, chart=render_chart(run.statistics))
            return TemplateResponse(request, "admin/events/event/draw.html", context)
        try:
            seed = int(request.GET["seed"])
        except (KeyError, ValueError):
            seed = draws.new_seed()
        seed = seed % 2**62
        preview = draws.preview_draw(event=event, seed=seed)
        context.update(
            preview=preview,
            seed=seed,
            chart=render_chart(preview.statistics),
            ranked=len(preview.result.lottery),
            due=event.draw_is_due(),
        )
        return TemplateResponse(request, "admin/events/event/draw.html", context)

    def draw_export_view(self, request, object_id, fmt):
        event = self._draw_event(request, object_id)
        run = AllocationRun.objects.filter(event=event).first()
        if run is not None:
            statistics = run.statistics
        else:
            try:
                seed = int(request.GET["seed"]) % 2**62
            except (KeyError, ValueError):
                seed = draws.new_seed()
            statistics = draws.preview_draw(event=event, seed=seed).statistics
        return exports.export_response(
            request,
            kind=ExportRecord.Kind.DRAW,
            fmt=fmt,
            event=event,
            listing=draw_listing(event, statistics),
        )
