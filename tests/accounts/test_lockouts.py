"""Guessing staff passwords: stopped per (username, address), slowed per username, never locking the owner out."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.lockouts import client_network
from tests.conftest import code_from_app

PASSWORD = "a long enough password"


@pytest.fixture
def now():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def mod(db):
    user = User.objects.create_user("mod", password=PASSWORD, is_staff=True)
    TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    return user


def attempt(client, address, password, username="mod"):
    return client.post("/admin/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def sign_in_fully(client, user, address):
    """Password then code, from one address: the whole way in. Returns the admin's answer afterwards."""
    assert attempt(client, address, PASSWORD, user.username).status_code == 302
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    assert client.post("/admin/second-factor/", {"code": code_from_app(device)}, REMOTE_ADDR=address).status_code == 302
    return client.get("/admin/", REMOTE_ADDR=address)


def sign_out(client, address):
    client.post("/admin/logout/", REMOTE_ADDR=address)


def test_a_stranger_failing_fifty_times_from_many_addresses_does_not_stop_the_moderator(mod, now):
    home, office = "198.51.100.7", "2001:db8:aa:1::5"
    own_browser = Client()
    assert sign_in_fully(own_browser, mod, home).status_code == 200
    now.shift(timedelta(minutes=1))
    assert sign_in_fully(Client(), mod, office).status_code == 200
    sign_out(own_browser, home)

    stranger = Client()
    for i in range(50):
        attempt(stranger, f"203.0.113.{i}" if i % 2 else f"2001:db8:bad:{i}::1", f"guess {i}")
    refused = attempt(Client(), "192.0.2.200", PASSWORD)  # even the right password, from a new place
    now.shift(timedelta(minutes=1))  # the next code from the app

    # From their own browser, wherever it is; or from a familiar address, in any browser.
    assert sign_in_fully(own_browser, mod, "192.0.2.77").status_code == 200
    now.shift(timedelta(minutes=1))
    assert sign_in_fully(Client(), mod, "2001:db8:aa:1::9").status_code == 200
    assert refused.status_code == 429
    assert "Too many sign-in attempts" in refused.content.decode()


def test_a_spray_from_one_slash_64_is_locked_out_as_one_address(mod, settings):
    settings.AXES_FAILURE_LIMIT = 5
    statuses = [attempt(Client(), f"2001:db8:1:2::{i + 1:x}", f"guess {i}").status_code for i in range(5)]

    locked = attempt(Client(), "2001:db8:1:2:ffff:ffff:ffff:ffff", PASSWORD)
    neighbour = attempt(Client(), "2001:db8:1:3::1", PASSWORD)

    assert statuses == [200, 200, 200, 200, 429]  # the fifth wrong password locks
    assert locked.status_code == 429
    assert neighbour.status_code == 302
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["2001:db8:1:2::"]


def test_a_guesser_at_one_address_is_locked_out_there_and_nowhere_else(mod, settings):
    settings.AXES_FAILURE_LIMIT = 5
    for i in range(5):
        attempt(Client(), "192.0.2.9", f"guess {i}")

    assert attempt(Client(), "192.0.2.9", PASSWORD).status_code == 429
    assert attempt(Client(), "192.0.2.10", PASSWORD).status_code == 302
    assert attempt(Client(), "192.0.2.9", PASSWORD, username="other").status_code == 200  # another username


def test_past_the_username_limit_new_places_wait_for_the_hour_without_their_password_being_checked(mod, now, settings):
    settings.STAFF_LOGIN_USERNAME_LIMIT = 3
    for i in range(3):
        assert attempt(Client(), f"203.0.113.{i}", f"guess {i}").status_code == 200

    held = attempt(Client(), "203.0.113.50", PASSWORD)
    now.shift(timedelta(hours=1))
    later = attempt(Client(), "203.0.113.51", PASSWORD)

    assert held.status_code == 429
    assert later.status_code == 302
    mod.refresh_from_db()
    assert mod.last_login == timezone.now()  # only the later one signed in


def test_wrong_passwords_from_a_familiar_place_do_not_hold_the_username_back(mod, now, settings):
    settings.STAFF_LOGIN_USERNAME_LIMIT = 3
    own = Client()
    sign_in_fully(own, mod, "198.51.100.7")
    sign_out(own, "198.51.100.7")
    for i in range(4):
        attempt(own, "198.51.100.7", f"typo {i}")  # the owner mistyping: axes' own limit still applies

    assert attempt(Client(), "192.0.2.1", PASSWORD).status_code == 302


def test_a_forged_familiar_cookie_does_not_help(mod, now, settings):
    settings.STAFF_LOGIN_USERNAME_LIMIT = 1
    attempt(Client(), "203.0.113.1", "guess")
    forger = Client()
    forger.cookies["staff_familiar"] = "made-up:value"

    assert attempt(forger, "203.0.113.2", PASSWORD).status_code == 429


@pytest.mark.parametrize(
    ("address", "counted_as"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::"),
        ("2001:db8:1:2::", "2001:db8:1:2::"),
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
        ("", ""),
    ],
)
def test_axes_counts_an_ipv6_address_by_its_slash_64(address, counted_as):
    assert client_network(RequestFactory().get("/", REMOTE_ADDR=address)) == counted_as
