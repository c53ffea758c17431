"""The delivery pack handed to the minister."""

from django.contrib.auth.models import Group, User
from django.test import Client

from petition.models import AuditEntry

PACK = "/staff/c/letter/delivery-pack/"


def test_the_pack_has_the_letter_the_count_the_regions_and_the_named_signatories(
    campaign, make_ask, confirmed, manager, settings
):
    settings.COUNT_CACHE_SECONDS = 0
    make_ask(campaign, title="Name a manager for children's safety")
    confirmed(campaign, first_name="Asha", last_name="Patel", email="a@example.org", postcode="EH1 1YZ", show_name="on")
    confirmed(campaign, first_name="Hidden", last_name="Person", email="b@example.org")

    page = manager.get(PACK).content.decode()

    assert "To A. Minister MP, Secretary of State" in page
    assert "Please act." in page
    assert "Name a manager for children&#x27;s safety" in page
    assert "<strong>2</strong> people signed" in page
    assert "<td>Scotland</td><td>1</td>" in page
    assert "<li>Asha Patel, Edinburgh</li>" in page
    assert "Hidden" not in page and "a@example.org" not in page


def test_the_pack_is_also_a_pdf(campaign, confirmed, manager):
    confirmed(campaign, show_name="on")

    response = manager.get(PACK, {"format": "pdf"})

    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert 'filename="letter-delivery-pack-' in response["Content-Disposition"]


def test_every_pack_is_audited(campaign, manager):
    manager.get(PACK)
    manager.get(PACK, {"format": "pdf"})

    assert list(AuditEntry.objects.values_list("action", "details__format")) == [("export", "pdf"), ("export", "html")]


def test_moderators_cannot_take_the_pack(campaign, db):
    user = User.objects.create_user("mod", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    client = Client()
    client.force_login(user)

    assert client.get(PACK).status_code == 403
