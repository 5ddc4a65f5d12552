"""The programme: events, their days, plenary sessions, workshop blocks and workshops.

Programme times are wall-clock times at the venue: each item has a ``day`` and
a start and end time of that day, shown as the seeds show them ("09.30–10.45").
Aware datetimes (Europe/Copenhagen) are derived from them (``starts_at``) for
calendars and comparisons. Storing the day lets the database itself refuse an
item outside its event's days (triggers, see events/triggers.py).
"""

import datetime
import pathlib
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from .materials import material_path, materials_storage, validate_material_file

VENUE_TZ = ZoneInfo(settings.TIME_ZONE)


class OrganisationQuerySet(models.QuerySet):
    def of(self, user):
        """The organisations ``user`` has a role in; every one for a superuser."""
        if user.is_superuser:
            return self
        return self.filter(memberships__user=user).distinct()


class Organisation(models.Model):
    """Who holds events: a union's region, the union nationally, a municipal body.

    It owns its events and its speakers; its people work on them in the admin
    with a role (``Membership``) and see nothing of another organisation's
    (django-scopes, see ``organisation_scopes``). It is the controller of its
    attendees' personal data, named on its events' privacy pages, and the
    sender of its events' e-mails.
    """

    name = models.CharField(_("name"), max_length=200, unique=True)
    short_name = models.CharField(
        _("short name"), max_length=50, blank=True, help_text=_("E.g. DS Region Øst.")
    )
    contact_email = models.EmailField(_("contact e-mail"))
    privacy_controller = models.CharField(
        _("data controller"),
        max_length=300,
        help_text=_(
            "Who is responsible for the attendees' personal data, as the privacy page names "
            "them: name, address, CVR number."
        ),
    )
    privacy_email = models.EmailField(
        _("privacy contact e-mail"),
        blank=True,
        help_text=_("Where attendees ask about their data. Empty: the contact e-mail."),
    )
    sender_name = models.CharField(
        _("sender name of e-mails"),
        max_length=100,
        blank=True,
        help_text=_("The name attendees see as the sender. Empty: the organisation's name."),
    )
    reply_to = models.EmailField(
        _("reply-to address of e-mails"),
        blank=True,
        help_text=_("Where attendees' replies go. Empty: each event's contact e-mail."),
    )
    membership_number_label = models.CharField(
        _("label of the membership number"),
        max_length=100,
        blank=True,
        help_text=_("E.g. Medlemsnummer i DS. Empty: “Membership number”."),
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """A person's role in an organisation: what they see and do of its events in the admin."""

    class Role(models.TextChoices):
        PROGRAMME_EDITOR = "programme_editor", _("Programme editor")
        ORGANISER = "organiser", _("Organiser")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    role = models.CharField(
        _("role"),
        max_length=20,
        choices=Role.choices,
        help_text=_(
            "Programme editor: builds the organisation's programmes, sees no attendees. "
            "Organiser: also sees and handles the registrations and takes the attendee lists."
        ),
    )

    class Meta:
        verbose_name = _("member of the organisation")
        verbose_name_plural = _("members of the organisation")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], name="one_role_per_organisation"
            )
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()}, {self.organisation})"


def organisation_scopes(user) -> dict[str, list[int]]:
    """The organisations whose data ``user`` may see, per scope (django-scopes):
    ``organisation``, their programmes (any role), and ``attendees``, their
    registrations (organisers)."""
    roles = list(Membership.objects.filter(user=user).values_list("organisation_id", "role"))
    return {
        "organisation": sorted({organisation for organisation, _role in roles}),
        "attendees": sorted(
            {organisation for organisation, role in roles if role == Membership.Role.ORGANISER}
        ),
    }


class EventQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Event.Status.PUBLISHED)

    def upcoming(self):
        return self.filter(last_day__gte=timezone.localdate())

    def public(self):
        """Events whose page members may see: published or cancelled (to tell them so)."""
        return self.filter(status__in=Event.PUBLIC_STATUSES)

    def with_programme_version(self):
        """Each event with ``programme_version``: its ``ProgrammeVersion.number``, None
        while its programme has not changed since the triggers were installed."""
        return self.annotate(
            programme_version=models.Subquery(
                ProgrammeVersion.objects.filter(event_id=models.OuterRef("pk")).values("number")
            )
        )


def scoped(queryset_class=models.QuerySet, **scopes):
    """The default manager of a model of an organisation (django-scopes): every query
    through it is limited to the organisations of the active scope, and raises
    ``ScopeError`` where no scope is active; ``django_scopes.scopes_disabled()``
    for the public site, tasks and commands."""
    return ScopedManager(_manager_class=models.Manager.from_queryset(queryset_class), **scopes)


class Event(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CANCELLED = "cancelled", _("Cancelled")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(
        _("web address"),
        max_length=100,
        unique=True,
        help_text=_("The last part of the event's address, e.g. faglig-faellesskabsdag-2026."),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("organisation"),
        help_text=_("Who holds the event: its people run it, and it controls the attendees' data."),
    )
    summary = models.TextField(
        _("summary"), max_length=600, help_text=_("A few lines shown in the list of events.")
    )
    description = models.TextField(_("description"), blank=True)
    organiser = models.CharField(
        _("organiser"),
        max_length=200,
        help_text=_("Who holds the event, e.g. Dansk Socialrådgiverforening, Region Øst."),
    )
    contact_name = models.CharField(_("contact person"), max_length=200)
    contact_email = models.EmailField(_("contact e-mail"))
    is_online = models.BooleanField(
        _("online event"),
        default=False,
        help_text=_("Held online; workshops then have a link that only attendees see."),
    )
    venue = models.CharField(
        _("venue"), max_length=200, blank=True, help_text=_("Name of the place. Empty when online.")
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(
        _("last day"),
        blank=True,
        help_text=_("Leave it empty for a one-day event: it is then the first day."),
    )
    registration_opens = models.DateTimeField(_("registration opens"), null=True, blank=True)
    registration_closes = models.DateTimeField(_("registration closes"), null=True, blank=True)

    class SeatAllocation(models.TextChoices):
        FIRST_COME = "first_come", _("First come, first served")
        PREFERENCES = "preferences", _("By preference: members rank the workshops, then a draw")

    seat_allocation = models.CharField(
        _("how seats are given"),
        max_length=12,
        choices=SeatAllocation.choices,
        default=SeatAllocation.FIRST_COME,
        help_text=_(
            "By preference: from when registration opens until the ranking closes, members "
            "rank the workshops of each block; then one draw gives everyone a workshop per "
            "block as well as the seats allow, and the seats left go first come until "
            "registration closes."
        ),
    )
    preferences_close = models.DateTimeField(
        _("ranking closes and the draw runs"),
        null=True,
        blank=True,
        help_text=_("By preference only: the end of the window for ranking; the draw runs then."),
    )
    drawn_at = models.DateTimeField(
        _("draw held"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the draw gave the seats (by preference only)."),
    )
    attendee_limit = models.PositiveIntegerField(
        _("attendee limit"),
        null=True,
        blank=True,
        help_text=_(
            "The most attendees the event takes in all. Empty: only the workshops' seats limit it."
        ),
    )
    price = models.DecimalField(
        _("price (DKK)"),
        max_digits=8,
        decimal_places=2,
        default=0,
        help_text=_("0 for a free event; above 0, attendees give invoice details."),
    )
    changes_close = models.DateTimeField(
        _("changes and cancellations close"),
        null=True,
        blank=True,
        help_text=_(
            "After this, attendees can no longer change workshops or cancel through their "
            "personal link and are asked to contact you. Empty: when the event begins."
        ),
    )
    practical_information = models.TextField(
        _("practical information"),
        blank=True,
        help_text=_("Sent in the confirmation e-mail: how to get there, what to bring, …"),
    )
    catering = models.CharField(
        _("catering"),
        max_length=300,
        blank=True,
        help_text=_(
            "What the day offers to eat, shown with the question about dietary needs, e.g. "
            "“Dagen byder på morgenbrød, frokost og kage.” Empty for none."
        ),
    )
    online_link = models.URLField(
        _("online link of the plenary sessions"),
        blank=True,
        help_text=_(
            "Where attendees follow the plenary sessions online (a meeting or a stream). "
            "Only attendees see it, from the moment set below."
        ),
    )
    online_links_days_before = models.PositiveSmallIntegerField(
        _("online links shown (days before)"),
        default=7,
        help_text=_(
            "How many days before the first day the attendees get the online links (of the "
            "plenary sessions and of their workshops) by e-mail, on their personal page and in "
            "their calendar file. Until then they are told when the links come."
        ),
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=Status.choices,
        default=Status.DRAFT,
        help_text=_("Only published events are shown to members."),
    )
    materials_from = models.DateTimeField(
        _("materials shown from"),
        null=True,
        blank=True,
        help_text=_(
            "From this time attendees see the workshops' and plenary sessions' materials on "
            "their personal page and get one e-mail saying they are ready. Empty: not shown yet."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = scoped(EventQuerySet, organisation="organisation")

    PUBLIC_STATUSES = (Status.PUBLISHED, Status.CANCELLED)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["first_day", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_day__gte=models.F("first_day")),
                name="event_last_day_not_before_first_day",
                violation_error_message=_("The last day cannot be before the first day."),
            ),
            models.CheckConstraint(
                condition=Q(registration_opens__isnull=True)
                | Q(registration_closes__isnull=True)
                | Q(registration_closes__gt=models.F("registration_opens")),
                name="event_registration_closes_after_opens",
                violation_error_message=_("Registration must close after it opens."),
            ),
            models.CheckConstraint(
                condition=Q(seat_allocation="first_come") | Q(preferences_close__isnull=False),
                name="event_preferences_need_closing_time",
                violation_error_message=_(
                    "Give the time the ranking closes, when seats are given by preference."
                ),
            ),
            models.CheckConstraint(
                condition=Q(preferences_close__isnull=True)
                | Q(registration_opens__isnull=True)
                | Q(preferences_close__gt=models.F("registration_opens")),
                name="event_preferences_close_after_opening",
                violation_error_message=_("The ranking must close after registration opens."),
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0),
                name="event_price_not_negative",
                violation_error_message=_("The price cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(attendee_limit__isnull=True) | Q(attendee_limit__gt=0),
                name="event_attendee_limit_positive",
                violation_error_message=_("The attendee limit must be at least 1."),
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.default_last_day()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("events:detail", kwargs={"slug": self.slug})

    def clean(self):
        super().clean()
        self.default_last_day()

    def default_last_day(self) -> None:
        """A one-day event needs no last day: without one, it is the first day."""
        if self.last_day is None and self.first_day is not None:
            self.last_day = self.first_day

    def materials_are_shown(self, now: datetime.datetime | None = None) -> bool:
        """Whether attendees see the materials now (from ``materials_from``)."""
        return self.materials_from is not None and (now or timezone.now()) >= self.materials_from

    @property
    def is_free(self) -> bool:
        return self.price == 0

    @property
    def days(self) -> list[datetime.date]:
        count = (self.last_day - self.first_day).days + 1
        return [self.first_day + datetime.timedelta(days=n) for n in range(count)]

    class RegistrationState(models.TextChoices):
        NOT_YET_OPEN = "not_yet_open", _("Registration has not opened yet")
        OPEN = "open", _("Registration is open")
        CLOSED = "closed", _("Registration is closed")
        CANCELLED = "cancelled", _("The event is cancelled")
        NOT_PUBLISHED = "not_published", _("The event is not published")

    def registration_state(self, now: datetime.datetime | None = None) -> str:
        return self.registration_state_of(
            status=self.status,
            registration_opens=self.registration_opens,
            registration_closes=self.registration_closes,
            first_day=self.first_day,
            now=now,
        )

    @classmethod
    def registration_state_of(
        cls,
        *,
        status: str,
        registration_opens: datetime.datetime | None,
        registration_closes: datetime.datetime | None,
        first_day: datetime.date,
        now: datetime.datetime | None = None,
    ) -> str:
        """The registration state of an event with these columns (also for a bare row:
        events.event_list_page reads rows, not models, to know its kept page is current)."""
        now = now or timezone.now()
        if status == cls.Status.CANCELLED:
            return cls.RegistrationState.CANCELLED
        if status != cls.Status.PUBLISHED:
            return cls.RegistrationState.NOT_PUBLISHED
        if registration_opens and now < registration_opens:
            return cls.RegistrationState.NOT_YET_OPEN
        closes = registration_closes or datetime.datetime.combine(
            first_day, datetime.time.min, tzinfo=VENUE_TZ
        )
        if now >= closes:
            return cls.RegistrationState.CLOSED
        return cls.RegistrationState.OPEN

    @property
    def allocates_by_preference(self) -> bool:
        return self.seat_allocation == self.SeatAllocation.PREFERENCES

    @property
    def awaits_draw(self) -> bool:
        """By preference, and the draw has not given the seats yet."""
        return self.allocates_by_preference and self.drawn_at is None

    def ranking_is_open(self, now: datetime.datetime | None = None) -> bool:
        """Whether members may rank workshops (register, or change their ranking) now."""
        now = now or timezone.now()
        return (
            self.awaits_draw
            and self.registration_state(now) == self.RegistrationState.OPEN
            and now < self.preferences_close
        )

    def draw_is_due(self, now: datetime.datetime | None = None) -> bool:
        """The ranking has closed and the draw has not run: the scheduled draw's to do."""
        now = now or timezone.now()
        return (
            self.awaits_draw
            and self.status == self.Status.PUBLISHED
            and self.preferences_close is not None
            and now >= self.preferences_close
        )

    @property
    def registration_is_open(self) -> bool:
        return self.registration_state() == self.RegistrationState.OPEN

    @property
    def starts_at(self) -> datetime.datetime:
        return datetime.datetime.combine(self.first_day, datetime.time.min, tzinfo=VENUE_TZ)

    @property
    def online_links_from(self) -> datetime.datetime:
        """From when attendees see the online links: midnight, venue time, the chosen number
        of days (``online_links_days_before``) before the first day."""
        day = self.first_day - datetime.timedelta(days=self.online_links_days_before)
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=VENUE_TZ)

    def online_links_shown(self, now: datetime.datetime | None = None) -> bool:
        """Whether the online links may be shown and sent to attendees at ``now``."""
        return (now or timezone.now()) >= self.online_links_from

    def changes_are_open(self, now: datetime.datetime | None = None) -> bool:
        """Whether attendees may still change workshops or cancel themselves."""
        now = now or timezone.now()
        return self.status == self.Status.PUBLISHED and now < (self.changes_close or self.starts_at)


class Speaker(models.Model):
    owner = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="speakers",
        verbose_name=_("organisation"),
        help_text=_("The organisation whose events the speaker is part of."),
    )
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(
        _("role or title"),
        max_length=200,
        blank=True,
        help_text=_("E.g. sociolog og lektor emeritus."),
    )
    organisation = models.CharField(
        _("organisation"), max_length=200, blank=True, help_text=_("E.g. Aalborg Universitet.")
    )

    objects = scoped(organisation="owner")

    class Meta:
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")
        ordering = ["name"]

    def __str__(self):
        return self.label(self.name, self.role, self.organisation)

    @staticmethod
    def label(name: str, role: str, organisation: str) -> str:
        """ "Navn, rolle, organisation", leaving out what is empty."""
        return ", ".join(part for part in (name, role, organisation) if part)


class TimedItem(models.Model):
    """Something on one day of the programme, from one time to a later one."""

    is_workshop_block = False

    day = models.DateField(_("day"))
    starts = models.TimeField(_("starts"))
    ends = models.TimeField(_("ends"))

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        # The event may be a new, unsaved one (an admin add form): use the cached object.
        event = self.event if self.event_id or "event" in self._state.fields_cache else None
        if event and self.day and not (event.first_day <= self.day <= event.last_day):
            raise ValidationError(
                {
                    "day": _("The day must be one of the event's days (%(first)s–%(last)s).")
                    % {"first": date_format(event.first_day), "last": date_format(event.last_day)}
                }
            )

    @property
    def starts_at(self) -> datetime.datetime:
        return datetime.datetime.combine(self.day, self.starts, tzinfo=VENUE_TZ)

    @property
    def ends_at(self) -> datetime.datetime:
        return datetime.datetime.combine(self.day, self.ends, tzinfo=VENUE_TZ)


def ends_after_starts(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(ends__gt=models.F("starts")),
        name=name,
        violation_error_message=_("The end must be after the start."),
    )


class WorkshopBlock(TimedItem):
    """One time slot of the programme in which several workshops run in parallel."""

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="blocks", verbose_name=_("event")
    )
    title = models.CharField(_("title"), max_length=200, help_text=_("E.g. Workshops, blok 1."))

    is_workshop_block = True

    objects = scoped(organisation="event__organisation")

    class Meta:
        verbose_name = _("workshop block")
        verbose_name_plural = _("workshop blocks")
        ordering = ["day", "starts", "pk"]
        constraints = [ends_after_starts("block_ends_after_starts")]

    def __str__(self):
        return f"{self.title} ({self.starts:%H.%M}–{self.ends:%H.%M})"

    @property
    def is_fully_booked(self) -> bool:
        """No free seat in any of the block's workshops (from ``blocks_with_workshops``)."""
        workshops = self.workshop_list
        return bool(workshops) and all(workshop.is_full for workshop in workshops)


class Session(TimedItem):
    """A plenary item of the programme: arrival, a meal, a keynote, a break …"""

    class Kind(models.TextChoices):
        ARRIVAL = "arrival", _("Arrival")
        MEAL = "meal", _("Meal")
        BREAK = "break", _("Break")
        WELCOME = "welcome", _("Welcome")
        KEYNOTE = "keynote", _("Keynote")
        TALK = "talk", _("Talk")
        CLOSING = "closing", _("Closing")

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("event")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.TALK)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    speakers = models.ManyToManyField(
        Speaker, through="SessionSpeaker", related_name="sessions", verbose_name=_("speakers")
    )

    objects = scoped(organisation="event__organisation")

    class Meta:
        verbose_name = _("plenary session")
        verbose_name_plural = _("plenary sessions")
        ordering = ["day", "starts", "pk"]
        constraints = [ends_after_starts("session_ends_after_starts")]

    def __str__(self):
        return f"{self.starts:%H.%M}–{self.ends:%H.%M} {self.title}"


class Workshop(models.Model):
    """A workshop inside a block, with a limited number of seats."""

    block = models.ForeignKey(
        WorkshopBlock,
        on_delete=models.CASCADE,
        related_name="workshops",
        verbose_name=_("workshop block"),
    )
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    capacity = models.PositiveIntegerField(_("seats"), help_text=_("How many can attend."))
    room = models.CharField(_("room"), max_length=200, blank=True)
    online_link = models.URLField(
        _("online link"),
        blank=True,
        help_text=_("Link to the break-out room; only shown to attendees of the workshop."),
    )
    theme = models.CharField(
        _("theme"),
        max_length=100,
        blank=True,
        help_text=_("E.g. børn/familie, beskæftigelse, udsatte, forskning, profession."),
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    speakers = models.ManyToManyField(
        Speaker, through="WorkshopSpeaker", related_name="workshops", verbose_name=_("speakers")
    )
    # The number of the workshop's seats (registrations_seat rows), kept by the
    # database itself: triggers on the seat table count every insert, delete
    # and move (events/triggers.py), and a constraint refuses a count above the
    # capacity. The seat rows stay the truth; this saves counting them for
    # every page. The app never writes it (``save`` leaves it out).
    seats_taken = models.PositiveIntegerField(_("seats taken"), default=0, editable=False)

    objects = scoped(organisation="block__event__organisation")

    class Meta:
        verbose_name = _("workshop")
        verbose_name_plural = _("workshops")
        ordering = ["block", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__gt=0),
                name="workshop_capacity_positive",
                violation_error_message=_("A workshop needs at least one seat."),
            ),
            models.CheckConstraint(
                condition=Q(seats_taken__lte=models.F("capacity")),
                name="workshop_seats_within_capacity",
                violation_error_message=_("A workshop cannot hold more seats than its capacity."),
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        """Save everything but ``seats_taken``, which only the database's triggers write."""
        if self._state.adding:
            self.seats_taken = 0  # a new workshop (or a copy) holds no seats yet
        elif kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "seats_taken"
            ]
        super().save(*args, **kwargs)

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)

    @property
    def is_full(self) -> bool:
        return self.seats_left == 0


class SpeakerLink(models.Model):
    class Role(models.TextChoices):
        SPEAKER = "speaker", _("Speaker")
        FACILITATOR = "facilitator", _("Facilitator")

    speaker = models.ForeignKey(Speaker, on_delete=models.PROTECT, verbose_name=_("speaker"))
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.SPEAKER)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        abstract = True
        ordering = ["position", "pk"]

    def __str__(self):
        return f"{self.speaker} ({self.get_role_display()})"


class SessionSpeaker(SpeakerLink):
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="speaker_links", verbose_name=_("session")
    )

    objects = scoped(organisation="session__event__organisation")

    class Meta(SpeakerLink.Meta):
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")
        constraints = [
            models.UniqueConstraint(fields=["session", "speaker"], name="session_speaker_once")
        ]


class WorkshopSpeaker(SpeakerLink):
    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="speaker_links", verbose_name=_("workshop")
    )

    objects = scoped(organisation="workshop__block__event__organisation")

    class Meta(SpeakerLink.Meta):
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")
        constraints = [
            models.UniqueConstraint(fields=["workshop", "speaker"], name="workshop_speaker_once")
        ]


class Material(models.Model):
    """A file (PDF, PowerPoint, Word) or a link handed to the attendees after the event (seed 003).

    It belongs to a workshop (for the attendees who hold a seat in it), to a
    plenary session, or to the event as a whole (both for every confirmed
    attendee), and is shown from the event's ``materials_from``. A file is
    kept in the materials storage under a random name (``events.materials``)
    and served only by views that check who asks; ``original_name`` is the
    name it was uploaded with. Removed with the event's retention
    (``services.delete_materials``).
    """

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="materials", verbose_name=_("event")
    )
    workshop = models.ForeignKey(
        Workshop,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="materials",
        verbose_name=_("workshop"),
        help_text=_("Empty, and no plenary session: for every attendee of the event."),
    )
    session = models.ForeignKey(
        Session,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="materials",
        verbose_name=_("plenary session"),
    )
    title = models.CharField(
        _("title"),
        max_length=300,
        blank=True,
        help_text=_("What attendees see, e.g. Slides. Empty: the file's name or the link."),
    )
    file = models.FileField(
        _("file"),
        upload_to=material_path,
        storage=materials_storage,
        max_length=200,
        blank=True,
        validators=[validate_material_file],
        help_text=_("PDF, PowerPoint or Word."),
    )
    original_name = models.CharField(_("file name"), max_length=255, blank=True, editable=False)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0, editable=False)
    link = models.URLField(
        _("link"), max_length=1000, blank=True, help_text=_("Instead of a file: a web address.")
    )
    uploaded_by_speaker = models.BooleanField(
        _("uploaded by a speaker"), default=False, editable=False
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    objects = scoped(organisation="event__organisation")

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["workshop", "session", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(workshop__isnull=True) | Q(session__isnull=True),
                name="material_of_workshop_or_session",
                violation_error_message=_(
                    "Material belongs to a workshop or a plenary session, not both."
                ),
            ),
            models.CheckConstraint(
                condition=(Q(file="") & ~Q(link="")) | (~Q(file="") & Q(link="")),
                name="material_file_or_link",
                violation_error_message=_("Give a file or a link (one of them)."),
            ),
        ]

    def __str__(self):
        return self.label

    def save(self, *args, **kwargs):
        self.set_event()
        replaced = ""
        if self.file and not self.file._committed:
            self.original_name = pathlib.PurePath(self.file.name).name[:255]
            self.size = self.file.size
            if self.pk:
                replaced = Material._base_manager.filter(pk=self.pk).values_list("file", flat=True)
                replaced = next(iter(replaced), "")
        elif not self.file:
            self.original_name, self.size = "", 0
        super().save(*args, **kwargs)
        if replaced and replaced != self.file.name:
            storage = self.file.storage
            transaction.on_commit(lambda: storage.delete(replaced))

    @property
    def label(self) -> str:
        return self.title or self.original_name or self.link

    def clean(self):
        super().clean()
        self.set_event()
        for item, event_id in (
            (self.workshop if self.workshop_id else None, "block__event_id"),
            (self.session if self.session_id else None, "event_id"),
        ):
            if item is not None and self.event_id and item.pk:
                of_event = type(item)._base_manager.filter(pk=item.pk, **{event_id: self.event_id})
                if not of_event.exists():
                    raise ValidationError(
                        _("Choose a workshop or plenary session of this event."),
                        code="material_other_event",
                    )

    def set_event(self) -> None:
        """The event of the workshop or session it belongs to."""
        if self.workshop_id and not self.event_id:
            self.event_id = Workshop._base_manager.filter(pk=self.workshop_id).values_list(
                "block__event_id", flat=True
            )[0]
        if self.session_id and not self.event_id:
            self.event_id = self.session.event_id

    def delete(self, *args, **kwargs):
        """The row, and its file once the deletion commits."""
        name = self.file.name if self.file else ""
        result = super().delete(*args, **kwargs)
        if name:
            storage = self.file.storage
            transaction.on_commit(lambda: storage.delete(name))
        return result


class MaterialUploadLink(models.Model):
    """A speaker's way to upload a workshop's materials without a login: a link with a key.

    Only the key's SHA-256 hash is stored (``events.materials``); the
    organiser sees the link once, when it is made, and sends it. Making a new
    link, or revoking it (deleting the row), ends the old one.
    """

    workshop = models.OneToOneField(
        Workshop,
        on_delete=models.CASCADE,
        related_name="upload_link",
        verbose_name=_("workshop"),
    )
    key_hash = models.CharField(_("key (hashed)"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("made"), auto_now=True)

    objects = scoped(organisation="workshop__block__event__organisation")

    class Meta:
        verbose_name = _("upload link for speakers")
        verbose_name_plural = _("upload links for speakers")

    def __str__(self):
        return str(self.workshop)


class ProgrammeVersion(models.Model):
    """How often an event's programme has changed, counted by the database itself.

    Triggers (events/triggers.py) count up ``number`` whenever a row that the
    registration form shows changes: a block, a workshop (but for its seats
    taken), a workshop's speakers, a speaker. The form's pages and programmes
    kept in memory are keyed by it (registrations/form_cache.py), so they
    need no reading of the programme to know it is unchanged.

    No foreign key: the triggers may count for an event being deleted in the
    same transaction; a row left by a deleted event is harmless.
    """

    event_id = models.BigIntegerField(_("event"), primary_key=True)
    number = models.PositiveBigIntegerField(_("changes"), default=0)

    class Meta:
        verbose_name = _("programme version")
        verbose_name_plural = _("programme versions")

    def __str__(self):
        return f"{self.event_id}: {self.number}"
