"""Why a registration or a change of seats is refused: raised by ``services``, shown by the views.

Each carries ``message``, translated to the member's language when shown.
"""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _


class RegistrationError(Exception):
    """A registration that cannot be made; ``message`` says why, in the member's language."""

    message = _("The registration could not be completed.")

    def __str__(self):
        return str(self.message)


class RegistrationClosed(RegistrationError):
    message = _("Registration for this event is not open.")


class EventFull(RegistrationError):
    message = _("The event is fully booked.")


class AlreadyRegistered(RegistrationError):
    """The address has an active registration; ``status`` is what a new one would have had.

    Never shown as such to whoever submitted: the views answer it as they answer
    a new registration (see ``services.register``).
    """

    message = _("This e-mail address is already registered for the event.")

    def __init__(self, status: str | None = None):
        super().__init__()
        self.status = status


class ChangesClosed(RegistrationError):
    message = _("Changes are closed for this event. Please contact the organiser.")


class NotConfirmed(RegistrationError):
    message = _("Only a confirmed registration holds seats that can be moved.")


class NotOnWaitlist(RegistrationError):
    message = _(
        "You are not on that waitlist any more: perhaps you have just been given a seat there."
    )


class WaitlistedRegistration(RegistrationError):
    message = _(
        "While your registration is on the waitlist, you leave it by cancelling your registration."
    )


class InvalidChoices(RegistrationError):
    """The choices are not exactly one workshop of this event in each of its blocks."""

    message = _("Choose exactly one workshop in each block.")

    def __init__(self, errors: Mapping[int, str]):
        super().__init__()
        self.errors = dict(errors)  # block id (0 for unknown blocks) -> message


class WorkshopFull(RegistrationError):
    """One or more chosen workshops had no free seat when the change was committed."""

    message = _("The workshop you chose is fully booked. Please choose another.")

    def __init__(self, workshops, *, seats=None):
        super().__init__()
        self.workshops = list(workshops)
        # The event's seats as just read (``events.selectors.event_seats``), when they
        # were: the form shown again fills them in without reading them once more.
        self.seats = seats

    @property
    def block_ids(self) -> list[int]:
        return [workshop.block_id for workshop in self.workshops]
