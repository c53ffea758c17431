"""The night of an attack, in a real browser: a moderator sees it on the overview, invalidates it from the
preview with one press, watches the public count fall, and reverts it after confirming."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from petition import counting
from petition.models import Signature

from .conftest import PHONE
from .test_moderation import DESKTOP, as_staff, fits

pytestmark = pytest.mark.browser


def add(campaign, n, *, domain, ip_hash, confirmed):
    start = Signature.objects.count()
    Signature.objects.bulk_create(
        Signature(
            campaign=campaign,
            status="confirmed" if i < confirmed else "pending",
            confirmed_at=timezone.now() if i < confirmed else None,
            first_name="Asha",
            last_name=f"Patel{start + i}",
            email=f"s{start + i}@{domain}",
            mailbox=f"s{start + i}@{domain}",
            email_domain=domain,
            postcode="LS1 1AA",
            region="yorkshire-and-the-humber",
            ip_hash=ip_hash,
            consent_version="test",
        )
        for i in range(n)
    )


def accessible_at_both_widths(page, accessibility_violations):
    """No axe violation and no sideways scrolling, on a 360 px phone and a 1280 px screen."""
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        assert fits(page, viewport["width"]), viewport
        assert accessibility_violations(page) == [], viewport
    page.set_viewport_size(PHONE)


def public_count(page, live_server, campaign):
    return page.request.get(f"{live_server.url}/api/campaigns/{campaign.slug}.json").json()["count"]


def test_a_moderator_invalidates_an_attack_from_the_overview_and_reverts_it_after_confirming(
    phone, live_server, real_campaign, moderator, accessibility_violations, settings
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.COUNT_CACHE_SECONDS = 0
    add(real_campaign, 12, domain="example.org", ip_hash="1" * 32, confirmed=11)
    add(real_campaign, 40, domain="spam.example", ip_hash="b07" * 10 + "00", confirmed=4)
    counting.recount(real_campaign)
    page = as_staff(phone, moderator, live_server)
    assert public_count(page, live_server, real_campaign) == 15

    page.goto(live_server.url + "/admin/")
    page.get_by_role("link", name="Moderation overview").click()

    expect(page.get_by_text("This page reloads itself every minute")).to_be_visible()
    expect(page.get_by_role("img", name="Signatures and confirmations per hour")).to_be_visible()
    domains = page.locator("table.busiest").nth(1)
    expect(domains.get_by_role("row").nth(1)).to_contain_text("spam.example")
    expect(domains.get_by_role("row").nth(1)).to_contain_text("10%")
    accessible_at_both_widths(page, accessibility_violations)

    domains.get_by_role("link", name="Invalidate the signatures from spam.example").click()
    expect(page.get_by_label("Email domain")).to_have_value("spam.example")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_text("40 signatures would be invalidated")).to_be_visible()
    accessible_at_both_widths(page, accessibility_violations)
    assert public_count(page, live_server, real_campaign) == 15
    page.get_by_role("button", name="Invalidate these 40 signatures").click()

    expect(page.get_by_text("40 of 40 invalidated (Completed).")).to_be_visible()
    assert public_count(page, live_server, real_campaign) == 11
    page.get_by_role("link", name="Revert: restore what it invalidated…").click()

    expect(page.get_by_role("heading", name="Restore 40 signatures invalidated by")).to_be_visible()
    accessible_at_both_widths(page, accessibility_violations)
    assert public_count(page, live_server, real_campaign) == 11
    page.get_by_role("button", name="Restore 40 signatures").click()

    expect(page.get_by_text("40 signatures restored.")).to_be_visible()
    assert public_count(page, live_server, real_campaign) == 15
