"""The organisers' role (manage.py setup_roles): exactly the permissions they need."""

import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from registrations.management.commands.setup_roles import ORGANISER_GROUP
from registrations.models import Registration

pytestmark = pytest.mark.django_db


def test_setup_roles_gives_organisers_exactly_the_programme_permissions():
    call_command("setup_roles", stdout=io.StringIO())

    group = Group.objects.get(name=ORGANISER_GROUP)
    permissions = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
    programme = ["event", "workshopblock", "session", "workshop", "speaker"]
    programme += ["sessionspeaker", "workshopspeaker"]
    assert permissions == {
        f"events.{action}_{model}"
        for model in programme
        for action in ("add", "change", "delete", "view")
    } | {
        "registrations.view_registration",
        "registrations.change_registration",
        "registrations.view_seat",
        "registrations.export_registrations",
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
        f'The group "{ORGANISER_GROUP}" exists.',
        "  - registrations.delete_registration",
        f'"{ORGANISER_GROUP}" has 32 permissions (0 added, 1 removed).',
    ]
    assert Group.objects.filter(name=ORGANISER_GROUP).count() == 1
    assert group.permissions.count() == 32


def test_setup_roles_reports_the_group_it_created():
    out = io.StringIO()

    call_command("setup_roles", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == f'Created the group "{ORGANISER_GROUP}".'
    assert lines[-1] == f'"{ORGANISER_GROUP}" has 32 permissions (32 added, 0 removed).'
    assert len(lines) == 34
