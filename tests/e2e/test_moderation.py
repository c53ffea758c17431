"""Moderators and campaign managers in a real browser: the queue read on a phone, the list on a laptop, every
staff page inside the screen and free of accessibility violations."""

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from petition.models import Invalidation, Signature

from .conftest import PHONE
from .screens import sticking_out

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}


def as_staff(page, client, live_server):
    """Give a browser page the session of a staff fixture's client, whatever that fixture signs in with."""
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    return page


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport=DESKTOP)
    yield context.new_page()
    context.close()


def add(campaign, n, *, status="confirmed", message="", domain="example.org", **fields):
    """Signatures made directly, as many as a test needs, with messages waiting if given one."""
    Signature.objects.bulk_create(
        Signature(
            campaign=campaign,
            status=status,
            confirmed_at=timezone.now() if status == "confirmed" else None,
            first_name=fields.get("first_name", "Asha"),
            last_name=fields.get("last_name", f"Patel{i}"),
            show_name=True,
            email=f"s{i}-{status}@{domain}",
            mailbox=f"s{i}-{status}@{domain}",
            email_domain=domain,
            postcode="LS1 1AA",
            region="yorkshire-and-the-humber",
            message=message.format(i=i),
            message_status="pending" if message else "",
            ip_hash=f"{i:032x}",
            consent_version="test",
        )
        for i in range(n)
    )


def accessible_at_both_widths(page, accessibility_violations):
    """No axe violation and no sideways scrolling, on a 360 px phone and a 1280 px screen."""
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        assert sticking_out(page) == [], viewport
        assert accessibility_violations(page) == [], viewport
    page.set_viewport_size(PHONE)


def test_a_moderator_clears_the_queue_on_a_phone_reading_each_message(
    phone, live_server, real_campaign, moderator, accessibility_violations
):
    add(real_campaign, 3, message="Message {i}: please keep children safe online. " + "More words. " * 30)
    add(real_campaign, 1, status="pending", message="Buy cheap followers at spam.example")
    spam = Signature.objects.filter(status="confirmed").order_by("pk").last()
    Signature.objects.filter(pk=spam.pk).update(message="Visit my shop for cheap followers")
    page = as_staff(phone, moderator, live_server)

    page.goto(live_server.url + "/admin/")
    page.get_by_role("link", name="Moderation queue").click()

    expect(page.get_by_text("3 messages waiting")).to_be_visible()
    assert sticking_out(page) == []
    assert accessibility_violations(page) == []
    expect(page.get_by_text("Buy cheap followers")).to_have_count(0)
    for _ in range(3):
        entry = page.locator(".queue-entry").first
        text = entry.locator("blockquote")
        expect(text).to_be_visible()
        text.scroll_into_view_if_needed()
        if "cheap followers" in text.inner_text():
            entry.get_by_role("button", name="Hide").click()
            expect(page.get_by_text("1 message(s) hidden")).to_be_visible()
        else:
            entry.get_by_role("button", name="Approve").click()
            expect(page.get_by_text("1 message(s) approved")).to_be_visible()
    expect(page.get_by_text("Nothing is waiting")).to_be_visible()

    page.goto(live_server.url + real_campaign.get_absolute_url())
    expect(page.get_by_text("Message 0: please keep children safe online.")).to_be_visible()
    expect(page.get_by_text("cheap followers")).to_have_count(0)


def test_the_signature_list_fits_a_1280_screen_with_every_column_whole(
    desktop, live_server, real_campaign, moderator, accessibility_violations
):
    add(
        real_campaign,
        50,
        message="A long message to the minister {i} " + "about keeping children safe online " * 10,
        domain="mail.a-rather-long-email-domain-for-a-charity.example.org",
        first_name="Bartholomew-Alexander",
        last_name="Featherstonehaugh-Worthington",
    )
    page = as_staff(desktop, moderator, live_server)

    page.goto(live_server.url + "/admin/petition/signature/")

    table = page.locator("#result_list")
    expect(table).to_be_visible()
    assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")
    assert table.evaluate("t => t.getBoundingClientRect().right") <= DESKTOP["width"]
    assert sticking_out(page) == []
    for column in ("Name", "Region", "Status", "Email domain", "IP hash", "Message", "Signed"):
        expect(table.get_by_role("columnheader", name=column, exact=True)).to_be_in_viewport()
    assert accessibility_violations(page) == []


STAFF_PAGES = {
    "admin home": ("moderator", "/admin/", 200),
    "moderation queue": ("moderator", "/admin/petition/signature/queue/", 200),
    "signature list": ("moderator", "/admin/petition/signature/", 200),
    "overview": ("moderator", "/admin/petition/signature/overview/", 200),
    "invalidation preview": ("moderator", "/admin/petition/invalidation/{invalidation}/change/", 200),
    "a running invalidation": ("moderator", "/admin/petition/invalidation/{running}/change/", 200),
    "export": ("manager", "/staff/c/{slug}/export/", 200),
    "contacts export": ("manager", "/staff/c/{slug}/contacts/", 200),
    "delivery": ("manager", "/staff/c/{slug}/delivery/", 200),
    "print the delivery pack": ("manager", "/staff/c/{slug}/delivery/print/", 200),
    "a 403 page": ("moderator", "/staff/c/{slug}/export/", 403),
}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1280px"])
@pytest.mark.parametrize("name", STAFF_PAGES)
def test_every_staff_page_fits_the_screen_and_passes_axe(
    browser, live_server, real_campaign, request, accessibility_violations, viewport, name
):
    role, path, status = STAFF_PAGES[name]
    add(real_campaign, 12, message="Message {i} to the minister")
    invalidation = Invalidation.objects.create(
        campaign=real_campaign, reason="fake", email_domain="example.org", created_by=None
    )
    running = Invalidation.objects.create(
        campaign=real_campaign, reason="fake", ip_hash="0" * 32, status="running", matched=12, created_by=None
    )
    context = browser.new_context(viewport=viewport)
    page = as_staff(context.new_page(), request.getfixturevalue(role), live_server)

    response = page.goto(
        live_server.url + path.format(slug=real_campaign.slug, invalidation=invalidation.pk, running=running.pk)
    )

    assert response.status == status
    expect(page.get_by_role("link", name="Open letter administration")).to_be_visible()
    assert sticking_out(page) == []
    assert accessibility_violations(page) == []
    context.close()
