"""Create or update the organisers' role: the group "Arrangører".

An organiser builds and runs events in the admin, and nothing else:

- events, workshop blocks, plenary sessions, workshops, speakers and the
  links between speakers and sessions or workshops: add, change, delete and
  view - the whole programme;
- registrations: view and change, to correct an attendee's details by hand,
  but never delete: a registration is cancelled instead, so that its seats
  are freed through the seat service and the waitlist can move up;
- seats: view only; seats are written by the seat service alone;
- attendee lists: export them (``registrations.export_registrations``): an
  organiser sends the room lists, catering counts and invoicing data on.

Give a person the role in the admin (a superuser does it): Users → the
person → "Staff status" and the group "Arrangører".

The command is idempotent; run it after every deploy. It gives the group
exactly these permissions: what is missing is added, and anything given to
the group by hand beyond them is taken away.
"""

from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

ORGANISER_GROUP = "Arrangører"

ALL = ("add", "change", "delete", "view")
ORGANISER_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "events": {
        "event": ALL,
        "workshopblock": ALL,
        "session": ALL,
        "workshop": ALL,
        "speaker": ALL,
        "sessionspeaker": ALL,
        "workshopspeaker": ALL,
    },
    "registrations": {
        "registration": ("view", "change"),
        "seat": ("view",),
    },
}
# Permissions of their own (``Meta.permissions``), beyond add/change/delete/view.
ORGANISER_EXTRA_PERMISSIONS = ("registrations.export_registrations",)


def organiser_permission_names() -> set[str]:
    """The role's permissions as ``app_label.codename``, as ``User.has_perm`` spells them."""
    return {
        f"{app_label}.{action}_{model}"
        for app_label, models in ORGANISER_PERMISSIONS.items()
        for model, actions in models.items()
        for action in actions
    } | set(ORGANISER_EXTRA_PERMISSIONS)


class Command(BaseCommand):
    help = (
        f'Create or update the group "{ORGANISER_GROUP}" (organisers) with exactly the '
        "permissions to build and run programmes: all of events, blocks, sessions, "
        "workshops and speakers; view and change registrations (no delete: cancel them); "
        "view seats; export attendee lists. Idempotent."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        wanted = self._permissions(organiser_permission_names())
        group, created = Group.objects.get_or_create(name=ORGANISER_GROUP)
        current = {
            self._name(permission): permission
            for permission in group.permissions.select_related("content_type")
        }
        added = sorted(set(wanted) - set(current))
        removed = sorted(set(current) - set(wanted))
        group.permissions.set(wanted.values())

        if created:
            self.stdout.write(f'Created the group "{ORGANISER_GROUP}".')
        else:
            self.stdout.write(f'The group "{ORGANISER_GROUP}" exists.')
        for name in added:
            self.stdout.write(f"  + {name}")
        for name in removed:
            self.stdout.write(f"  - {name}")
        self.stdout.write(
            self.style.SUCCESS(
                f'"{ORGANISER_GROUP}" has {len(wanted)} permissions '
                f"({len(added)} added, {len(removed)} removed)."
            )
        )

    @staticmethod
    def _name(permission: Permission) -> str:
        return f"{permission.content_type.app_label}.{permission.codename}"

    def _permissions(self, names: set[str]) -> dict[str, Permission]:
        app_labels = {name.split(".", 1)[0] for name in names}
        found = {
            self._name(permission): permission
            for permission in Permission.objects.filter(
                content_type__app_label__in=app_labels
            ).select_related("content_type")
        }
        missing = sorted(names - set(found))
        if missing:
            raise CommandError(
                "These permissions do not exist; run `manage.py migrate` first: "
                + ", ".join(missing)
            )
        return {name: found[name] for name in names}
