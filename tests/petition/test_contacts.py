"""The contacts export: only confirmed signers who asked to hear more, with the exact words they agreed to,
under its own permission, by POST, audited."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from django.utils.html import escape

from petition import consent, standing
from petition.models import AuditEntry, Signature, Suppression

CONTACTS = "/staff/c/letter/contacts/"


def contact_rows(client):
    response = client.post(CONTACTS)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


def uk_time(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def test_signing_stores_the_key_of_the_contact_wording_the_form_showed(campaign, sign, client):
    page = client.get(f"/c/{campaign.slug}/sign/").content.decode()

    sign(campaign, contact_opt_in="on")

    signature = Signature.objects.get()
    assert signature.contact_wording == consent.CONTACT_WORDING
    assert f">{escape(consent.contact_wording(signature.contact_wording))}</label>" in page


def test_a_wording_once_shown_is_never_changed():
    # A signer's consent is to these words: new wording gets a new key, and every key keeps its text.
    shown = {"2026-11-23": "Email me about this campaign's progress and what happens next"}
    assert {key: consent.CONTACT_WORDINGS[key] for key in shown} == shown
    assert consent.CONTACT_WORDINGS[consent.CONTACT_WORDING] == consent.CONTACT_LABEL


def test_only_confirmed_signers_who_asked_to_hear_more_are_listed(campaign, stored, sign, moderator, manager):
    wanted = stored(campaign, first_name="Asha", last_name="Patel", email="asha@example.org", contact_opt_in="on")
    stored(campaign, first_name="Quiet", email="quiet@example.org")
    sign(campaign, first_name="Pending", email="pending@example.org", contact_opt_in="on")
    invalid = stored(campaign, first_name="Invalid", email="invalid@example.org", contact_opt_in="on")
    erased = stored(campaign, first_name="Erased", email="erased@example.org", contact_opt_in="on")
    withdrawn = stored(campaign, first_name="Withdrawn", email="withdrawn@example.org", contact_opt_in="on")
    standing.invalidate(Signature.objects.filter(pk=invalid.pk), reason="fake", user=moderator.user)
    standing.erase(Signature.objects.filter(pk=erased.pk), user=moderator.user)
    standing.withdraw(withdrawn)
    wanted.refresh_from_db()

    rows = contact_rows(manager)

    assert rows == [
        ["Name", "Email address", "Agreed on", "Address confirmed on", "Wording agreed to"],
        [
            "Asha Patel",
            "asha@example.org",
            uk_time(wanted.created_at),
            uk_time(wanted.confirmed_at),
            "Email me about this campaign's progress and what happens next",
        ],
    ]


def test_each_signer_gets_the_wording_they_saw_not_todays(campaign, stored, manager, monkeypatch):
    stored(campaign, email="early@example.org", contact_opt_in="on")
    monkeypatch.setitem(consent.CONTACT_WORDINGS, "2027-01-01", "Keep me posted about this and future campaigns")
    monkeypatch.setattr(consent, "CONTACT_WORDING", "2027-01-01")
    stored(campaign, email="late@example.org", contact_opt_in="on")

    rows = contact_rows(manager)

    assert [(row[1], row[4]) for row in rows[1:]] == [
        ("early@example.org", "Email me about this campaign's progress and what happens next"),
        ("late@example.org", "Keep me posted about this and future campaigns"),
    ]


def test_a_name_that_could_start_a_formula_is_neutralised(campaign, stored, manager):
    stored(campaign, first_name='＝HYPERLINK("http://x")', email="a@example.org", contact_opt_in="on")

    rows = contact_rows(manager)

    assert rows[1][0] == '\'＝HYPERLINK("http://x") Patel'


def test_the_page_says_what_will_be_exported_and_writes_no_audit_entry(campaign, stored, manager):
    stored(campaign, email="a@example.org", contact_opt_in="on")
    stored(campaign, email="b@example.org")

    response = manager.get(CONTACTS)

    page = response.content.decode()
    assert "<h1>Export the contacts who asked to hear more</h1>" in page
    assert "the <strong>1</strong> signer of <strong>Keep children safe online</strong> who ticked" in page
    assert "“Email me about this campaign&#x27;s progress and what happens next”" in page
    assert "<dt>Wording agreed to</dt>" in page and "<dt>Email address</dt>" in page
    assert "writes an entry in the audit log" in page
    assert '<form method="post">' in page and 'name="csrfmiddlewaretoken"' in page
    assert "a@example.org" not in page
    assert not AuditEntry.objects.exists()


def test_every_download_is_audited(campaign, stored, manager):
    stored(campaign, email="a@example.org", contact_opt_in="on")

    contact_rows(manager)

    entry = AuditEntry.objects.get()
    assert (entry.username, entry.action, entry.count, entry.campaign) == ("manager", "export_contacts", 1, campaign)
    assert entry.details["filters"] == {"status": "confirmed", "contact_opt_in": True}
    assert "a@example.org" not in str(entry.details)


def test_the_download_needs_the_pages_csrf_token(campaign, stored, manager):
    stored(campaign, contact_opt_in="on")
    manager.handler.enforce_csrf_checks = True

    assert manager.post(CONTACTS).status_code == 403
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("groups", [[], ["Moderators"]])
def test_staff_without_the_contacts_permission_are_told_what_they_need(campaign, stored, staff, groups):
    client = staff(*groups)
    stored(campaign, contact_opt_in="on")

    for response in (client.get(CONTACTS), client.post(CONTACTS)):
        assert response.status_code == 403
        assert (
            "You need the “Can export the contacts of signers who asked to hear more” permission "
            "(Campaign managers have it)." in response.content.decode()
        )
    assert not AuditEntry.objects.exists()


def test_the_export_permission_alone_does_not_give_the_contacts(campaign, staff):
    client = staff()
    client.user.user_permissions.set(Permission.objects.filter(codename="export_signatures"))

    assert client.get("/staff/c/letter/export/").status_code == 200
    assert client.get(CONTACTS).status_code == 403


def test_campaign_managers_find_the_contacts_export_on_the_admin_home_and_the_export_page(campaign, manager, moderator):
    assert f'href="{CONTACTS}">contacts who asked to hear more</a>' in manager.get("/admin/").content.decode()
    assert f'href="{CONTACTS}">a separate export</a>' in manager.get("/staff/c/letter/export/").content.decode()
    assert CONTACTS not in moderator.get("/admin/").content.decode()


@pytest.mark.parametrize("reason", ["unsubscribed", "bounced", "complained"])
def test_a_signer_who_said_stop_is_no_longer_a_contact(campaign, stored, manager, reason):
    stored(campaign, first_name="Asha", email="asha@example.org", contact_opt_in="on")
    stored(campaign, first_name="Ben", email="ben@example.org", contact_opt_in="on")
    Suppression.objects.create(mailbox="ben@example.org", reason=reason)

    rows = contact_rows(manager)

    assert [row[1] for row in rows[1:]] == ["asha@example.org"]
