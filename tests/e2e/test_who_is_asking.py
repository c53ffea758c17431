"""The organiser in the header and footer, and the privacy notice, as a phone shows them."""

import pytest

from campaign.models import Campaign, Organiser

from .screens import sticking_out

pytestmark = pytest.mark.browser


@pytest.fixture
def run_by_a_long_named_charity(real_campaign):
    organiser = Organiser.objects.create(
        name="The Association of Parents and Teachers for Children's Safety Online in Wales",
        logo="favicon.svg",
        charity_number="0000000",
        postal_address="1 High Street\nCardiff",
        email="supporters-and-questions@parents-and-teachers.example",
    )
    Campaign.objects.filter(pk=real_campaign.pk).update(organiser=organiser)
    return organiser


def test_the_header_names_the_organiser_by_its_logo_and_fits_a_360_pixel_phone(
    live_server, phone, run_by_a_long_named_charity, accessibility_violations
):
    phone.goto(live_server.url + "/")

    logo = phone.get_by_role("banner").get_by_role("img", name=run_by_a_long_named_charity.name)
    assert logo.is_visible()
    assert logo.evaluate("image => image.naturalWidth > 0")  # served under the Content Security Policy
    box = logo.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert sticking_out(phone) == []
    assert phone.get_by_role("contentinfo").get_by_text("registered charity number 0000000").is_visible()
    assert accessibility_violations(phone) == []


def test_the_campaigns_privacy_notice_on_a_phone(live_server, phone, real_campaign, accessibility_violations):
    phone.goto(live_server.url + "/")
    phone.get_by_role("contentinfo").get_by_role("link", name="Privacy notice").click()

    assert phone.url.endswith("/c/online-safety-bill/privacy/")
    assert phone.get_by_text("the data controller is NSPCC").is_visible()
    assert phone.get_by_role("link", name="ico.org.uk").is_visible()
    assert sticking_out(phone) == []
    assert accessibility_violations(phone) == []
