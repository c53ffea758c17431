"""Signing, confirming and withdrawing: the supporter's side of a signature.

A signature is stored as pending with its confirmation email in the outbox, in
one transaction. It counts only once its link is opened and the button on that
page pressed. Signing again with the same address never makes a second row (a
database constraint sees to that, even for simultaneous submissions): the
signer gets the right email instead, and the page says the same to everyone.
"""

import ipaddress
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from campaign import PRIVACY_NOTICE_VERSION

from . import counting, emails, postcodes
from .models import OutgoingEmail, Signature

CONFIRM_SALT = "petition.confirm"
WITHDRAW_SALT = "petition.withdraw"

# Providers that ignore dots and +tags in the local part: one person, many spellings.
DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def normalise_email(address):
    """The form of an address used to tell whether it has signed: folded case and Unicode."""
    return unicodedata.normalize("NFKC", address.strip()).casefold()


def canonical_email(normalised):
    """The form used to spot one person signing as many: no +tags, no dots where ignored."""
    local, _, domain = normalised.rpartition("@")
    local = local.split("+", 1)[0]
    if domain in DOTLESS_DOMAINS:
        local, domain = local.replace(".", ""), DOTLESS_DOMAINS[domain]
    return f"{local}@{domain}"


def hash_ip(ip):
    """A keyed hash of an IP address: groups signatures by source without keeping the address.

    An IPv6 address is hashed by its /64 network: one household or device
    commonly has the whole /64, and could otherwise dodge every limit.
    """
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        address = None
    if address is not None and address.version == 6 and not address.ipv4_mapped:
        ip = str(ipaddress.ip_network(f"{address}/64", strict=False))
    return salted_hmac("petition.ip", ip or "", algorithm="sha256").hexdigest()[:32]


def confirmation_token(signature):
    return signing.dumps(signature.pk, salt=CONFIRM_SALT)


def withdrawal_token(signature):
    return signing.dumps(signature.pk, salt=WITHDRAW_SALT)


def signature_for_token(token, *, purpose):
    """The signature a link in an email points at, or None if the link is bad, expired or spent."""
    salt, max_age = {
        "confirm": (CONFIRM_SALT, settings.CONFIRMATION_LINK_MAX_AGE),
        "withdraw": (WITHDRAW_SALT, None),
    }[purpose]
    try:
        pk = signing.loads(token, salt=salt, max_age=max_age)
    except signing.BadSignature:
        return None
    return Signature.objects.select_related("campaign").filter(pk=pk).first() if isinstance(pk, int) else None


@dataclass(frozen=True)
class Signed:
    signature: Signature
    created: bool


def sign(campaign, data, *, ip_hash):
    """Record a signature from cleaned form data and queue the right email.

    Returns the signature and whether it is new. A repeat signature changes
    nothing stored; its signer is emailed again, at most a few times an hour.
    """
    email = data["email"].strip()
    normalised = normalise_email(email)
    in_uk = data["location"] == "uk"
    message = data.get("message", "")
    signature = Signature(
        campaign=campaign,
        first_name=data["first_name"],
        last_name=data["last_name"],
        email=email,
        email_normalised=normalised,
        email_canonical=canonical_email(normalised),
        email_domain=normalised.rpartition("@")[2],
        postcode=data["postcode"] if in_uk else "",
        country="GB" if in_uk else data["country"],
        region=postcodes.area_for(data["postcode"]).region.key if in_uk else postcodes.OUTSIDE_UK,
        show_name=data.get("show_name", False),
        contact_opt_in=data.get("contact_opt_in", False),
        message=message,
        message_status=Signature.MessageStatus.PENDING if message else Signature.MessageStatus.NONE,
        consent_version=PRIVACY_NOTICE_VERSION,
        ip_hash=ip_hash,
    )
    if _store_with_confirmation_email(signature):
        return Signed(signature, created=True)
    existing = Signature.objects.filter(campaign=campaign, email_normalised=normalised).first()
    if existing is not None:  # None if withdrawn in the meantime: nothing to email
        _email_repeat_signer(existing)
    return Signed(existing, created=False)


def _store_with_confirmation_email(signature):
    """Insert a new signature and its confirmation email together, or neither if the address has signed.

    Returns whether it was stored. On PostgreSQL this is one statement (a
    data-modifying CTE), so signing costs one round trip to the database
    instead of four (BEGIN, two INSERTs, COMMIT): the hot path of a surge. A
    repeat is no error there (ON CONFLICT DO NOTHING), so no failed statement,
    with the signer's details in it, reaches the database's log. Elsewhere it
    is an ordinary transaction.
    """
    if connection.vendor != "postgresql":
        try:
            with transaction.atomic():
                signature.save(force_insert=True)
                emails.queue(signature, OutgoingEmail.Kind.CONFIRM)
        except IntegrityError:
            return False
        return True
    email = OutgoingEmail(kind=OutgoingEmail.Kind.CONFIRM)
    signature_columns, signature_values = _insert_values(signature)
    email_columns, email_values = _insert_values(email, skip={"signature"})
    quote = connection.ops.quote_name
    # Only model metadata is formatted in; every value is a parameter.
    sql = (
        f"WITH new_signature AS (INSERT INTO {quote(Signature._meta.db_table)} ({signature_columns}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(signature_values))}) "
        f"ON CONFLICT ({quote('email_normalised')}, {quote('campaign_id')}) DO NOTHING RETURNING {quote('id')}) "
        f"INSERT INTO {quote(OutgoingEmail._meta.db_table)} ({quote('signature_id')}, {email_columns}) "
        f"SELECT {quote('id')}, {', '.join(['%s'] * len(email_values))} FROM new_signature "
        f"RETURNING {quote('signature_id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, signature_values + email_values)
        row = cursor.fetchone()
    if row is None:
        return False
    signature.pk = row[0]
    signature._state.adding = False
    transaction.on_commit(emails.nudge_worker, robust=True)
    return True


def _insert_values(instance, skip=()):
    """Quoted column names and database values for inserting an unsaved model instance."""
    fields = [field for field in instance._meta.concrete_fields if not field.primary_key and field.name not in skip]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    values = [field.get_db_prep_save(field.pre_save(instance, add=True), connection) for field in fields]
    return columns, values


def _email_repeat_signer(signature):
    """Send a repeat signer the email that fits, within the hourly cap."""
    with transaction.atomic():
        # Locking the signature makes simultaneous repeats queue here, so the cap holds.
        signature = Signature.objects.select_for_update().filter(pk=signature.pk).first()
        if signature is None or signature.status == Signature.Status.INVALIDATED:
            return
        if emails.recently_sent(signature) >= settings.EMAILS_PER_SIGNATURE_PER_HOUR:
            return
        pending = signature.status == Signature.Status.PENDING
        emails.queue(signature, OutgoingEmail.Kind.CONFIRM if pending else OutgoingEmail.Kind.ALREADY_SIGNED)


def resend_confirmation(campaign, address):
    """Email the signer of `address` again, if there is one: the page never says."""
    signature = Signature.objects.filter(campaign=campaign, email_normalised=normalise_email(address)).first()
    if signature is not None:
        _email_repeat_signer(signature)


def confirm(signature):
    """Count a pending signature. Returns True if this call confirmed it."""
    with transaction.atomic():
        confirmed = Signature.objects.filter(pk=signature.pk, status=Signature.Status.PENDING).update(
            status=Signature.Status.CONFIRMED, confirmed_at=timezone.now()
        )
        if confirmed:
            counting.add(signature.campaign_id, signature.region, 1)
    return bool(confirmed)


def withdraw(signature):
    """Remove a signature and everything it holds; take it off the count if it was counted."""
    with transaction.atomic():
        status = Signature.objects.select_for_update().filter(pk=signature.pk).values_list("status", flat=True).first()
        if status is None:
            return False
        Signature.objects.filter(pk=signature.pk).delete()
        if status == Signature.Status.CONFIRMED:
            counting.add(signature.campaign_id, signature.region, -1)
    return True
