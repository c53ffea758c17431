"""Signing in Welsh on a phone: from the Welsh front page (chosen by the browser's language) through the form, the
Welsh email received over real SMTP, confirming and withdrawing, with axe on every Welsh page."""

import re
from urllib.parse import urlsplit

import pytest

from petition.models import Signature
from tests.petition.conftest import smtp_server  # noqa: F401 (a fixture: a real SMTP server on loopback)

from .conftest import PHONE
from .screens import sticking_out

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("signing_at_once")]


@pytest.fixture
def welsh_phone(browser):
    """A phone whose browser asks for Welsh first, then English."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="cy-GB")
    page = context.new_page()
    yield page
    context.close()


def test_signing_in_welsh_on_a_phone_with_the_email_over_smtp(
    live_server,
    real_campaign,
    welsh_phone,
    smtp_server,  # noqa: F811
    accessibility_violations,
):
    page = welsh_phone
    page.goto(live_server.url + "/")

    assert urlsplit(page.url).path == "/cy/"
    assert page.locator("html").get_attribute("lang") == "cy"
    assert page.get_by_role("heading", level=1).inner_text() == "Rhowch blant wrth galon y Bil Diogelwch Ar-lein"
    english = page.get_by_role("link", name="English")
    assert (english.get_attribute("lang"), english.get_attribute("href")) == ("en-GB", "/")
    assert accessibility_violations(page) == []
    assert sticking_out(page) == []

    page.locator("form.sign-form").get_by_role("button", name="Llofnodi'r llythyr").click()

    summary = page.get_by_role("alert")
    assert summary.get_by_role("heading", name="Mae problem").is_visible()
    assert summary.get_by_role("link", name="Rhowch eich enw cyntaf").is_visible()
    assert page.title().startswith("Gwall: ")
    assert accessibility_violations(page) == []
    assert sticking_out(page) == []

    page.get_by_label("Enw cyntaf", exact=True).fill("Gwen")
    page.get_by_label("Cyfenw", exact=True).fill("Jones")
    page.get_by_label("Cyfeiriad e-bost", exact=True).fill("gwen.jones@example.org")
    page.get_by_label("Cod post", exact=True).fill("cf10 1aa")
    page.get_by_role("button", name="Llofnodi'r llythyr").last.click()

    assert page.get_by_role("heading", level=1).inner_text() == "Gwiriwch eich e-bost"
    assert urlsplit(page.url).path == "/cy/c/online-safety-bill/check-your-email/"
    assert accessibility_violations(page) == []
    assert sticking_out(page) == []
    signature = Signature.objects.get()
    assert (signature.language, signature.region) == ("cy", "wales")

    (recipients, message), *others = smtp_server.messages
    assert others == []
    assert recipients == ["gwen.jones@example.org"]
    # Folded over two lines by the sender, as a long subject is: a mail client reads it as one.
    assert message["Subject"].strip() == "Cadarnhewch eich llofnod: Rhowch blant wrth galon y Bil Diogelwch Ar-lein"
    text = message.get_body(("plain",)).get_content()
    assert text.startswith("Cadarnhewch eich llofnod ar y llythyr agored")
    confirm_path = urlsplit(re.search(r"https?://\S+/confirm/\S+/", text).group()).path
    withdraw_path = urlsplit(re.search(r"https?://\S+/withdraw/\S+/", text).group()).path
    assert confirm_path.startswith("/cy/") and withdraw_path.startswith("/cy/")
    assert 'lang="cy"' in message.get_body(("html",)).get_content()

    page.goto(live_server.url + confirm_path)

    assert page.get_by_role("heading", level=1).inner_text() == "Cadarnhewch eich llofnod"
    assert accessibility_violations(page) == []
    assert sticking_out(page) == []
    page.get_by_role("button", name="Cadarnhau fy llofnod").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Diolch am lofnodi"
    assert Signature.objects.get().status == Signature.Status.CONFIRMED
    assert accessibility_violations(page) == []
    assert sticking_out(page) == []

    page.goto(live_server.url + withdraw_path)

    assert page.get_by_role("heading", level=1).inner_text() == "Tynnu eich llofnod yn ôl"
    assert accessibility_violations(page) == []
    page.get_by_role("button", name="Tynnu fy llofnod yn ôl").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Mae eich llofnod wedi'i dynnu'n ôl"
    assert accessibility_violations(page) == []
    assert sticking_out(page) == []
    assert Signature.objects.count() == 0


def test_a_welsh_page_offers_english_and_the_english_page_stays_english(live_server, real_campaign, welsh_phone):
    page = welsh_phone
    page.goto(live_server.url + "/cy/c/online-safety-bill/privacy/")

    page.get_by_role("link", name="English").click()

    assert urlsplit(page.url).path == "/c/online-safety-bill/privacy/"
    assert page.locator("html").get_attribute("lang") == "en-GB"
    page.get_by_role("link", name=re.compile("^Open letter for children")).click()
    # A visit from one of the site's own pages is not a first visit: the browser's Welsh is not applied again.
    assert urlsplit(page.url).path == "/"
    assert page.locator("html").get_attribute("lang") == "en-GB"
