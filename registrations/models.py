"""Registrations and the seats they hold.

A ``Seat`` is one confirmed registration's place in one workshop. Seats are
written only by ``registrations.services``; the database refuses the states
that must never be (see registrations/triggers.py): two seats of one
registration in one block, a seat whose block is not its workshop's block, and
more seats in a workshop than it has capacity.

The attendee's own data are the registration's columns marked with
``attendee_data``; ``attendee_fields()`` lists them, and everything that asks
for, shows, exports or erases them reads that list: the form, the personal
page, the JSON download, the admin, the exports and anonymisation. Adding a
question is one field here (and its migration).
"""

import hashlib
import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from events.models import Event, Workshop, WorkshopBlock, scoped

# FOR NO KEY UPDATE, of the queried table only: it does not conflict with the
# KEY SHARE locks PostgreSQL takes on a referenced row when another transaction
# inserts a row pointing at it (a seat at a workshop, a registration at an
# event), and a join (workshops of an event) does not lock the joined rows.
# With plain FOR UPDATE, a registration inserting a seat and a cancellation
# holding the event row wait on each other: a deadlock.
ROW_LOCK = {"no_key": True, "of": ("self",)}

# The parts of the attendee's data (``attendee_data``).
ABOUT = "about"  # who they are: asked of every attendee
INVOICE = "invoice"  # whom to invoice: asked on paid events, kept for the bookkeeping period


def attendee_data(field: models.Field, *, part: str = ABOUT, kept: bool = False) -> models.Field:
    """Mark a column of ``Registration`` as the attendee's data, in ``part``.

    ``kept``: anonymisation leaves it (a statistic such as the employment
    sector, which identifies no one); every other ``ABOUT`` field is cleared
    when the attendee is anonymised, every ``INVOICE`` field when the
    bookkeeping period ends.
    """
    field.attendee_part = part
    field.kept_when_anonymised = kept
    return field


def attendee_fields(part: str | None = None) -> list[models.Field]:
    """The attendee's data, in the order the form asks for it (``attendee_data``)."""
    return [
        field
        for field in Registration._meta.fields
        if getattr(field, "attendee_part", None) and part in (None, field.attendee_part)
    ]


# A person's name, as the e-mails greet them ("Kære <name>"): one line, short, and
# nothing a reader could follow (a web or e-mail address) or a browser could run.
NAME_MAX_LENGTH = 100
NOT_A_NAME = re.compile(
    r"://|www\.|@|[<>{}\[\]\\/]"
    r"|[a-z0-9-]\.(?:dk|com|net|org|eu|info|io|me|co|biz|app|link|online|site|xyz|top|ly)\b",
    re.IGNORECASE,
)


def validate_person_name(value: str) -> None:
    """A name and nothing else: one line, at most ``NAME_MAX_LENGTH`` characters, no web or
    e-mail address and no markup (the name goes into the greeting of our e-mails)."""
    if any(not character.isprintable() for character in value):
        raise ValidationError(_("Write the name on one line."), code="line_break")
    if len(value) > NAME_MAX_LENGTH:
        raise ValidationError(
            _("Write a name of at most %(limit)d characters."),
            code="too_long",
            params={"limit": NAME_MAX_LENGTH},
        )
    if NOT_A_NAME.search(value):
        raise ValidationError(
            _("Write only your name: no web address, e-mail address or special characters."),
            code="not_a_name",
        )


def normalise_email(email: str) -> str:
    return email.strip().lower()


def new_secret() -> str:
    """256 random bits, URL-safe: the key of the attendee's personal link."""
    return secrets.token_urlsafe(32)


def secret_digest(secret: str) -> str:
    """What is stored of a personal link's secret: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_calendar_key() -> str:
    """The part of a registration's calendar UIDs that names it: random, so that it says
    nothing (not how many registered, nor whether a registration was saved)."""
    return secrets.token_hex(16)


class RegistrationQuerySet(models.QuerySet):
    def active(self):
        """Registrations that count: confirmed or on the waitlist."""
        return self.exclude(status=Registration.Status.CANCELLED)

    def confirmed(self):
        return self.filter(status=Registration.Status.CONFIRMED)

    def locked(self):
        """The rows, locked until the transaction ends (``ROW_LOCK``)."""
        return self.select_for_update(**ROW_LOCK)


class Registration(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        WAITLISTED = "waitlisted", _("Waitlisted")
        # By preference (``Event.allocates_by_preference``): ranked workshops, awaiting the draw.
        RANKED = "ranked", _("Awaiting the draw")
        # "Afmeldt" in Danish: the attendee withdrew; "Aflyst" would read as the event called off.
        CANCELLED = "cancelled", pgettext_lazy("registration status", "Cancelled")

    class Sector(models.TextChoices):
        PUBLIC = "public", _("Publicly employed")
        PRIVATE = "private", _("Privately employed")
        SELF_EMPLOYED = "self_employed", _("Self-employed")

    class Payer(models.TextChoices):
        EAN = "ean", _("Public employer (EAN number)")
        CVR = "cvr", _("Private employer (CVR number)")
        PERSONAL = "personal", _("I pay myself")

    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, related_name="registrations", verbose_name=_("event")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.CONFIRMED
    )
    # The attendee's data (``attendee_data``), in the order the form asks for it.
    name = attendee_data(
        models.CharField(_("name"), max_length=200, validators=[validate_person_name])
    )
    email = attendee_data(models.EmailField(_("e-mail"), max_length=254))
    phone = attendee_data(models.CharField(_("phone"), max_length=30, blank=True))
    workplace = attendee_data(models.CharField(_("workplace"), max_length=200))
    job_title = attendee_data(models.CharField(_("job title"), max_length=200))
    sector = attendee_data(
        models.CharField(_("employment"), max_length=16, choices=Sector.choices), kept=True
    )
    membership_number = attendee_data(
        models.CharField(_("DS membership number"), max_length=20, blank=True)
    )
    dietary_needs = attendee_data(
        models.TextField(_("dietary needs and allergies"), max_length=1000, blank=True)
    )
    payer = attendee_data(
        models.CharField(
            _("who pays"), max_length=10, choices=Payer.choices, blank=True, default=""
        ),
        part=INVOICE,
    )
    ean = attendee_data(models.CharField(_("EAN number"), max_length=13, blank=True), part=INVOICE)
    cvr = attendee_data(models.CharField(_("CVR number"), max_length=8, blank=True), part=INVOICE)
    invoice_organisation = attendee_data(
        models.CharField(_("organisation"), max_length=200, blank=True), part=INVOICE
    )
    invoice_address = attendee_data(
        models.TextField(_("invoice address"), max_length=500, blank=True), part=INVOICE
    )
    invoice_attention = attendee_data(
        models.CharField(_("reference person (att.)"), max_length=200, blank=True), part=INVOICE
    )
    invoice_order_number = attendee_data(
        models.CharField(_("order or requisition number"), max_length=50, blank=True),
        part=INVOICE,
    )
    consent_given_at = models.DateTimeField(_("consent given"))
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language the attendee registered in: their e-mails and links use it."),
    )
    calendar_sequence = models.PositiveIntegerField(
        _("calendar version"),
        default=0,
        editable=False,
        help_text=_(
            "How many calendar files the attendee has been given: each new one has a higher "
            "SEQUENCE, so calendars replace the entries of the one before."
        ),
    )

    accept_any_workshop = models.BooleanField(
        _("accepts any free workshop"),
        default=False,
        help_text=_(
            "On the waitlist: may be given any free workshop of a block, not only the chosen."
        ),
    )
    email_failed_at = models.DateTimeField(
        _("e-mail not delivered"),
        null=True,
        blank=True,
        help_text=_(
            "Set when the mail server refused an e-mail to the attendee, "
            "or it could not be sent after every try."
        ),
    )
    online_links_sent_for = models.CharField(
        _("online links sent for workshops"),
        max_length=500,
        blank=True,
        editable=False,
        help_text=_(
            "The workshops whose links were last e-mailed, so they are sent once per choice."
        ),
    )
    materials_notified_at = models.DateTimeField(
        _("told that the materials are ready"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the one e-mail saying the event's materials are ready was queued."),
    )
    calendar_key = models.CharField(
        _("calendar key"), max_length=32, default=new_calendar_key, editable=False
    )
    submission_token = models.UUIDField(
        _("form submission token"), null=True, blank=True, unique=True, editable=False
    )
    created_at = models.DateTimeField(_("registered"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    anonymised_at = models.DateTimeField(
        _("personal data erased"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the attendee's personal data was anonymised (registrations.privacy)."),
    )
    invoice_data_erased_at = models.DateTimeField(
        _("invoicing data erased"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the invoicing data was erased, after the bookkeeping period."),
    )

    objects = scoped(RegistrationQuerySet, attendees="event__organisation")

    # Not stored: set by the services on the registration they return for a
    # submission made before (a double click, a form sent again after going
    # back), so that the page after registering shows what was saved, not what
    # was sent again (submitted.remember_saved).
    made_before = False

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "email"],
                condition=~Q(status="cancelled"),
                name="one_active_registration_per_email",
                violation_error_message=_("This e-mail address is already registered."),
            ),
        ]
        indexes = [
            models.Index(fields=["event", "status"], name="registration_event_status"),
        ]
        # Attendee lists hold membership of a union and dietary needs that may
        # reveal health or religion: only staff with this permission take them.
        permissions = [("export_registrations", _("Can export attendee lists"))]

    def __str__(self):
        return f"{self.name} <{self.email}>"

    def attendee_answers(self, part: str = ABOUT) -> list[tuple[str, object]]:
        """(label, answer as shown) for each of the attendee's data in ``part`` that is filled
        in; for ``ABOUT``, then the answers to the event's own questions."""
        answers = []
        for field in attendee_fields(part):
            value = getattr(self, field.attname)
            if value in ("", None):
                continue
            if field.choices:
                value = self._get_FIELD_display(field)
            answers.append((capfirst(field.verbose_name), value))
        if part == ABOUT and self.pk:
            for answer in self.answers.select_related("question"):
                answers.append((answer.question.label, answer.shown))
        return answers


class PersonalLink(models.Model):
    """One personal link of a registration: only the SHA-256 of its secret is stored.

    The secret (``new_secret``: 256 random bits) exists in one place only: the
    e-mail that carries the link. ``issue_personal_link`` makes a fresh one each
    time an e-mail is rendered (``emails.build_message``, at send time, in the
    worker), stores its digest and puts the secret into that mail; nothing
    else keeps it, so a copy of the database (a backup, a leaked dump) opens no
    one's registration. A registration thus has one link per mail it was sent;
    each keeps working (an attendee may click the link of any of their mails)
    until ``revoke_personal_links``: "send my link again", "make a new link" on
    the personal page and the admin's "send personal link" revoke every earlier
    link, then the next mail carries a fresh one; anonymisation revokes them
    all. A page opened with a link builds its own links (change, cancel, the
    letter) from the secret in its address, never from the database.

    A retried send renders the mail again and so issues another link: the
    first, perhaps delivered after all, keeps working too. Found by the digest
    of the secret presented (``selectors.find_by_secret``): a unique index, and
    no timing difference that tells anything, since the digest of a guess says
    nothing about the digests stored.
    """

    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,
        related_name="personal_links",
        verbose_name=_("registration"),
    )
    digest = models.CharField(_("SHA-256 of the secret"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("made"), auto_now_add=True)

    objects = scoped(attendees="registration__event__organisation")

    class Meta:
        verbose_name = _("personal link")
        verbose_name_plural = _("personal links")

    def __str__(self):
        return f"{self.registration_id}: {self.digest[:8]}…"


def issue_personal_link(registration: Registration) -> str:
    """A fresh personal link's secret for ``registration``: its digest is stored, the
    secret returned, to be put into one e-mail and nowhere else (``PersonalLink``)."""
    secret = new_secret()
    PersonalLink.objects.create(registration=registration, digest=secret_digest(secret))
    return secret


def revoke_personal_links(registration: Registration) -> None:
    """Every link the registration had stops working (``PersonalLink``)."""
    PersonalLink.objects.filter(registration=registration).delete()


class Seat(models.Model):
    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="seats", verbose_name=_("registration")
    )
    block = models.ForeignKey(
        WorkshopBlock, on_delete=models.PROTECT, related_name="seats", verbose_name=_("block")
    )
    workshop = models.ForeignKey(
        Workshop, on_delete=models.PROTECT, related_name="seats", verbose_name=_("workshop")
    )
    created_at = models.DateTimeField(_("taken"), auto_now_add=True)

    objects = scoped(attendees="registration__event__organisation")

    class Meta:
        verbose_name = _("seat")
        verbose_name_plural = _("seats")
        ordering = ["block", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "block"], name="one_seat_per_block_per_registration"
            ),
        ]

    def __str__(self):
        return f"{self.registration.name}: {self.workshop}"


class WaitlistEntry(models.Model):
    """A registration's place in the line for a workshop.

    Confirmed attendees wait for a workshop while holding a seat in another
    workshop of the same block; waitlisted attendees (no seats yet) have one
    entry per block with the workshop they want. First come, first served.
    """

    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,
        related_name="waitlist_entries",
        verbose_name=_("registration"),
    )
    block = models.ForeignKey(
        WorkshopBlock,
        on_delete=models.PROTECT,
        related_name="waitlist_entries",
        verbose_name=_("block"),
    )
    workshop = models.ForeignKey(
        Workshop,
        on_delete=models.PROTECT,
        related_name="waitlist_entries",
        verbose_name=_("workshop"),
    )
    created_at = models.DateTimeField(_("joined"), auto_now_add=True, db_index=True)

    objects = scoped(attendees="registration__event__organisation")

    class Meta:
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist entries")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "block"], name="one_waitlist_entry_per_block"
            ),
        ]

    def __str__(self):
        return f"{self.registration.name} → {self.workshop}"


class Ranking(models.Model):
    """One workshop a member ranked, by preference: ``rank`` 1 is their first choice in the block.

    Written only by ``registrations.draws``; read by the draw when the ranking closes.
    """

    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,
        related_name="rankings",
        verbose_name=_("registration"),
    )
    block = models.ForeignKey(
        WorkshopBlock, on_delete=models.CASCADE, related_name="+", verbose_name=_("block")
    )
    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="rankings", verbose_name=_("workshop")
    )
    rank = models.PositiveSmallIntegerField(_("rank"))

    objects = scoped(attendees="registration__event__organisation")

    class Meta:
        verbose_name = _("ranked workshop")
        verbose_name_plural = _("ranked workshops")
        ordering = ["registration", "block", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "workshop"], name="ranking_workshop_once"
            ),
            models.UniqueConstraint(
                fields=["registration", "block", "rank"], name="ranking_rank_once_per_block"
            ),
            models.CheckConstraint(condition=Q(rank__gte=1), name="ranking_rank_positive"),
        ]

    def __str__(self):
        return f"{self.rank}. {self.workshop}"


class AllocationRun(models.Model):
    """The draw of an event, as it was held: enough to show anyone it was fair and repeatable.

    The same rankings, seats and ``seed`` given to ``allocation.draw`` (whose
    ``method`` is recorded) give the same result. One per event: the database
    refuses a second.
    """

    event = models.OneToOneField(
        Event, on_delete=models.PROTECT, related_name="allocation_run", verbose_name=_("event")
    )
    seed = models.BigIntegerField(_("lottery seed"))
    method = models.TextField(_("method"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("run by"),
    )
    username = models.CharField(
        _("run by"), max_length=150, blank=True, help_text=_("Empty: the scheduled draw.")
    )
    ranked_count = models.PositiveIntegerField(_("members in the draw"))
    placed_count = models.PositiveIntegerField(_("placed"))
    waitlisted_count = models.PositiveIntegerField(_("on the waitlist"))
    inputs = models.JSONField(
        _("input"),
        help_text=_("The seats free in each workshop and every member's ranking, by id."),
    )
    weights = models.JSONField(
        _("weights"), help_text=_("Each member's weight in each block, by registration id.")
    )
    lottery = models.JSONField(_("lottery order"), help_text=_("Registration ids, as drawn."))
    statistics = models.JSONField(_("statistics"))
    created_at = models.DateTimeField(_("held"), auto_now_add=True)

    objects = scoped(attendees="event__organisation")

    class Meta:
        verbose_name = _("draw")
        verbose_name_plural = _("draws")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.event} ({timezone.localtime(self.created_at):%Y-%m-%d %H:%M})"


class ExportRecord(models.Model):
    """One attendee list taken out of the system: who, which list, when, how, how many rows.

    Written when the export starts; ``row_count`` is filled in when the last
    row has been sent, so an empty count marks a download that never finished.
    """

    class Kind(models.TextChoices):
        ATTENDEES = "attendees", _("Attendee list")
        SELECTION = "selection", _("Selected registrations")
        ROOM_LIST = "room_list", _("Room list of a workshop")
        CATERING = "catering", _("Catering")
        INVOICING = "invoicing", _("Invoicing")
        DRAW = "draw", _("Draw: demand and choices")
        ROOM_LISTS = "room_lists", _("All room lists of an event")

    class Format(models.TextChoices):
        CSV = "csv", _("CSV for Excel (semicolon)")
        CSV_COMMA = "csv_comma", _("CSV (comma)")
        XLSX = "xlsx", _("Excel workbook (.xlsx)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("user"),
    )
    username = models.CharField(_("username"), max_length=150)
    kind = models.CharField(_("list"), max_length=12, choices=Kind.choices)
    format = models.CharField(_("format"), max_length=12, choices=Format.choices)
    event = models.ForeignKey(
        Event,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("event"),
    )
    workshop = models.ForeignKey(
        Workshop,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("workshop"),
    )
    row_count = models.PositiveIntegerField(
        _("rows"), null=True, blank=True, help_text=_("Empty: the download did not finish.")
    )
    created_at = models.DateTimeField(_("exported"), auto_now_add=True, db_index=True)

    objects = scoped(attendees="event__organisation")

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.username}, {timezone.localtime(self.created_at):%Y-%m-%d %H:%M})"


# Questions per event ----------------------------------------------------------------------

# The standard questions an event chooses to ask, and what each asks by default.
# "invoice" stands for the INVOICE part (who pays, EAN/CVR, …), asked on paid events.
INVOICE_QUESTION = "invoice"


class StandardQuestion(models.Model):
    """Whether an event asks one of the standard questions, and whether it must be answered.

    The name and e-mail address are always asked. An event without a row for a
    question asks it as ``DEFAULT_ASK`` says.
    """

    class Field(models.TextChoices):
        MEMBERSHIP_NUMBER = "membership_number", _("Membership number")
        WORKPLACE = "workplace", _("Workplace")
        JOB_TITLE = "job_title", _("Job title")
        SECTOR = "sector", _("Employment")
        PHONE = "phone", _("Phone")
        DIETARY_NEEDS = "dietary_needs", _("Dietary needs")
        INVOICE = INVOICE_QUESTION, _("Invoice details (paid events)")

    class Ask(models.TextChoices):
        NO = "no", _("Not asked")
        OPTIONAL = "optional", _("Optional")
        REQUIRED = "required", _("Required")

    event = models.ForeignKey(
        Event,
        on_delete=models.CASCADE,
        related_name="standard_questions",
        verbose_name=_("event"),
    )
    field = models.CharField(_("question"), max_length=20, choices=Field.choices)
    ask = models.CharField(_("asked"), max_length=10, choices=Ask.choices)

    objects = scoped(organisation="event__organisation")

    class Meta:
        verbose_name = _("standard question")
        verbose_name_plural = _("standard questions")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "field"], name="one_row_per_standard_question")
        ]

    def __str__(self):
        return f"{self.get_field_display()}: {self.get_ask_display()}"


DEFAULT_ASK = {
    StandardQuestion.Field.MEMBERSHIP_NUMBER: StandardQuestion.Ask.OPTIONAL,
    StandardQuestion.Field.WORKPLACE: StandardQuestion.Ask.REQUIRED,
    StandardQuestion.Field.JOB_TITLE: StandardQuestion.Ask.REQUIRED,
    StandardQuestion.Field.SECTOR: StandardQuestion.Ask.REQUIRED,
    StandardQuestion.Field.PHONE: StandardQuestion.Ask.OPTIONAL,
    StandardQuestion.Field.DIETARY_NEEDS: StandardQuestion.Ask.OPTIONAL,
    StandardQuestion.Field.INVOICE: StandardQuestion.Ask.REQUIRED,
}


class Question(models.Model):
    """A question of the event's own, asked on its registration form after the standard ones."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Short text")
        LONG_TEXT = "long_text", _("Long text")
        CHOICE = "choice", _("One of several choices")
        CHOICES = "choices", _("Several choices")
        YES_NO = "yes_no", _("Yes or no")

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="questions", verbose_name=_("event")
    )
    label = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("help text"), max_length=500, blank=True)
    kind = models.CharField(_("kind of answer"), max_length=10, choices=Kind.choices)
    choices = models.TextField(
        _("choices"),
        blank=True,
        help_text=_("For the kinds with choices: one choice per line, in the order shown."),
    )
    required = models.BooleanField(_("must be answered"), default=False)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = scoped(organisation="event__organisation")

    class Meta:
        verbose_name = _("question of the event's own")
        verbose_name_plural = _("questions of the event's own")
        ordering = ["position", "pk"]

    def __str__(self):
        return self.label

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]

    @property
    def has_choices(self) -> bool:
        return self.kind in {self.Kind.CHOICE, self.Kind.CHOICES}


class Answer(models.Model):
    """An attendee's answer to a question of the event's own; several choices one per line."""

    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,
        related_name="answers",
        verbose_name=_("registration"),
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="answers", verbose_name=_("question")
    )
    value = models.TextField(_("answer"), max_length=5000)

    objects = scoped(attendees="registration__event__organisation")

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["question__position", "question__pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "question"], name="one_answer_per_question"
            )
        ]

    def __str__(self):
        return self.shown

    @property
    def shown(self) -> str:
        """The answer as a person reads it: choices joined, yes/no in words."""
        if self.question.kind == Question.Kind.YES_NO:
            return str(_("Yes") if self.value == "yes" else _("No"))
        return ", ".join(self.value.splitlines())


class OutgoingEmail(models.Model):
    """One e-mail to an attendee, written in the same transaction as the change it reports.

    The outbox of ``registrations.outbox``: the mail worker claims due rows,
    renders the mail from the registration as it is then, and sends it under
    the row's ``message_id``, the same at every try. The row holds no personal
    data (no address, no text of the mail, no error message of the server:
    only its reply code); the rows of an attendee go when they are anonymised,
    and finished rows are pruned after ``EMAIL_OUTBOX_KEEP_DAYS``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        REFUSED = "refused", _("Refused by the mail server")
        FAILED = "failed", _("Not delivered after every try")
        UNCERTAIN = "uncertain", _("No answer from the mail server after every try")
        DROPPED = "dropped", _("No longer due")

    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,
        related_name="outgoing_emails",
        verbose_name=_("registration"),
    )
    kind = models.CharField(_("kind of e-mail"), max_length=20)
    message_id = models.CharField(_("Message-ID"), max_length=200, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("queued"), default=timezone.now)
    # The next try, or the end of the lease of the worker trying now: a row
    # whose worker died is due again when the lease runs out.
    due_at = models.DateTimeField(_("due"), default=timezone.now)
    attempts = models.PositiveSmallIntegerField(_("tries"), default=0)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=Q(status="pending"),
                name="outgoing_email_due",
            )
        ]

    def __str__(self):
        return self.message_id
