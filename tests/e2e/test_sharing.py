"""Sharing, in a real browser on a phone: from a WhatsApp link to a confirmed signature that staff see under WhatsApp,
the address shown while the email is on its way, and the share buttons with and without JavaScript."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from petition import visits
from petition.models import Signature

from .conftest import PHONE
from .screens import sticking_out

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("signing_at_once")]

OVERVIEW = "/admin/petition/signature/overview/"


@pytest.fixture
def phone_with_clipboard(browser, live_server):
    """A phone whose browser lets the site copy (as a person's does when they press a button) and can share."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    # Headless Chromium has no share menu: stand in for the phone's, remembering what it was given.
    context.add_init_script("navigator.share = async (data) => { window.sharedWith = data; };")
    page = context.new_page()
    yield page
    context.close()


def big_enough(locator):
    box = locator.bounding_box()
    return box["width"] >= 44 and box["height"] >= 44


def test_from_a_whatsapp_link_to_a_confirmed_signature_shared_by_copying_that_staff_see_under_whatsapp(
    live_server, real_campaign, phone_with_clipboard, accessibility_violations, mailoutbox, moderator, settings
):
    page = phone_with_clipboard
    page.goto(f"{live_server.url}/c/online-safety-bill/?s=whatsapp")
    # The first screen of a 360 × 640 phone shows how many have signed, and the way to the form.
    for first_screen in (page.locator("[data-count]").first, page.get_by_role("link", name="Sign the letter").first):
        box = first_screen.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 640
    page.get_by_label("First name", exact=True).fill("Asha")
    page.get_by_label("Last name", exact=True).fill("Patel")
    page.get_by_label("Email address", exact=True).fill("asha.patel@example.org")
    page.get_by_label("Postcode", exact=True).fill("sw1a 1aa")
    page.get_by_role("button", name="Sign the letter").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")  # waits for the page
    assert page.get_by_text("We have sent a link to asha.patel@example.org").is_visible()
    assert page.get_by_role("link", name="Sign again with the right one").is_visible()
    assert page.get_by_role("link", name="Share on WhatsApp").is_visible()
    assert accessibility_violations(page) == []
    assert sticking_out(page) == []

    (message,) = mailoutbox
    confirm = re.search(r"https?://\S+/confirm/\S+/", message.body).group()
    page.goto(live_server.url + urlsplit(confirm).path)
    page.get_by_role("button", name="Confirm my signature").click()

    expect(page.get_by_text("is confirmed and counted")).to_be_visible()
    buttons = (
        page.locator(".share-buttons").get_by_role("link").or_(page.locator(".share-buttons").get_by_role("button"))
    )
    assert [name.strip() for name in buttons.all_inner_texts()] == [
        "Share on WhatsApp",
        "Share by email",
        "Share on Facebook",
        "Share on X (Twitter)",
        "Share on Bluesky",
        "Copy the link",
    ]
    assert all(big_enough(button) for button in buttons.all())
    assert accessibility_violations(page) == []
    assert sticking_out(page) == []

    page.get_by_role("button", name="Copy the link").click()

    expect(page.get_by_role("status")).to_have_text("Link copied. Paste it into a message or a post.")
    assert page.evaluate("navigator.clipboard.readText()") == f"{settings.SITE_URL}/c/online-safety-bill/?s=link"

    page.get_by_role("button", name="More ways to share…").click()

    assert urlsplit(page.evaluate("window.sharedWith.url")).query == "s=share"

    visits.flush()
    assert Signature.objects.get().source == "whatsapp"
    overview = moderator.get(OVERVIEW).content.decode()
    table = overview.split("Visits, signatures and confirmations by channel")[1].split("</table>")[0]
    # Visits, signed, confirmed.
    assert re.search(r'<th scope="row">WhatsApp</th><td>1</td><td>1</td><td>1</td>', table)


def test_without_javascript_every_share_button_is_a_link_that_works(live_server, real_campaign, browser):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/c/online-safety-bill/thanks/")

    assert page.get_by_role("heading", level=1).inner_text() == "Thank you for your support"
    assert page.get_by_role("button", name="Copy the link").count() == 0
    assert page.get_by_role("button", name="More ways to share…").count() == 0
    page.get_by_role("link", name="Copy the link").click()

    field = page.get_by_label("The letter's link, to copy into a message")
    assert urlsplit(field.input_value()).query == "s=link"
    for name, start in [("Share on WhatsApp", "https://wa.me/?text="), ("Share on Bluesky", "https://bsky.app/")]:
        assert page.get_by_role("link", name=name).get_attribute("href").startswith(start)
    assert sticking_out(page) == []
    context.close()
