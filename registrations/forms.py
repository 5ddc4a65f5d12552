"""The registration form: attendee details, invoice details, one workshop per block."""

import re
import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.choices import BaseChoiceIterator
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from stdnum import ean as stdnum_ean
from stdnum import exceptions as stdnum_exceptions
from stdnum.dk import cvr as stdnum_cvr

from events.models import Event, WorkshopBlock

from .models import (
    ABOUT,
    INVOICE,
    INVOICE_QUESTION,
    Question,
    Registration,
    StandardQuestion,
    attendee_fields,
    validate_person_name,
)
from .selectors import EventQuestions, event_is_fully_booked

ASCII_DIGITS = frozenset("0123456789")


def refuse_other_digits(value: str) -> None:
    """Numbers are written with the digits 0-9: "١٢٣" or "１２３" are digits to Python's
    ``isdigit`` and ``\\d``, but no invoice system, phone or member register reads them."""
    if any(c.isdigit() and c not in ASCII_DIGITS for c in value):
        raise ValidationError(_("Write the number with the digits 0-9."), code="non_ascii_digits")


def validate_ean(value: str) -> None:
    """A 13-digit EAN location number (GLN) with a valid GS1 check digit (python-stdnum)."""
    refuse_other_digits(value)
    if len(value) != 13 or not set(value) <= ASCII_DIGITS:
        raise ValidationError(_("An EAN number has exactly 13 digits."), code="ean_format")
    try:
        stdnum_ean.validate(value)
    except stdnum_exceptions.ValidationError:
        raise ValidationError(
            _("This is not a valid EAN number: its check digit does not match. Please check it."),
            code="ean_check",
        ) from None


def validate_cvr(value: str) -> None:
    """An 8-digit Danish CVR number passing its modulus-11 check (python-stdnum)."""
    refuse_other_digits(value)
    if len(value) != 8 or not set(value) <= ASCII_DIGITS:
        raise ValidationError(_("A CVR number has exactly 8 digits."), code="cvr_format")
    try:
        stdnum_cvr.validate(value)
    except stdnum_exceptions.ValidationError:
        raise ValidationError(
            _("This is not a valid CVR number. Please check it."), code="cvr_check"
        ) from None


def validate_phone(value: str) -> None:
    refuse_other_digits(value)
    if not re.fullmatch(r"\+?[0-9 ()-]{6,}", value):
        raise ValidationError(_("Write a phone number with digits only."), code="phone_format")


def validate_membership_number(value: str) -> None:
    refuse_other_digits(value)
    if not re.fullmatch(r"[0-9]+", value):
        raise ValidationError(
            _("A membership number has digits only."), code="membership_number_format"
        )


def compact_digits(value: str) -> str:
    """Members paste numbers with spaces or dashes ("5798 0000 00000"): keep the digits."""
    return re.sub(r"[\s-]", "", value or "")


class WorkshopChoices(BaseChoiceIterator):
    """A block's workshops as choices, already in Django's normalised form, so that a
    field built for every submission does not normalise them again."""

    def __init__(self, workshops):
        self.choices = [(workshop.pk, workshop.title) for workshop in workshops]

    def __iter__(self):
        return iter(self.choices)


class WorkshopChoiceField(forms.TypedChoiceField):
    """One required radio group: the workshops of one block."""

    def __init__(self, *, block: WorkshopBlock, **kwargs):
        self.block = block
        self.workshops = block.workshop_list
        super().__init__(
            choices=WorkshopChoices(self.workshops),
            coerce=int,
            required=True,
            label=str(block),
            error_messages={
                "required": _("Choose a workshop in this block."),
                "invalid_choice": _("Choose one of this block's workshops."),
            },
            widget=forms.RadioSelect,
            **kwargs,
        )


def question_field(question: Question) -> forms.Field:
    """The form field of a question of the event's own."""
    common = {
        "label": question.label,
        "help_text": question.help_text,
        "required": question.required,
    }
    Kind = Question.Kind
    if question.kind == Kind.LONG_TEXT:
        return forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 3}), **common)
    if question.kind == Kind.CHOICE:
        choices = [(choice, choice) for choice in question.choice_list]
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
    if question.kind == Kind.CHOICES:
        choices = [(choice, choice) for choice in question.choice_list]
        return forms.MultipleChoiceField(
            choices=choices, widget=forms.CheckboxSelectMultiple, **common
        )
    if question.kind == Kind.YES_NO:
        return forms.ChoiceField(
            choices=[("yes", _("Yes")), ("no", _("No"))], widget=forms.RadioSelect, **common
        )
    return forms.CharField(max_length=500, **common)


class RegistrationForm(forms.ModelForm):
    """The attendee's data (``models.attendee_fields()``, each as its model field
    gives it unless declared below with the words the form uses), one workshop
    per block, consent, and the waitlist's choices."""

    name = forms.CharField(label=_("Full name"), max_length=200, validators=[validate_person_name])
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        help_text=_("We send the confirmation and your personal link here."),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=30,
        required=False,
        validators=[validate_phone],
    )
    workplace = forms.CharField(label=_("Workplace"), max_length=200)
    job_title = forms.CharField(label=_("Job title"), max_length=200)
    sector = forms.ChoiceField(
        label=_("Employment"),
        choices=Registration.Sector.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how you are employed.")},
    )
    membership_number = forms.CharField(
        label=_("Membership number"),
        max_length=20,
        required=False,
        validators=[validate_membership_number],
    )
    dietary_needs = forms.CharField(
        label=_("Dietary needs and allergies"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    payer = forms.ChoiceField(
        label=_("Who pays?"),
        choices=Registration.Payer.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    ean = forms.CharField(
        label=_("EAN number"),
        max_length=20,
        required=False,
        help_text=_("13 digits, for electronic invoices to a public employer."),
    )
    cvr = forms.CharField(
        label=_("CVR number"), max_length=12, required=False, help_text=_("8 digits.")
    )
    invoice_organisation = forms.CharField(
        label=_("Organisation to invoice"), max_length=200, required=False
    )
    invoice_address = forms.CharField(
        label=_("Invoice address"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    invoice_attention = forms.CharField(
        label=_("Reference person at the employer (att.)"), max_length=200, required=False
    )
    invoice_order_number = forms.CharField(
        label=_("Order or requisition number (optional)"), max_length=50, required=False
    )

    consent = forms.BooleanField(
        required=True,
        error_messages={"required": _("We can only register you if you accept this.")},
    )
    submission_token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    waitlist = forms.BooleanField(
        label=_("Put me on the waitlist if there is no seat for me"),
        required=False,
        help_text=_("You get an e-mail when a seat frees up and you are moved in."),
    )
    accept_any_workshop = forms.BooleanField(
        label=_("I will take any free workshop in a block where my choice is full"),
        required=False,
    )
    # A trap for bots, which fill in every field: moved off screen by CSS
    # (.form-trap), labelled for the people who meet it anyway. The form is
    # refused when it is filled in (clean).
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    class Meta:
        model = Registration
        fields = [field.name for field in attendee_fields()]

    def _post_clean(self):
        """No model validation: the form's fields hold the model's rules, and the
        registration is made by ``services.register``, not saved from here (validating
        the model again took a third of the form's time)."""

    def __init__(
        self,
        *args,
        event: Event,
        blocks: list[WorkshopBlock],
        questions: EventQuestions,
        offers_waitlist: bool | None = None,
        **kwargs,
    ):
        """``blocks`` with their workshops (``block.workshop_list``); ``questions``: what
        the event asks (``selectors.event_questions``).

        ``offers_waitlist``: whether the waitlist's fields are there; by default
        when a block (by its workshops' seats) or the event is fully booked. A
        submitted form may keep them always: the service waitlists only where no
        seat is left when it decides.
        """
        super().__init__(*args, **kwargs)
        self.event = event
        self.blocks = blocks
        if not self.is_bound:
            self.initial.setdefault("submission_token", uuid.uuid4())
        self.fields["consent"].label = format_html(
            '{} <a href="{}">{}</a>',
            _("I agree that my details are processed to handle my registration."),
            reverse("events:event_privacy", kwargs={"slug": event.slug}),
            _("Read how we handle your data."),
        )
        self.questions = questions
        self._ask_standard_questions(event, questions)
        self.question_names = []
        for question in questions.custom:
            name = f"question_{question.pk}"
            self.fields[name] = question_field(question)
            self.question_names.append(name)
        for block in blocks:
            self.fields[self.block_field_name(block)] = WorkshopChoiceField(block=block)
        if offers_waitlist is None:
            offers_waitlist = any(
                block.is_fully_booked for block in blocks
            ) or event_is_fully_booked(event)
        self.offers_waitlist = offers_waitlist
        if not self.offers_waitlist:
            del self.fields["waitlist"]
            del self.fields["accept_any_workshop"]

    def _ask_standard_questions(self, event: Event, questions: EventQuestions) -> None:
        """The standard questions as the event asks them: left out, optional or required."""
        Ask = StandardQuestion.Ask
        optional = _("%(label)s (optional)")
        membership = self.fields["membership_number"]
        membership.label = questions.membership_number_label or _("Membership number")
        dietary = self.fields["dietary_needs"]
        dietary.help_text = " ".join(
            part for part in (event.catering, str(_("Tell us what you cannot eat."))) if part
        )
        for field, ask in questions.ask.items():
            names = (
                [f.name for f in attendee_fields(INVOICE)] if field == INVOICE_QUESTION else [field]
            )
            if ask == Ask.NO or (field == INVOICE_QUESTION and event.is_free):
                for name in names:
                    del self.fields[name]
            elif field == INVOICE_QUESTION:
                self.fields["payer"].required = ask == Ask.REQUIRED
                self.fields["payer"].error_messages["required"] = _("Choose who pays.")
            else:
                self.fields[field].required = ask == Ask.REQUIRED
                if ask == Ask.OPTIONAL:
                    self.fields[field].label = optional % {"label": self.fields[field].label}

    @property
    def answers(self) -> dict[int, str]:
        """Question id -> the answer as stored (``models.Answer``), from a valid form; an
        unanswered optional question has none."""
        answers = {}
        for question in self.questions.custom:
            value = self.cleaned_data.get(f"question_{question.pk}")
            if isinstance(value, list):
                value = "\n".join(value)
            if value not in ("", None, []):
                answers[question.pk] = value
        return answers

    def question_fields(self):
        return [self[name] for name in self.question_names]

    @staticmethod
    def block_field_name(block: WorkshopBlock) -> str:
        return f"block_{block.pk}"

    def attendee_fields(self):
        """Every field but the blocks', in the form's order (for the error summary)."""
        return [self[name] for name in self.fields if not name.startswith("block_")]

    def about_fields(self):
        return [self[field.name] for field in attendee_fields(ABOUT) if field.name in self.fields]

    def invoice_fields(self):
        return [self[field.name] for field in attendee_fields(INVOICE) if field.name in self.fields]

    @property
    def waitlist_choices(self) -> dict:
        return {
            "waitlist": self.cleaned_data.get("waitlist", False),
            "accept_any_workshop": self.cleaned_data.get("accept_any_workshop", False),
        }

    def block_fields(self):
        return [self[self.block_field_name(block)] for block in self.blocks]

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean_ean(self):
        value = compact_digits(self.cleaned_data.get("ean", ""))
        if value:
            validate_ean(value)
        return value

    def clean_cvr(self):
        value = compact_digits(self.cleaned_data.get("cvr", ""))
        if value:
            validate_cvr(value)
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("website"):
            raise ValidationError(
                _("We could not accept the form. Please check your answers and send it again."),
                code="trap",
            )
        for block in self.blocks:
            name = self.block_field_name(block)
            if hasattr(self.data, "getlist") and len(self.data.getlist(name)) > 1:
                self.add_error(name, _("Choose only one workshop in this block."))
        payer = cleaned.get("payer")
        required_by_payer = {
            Registration.Payer.EAN: (
                "ean",
                "invoice_organisation",
                "invoice_address",
                "invoice_attention",
            ),
            Registration.Payer.CVR: (
                "cvr",
                "invoice_organisation",
                "invoice_address",
                "invoice_attention",
            ),
            Registration.Payer.PERSONAL: ("invoice_address",),
        }
        message = (
            _("Fill in your address for the invoice.")
            if payer == Registration.Payer.PERSONAL
            else _("Fill in this field: it goes on the invoice to your employer.")
        )
        for name in required_by_payer.get(payer, ()):
            if not cleaned.get(name) and name not in self.errors:
                self.add_error(name, message)
        if payer != Registration.Payer.EAN:
            cleaned["ean"] = ""
        if payer != Registration.Payer.CVR:
            cleaned["cvr"] = ""
        return cleaned

    @property
    def choices(self) -> dict[int, int]:
        """Block id -> chosen workshop id, from a valid form."""
        return {block.pk: self.cleaned_data[self.block_field_name(block)] for block in self.blocks}

    def mark_full(self, block_ids) -> None:
        for block in self.blocks:
            if block.pk in block_ids:
                self.add_error(
                    self.block_field_name(block),
                    _(
                        "The workshop you chose was fully booked while you filled in the form. "
                        "Please choose another; the rest of your answers are kept."
                    ),
                )


class ResendLinkForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)


WAIT_PREFIX = "wait:"


class ChangeSeatsForm(forms.Form):
    """One radio group per block: keep the seat, take a free one, or wait for a full one."""

    def __init__(self, *args, registration: Registration, blocks: list[WorkshopBlock], **kwargs):
        super().__init__(*args, **kwargs)
        self.registration = registration
        self.blocks = blocks
        current = {seat.block_id: seat.workshop_id for seat in registration.seats.all()}
        waiting = {
            entry.block_id: entry.workshop_id for entry in registration.waitlist_entries.all()
        }
        self.current = current
        for block in blocks:
            choices = []
            options = []
            for workshop in block.workshop_list:
                if workshop.pk == current.get(block.pk):
                    value, kind = str(workshop.pk), "current"
                elif workshop.is_full:
                    value, kind = f"{WAIT_PREFIX}{workshop.pk}", "wait"
                else:
                    value, kind = str(workshop.pk), "free"
                choices.append((value, workshop.title))
                options.append((value, kind, workshop))
            name = RegistrationForm.block_field_name(block)
            self.fields[name] = forms.ChoiceField(
                choices=choices,
                label=str(block),
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Choose a workshop in this block."),
                    "invalid_choice": _("Choose one of this block's workshops."),
                },
            )
            self.fields[name].block = block
            self.fields[name].options = options
            if block.pk in waiting:
                self.initial[name] = f"{WAIT_PREFIX}{waiting[block.pk]}"
            elif block.pk in current:
                self.initial[name] = str(current[block.pk])

    def block_fields(self):
        return [self[RegistrationForm.block_field_name(block)] for block in self.blocks]

    def seats_and_waits(self) -> tuple[dict[int, int], dict[int, int]]:
        seats, waits = {}, {}
        for block in self.blocks:
            value = self.cleaned_data[RegistrationForm.block_field_name(block)]
            if value.startswith(WAIT_PREFIX):
                waits[block.pk] = int(value.removeprefix(WAIT_PREFIX))
            else:
                seats[block.pk] = int(value)
        return seats, waits

    def mark_full(self, block_ids) -> None:
        for block in self.blocks:
            if block.pk in block_ids:
                self.add_error(
                    RegistrationForm.block_field_name(block),
                    _("The workshop filled up just now. Choose another, or choose to wait for it."),
                )


class CancelForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, cancel my registration and free my seats"),
        error_messages={"required": _("Tick the box to confirm that you want to cancel.")},
    )


class LeaveWaitlistForm(forms.Form):
    """One waitlist place to leave, by its block (the button next to it sends it)."""

    block = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of your e-mails and links"), choices=settings.LANGUAGES
    )


class EraseForm(forms.Form):
    prefix = "erase"  # the cancel form on the same page has a "confirm" too

    confirm = forms.BooleanField(
        label=_("Yes, cancel my registration and erase my personal data"),
        error_messages={"required": _("Tick the box to confirm that you want your data erased.")},
    )
