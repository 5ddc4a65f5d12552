from django.apps import AppConfig
from django.core import checks
from django.db import connections
from django.db.models.signals import post_migrate, pre_migrate
from django.utils.translation import gettext_lazy as _


def _drop_triggers(sender, using, **kwargs):
    from . import triggers

    triggers.uninstall(connections[using])


def _install_triggers(sender, using, **kwargs):
    from . import triggers

    triggers.install(connections[using])


class RegistrationsConfig(AppConfig):
    name = "registrations"
    verbose_name = _("Registrations")

    def ready(self):
        from . import triggers

        # The seat invariant's guards in the database (registrations/triggers.py), around
        # every migrate; the system check says when they are missing.
        pre_migrate.connect(_drop_triggers, sender=self, dispatch_uid="seats_drop_triggers")
        post_migrate.connect(_install_triggers, sender=self, dispatch_uid="seats_install_triggers")
        checks.register(triggers.check, checks.Tags.database)
