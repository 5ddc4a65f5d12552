"""Create or update the roles' groups: "Programredaktører" and "Arrangører".

The roles and what each may do are written in registrations/roles.py. A
person gets a role in an organisation in the admin (a superuser does it):
Organisations → the organisation → its members: the user and the role. The
user needs "Staff status" to log in to the admin (the page sets it).

The command is idempotent; run it after every deploy. It gives each group
exactly its role's permissions: what is missing is added, and anything given
to the group by hand beyond them is taken away.
"""

from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from registrations.roles import ORGANISER_GROUP, ROLES, organiser_permission_names

__all__ = ["ORGANISER_GROUP", "Command", "organiser_permission_names"]


class Command(BaseCommand):
    help = (
        "Create or update the group of each role (registrations/roles.py) with exactly its "
        "permissions: programme editors all of events, blocks, sessions, workshops and "
        "speakers; organisers that, and view and change registrations (no delete: cancel "
        "them), view seats, export attendee lists. Idempotent."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        for group_name, names in ROLES.values():
            self.set_group(group_name, names)

    def set_group(self, group_name: str, names: set[str]) -> None:
        wanted = self._permissions(names)
        group, created = Group.objects.get_or_create(name=group_name)
        current = {
            self._name(permission): permission
            for permission in group.permissions.select_related("content_type")
        }
        added = sorted(set(wanted) - set(current))
        removed = sorted(set(current) - set(wanted))
        group.permissions.set(wanted.values())

        if created:
            self.stdout.write(f'Created the group "{group_name}".')
        else:
            self.stdout.write(f'The group "{group_name}" exists.')
        for name in added:
            self.stdout.write(f"  + {name}")
        for name in removed:
            self.stdout.write(f"  - {name}")
        self.stdout.write(
            self.style.SUCCESS(
                f'"{group_name}" has {len(wanted)} permissions '
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
