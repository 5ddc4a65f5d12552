"""Create or reset the demo logins and print them: the superuser ``admin``, and one
organiser per demo organisation.

For development only (``make run``, after ``load_demo``): each run gives every
one of these users a fresh random password, so no password is ever written
down in the repository. An organiser user (``arrangoer-kkr`` and so on) is
staff with the organiser's role in its organisation (``events.Membership``),
so it sees the admin as that organisation's people do: its events and their
registrations, nothing of the others'. Memberships added to it by hand are
kept.
"""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.management.base import BaseCommand, CommandError

from events.models import Membership, Organisation

from ._demo_data import ORGANISATIONS

USERNAME = "admin"


class Command(BaseCommand):
    help = (
        "Create or reset the superuser 'admin' and an organiser user per demo organisation, "
        "each with a new random password, and print the logins (DEBUG only)."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            # A production site must never get a superuser whose password
            # ends up in a terminal log.
            raise CommandError("demo_admin is for development only: run it with DEBUG=1.")
        admin_url = f"{settings.SITE_URL.rstrip('/')}/admin/"
        _user, password = _reset_user(USERNAME, superuser=True)
        self.stdout.write(f"Admin: {admin_url}  user: {USERNAME}  password: {password}")
        for facts in ORGANISATIONS:
            organisation = Organisation.objects.filter(name=facts.name).first()
            if organisation is None:
                self.stderr.write(
                    f"No organisation {facts.name!r}: run manage.py load_demo first "
                    f"for the login of its organiser."
                )
                continue
            user, password = _reset_user(facts.organiser_login, superuser=False)
            Membership.objects.update_or_create(
                user=user,
                organisation=organisation,
                defaults={"role": Membership.Role.ORGANISER},
            )
            self.stdout.write(
                f"Arrangør for {organisation.name}: {admin_url}  "
                f"user: {facts.organiser_login}  password: {password}"
            )


def _reset_user(username: str, *, superuser: bool) -> tuple[AbstractBaseUser, str]:
    """Create the staff user ``username`` or make it active staff again, with a new random
    password: the user and that password."""
    password = secrets.token_urlsafe(12)
    user_model = get_user_model()
    user, _created = user_model.objects.get_or_create(
        **{user_model.USERNAME_FIELD: username},
        defaults={"email": f"{username}@fagdag.invalid"},
    )
    user.is_active = True
    user.is_staff = True
    user.is_superuser = superuser
    user.set_password(password)
    user.save()
    return user, password
