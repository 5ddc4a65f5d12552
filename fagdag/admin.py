"""The admin site: with ``ADMIN_REQUIRE_2FA``, staff log in with a password and a one-time code.

The setting is read on every request, so one site class serves both modes:
on (the default in production), the login form asks for the code of the
user's OTP device (django-otp: an authenticator app's TOTP device, or a
static emergency token) and only a verified session counts as staff; off (the
default in development and tests), it is Django's own admin login.
"""

from django.conf import settings
from django.contrib.admin import AdminSite
from django_otp.admin import OTPAdminSite


class FagdagAdminSite(OTPAdminSite):
    def __init__(self, name="admin"):
        super().__init__(name)

    @property
    def login_form(self):
        return OTPAdminSite.login_form if settings.ADMIN_REQUIRE_2FA else None

    @property
    def login_template(self):
        return OTPAdminSite.login_template if settings.ADMIN_REQUIRE_2FA else None

    def has_permission(self, request):
        if settings.ADMIN_REQUIRE_2FA:
            return super().has_permission(request)
        return AdminSite.has_permission(self, request)
