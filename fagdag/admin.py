"""The admin site: with ``ADMIN_REQUIRE_2FA``, staff log in with a password and a one-time code.

The setting is read on every request, so one site class serves both modes:
on (the default in production), the login form asks for the code of the
user's OTP device (django-otp: an authenticator app's TOTP device, or a
static emergency token) and only a verified session counts as staff; off (the
default in development and tests), it is Django's own admin login.
"""

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.contenttypes.models import ContentType
from django.http import Http404, HttpResponseRedirect
from django.urls import path
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
