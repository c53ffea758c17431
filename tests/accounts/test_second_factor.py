"""The second factor: set up at the first sign-in, asked for at every sign-in after, recovery codes, reset."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import clear_script_prefix, set_script_prefix
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.middleware import SecondFactorMiddleware
from tests.conftest import code_from_app, sign_in

PASSWORD = "a long enough password"
VERIFY = "/admin/second-factor/"
SETUP = "/admin/second-factor/set-up/"
CODES = "/admin/second-factor/recovery-codes/"


@pytest.fixture
def now():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def moderator_user(db):
    return User.objects.create_user("mod", password=PASSWORD, is_staff=True)


@pytest.fixture
def with_app(moderator_user):
    return TOTPDevice.objects.create(user=moderator_user, name="Authenticator app", confirmed=True)


def password_only(username="mod"):
    """A browser that has given the right password, and nothing more."""
    client = Client()
    response = client.post("/admin/login/", {"username": username, "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    return client


def test_a_staff_member_without_an_authenticator_sets_one_up_after_the_password(moderator_user, now):
    client = password_only()

    sent = client.get("/admin/")
    assert sent.status_code == 302 and sent["Location"] == f"{SETUP}?next=%2Fadmin%2F"
    page = client.get(sent["Location"]).content.decode()
    device = TOTPDevice.objects.get(user=moderator_user, confirmed=False)
    assert 'src="data:image/svg+xml' in page
    assert " ".join(re.findall(r"[A-Z2-7]{4}", page.split('class="secret">')[1].split("<")[0])) in page
    assert client.get("/admin/").status_code == 302  # not yet

    confirmed = client.post(SETUP, {"code": code_from_app(device), "next": "/admin/"})

    assert confirmed.status_code == 302 and confirmed["Location"] == f"{CODES}?next=%2Fadmin%2F"
    shown = client.get(confirmed["Location"]).content.decode()
    codes = re.findall(r"<li><code>(\w+)</code></li>", shown)
    assert len(codes) == 10
    assert set(codes) == set(StaticToken.objects.filter(device__user=moderator_user).values_list("token", flat=True))
    assert not any(code in client.get(CODES).content.decode() for code in codes)  # shown once
    assert client.get("/admin/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed


def test_a_wrong_code_at_setup_leaves_the_admin_shut(moderator_user, now):
    client = password_only()
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=moderator_user)

    page = client.post(SETUP, {"code": f"{(int(code_from_app(device)) + 1) % 1_000_000:06d}"}).content.decode()

    assert "That code did not work" in page
    assert not TOTPDevice.objects.filter(confirmed=True).exists()
    again = client.post(SETUP, {"code": "000000"}).content.decode()
    assert "too many have been tried: wait 2 seconds" in again
    assert client.get("/admin/").status_code == 302
    assert client.get("/staff/c/letter/export/").status_code == 302


def test_reloading_the_setup_page_keeps_the_same_secret(moderator_user):
    client = password_only()
    first = client.get(SETUP).content.decode().split('class="secret">')[1].split("<")[0]
    again = client.get(SETUP).content.decode().split('class="secret">')[1].split("<")[0]
    assert first == again
    assert TOTPDevice.objects.filter(user=moderator_user).count() == 1


def test_with_an_authenticator_the_code_is_asked_after_the_password_and_opens_the_admin(with_app, now):
    with_app.user.groups.set(Group.objects.filter(name="Moderators"))
    client = password_only()

    sent = client.get("/admin/petition/signature/")
    assert sent["Location"] == f"{VERIFY}?next=%2Fadmin%2Fpetition%2Fsignature%2F"
    assert client.get(SETUP)["Location"].startswith(VERIFY)  # no second authenticator for someone with one
    wrong = client.post(VERIFY, {"code": "000000" if code_from_app(with_app) != "000000" else "111111"})
    assert "That code did not work" in wrong.content.decode()
    now.shift(timedelta(seconds=2))  # past the wait a wrong code earns

    through = client.post(VERIFY, {"code": code_from_app(with_app), "next": "/admin/petition/signature/"})

    assert through.status_code == 302 and through["Location"] == "/admin/petition/signature/"
    assert client.get("/admin/petition/signature/").status_code == 200


def test_each_wrong_code_makes_the_next_wait_longer(with_app, now):
    client = password_only()
    right = code_from_app(with_app)
    wrong = "000000" if right != "000000" else "111111"
    client.post(VERIFY, {"code": wrong})
    now.shift(timedelta(seconds=2))
    client.post(VERIFY, {"code": wrong})

    refused = client.post(VERIFY, {"code": right}).content.decode()
    assert "wait 3 seconds" in refused or "wait 2 seconds" in refused
    now.shift(timedelta(seconds=3))
    assert client.post(VERIFY, {"code": right}).status_code == 302


def test_a_code_from_the_app_works_only_once(with_app, now):
    code = code_from_app(with_app)
    assert password_only().post(VERIFY, {"code": code}).status_code == 302
    assert "That code did not work" in password_only().post(VERIFY, {"code": code}).content.decode()


def test_a_recovery_code_signs_in_once_and_says_how_many_are_left(with_app, now):
    client = Client()
    sign_in(client, with_app.user)
    client.post(CODES)
    codes = re.findall(r"<li><code>(\w+)</code></li>", client.get(CODES).content.decode())

    used = password_only()
    through = used.post(VERIFY, {"code": codes[0].upper(), "next": "/admin/"}, follow=True)
    again = password_only().post(VERIFY, {"code": codes[0]})

    assert through.redirect_chain[0] == ("/admin/", 302)
    assert "You used a recovery code: 9 left." in through.content.decode()
    assert "That code did not work" in again.content.decode()


def test_making_new_recovery_codes_retires_the_old_ones(with_app, now):
    client = Client()
    sign_in(client, with_app.user)
    client.post(CODES)
    old = re.findall(r"<li><code>(\w+)</code></li>", client.get(CODES).content.decode())
    client.post(CODES)
    new = re.findall(r"<li><code>(\w+)</code></li>", client.get(CODES).content.decode())

    assert len(new) == 10 and not set(old) & set(new)
    assert "That code did not work" in password_only().post(VERIFY, {"code": old[1]}).content.decode()
    assert "You have 10 unused recovery codes" in client.get(CODES).content.decode()


def test_after_the_code_only_addresses_on_this_site_are_followed(with_app, now):
    response = password_only().post(VERIFY, {"code": code_from_app(with_app), "next": "https://evil.example/"})
    assert response["Location"] == "/admin/"


def test_the_code_gives_a_new_session_key(with_app, now):
    client = password_only()
    before = client.cookies["sessionid"].value
    client.post(VERIFY, {"code": code_from_app(with_app)})
    assert client.cookies["sessionid"].value != before


@pytest.mark.parametrize("path", [VERIFY, SETUP])
def test_the_second_factor_pages_are_in_the_admin_frame_with_no_inline_script_or_style(db, path):
    User.objects.create_user("mod", password=PASSWORD, is_staff=True)
    if path == VERIFY:
        TOTPDevice.objects.create(user=User.objects.get(), confirmed=True)
    page = password_only().get(path).content.decode()

    assert "Open letter administration" in page
    assert 'action="/admin/logout/"' in page
    assert "<script>" not in page and "style=" not in page and "<style" not in page
    assert 'autocomplete="one-time-code"' in page


def test_reset_second_factor_forgets_the_app_and_the_codes_and_ends_the_sessions(with_app):
    boss = User.objects.create_superuser("boss", password=PASSWORD)
    lost = Client()
    sign_in(lost, with_app.user)
    lost.post(CODES)

    call_command("reset_second_factor", "mod", "--by", "boss")

    assert not TOTPDevice.objects.filter(user=with_app.user).exists()
    assert not StaticToken.objects.exists()
    assert lost.get("/admin/").status_code == 302 and not Session.objects.exists()
    entry = LogEntry.objects.get()
    assert (entry.user, entry.object_id) == (boss, str(with_app.user.pk))
    assert "Reset the second factor" in entry.change_message
    assert password_only().get("/admin/")["Location"].startswith(SETUP)


def test_reset_second_factor_names_who_did_it(with_app):
    User.objects.create_user("helper", password=PASSWORD, is_staff=True)
    with pytest.raises(CommandError, match="must name an active superuser"):
        call_command("reset_second_factor", "mod", "--by", "helper")
    with pytest.raises(CommandError, match="no account called 'nobody'"):
        call_command("reset_second_factor", "nobody", "--by", "helper")
    assert TOTPDevice.objects.exists()


def test_the_gate_holds_when_the_site_is_served_under_a_prefix(with_app):
    gate = SecondFactorMiddleware(lambda request: HttpResponse("the admin"))
    request = RequestFactory().get("/admin/", SCRIPT_NAME="/letter")
    request.user = with_app.user
    request.user.is_verified = lambda: False
    set_script_prefix("/letter/")
    try:
        response = gate(request)
    finally:
        clear_script_prefix()
    assert response.status_code == 302 and response["Location"].startswith("/letter/admin/second-factor/?next=")
