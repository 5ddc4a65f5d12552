"""The roles (manage.py setup_roles, registrations/roles.py): exactly the permissions each needs."""

import io

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from events.models import Membership
from registrations.models import Registration
from registrations.roles import ORGANISER_GROUP, PROGRAMME_EDITOR_GROUP, organiser_permission_names
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def test_setup_roles_gives_organisers_exactly_the_programme_permissions():
    call_command("setup_roles", stdout=io.StringIO())

    group = Group.objects.get(name=ORGANISER_GROUP)
    permissions = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
    programme = ["event", "workshopblock", "session", "workshop", "speaker"]
    programme += ["sessionspeaker", "workshopspeaker", "material"]
    assert permissions == {
        f"events.{action}_{model}"
        for model in programme
        for action in ("add", "change", "delete", "view")
    } | {
        "registrations.view_registration",
        "registrations.change_registration",
        "registrations.view_seat",
        "registrations.export_registrations",
        *(
            f"registrations.{action}_{model}"
            for model in ("question", "standardquestion")
            for action in ("add", "change", "delete", "view")
        ),
    }


def test_setup_roles_run_again_removes_permissions_given_by_hand_and_says_so():
    call_command("setup_roles", stdout=io.StringIO())
    group = Group.objects.get(name=ORGANISER_GROUP)
    group.permissions.add(
        Permission.objects.get(
            content_type=ContentType.objects.get_for_model(Registration),
            codename="delete_registration",
        )
    )
    out = io.StringIO()

    call_command("setup_roles", stdout=out)

    assert out.getvalue().splitlines() == [
        f'The group "{PROGRAMME_EDITOR_GROUP}" exists.',
        f'"{PROGRAMME_EDITOR_GROUP}" has 32 permissions (0 added, 0 removed).',
        f'The group "{ORGANISER_GROUP}" exists.',
        "  - registrations.delete_registration",
        f'"{ORGANISER_GROUP}" has 44 permissions (0 added, 1 removed).',
    ]
    assert Group.objects.filter(name=ORGANISER_GROUP).count() == 1
    assert group.permissions.count() == 44


def test_setup_roles_reports_the_groups_it_created():
    out = io.StringIO()

    call_command("setup_roles", stdout=out)

    lines = out.getvalue().splitlines()
    assert (lines[0], lines[33]) == (
        f'Created the group "{PROGRAMME_EDITOR_GROUP}".',
        f'"{PROGRAMME_EDITOR_GROUP}" has 32 permissions (32 added, 0 removed).',
    )
    assert (lines[34], lines[-1]) == (
        f'Created the group "{ORGANISER_GROUP}".',
        f'"{ORGANISER_GROUP}" has 44 permissions (44 added, 0 removed).',
    )
    assert len(lines) == 34 + 46


def test_a_programme_editor_gets_the_programme_and_nothing_of_the_attendees():
    call_command("setup_roles", stdout=io.StringIO())
    editor = User.objects.create_user("redaktoer", is_staff=True)
    make_member(editor, role=Membership.Role.PROGRAMME_EDITOR)

    assert (
        editor.has_perm("events.change_workshop"),
        editor.has_module_perms("registrations"),
    ) == (
        True,
        False,
    )


def test_an_organiser_also_gets_the_registrations_and_the_lists():
    call_command("setup_roles", stdout=io.StringIO())
    organiser = User.objects.create_user("arrangoer", is_staff=True)
    make_member(organiser)

    assert organiser.get_all_permissions() == organiser_permission_names()
