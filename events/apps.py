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


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("Programme")

    def ready(self):
        from . import triggers

        # The database's own guards of the programme (events/triggers.py), around every migrate.
        pre_migrate.connect(_drop_triggers, sender=self, dispatch_uid="events_drop_triggers")
        post_migrate.connect(_install_triggers, sender=self, dispatch_uid="events_install_triggers")
        checks.register(triggers.check, checks.Tags.database)
