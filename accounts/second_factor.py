"""The second factor every staff account needs: a TOTP authenticator app, with single-use recovery codes.

Built on django-otp: its TOTPDevice checks codes (each code once, with throttling that doubles the wait after
every wrong one) and its StaticDevice holds the recovery codes, each deleted as it is used.
"""

from __future__ import annotations

import logging
from base64 import b32encode
from dataclasses import dataclass
from typing import TYPE_CHECKING

import segno
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, User

log = logging.getLogger(__name__)

RECOVERY_CODES = 10


def is_staff(user: AbstractBaseUser | object) -> bool:
    """Whom the second factor is for: anyone signed in who may use the admin or a staff page."""
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and (getattr(user, "is_staff", False) or getattr(user, "is_superuser", False))
    )


def has_authenticator(user: AbstractBaseUser) -> bool:
    return bool(TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists())


def pending_authenticator(user: AbstractBaseUser) -> TOTPDevice:
    """The authenticator being set up: made once, so that reloading the page keeps the same secret."""
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user_id=user.pk, name="Authenticator app", confirmed=False)


def secret(device: TOTPDevice) -> str:
    """The key as typed into an authenticator app by hand: base32, in groups of four."""
    text = b32encode(device.bin_key).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_code(device: TOTPDevice) -> str:
    """The setup link as a QR code, an SVG in a data: URI (the CSP allows images from data:, and nothing inline)."""
    uri: str = segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=4)
    return uri


@dataclass
class Check:
    """What became of a code: the device that accepted it, or why none did."""

    device: Device | None = None
    wait: int = 0  # seconds before another code will be checked
    recovery_codes_left: int | None = None  # when a recovery code was used


def _normalised(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def wait_before_next(device: Device) -> int:
    """Seconds before another code will be checked for this device (each wrong code doubles it)."""
    device.refresh_from_db()
    return _throttled(device)


def _throttled(device: Device) -> int:
    allowed, data = device.verify_is_allowed()
    if allowed:
        return 0
    until = (data or {}).get("locked_until")
    return max(1, int((until - timezone.now()).total_seconds()) + 1) if until else 1


def check_code(user: AbstractBaseUser, code: str) -> Check:
    """Check a code from the authenticator app (six digits) or a recovery code (anything else)."""
    code = _normalised(code)
    model: type[TOTPDevice] | type[StaticDevice] = TOTPDevice if code.isdigit() and len(code) == 6 else StaticDevice
    with transaction.atomic():
        device = model.objects.select_for_update().filter(user_id=user.pk, confirmed=True).first()
        if device is None:
            return Check()
        if wait := _throttled(device):
            return Check(wait=wait)
        if not device.verify_token(code):
            return Check(wait=_throttled(device))
    if isinstance(device, StaticDevice):
        return Check(device, recovery_codes_left=device.token_set.count())
    return Check(device)


def confirm_authenticator(device: TOTPDevice, code: str) -> list[str] | None:
    """Finish setting up: if the app gives the right code, the device counts, and the new recovery codes are returned
    (to be shown once: they are kept as django-otp keeps them, and each works once)."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if _throttled(device) or not device.verify_token(_normalised(code)):
            return None
        TOTPDevice.objects.filter(user_id=device.user_id).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        return new_recovery_codes(device.user)


def new_recovery_codes(user: AbstractBaseUser) -> list[str]:
    """Replace the account's recovery codes with a fresh set; the old ones stop working."""
    device, _ = StaticDevice.objects.get_or_create(user_id=user.pk, defaults={"name": "Recovery codes"})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user: AbstractBaseUser) -> int:
    return int(StaticToken.objects.filter(device__user_id=user.pk).count())


def reset(user: User, *, by: User) -> int:
    """Forget a staff member's authenticator and recovery codes (a lost phone), and end their sessions.

    They set a new one up at their next sign-in. Recorded in the user's history in the admin.
    Returns how many sessions were ended.
    """
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        ended = [
            session.pk
            for session in Session.objects.filter(expire_date__gt=timezone.now())
            if session.get_decoded().get("_auth_user_id") == str(user.pk)
        ]
        Session.objects.filter(pk__in=ended).delete()
        LogEntry.objects.log_actions(
            user_id=by.pk,
            queryset=[user],
            action_flag=CHANGE,
            change_message="Reset the second factor: authenticator and recovery codes removed, sessions ended.",
            single_object=True,
        )
    log.warning("Second factor of staff account %s reset by %s", user.pk, by.get_username())
    return len(ended)
