"""The admin site: with ``ADMIN_REQUIRE_2FA``, staff log in with a password and a one-time code.

The setting is read on every request, so one site class serves both modes:
on (the default in production), the login form asks for the code of the
user's OTP device (django-otp: an authenticator app's TOTP device, or a
static emergency token) and only a verified session counts as staff; off (the
default in development and tests), it is Django's own admin login.

The login asks for username, password and code at once and answers every
failure alike (``TwoFactorLoginForm``): django-otp's own form asks for the
device after a correct password, which tells a guesser the password was right.
"""

from django import forms
from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user
from django_otp.admin import OTPAdminSite
from django_otp.forms import otp_verification_failed
from django_otp.plugins.otp_totp.models import TOTPDevice


class OneTimeCodeInput(forms.TextInput):
    """A code is never written back into the page: a refused login shows an empty field."""

    def format_value(self, value):
        return None


class TwoFactorLoginForm(AdminAuthenticationForm):
    """Username, password and code in one step; a wrong password and a wrong code look alike.

    The code is tried on the devices it can belong to: a code of as many digits
    as an authenticator app's on its TOTP devices, any other on the rest (the
    emergency codes), so a login with one kind does not count as a failure
    against the other. A right password with a wrong or missing code is a
    failed login for django-axes too (``user_login_failed``), so guessing codes
    meets the same lockout as guessing passwords.
    """

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _(
            "Please enter the correct username, password and code for a staff account. "
            "Note that the username and password may be case-sensitive."
        ),
    }
    otp_token = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=32,
        required=False,  # a missing code is refused as a wrong one: the same answer
        widget=OneTimeCodeInput(attrs={"autocomplete": "one-time-code"}),
    )

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        token = (self.cleaned_data.get("otp_token") or "").strip().replace(" ", "")
        if not (username and password):
            return self.cleaned_data
        user = authenticate(self.request, username=username, password=password)
        device = self._verified_device(user, token) if user is not None and token else None
        if device is None:
            if user is not None:
                user_login_failed.send(
                    sender=__name__, credentials={"username": username}, request=self.request
                )
            raise self.get_invalid_login_error()
        user.otp_device = device  # django-otp marks the session verified on login
        self.user_cache = user
        self.confirm_login_allowed(user)
        return self.cleaned_data

    def _verified_device(self, user, token: str):
        with transaction.atomic():
            for device in devices_for_user(user, for_verify=True):
                is_totp = isinstance(device, TOTPDevice)
                if is_totp != (token.isdigit() and len(token) == getattr(device, "digits", 0)):
                    continue
                if not device.verify_is_allowed()[0]:
                    continue
                if device.verify_token(token):
                    return device
                otp_verification_failed.send(sender=self.__class__, user=user)
        return None


class FagdagAdminSite(OTPAdminSite):
    def __init__(self, name="admin"):
        super().__init__(name)

    @property
    def login_form(self):
        return TwoFactorLoginForm if settings.ADMIN_REQUIRE_2FA else None

    @property
    def login_template(self):
        return "admin/login_2fa.html" if settings.ADMIN_REQUIRE_2FA else None

    def has_permission(self, request):
        if settings.ADMIN_REQUIRE_2FA:
            return super().has_permission(request)
        return AdminSite.has_permission(self, request)

    def get_urls(self):
        return [
            path(
                "r/<int:content_type_id>/<path:object_id>/",
                self.admin_view(self.view_on_site),
                name="view_on_site",
            ),
            *(url for url in super().get_urls() if getattr(url, "name", None) != "view_on_site"),
        ]

    def view_on_site(self, request, content_type_id, object_id):
        """ "View on site", found through the model's default manager, so in the user's scope
        of organisations (django-scopes): another organisation's object, or one without a
        page of its own, is a 404 like an object that does not exist. (Django's own view
        looks it up unscoped and would tell that it exists, and where.)"""
        content_type = ContentType.objects.filter(pk=content_type_id).first()
        model = content_type.model_class() if content_type else None
        if model is None or not hasattr(model, "get_absolute_url"):
            raise Http404
        obj = model._default_manager.filter(pk=object_id).first() if object_id.isdigit() else None
        if obj is None:
            raise Http404
        return HttpResponseRedirect(obj.get_absolute_url())
