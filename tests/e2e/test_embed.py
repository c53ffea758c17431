"""The sign page in a partner's frame, in a real browser on a phone: a partner's page on another site frames it with the
snippet staff copy, a visitor signs inside the frame (where the browser sends none of our cookies), and the signature
arrives with the embed channel; a site that is not a partner cannot frame it, nor any other page."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from petition import embedding
from petition.models import Signature

from .conftest import PHONE
from .screens import sticking_out

pytestmark = pytest.mark.browser


class OtherSite(ThreadingHTTPServer):
    """Another website on this machine, at its own origin (another host name and port): a page framing `framing`."""

    def __init__(self, host):
        self.framing = ""
        super().__init__((host, 0), OtherSitePage)
        self.origin = f"http://{host}:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()


class OtherSitePage(BaseHTTPRequestHandler):
    def do_GET(self):
        body = (
            '<!doctype html><html lang="en"><head><meta name="viewport" content="width=device-width">'
            f"<title>A partner's news</title></head><body><h1>Our news</h1>{self.server.framing}</body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def partner():
    """A partner's site: 127.0.0.1, where the site under test is localhost, so another origin and another site
    (to the browser's cookies too)."""
    site = OtherSite("127.0.0.1")
    yield site
    site.shutdown()
    site.server_close()


@pytest.fixture
def stranger():
    """A site that is not a partner: the IPv4 loopback under another address."""
    site = OtherSite("127.0.0.2")
    yield site
    site.shutdown()
    site.server_close()


@pytest.fixture(autouse=True)
def framed_at_once(signing_at_once, settings, live_server, partner):
    """Signing at a test's pace; the site is where the live server is, and the partner may frame it."""
    settings.SITE_URL = live_server.url  # the origin the embedded form must come from
    settings.EMBED_ORIGINS = [partner.origin]


def test_a_visitor_signs_inside_a_partners_frame_and_the_signature_carries_the_embed_channel(
    live_server, real_campaign, partner, phone, accessibility_violations, mailoutbox
):
    page = phone
    partner.framing = embedding.snippet(real_campaign)
    page.goto(f"{partner.origin}/news/")
    frame = page.frame_locator("iframe")

    expect(frame.get_by_role("heading", level=1)).to_have_text(real_campaign.title)
    document = page.locator("iframe").element_handle().content_frame()
    assert page.locator("iframe").get_attribute("title") == f"Sign the open letter: {real_campaign.title}"
    assert accessibility_violations(document) == []
    assert sticking_out(document) == []
    assert page.context.cookies(live_server.url) == []  # nothing of ours is kept in a partner's frame
    page.set_viewport_size({"width": 316, "height": 740})  # the frame 300 px wide, in the partner's margins
    assert document.evaluate("document.documentElement.clientWidth") == 300
    assert sticking_out(document) == []
    page.set_viewport_size(PHONE)

    frame.get_by_label("First name", exact=True).fill("Asha")
    frame.get_by_label("Last name", exact=True).fill("Patel")
    frame.get_by_label("Email address", exact=True).fill("asha.patel@example.org")
    frame.get_by_label("Postcode", exact=True).fill("sw1a 1aa")
    frame.get_by_role("button", name="Sign the letter").click()

    expect(frame.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(frame.get_by_text("We have sent a link to asha.patel@example.org")).to_be_visible()
    assert page.url == f"{partner.origin}/news/"  # the visitor never left the partner's page
    signature = Signature.objects.get()
    assert (signature.source, signature.mailbox) == ("embed", "asha.patel@example.org")
    assert len(mailoutbox) == 1
    document = page.locator("iframe").element_handle().content_frame()
    assert accessibility_violations(document) == []
    assert sticking_out(document) == []


def test_a_site_that_is_not_a_partner_cannot_frame_the_sign_page_and_nobody_may_frame_the_campaign_page(
    live_server, real_campaign, partner, stranger, phone
):
    # Frames that load at once, so that the page's load event waits for them (the snippet's wait to be seen).
    embed = f'<iframe src="{live_server.url}/c/{real_campaign.slug}/embed/" title="Sign"></iframe>'
    campaign_page = f'<iframe src="{live_server.url}/c/{real_campaign.slug}/" title="The letter"></iframe>'
    shown = {}
    for site, framing in [(stranger, embed), (partner, campaign_page), (partner, embed)]:
        site.framing = framing
        phone.goto(f"{site.origin}/news/")
        phone.wait_for_load_state("load")
        shown[site.origin, framing] = phone.frame_locator("iframe").get_by_role("heading", level=1).count()

    # The partner's own frame of the sign page shows it: the refusals are the browser's, by our headers.
    assert shown == {(stranger.origin, embed): 0, (partner.origin, campaign_page): 0, (partner.origin, embed): 1}
