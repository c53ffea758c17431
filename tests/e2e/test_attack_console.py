"""The night of an attack, in a real browser, as one moderator lives it: signing in with a password and a code,
seeing the attack on the overview, holding new signatures, invalidating the attack from the preview with one press
and reverting it after confirming, releasing the real signers who were held, and clearing the message queue."""

import re

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from petition import counting
from petition.models import Signature

from ..conftest import code_from_app
from .conftest import PHONE
from .screens import sticking_out
from .test_moderation import DESKTOP
from .test_signing_journey import links_in
from .test_staff_sign_in import sign_in_with_password

pytestmark = pytest.mark.browser

REAL_MESSAGE = "Please act before another child is groomed online: my daughter is eleven."
SPAM_MESSAGE = "Buy cheap followers at spam.example"


def add(campaign, n, *, domain, ip_hash, confirmed, message=""):
    start = Signature.objects.count()
    Signature.objects.bulk_create(
        Signature(
            campaign=campaign,
            status="confirmed" if i < confirmed else "pending",
            confirmed_at=timezone.now() if i < confirmed else None,
            first_name="Asha",
            last_name=f"Patel{start + i}",
            show_name=True,
            email=f"s{start + i}@{domain}",
            mailbox=f"s{start + i}@{domain}",
            email_domain=domain,
            postcode="LS1 1AA",
            region="yorkshire-and-the-humber",
            ip_hash=ip_hash,
            consent_version="test",
            message=message if i == 0 else "",
            message_status="pending" if message and i == 0 else "",
        )
        for i in range(n)
    )


def public_count(page, live_server, campaign):
    return page.request.get(f"{live_server.url}/api/campaigns/{campaign.slug}.json").json()["count"]


def sign_and_confirm(browser, live_server, campaign, mailoutbox, *, first_name, email, message=""):
    """A real person signs on their own phone while new signatures are held, and confirms from the email."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/c/{campaign.slug}/sign/")
    page.get_by_label("First name", exact=True).fill(first_name)
    page.get_by_label("Last name", exact=True).fill("Jones")
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("Postcode", exact=True).fill("CF10 1AA")
    page.get_by_label("Message to the minister (optional)").fill(message)
    page.get_by_role("button", name="Sign the letter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    confirm_path, _ = links_in(next(sent for sent in mailoutbox if sent.to == [email]))
    page.goto(live_server.url + confirm_path)
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for signing")
    context.close()


@pytest.fixture
def night(signing_at_once, mailoutbox):
    """Tasks run at once, and nothing public is cached, so that each press shows at once on the public count."""
    return mailoutbox


def test_the_night_of_an_attack_from_sign_in_to_an_empty_queue(
    browser, phone, live_server, real_campaign, moderator, night, accessibility_violations
):
    add(real_campaign, 12, domain="example.org", ip_hash="1" * 32, confirmed=11)
    add(real_campaign, 40, domain="spam.example", ip_hash="b07" * 10 + "00", confirmed=4, message=SPAM_MESSAGE)
    counting.recount(real_campaign)
    app = TOTPDevice.objects.get(user=moderator.user)
    page = phone
    violations = {}

    def check(name):
        """axe and sideways scrolling on the page as it is now, at 360 px and at 1280 px."""
        for viewport in (PHONE, DESKTOP):
            page.set_viewport_size(viewport)
            found = accessibility_violations(page) + sticking_out(page)
            violations[f"{name} at {viewport['width']} px"] = found
        page.set_viewport_size(PHONE)

    assert public_count(page, live_server, real_campaign) == 15

    # Signing in: the password, then the code the authenticator app shows.
    page.goto(live_server.url + "/admin/login/")
    check("sign-in")
    sign_in_with_password(page, live_server)
    expect(page).to_have_url(re.compile(r"/admin/second-factor/\?next="))
    check("second factor")
    page.get_by_label("Code").fill(code_from_app(app))
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(live_server.url + "/admin/")
    check("admin home")

    # The overview shows the attack: the busiest domain, and how few of its signatures were confirmed.
    page.get_by_role("link", name="Moderation overview").click()
    expect(page.get_by_text("This page reloads itself every minute")).to_be_visible()
    expect(page.get_by_role("img", name="Signatures and confirmations per hour")).to_be_visible()
    domains = page.locator("table.busiest").nth(1)
    expect(domains.get_by_role("row").nth(1)).to_contain_text("spam.example")
    expect(domains.get_by_role("row").nth(1)).to_contain_text("10%")
    check("overview")
    # What follows takes longer than a minute on a busy machine: no reload under the moderator's hand.
    page.get_by_role("link", name="Stop reloading").click()
    expect(page.get_by_text("This page does not reload itself.")).to_be_visible()

    # Stop the bleeding: every new signature is held for review.
    page.get_by_role("link", name="Hold every new signature for review…").click()
    check("the holding switch")
    page.get_by_label("Hold every new signature for review").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Every new signature is held for review")).to_be_visible()
    check("overview, holding")

    # Real people keep signing and confirming: held, not counted, and their page is unchanged.
    sign_and_confirm(browser, live_server, real_campaign, night, first_name="Carys", email="carys@example.net")
    sign_and_confirm(
        browser,
        live_server,
        real_campaign,
        night,
        first_name="Dafydd",
        email="dafydd@example.net",
        message=REAL_MESSAGE,
    )
    assert public_count(page, live_server, real_campaign) == 15

    # A bulk invalidation, previewed and run from its preview.
    page.reload()
    expect(page.get_by_role("link", name="2 signatures held for review")).to_be_visible()
    domains.get_by_role("link", name="Invalidate the signatures from spam.example").click()
    expect(page.get_by_label("Email domain")).to_have_value("spam.example")
    check("new invalidation")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("40 signatures would be invalidated")).to_be_visible()
    check("invalidation preview")
    assert public_count(page, live_server, real_campaign) == 15
    page.get_by_role("button", name="Invalidate these 40 signatures").click()
    expect(page.get_by_text("40 of 40 invalidated (Completed).")).to_be_visible()
    expect(page.get_by_text("started by mod")).to_be_visible()
    expect(page.get_by_text("reloads itself")).to_have_count(0)  # done: the page stays still
    check("invalidation done")
    assert public_count(page, live_server, real_campaign) == 11

    # Revert, after a page that says how many it will restore.
    page.get_by_role("link", name="Revert: restore what it invalidated…").click()
    expect(page.get_by_role("heading", name="Restore 40 signatures invalidated by")).to_be_visible()
    check("revert confirmation")
    assert public_count(page, live_server, real_campaign) == 11
    page.get_by_role("button", name="Restore 40 signatures").click()
    expect(page.get_by_text("40 signatures restored.")).to_be_visible()
    assert public_count(page, live_server, real_campaign) == 15

    # Release the real signers who were held: they count at once.
    page.get_by_role("link", name="Home").first.click()
    page.get_by_role("link", name="Moderation overview").click()
    page.get_by_role("link", name="2 signatures held for review").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    check("held signatures")
    page.get_by_label("Select all objects on this page for an action").check()
    actions = page.get_by_role("combobox", name=re.compile(r"^Action"))
    actions.select_option(label="Release the selected held signatures…")
    page.get_by_role("button", name="Run").click()
    check("release confirmation")
    page.get_by_role("button", name="Release").click()
    expect(page.get_by_text("2 signature(s) released")).to_be_visible()
    assert public_count(page, live_server, real_campaign) == 17

    # The queue: each message read in full, the real one approved and the spam hidden.
    page.get_by_role("link", name="Home").first.click()
    page.get_by_role("link", name="Moderation queue").click()
    expect(page.get_by_text("2 messages waiting")).to_be_visible()
    check("moderation queue")
    for _ in range(2):
        entry = page.locator(".queue-entry").first
        text = entry.locator("blockquote")
        text.scroll_into_view_if_needed()
        expect(text).to_be_visible()
        if "cheap followers" in text.inner_text():
            entry.get_by_role("button", name="Hide").click()
            expect(page.get_by_text("1 message(s) hidden")).to_be_visible()
        else:
            assert text.inner_text() == REAL_MESSAGE
            entry.get_by_role("button", name="Approve").click()
            expect(page.get_by_text("1 message(s) approved")).to_be_visible()
    expect(page.get_by_text("Nothing is waiting")).to_be_visible()

    page.goto(live_server.url + real_campaign.get_absolute_url())
    expect(page.get_by_text(REAL_MESSAGE)).to_be_visible()
    expect(page.get_by_text("cheap followers")).to_have_count(0)
    check("campaign page")
    assert violations == {name: [] for name in violations}
