"""The programme's forms in the admin: what the organiser types in, checked at the field.

The database refuses a programme item outside its event's days
(events/triggers.py); these forms make the same checks first, so the
organiser gets a message at the field, not an error page.
"""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.template.defaultfilters import filesizeformat
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from import_export.forms import ConfirmImportForm, ImportForm

from .materials import ACCEPT, max_size
from .models import Event, Material, Session, WorkshopBlock


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


# Event ---------------------------------------------------------------------


def https_links(db_field, **kwargs):
    """Form fields of the model's fields; a link typed without a scheme is taken as https."""
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class EventAdminForm(forms.ModelForm):
    class Meta:
        model = Event
        fields = [
            "organisation",
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
            "online_link",
            "online_links_days_before",
            "registration_opens",
            "registration_closes",
            "seat_allocation",
            "preferences_close",
            "attendee_limit",
            "changes_close",
            "price",
            "practical_information",
            "materials_from",
        ]
        widgets = {"summary": forms.Textarea(attrs={"rows": 3})}
        formfield_callback = https_links

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "seat_allocation" in self.fields:
            # Left out (an older form, a script): first come, as before the choice existed.
            self.fields["seat_allocation"].required = False

    def clean_seat_allocation(self):
        return self.cleaned_data.get("seat_allocation") or Event.SeatAllocation.FIRST_COME

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
        if last_day is None and "last_day" not in self.errors:
            last_day = first_day  # a one-day event: the model sets it so too
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
        # A block or session added meanwhile waits for this row (its foreign
        # key check needs a share lock on it) until the admin's transaction
        # commits; outside one, PostgreSQL refuses the lock.
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


class WorkshopInlineForm(forms.ModelForm):
    """A workshop on its block's page (the admin gives the model, its fields and links)."""

    class Meta:
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}


class BlockChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, block):
        return f"{block.event.title}: {block}"


class WorkshopAdminForm(forms.ModelForm):
    """A workshop's own page (the admin gives the model, its fields and links)."""

    class Meta:
        field_classes = {"block": BlockChoiceField}
        widgets = {"description": forms.Textarea(attrs={"rows": 8})}


class EventOfTheUser:
    """The ``event`` field offers the events of the user's organisations: its queryset is
    made for each form, inside the request's scope (django-scopes)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event"].queryset = Event.objects.all()


class WorkshopImportForm(EventOfTheUser, ImportForm):
    event = forms.ModelChoiceField(
        label=_("event"),
        queryset=Event.objects.none(),
        help_text=_("The workshops go into the blocks of this event."),
    )
    field_order = ["event", "import_file", "format", "resource"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # import-export's own labels have no Danish: ours, through our catalogue.
        self.fields["import_file"].label = _("Spreadsheet")
        self.fields["import_file"].help_text = _(
            "Filled in from the template above; the first sheet of an .xlsx is read."
        )
        self.fields["format"].label = _("Format")
        titles = {"csv": _("CSV"), "xlsx": _("Excel (.xlsx)")}
        self.fields["format"].choices = [
            (value, titles.get(title, title)) for value, title in self.fields["format"].choices
        ]
        self.fields["format"].help_text = _("Excel (.xlsx), or CSV with “;” or “,” between cells.")
        if "resource" in self.fields:
            self.fields["resource"].label = _("What is imported")


class WorkshopConfirmImportForm(EventOfTheUser, ConfirmImportForm):
    event = forms.ModelChoiceField(queryset=Event.objects.none(), widget=forms.HiddenInput)


# Materials -----------------------------------------------------------------


class SpeakerMaterialForm(forms.ModelForm):
    """What a speaker adds through their workshop's upload link: a file or a link, and a title."""

    class Meta:
        model = Material
        fields = ["title", "file", "link"]
        widgets = {"file": forms.FileInput(attrs={"accept": ACCEPT})}

        @staticmethod
        def formfield_callback(field, **kwargs):
            if field.name == "link":
                kwargs["assume_scheme"] = "https"  # a link typed without one, as in the admin
            return field.formfield(**kwargs)

    def __init__(self, *args, workshop, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.workshop = workshop
        self.instance.event_id = workshop.block.event_id
        self.instance.uploaded_by_speaker = True
        self.fields["file"].help_text = _("PDF, PowerPoint or Word, at most %(size)s.") % {
            "size": filesizeformat(max_size())
        }
