"""Signing in a real browser: the form, the email, confirming and withdrawing, on a phone and without JavaScript."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from petition.models import Signature

from .screens import sticking_out

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("signing_at_once")]

SIGN_PAGE = "/c/online-safety-bill/sign/"
PHONE_WIDTH = 360


def shown_count(page):
    return page.locator("[data-count]").get_attribute("data-count")


def fill_in_the_form(page, email="asha.patel@example.org"):
    page.get_by_label("First name", exact=True).fill("Asha")
    page.get_by_label("Last name", exact=True).fill("Patel")
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_label("Postcode", exact=True).fill("sw1a 1aa")
    page.get_by_role("button", name="Sign the letter").click()


def links_in(message):
    """The confirm and withdraw paths in an email's plain text, to open on the live server."""
    confirm = re.search(r"https?://\S+/confirm/\S+/", message.body).group()
    withdraw = re.search(r"https?://\S+/withdraw/\S+/", message.body).group()
    return urlsplit(confirm).path, urlsplit(withdraw).path


def test_signing_on_a_phone_from_empty_form_to_confirmed_and_withdrawn(
    live_server, real_campaign, phone, accessibility_violations, mailoutbox
):
    page = phone
    page.goto(live_server.url + "/")
    assert sticking_out(page) == []

    page.get_by_role("button", name="Sign the letter").click()

    summary = page.get_by_role("alert")
    # expect() waits for the page the press leads to; is_visible() would look at once, perhaps at the old one.
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary.get_by_role("link", name="Enter your first name")).to_be_visible()
    assert summary.get_by_role("link", name="Enter your email address").get_attribute("href") == "#id_email"
    assert page.title().startswith("Error: ")
    assert accessibility_violations(page) == []
    assert sticking_out(page) == []
    assert Signature.objects.count() == 0

    fill_in_the_form(page)

    assert page.get_by_role("heading", level=1).inner_text() == "Check your email"
    assert accessibility_violations(page) == []
    assert sticking_out(page) == []
    (message,) = mailoutbox
    assert message.to == ["asha.patel@example.org"]
    confirm_path, withdraw_path = links_in(message)

    page.goto(live_server.url + confirm_path)

    assert page.get_by_role("button", name="Confirm my signature").is_visible()
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.PENDING
    assert (signature.postcode, signature.region) == ("SW1A 1AA", "london")
    assert accessibility_violations(page) == []
    assert sticking_out(page) == []

    page.get_by_role("button", name="Confirm my signature").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Thank you for signing"
    assert shown_count(page) == "1"
    assert Signature.objects.get().status == Signature.Status.CONFIRMED
    assert accessibility_violations(page) == []
    assert sticking_out(page) == []

    page.goto(live_server.url + "/")
    assert shown_count(page) == "1"

    page.goto(live_server.url + withdraw_path)
    assert sticking_out(page) == []
    page.get_by_role("button", name="Withdraw my signature").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Your signature has been withdrawn"
    assert accessibility_violations(page) == []
    assert sticking_out(page) == []
    assert Signature.objects.count() == 0
    page.goto(live_server.url + "/")
    assert shown_count(page) == "0"


def test_error_summary_link_moves_focus_to_the_field_it_names(live_server, real_campaign, phone):
    page = phone
    page.goto(live_server.url + SIGN_PAGE)
    page.get_by_label("First name", exact=True).fill("Asha")
    page.get_by_role("button", name="Sign the letter").click()

    page.get_by_role("alert").get_by_role("link", name="Enter your email address").click()

    assert page.evaluate("document.activeElement.id") == "id_email"
    assert page.get_by_label("First name", exact=True).input_value() == "Asha"


def test_signing_works_without_javascript(browser, live_server, real_campaign, mailoutbox):
    context = browser.new_context(java_script_enabled=False, viewport={"width": PHONE_WIDTH, "height": 740})
    page = context.new_page()
    page.goto(live_server.url + "/")

    fill_in_the_form(page)

    assert page.get_by_role("heading", level=1).inner_text() == "Check your email"
    assert len(mailoutbox) == 1
    assert Signature.objects.get().status == Signature.Status.PENDING
    context.close()


def test_a_mistyped_email_provider_is_asked_about_on_a_phone_and_yes_signs_with_the_correction(
    live_server, real_campaign, phone, accessibility_violations, mailoutbox
):
    page = phone
    page.goto(live_server.url + SIGN_PAGE)

    fill_in_the_form(page, email="asha.patel@gmial.com")

    summary = page.get_by_role("alert")
    assert summary.get_by_role("link", name="Did you mean asha.patel@gmail.com?").get_attribute("href") == "#id_email"
    email = page.get_by_label("Email address", exact=True)
    assert email.get_attribute("aria-describedby") == "id_email_helptext id_email_error"
    assert page.locator("#id_email_error").text_content() == "Error: Did you mean asha.patel@gmail.com?"
    yes = page.get_by_role("button", name="Yes, use asha.patel@gmail.com")
    assert yes.is_visible()
    assert page.get_by_role("button", name="No, keep asha.patel@gmial.com").is_visible()
    assert accessibility_violations(page) == []
    assert sticking_out(page) == []
    assert Signature.objects.count() == 0

    # Enter in a field sends the form as "Sign the letter" does, not as "Yes": the question is asked again.
    with page.expect_navigation():
        email.press("Enter")
    assert yes.is_visible()
    assert Signature.objects.count() == 0

    yes.click()

    assert page.get_by_role("heading", level=1).inner_text() == "Check your email"
    (message,) = mailoutbox
    assert message.to == ["asha.patel@gmail.com"]
    assert (Signature.objects.get().postcode, Signature.objects.get().first_name) == ("SW1A 1AA", "Asha")


@pytest.mark.parametrize("path", [SIGN_PAGE, "/c/online-safety-bill/resend/"])
def test_form_pages_have_no_accessibility_violations_before_and_after_a_mistake(
    live_server, real_campaign, phone, accessibility_violations, path
):
    phone.goto(live_server.url + path)
    assert accessibility_violations(phone) == []
    assert sticking_out(phone) == []

    phone.get_by_role("main").get_by_role("button").click()

    expect(phone.get_by_role("alert").get_by_role("heading", name="There is a problem")).to_be_visible()
    assert accessibility_violations(phone) == []
    assert sticking_out(phone) == []


def test_too_many_signatures_page_has_no_accessibility_violations(
    live_server, real_campaign, phone, accessibility_violations, settings
):
    # One signature an hour: a window that long will not roll over between the two signatures.
    settings.SIGN_CEILINGS_PER_IP = [(1, 3600)]
    phone.goto(live_server.url + SIGN_PAGE)
    fill_in_the_form(phone, email="first@example.org")
    assert phone.get_by_role("heading", level=1).inner_text() == "Check your email"

    phone.goto(live_server.url + SIGN_PAGE)
    with phone.expect_response(lambda response: response.request.method == "POST") as posted:
        fill_in_the_form(phone, email="second@example.org")

    assert posted.value.status == 429
    assert phone.get_by_role("heading", level=1).inner_text() == "Too many signatures in a short time"
    assert phone.get_by_label("Email address", exact=True).input_value() == "second@example.org"  # kept
    assert Signature.objects.count() == 1
    assert accessibility_violations(phone) == []
    assert sticking_out(phone) == []


def test_invalid_confirmation_link_page_has_no_accessibility_violations(
    live_server, real_campaign, phone, accessibility_violations
):
    response = phone.goto(live_server.url + "/c/online-safety-bill/confirm/bad-token/")

    assert response.status == 404
    assert phone.get_by_role("heading", level=1).inner_text() == "This link has expired or is not valid"
    assert accessibility_violations(phone) == []
    assert sticking_out(phone) == []
