"""A moderator's first sign-in on a phone: password, setting up the authenticator app, recovery codes; then the code."""

import re
from base64 import b32decode
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.utils import timezone
from django_otp.oath import totp
from playwright.sync_api import expect

from .screens import sticking_out

pytestmark = pytest.mark.browser


def code_for(secret):
    """What an authenticator app shows for a key typed in by hand."""
    return f"{totp(b32decode(secret.replace(' ', ''))):06d}"


def sign_in_with_password(page, live_server):
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("mod")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Log in").click()


def test_a_moderator_sets_up_the_second_factor_and_signs_in_with_a_code_at_360_px(
    browser, phone, live_server, accessibility_violations
):
    user = User.objects.create_user("mod", password="a long enough password", is_staff=True)
    user.groups.set(Group.objects.filter(name="Moderators"))
    violations = {}

    phone.goto(live_server.url + "/admin/login/")
    violations["sign-in"] = accessibility_violations(phone)
    sign_in_with_password(phone, live_server)

    expect(phone).to_have_url(re.compile(r"/admin/second-factor/set-up/"))
    expect(
        phone.get_by_role("img", name="QR code that adds this staff account to an authenticator app")
    ).to_be_visible()
    violations["set-up"] = accessibility_violations(phone)
    assert sticking_out(phone) == []
    secret = phone.locator(".secret").inner_text()
    phone.get_by_label("Code").fill(code_for(secret))
    phone.get_by_role("button", name="Confirm and continue").click()

    expect(phone.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    violations["recovery codes"] = accessibility_violations(phone)
    assert sticking_out(phone) == []
    assert len(phone.locator(".recovery-codes code").all_inner_texts()) == 10
    phone.get_by_role("link", name="I have kept them: continue").click()
    expect(phone).to_have_url(live_server.url + "/admin/")

    # A minute later, on another phone: the password, then the code the app shows then.
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        other = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
        page = other.new_page()
        sign_in_with_password(page, live_server)
        expect(page).to_have_url(re.compile(r"/admin/second-factor/\?next="))
        violations["code"] = accessibility_violations(page)
        assert sticking_out(page) == []
        page.get_by_label("Code").fill(code_for(secret))
        page.get_by_role("button", name="Continue").click()
        expect(page).to_have_url(live_server.url + "/admin/")
        expect(page.get_by_role("link", name="Signatures").first).to_be_visible()
        other.close()

    assert violations == {"sign-in": [], "set-up": [], "recovery codes": [], "code": []}
