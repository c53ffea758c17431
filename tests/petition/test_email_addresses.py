"""Signers' email addresses in the admin: moderators find a signer by the whole address and see only its domain,
campaign managers neither search nor see addresses, and only staff holding view_email see one."""

import pytest
from django.contrib.auth.models import Permission

CHANGELIST = "/admin/petition/signature/"
ADDRESS = "asha.patel@mail.example.org"


@pytest.fixture
def signature(campaign, stored):
    stored(campaign, email="other@example.net", first_name="Bea")
    return stored(campaign, email=ADDRESS, first_name="Asha", message="Please act")


@pytest.fixture
def email_viewer(staff):
    client = staff("Moderators", username="dpo")
    client.user.user_permissions.add(Permission.objects.get(codename="view_email"))
    return client


def pages(client, signature):
    """Every staff page that shows a signature: the list, a search, the change form, the queue, the overview."""
    return {
        "list": client.get(CHANGELIST).content.decode(),
        "change form": client.get(f"{CHANGELIST}{signature.pk}/change/").content.decode(),
        "queue": client.get(f"{CHANGELIST}queue/").content.decode(),
        "overview": client.get(f"{CHANGELIST}overview/").content.decode(),
    }


@pytest.mark.parametrize("role", ["moderator", "manager"])
def test_moderators_and_managers_see_the_domain_but_never_the_address(request, signature, role):
    client = request.getfixturevalue(role)

    shown = pages(client, signature)

    assert {name: ADDRESS in page for name, page in shown.items()} == dict.fromkeys(shown, False)
    assert "asha.patel@" not in "".join(shown.values())
    assert "example.org" in shown["list"] and "example.org" in shown["change form"]


def test_staff_holding_view_email_see_the_address_in_the_change_form(signature, email_viewer):
    page = email_viewer.get(f"{CHANGELIST}{signature.pk}/change/").content.decode()

    assert ADDRESS in page


def test_a_moderator_finds_a_signer_by_the_whole_address_in_any_spelling(signature, moderator):
    page = moderator.get(CHANGELIST, {"q": "Asha.Patel+letter@Mail.Example.org"}).content.decode()

    assert "Asha Patel" in page and "Bea Patel" not in page
    assert ADDRESS not in page.split('id="result_list"')[1]
    assert "An email address (any spelling of it, the whole address), or a surname." in page


def test_a_moderator_cannot_find_a_signer_by_part_of_an_address(signature, moderator):
    page = moderator.get(CHANGELIST, {"q": "asha.patel@"}).content.decode()

    assert "Asha Patel" not in page


def test_a_campaign_manager_cannot_search_by_address_and_is_told_why(signature, manager):
    response = manager.get(CHANGELIST, {"q": ADDRESS})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Asha Patel" not in page
    assert "Nothing was searched." in page
    assert "You need the “Can find a signer by their exact email address” permission (Moderators have it)." in page
    assert "An email address" not in page


def test_a_campaign_manager_still_finds_a_signer_by_surname(signature, manager):
    page = manager.get(CHANGELIST, {"q": "patel"}).content.decode()

    assert "Asha Patel" in page


@pytest.mark.parametrize("role", ["moderator", "manager", "email_viewer"])
@pytest.mark.parametrize(
    "lookup",
    [
        {"email": ADDRESS},
        {"email__startswith": "asha"},
        {"email__icontains": "patel"},
        {"mailbox__startswith": "a"},
        {"token__startswith": "a"},
    ],
)
def test_no_one_reads_addresses_through_the_lists_url(request, signature, role, lookup):
    response = request.getfixturevalue(role).get(CHANGELIST, lookup)

    assert response.status_code == 400
    assert "Asha Patel" not in response.content.decode()
