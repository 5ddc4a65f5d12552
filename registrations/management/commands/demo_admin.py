"""Create or reset the demo superuser ``admin`` and print its login.

For development only (``make run``): each run gives the user a fresh random
password, so no password is ever written down in the repository.
"""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

USERNAME = "admin"


class Command(BaseCommand):
    help = "Create or reset the superuser 'admin' with a new random password and print the login (DEBUG only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            # A production site must never get a superuser whose password
            # ends up in a terminal log.
            raise CommandError("demo_admin is for development only: run it with DEBUG=1.")
        password = secrets.token_urlsafe(12)
        user_model = get_user_model()
        user, _created = user_model.objects.get_or_create(
            **{user_model.USERNAME_FIELD: USERNAME},
            defaults={"email": "admin@fagdag.invalid"},
        )
        user.is_active = True
        user.is_staff = True
        user.is_superuser = True
        user.set_password(password)
        user.save()
        admin_url = f"{settings.SITE_URL.rstrip('/')}/admin/"
        self.stdout.write(f"Admin: {admin_url}  user: {USERNAME}  password: {password}")
