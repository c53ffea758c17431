"""Staff in a real browser: signing in with a second factor, previewing a bulk invalidation before it runs, and
downloading the exports."""

import csv

import pytest
from django.contrib.auth.models import Permission, User
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from petition.models import AuditEntry, Invalidation, Signature
from tests.conftest import code_from_app

pytestmark = pytest.mark.browser


def staff_page(browser, live_server, *codenames):
    """A browser page signed in, through the login form and the code from an authenticator app, as staff with the
    given permissions."""
    user = User.objects.create_user("staffer", password="a long enough password", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("staffer")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Code").fill(code_from_app(device))
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(live_server.url + "/admin/")
    return page


def add_signatures(campaign, domain, count, status="confirmed", show_name=False):
    from django.utils import timezone

    Signature.objects.bulk_create(
        Signature(
            campaign=campaign,
            status=status,
            confirmed_at=timezone.now() if status == "confirmed" else None,
            first_name="=cmd",
            last_name=f"Signer{i}",
            email=f"s{i}@{domain}",
            mailbox=f"s{i}@{domain}",
            email_domain=domain,
            postcode="BN1 1AA",
            region="south-east",
            show_name=show_name,
            consent_version="test",
        )
        for i in range(count)
    )


def test_a_bulk_invalidation_shows_its_preview_before_anything_changes(browser, live_server, real_campaign):
    add_signatures(real_campaign, "spam.example", 7)
    add_signatures(real_campaign, "example.org", 3)
    page = staff_page(
        browser, live_server, "view_signature", "view_invalidation", "add_invalidation", "change_invalidation"
    )

    page.goto(live_server.url + "/admin/petition/invalidation/add/")
    page.get_by_label("Campaign").select_option(label=real_campaign.title)
    page.get_by_label("Reason").select_option(label="Fake or automated")
    page.get_by_label("Email domain").fill("spam.example")
    page.get_by_role("button", name="Save and continue editing").click()

    expect(page.get_by_text("7 signatures would be invalidated")).to_be_visible()
    assert Invalidation.objects.get().status == "pending"
    assert Signature.objects.filter(status="invalidated").count() == 0


def test_a_campaign_manager_downloads_the_signature_list(browser, live_server, real_campaign):
    add_signatures(real_campaign, "example.org", 3, show_name=True)  # named, so the export gives their names
    page = staff_page(browser, live_server, "view_campaign", "export_signatures")

    page.goto(live_server.url + f"/staff/c/{real_campaign.slug}/export/")
    expect(page.get_by_text("writes an entry in the audit log")).to_be_visible()
    assert not AuditEntry.objects.exists()
    page.get_by_label("Country").check()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download CSV").click()
    download = download_info.value

    assert download.suggested_filename.startswith(f"{real_campaign.slug}-signatures-")
    with open(download.path(), encoding="utf-8-sig") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["Name", "Postcode district", "Region", "Country", "Signed on"]
    assert len(rows) == 4
    assert all(row[0].startswith("'=cmd") for row in rows[1:])


def test_a_campaign_manager_downloads_the_contacts_who_asked_to_hear_more(browser, live_server, real_campaign):
    add_signatures(real_campaign, "example.org", 3)
    Signature.objects.filter(last_name__in=["Signer0", "Signer2"]).update(contact_opt_in=True)
    page = staff_page(browser, live_server, "view_campaign", "export_contacts")

    page.goto(live_server.url + "/admin/")
    page.get_by_role("link", name="contacts who asked to hear more").click()
    expect(page.get_by_text("the 2 signers of")).to_be_visible()
    assert not AuditEntry.objects.exists()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the contacts (CSV)").click()

    with open(download_info.value.path(), encoding="utf-8-sig") as file:
        rows = list(csv.reader(file))
    assert [row[:2] for row in rows] == [
        ["Name", "Email address"],
        ["'=cmd Signer0", "s0@example.org"],
        ["'=cmd Signer2", "s2@example.org"],
    ]
    assert AuditEntry.objects.get().action == "export_contacts"
