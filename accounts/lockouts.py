"""Staff sign-in against guessing, without letting an outsider lock a moderator out.

Three rules, from narrow to wide:

1. django-axes locks a (username, address) pair after STAFF_LOGIN_FAILURE_LIMIT wrong passwords, for
   STAFF_LOGIN_LOCKOUT_MINUTES. An IPv6 address counts by its /64 (`client_network`), so one household's or one
   server's many addresses are one guesser.
2. For each username, at most STAFF_LOGIN_USERNAME_LIMIT wrong passwords an hour are allowed from places that
   account has not signed in from; past that, such places are refused until the hour is over, without the password
   being checked. A guesser spread over many addresses gets that many guesses an hour, not thousands.
3. A familiar place is never held back by rule 2: a browser carrying the signed cookie this account got at a
   complete sign-in (password and second factor), or an address it completed a sign-in from. So the moderator,
   from their own browser or office, signs in while a stranger elsewhere is refused.

The counters live in the default cache (Redis in production, shared by every app server).
"""

from __future__ import annotations

import ipaddress
import time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac

from petition.ratelimits import client_ip

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

WINDOW = 3600
FAMILIAR_COOKIE = "staff_familiar"
FAMILIAR_DAYS = 90
# Accounts one browser remembers (a shared office machine may be used by several).
FAMILIAR_PER_BROWSER = 5


def client_network(request: HttpRequest) -> str:
    """The caller's address as django-axes should count it: an IPv6 address by its /64's first address.

    Still a valid address, so that axes can store it in the database as it is.
    """
    address = client_ip(request)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6 and not ip.ipv4_mapped:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return address


def _key(*parts: str) -> str:
    """A keyed hash: the cache and the cookie never hold a username or an address as it is."""
    return salted_hmac("accounts.lockouts", "\0".join(parts), algorithm="sha256").hexdigest()[:32]


def _failures_key(username: str) -> str:
    return f"staff-login:failures:{_key(username)}:{int(time.time() // WINDOW)}"


def _address_key(username: str, request: HttpRequest) -> str:
    return f"staff-login:familiar:{_key(username, client_network(request))}"


def _browser_accounts(request: HttpRequest) -> list[str]:
    value = (
        request.get_signed_cookie(FAMILIAR_COOKIE, default="", salt="accounts.familiar", max_age=FAMILIAR_DAYS * 86400)
        or ""
    )
    return [account for account in value.split(",") if account]


def is_familiar(request: HttpRequest, username: str) -> bool:
    """Whether this account has completed a sign-in from this browser or this address."""
    return _key(username) in _browser_accounts(request) or bool(cache.get(_address_key(username, request)))


def remember_familiar(request: HttpRequest, response: HttpResponse, user: AbstractBaseUser) -> None:
    """After a complete sign-in: this browser and this address are familiar to the account from now on."""
    username = user.get_username()
    cache.set(_address_key(username, request), 1, FAMILIAR_DAYS * 86400)
    accounts = [_key(username)] + [key for key in _browser_accounts(request) if key != _key(username)]
    response.set_signed_cookie(
        FAMILIAR_COOKIE,
        ",".join(accounts[:FAMILIAR_PER_BROWSER]),
        salt="accounts.familiar",
        max_age=FAMILIAR_DAYS * 86400,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def username_held_back(request: HttpRequest, username: str) -> bool:
    """Rule 2: whether a sign-in as this username from here is refused for the rest of the hour."""
    failures = cache.get(_failures_key(username), 0)
    return bool(failures >= settings.STAFF_LOGIN_USERNAME_LIMIT and not is_familiar(request, username))


def count_failure(
    sender: object, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: object
) -> None:
    """Receiver of user_login_failed: a wrong password from an unfamiliar place counts against the username."""
    username = credentials.get("username")
    if request is None or not isinstance(username, str) or is_familiar(request, username):
        return
    key = _failures_key(username)
    if not cache.add(key, 1, WINDOW + 1):
        try:
            cache.incr(key)
        except ValueError:  # expired between the two calls
            cache.add(key, 1, WINDOW + 1)


class UsernameBackOff:
    """An authentication backend that signs nobody in: it refuses, before the password is checked, a username
    held back by rule 2 (django-axes' middleware then shows its lockout page)."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: object
    ) -> None:
        if request is not None and username and username_held_back(request, username):
            request.axes_locked_out = True  # type: ignore[attr-defined]
            raise PermissionDenied("Too many wrong passwords for this account from unfamiliar places.")
