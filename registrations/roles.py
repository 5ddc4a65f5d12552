"""The roles people have in an organisation, and the permissions each role gives.

A person works on an organisation's events with a role (``events.Membership``):

- **programme editor** (group "Programredaktører"): builds the programmes:
  events, workshop blocks, plenary sessions, workshops, speakers; sees no
  attendee data;
- **organiser** (group "Arrangører"): the same, and runs the registrations:
  views and changes them (never deletes: a registration is cancelled, so its
  seats go to the waitlist through the seat service), views seats, exports
  the attendee lists, and chooses what each event's form asks.

Each role's permissions are those of its group, which ``manage.py
setup_roles`` keeps exactly as written here. ``RoleBackend`` gives a person
the permissions of the roles they have in any organisation; *which*
organisations' data they see is the request's scope (django-scopes,
``events.models.organisation_scopes``), set by
``fagdag.middleware.OrganisationScopeMiddleware``. Superusers have every
permission and see every organisation.
"""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q

from events.models import Membership

PROGRAMME_EDITOR_GROUP = "Programredaktører"
ORGANISER_GROUP = "Arrangører"

ALL = ("add", "change", "delete", "view")
PROGRAMME: dict[str, dict[str, tuple[str, ...]]] = {
    "events": {
        "event": ALL,
        "workshopblock": ALL,
        "session": ALL,
        "workshop": ALL,
        "speaker": ALL,
        "sessionspeaker": ALL,
        "workshopspeaker": ALL,
        "material": ALL,
    },
}
ATTENDEES: dict[str, dict[str, tuple[str, ...]]] = {
    "registrations": {
        "registration": ("view", "change"),
        "seat": ("view",),
        "standardquestion": ALL,
        "question": ALL,
    },
}
# Permissions of their own (``Meta.permissions``), beyond add/change/delete/view.
ATTENDEES_EXTRA = ("registrations.export_registrations",)


def _names(*tables) -> set[str]:
    return {
        f"{app_label}.{action}_{model}"
        for table in tables
        for app_label, models in table.items()
        for model, actions in models.items()
        for action in actions
    }


# Each role: its group, and the permissions as ``app_label.codename``.
ROLES = {
    Membership.Role.PROGRAMME_EDITOR: (PROGRAMME_EDITOR_GROUP, _names(PROGRAMME)),
    Membership.Role.ORGANISER: (
        ORGANISER_GROUP,
        _names(PROGRAMME, ATTENDEES) | set(ATTENDEES_EXTRA),
    ),
}


def organiser_permission_names() -> set[str]:
    return ROLES[Membership.Role.ORGANISER][1]


class RoleBackend(ModelBackend):
    """Django's ``ModelBackend``, whose group permissions also include those of the groups
    of the roles the user has in any organisation."""

    def _get_group_permissions(self, user_obj):
        roles = Membership.objects.filter(user=user_obj).values_list("role", flat=True)
        groups = [ROLES[role][0] for role in set(roles) if role in ROLES]
        return Permission.objects.filter(Q(group__user=user_obj) | Q(group__name__in=groups))
