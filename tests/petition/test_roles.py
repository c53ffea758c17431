"""The staff roles are granted after every migrate and flush, and staff grants by hand are kept."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from petition.roles import ROLES


def codenames(name):
    return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))


@pytest.mark.django_db(transaction=True)
def test_emptying_the_database_keeps_the_roles_and_their_permissions():
    call_command("flush", "--noinput", verbosity=0)

    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)
    assert {"view_signature", "change_signature", "add_invalidation"} <= codenames("Moderators")
    assert "export_signatures" in codenames("Campaign managers")
    assert "export_signatures" not in codenames("Moderators")


@pytest.mark.django_db(transaction=True)
def test_a_migrate_gives_back_a_listed_permission_and_keeps_one_granted_by_hand():
    moderators = Group.objects.get(name="Moderators")
    moderators.permissions.remove(Permission.objects.get(codename="change_signature"))
    moderators.permissions.add(Permission.objects.get(codename="view_story"))

    call_command("migrate", verbosity=0)

    assert {"change_signature", "view_story"} <= codenames("Moderators")


def test_managers_export_contacts_moderators_find_by_email_and_no_role_sees_addresses(db):
    assert {"export_signatures", "export_contacts"} <= codenames("Campaign managers")
    assert "find_by_email" in codenames("Moderators")
    assert not {"export_contacts", "export_signatures"} & codenames("Moderators")
    assert "find_by_email" not in codenames("Campaign managers")
    assert not any("view_email" in codenames(role) for role in ROLES)
