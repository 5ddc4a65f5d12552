from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class FagdagConfig(AppConfig):
    """The project package as an app: its system checks and templates of site-wide pages."""

    name = "fagdag"

    def ready(self):
        from . import checks  # noqa: F401 (registers the checks)


class FagdagAdminConfig(AdminConfig):
    default_site = "fagdag.admin.FagdagAdminSite"
