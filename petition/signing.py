"""Signing, and the links in a signer's emails: the supporter's side of a signature.

A signature is stored as pending with its confirmation email in the outbox, in
one statement. It counts only once its link is opened and the button on that
page pressed (petition.standing does that, and withdrawing). Signing again
with an address that delivers to the same inbox never makes a second row (a
database constraint sees to that, even for simultaneous submissions).

Nobody may learn whether an address has signed, not even from how long the
answer takes: signing and asking for the email again do the same work in the
request whatever the address's history (signing is one statement either way;
asking again writes one request row either way), and the task worker decides
which email, if any, each earns.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Collection, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Field, Max, Model, QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac

from campaign import PRIVACY_NOTICE_VERSION
from campaign.models import Campaign
from config import postgres

from . import audit, consent, domains, emails, holding, postcodes, receipts
from .mailboxes import mailbox
from .models import AuditEntry, Language, OutgoingEmail, ResendRequest, Signature, new_token

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def hash_ip(ip: str) -> str:
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


# What new_token makes: anything else is no link of ours, and never reaches the database.
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,32}")


def signature_for_token(
    token: str, *, purpose: Literal["confirm", "withdraw"], campaign: Campaign | None = None
) -> Signature | None:
    """The signature a link in an email points at, or None if the link is bad, spent, or (to confirm) expired.
    Given the `campaign` the link names, only a signature of that campaign (with it as its campaign: no join).

    A confirmation link works for CONFIRMATION_LINK_MAX_AGE after the latest email that carried it.
    """
    if not TOKEN.fullmatch(token):
        return None
    if campaign is None:
        signature = Signature.objects.select_related("campaign").filter(token=token).first()
    elif signature := _of_campaign_by_token(campaign, token):
        signature.campaign = campaign
    if signature is None or purpose != "confirm" or signature.status != Signature.Status.PENDING:
        return signature
    max_age = timedelta(seconds=settings.CONFIRMATION_LINK_MAX_AGE)
    if timezone.now() - signature.created_at <= max_age:
        return signature  # every email it had went after it was made: no need to ask when
    sent = signature.emails.filter(status=OutgoingEmail.Status.SENT).aggregate(last=Max("sent_at"))["last"]
    return signature if sent is not None and timezone.now() - sent <= max_age else None


def _of_campaign_by_token(campaign: Campaign, token: str) -> Signature | None:
    """The campaign's signature with this token: on PostgreSQL by a query the ORM compiles once per process (a
    surge's confirmations are a hot path, and building the query cost more than running it)."""
    if connection.vendor != "postgresql":  # SQLite's dates need the ORM's converters
        return Signature.objects.filter(campaign=campaign, token=token).first()
    sql, names = _by_token_query()
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign.pk, token])
        row = cursor.fetchone()
    return None if row is None else Signature.from_db(connection.alias, names, row)


@functools.cache
def _by_token_query() -> tuple[str, list[str]]:
    """The SQL of `Signature.objects.filter(campaign_id=…, token=…)[:1]` (no order: a token is unique) with its
    two parameters in that order, and the names of the columns it selects."""
    query = Signature.objects.filter(campaign_id=0, token="-")[:1].query  # noqa: S106 (a stand-in)
    sql, params = query.get_compiler(connection=connection).as_sql()
    if list(params) != [0, "-"]:
        raise AssertionError(f"Parameters in an unexpected order: {params}")
    return postgres.keep_prepared(sql), [field.attname for field in Signature._meta.concrete_fields]


def sign(
    campaign: Campaign,
    data: Mapping[str, Any],
    *,
    ip_hash: str,
    over_soft_limit: str = "",
    language: str = Language.ENGLISH,
) -> receipts.Receipt:
    """Record a signature from cleaned form data, with an email for the worker to send.

    A new signature is held for review if its campaign holds every new one or it came past a soft limit
    (`over_soft_limit`, a Signature.HeldReason): the same statement either way. A repeat signature changes
    nothing stored; its signer gets whichever email fits, at most a few an hour. Returns the receipt for
    the pages that follow (petition.receipts), alike for a new signature and a repeat.
    """
    held_reason = holding.reason_to_hold(campaign, over_soft_limit)
    email = data["email"].strip()
    in_uk = data["location"] == "uk"
    message = data.get("message", "")
    area = postcodes.area_for(data["postcode"]) if in_uk else None
    if in_uk and area is None:
        raise ValueError("A UK signer's postcode must be in a known area, as the sign form makes sure it is")
    # The new row's values by column (attname); every other field takes its default.
    row: dict[str, Any] = {
        "campaign_id": campaign.pk,
        "first_name": data["first_name"],
        "last_name": data["last_name"],
        "email": email,
        "mailbox": mailbox(email),
        "email_domain": domains.registrable(email.rpartition("@")[2].lower()),
        "postcode": data["postcode"] if in_uk else "",
        "country": "GB" if in_uk else data["country"],
        "region": area.region.key if area else postcodes.OUTSIDE_UK,
        "show_name": data.get("show_name", False),
        "contact_opt_in": data.get("contact_opt_in", False),
        "contact_wording": consent.CONTACT_WORDING,
        "message": message,
        "message_status": Signature.MessageStatus.PENDING if message else Signature.MessageStatus.NONE,
        "consent_version": PRIVACY_NOTICE_VERSION,
        "ip_hash": ip_hash,
        "held_at": timezone.now() if held_reason else None,
        "held_reason": held_reason,
        "source": data.get("source", ""),
        "language": language,
        "token": new_token(),
    }
    email_id = _store(row) if connection.vendor == "postgresql" else _store_in_transaction(Signature(**row))
    transaction.on_commit(emails.nudge_worker, robust=True)
    # Proof of the token this call made: it matches the stored one only if this call made the signature.
    return receipts.Receipt(email_id, receipts.proof_of(row["token"]), row["source"])


def _store(row: Mapping[str, Any]) -> int | None:
    """Insert the signature (`row`, its values by column) and its confirmation email, or, if its mailbox has signed,
    an email for that signature. Returns the email's id.

    One statement (a data-modifying CTE), one round trip: the hot path of a surge, and as nearly as it can be the
    same work for a new address as for one that has signed, so that its time does not tell which. A repeat is no
    error, so no failed statement, with the signer's details in it, reaches the database's log: ON CONFLICT DO UPDATE
    writes the existing row again unchanged (its mailbox set to itself), which writes a row as a new signature does
    (with DO NOTHING a known address was 0.1–0.2 ms quicker: Mann–Whitney z −2.5 to −4 over a thousand requests,
    −0.7 to −3.1 with it) and returns the row's id in the same statement, even when another signing of the same
    mailbox has just committed it. `xmax = 0` holds for a row this statement inserted, not for one it updated.
    """
    sql, signature_fields, email_fields = _store_statement()
    params = [
        *_values(signature_fields, row),
        OutgoingEmail.Kind.CONFIRM.value,
        OutgoingEmail.Kind.REPEAT.value,
        *_values(email_fields, {}),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        email = cursor.fetchone()
    return None if email is None else int(email[0])


@functools.cache
def _store_statement() -> tuple[str, list[Field[Any, Any]], list[Field[Any, Any]]]:
    """`_store`'s statement, made once per process from the models, and the fields whose values it takes, in order."""
    signature_fields = _inserted(Signature)
    email_fields = _inserted(OutgoingEmail, skip={"signature", "kind"})
    quote = connection.ops.quote_name
    table = quote(Signature._meta.db_table)
    # Only model metadata is formatted in; every value is a parameter. The conflict target
    # is the partial unique index signature_one_per_mailbox.
    sql = postgres.keep_prepared(
        f"WITH signer AS (INSERT INTO {table} ({_columns(signature_fields)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(signature_fields))}) "
        f"ON CONFLICT ({quote('mailbox')}, {quote('campaign_id')}) WHERE {quote('erased_at')} IS NULL "
        f"DO UPDATE SET {quote('mailbox')} = EXCLUDED.{quote('mailbox')} "
        f"RETURNING {quote('id')}, xmax = 0 AS made) "
        f"INSERT INTO {quote(OutgoingEmail._meta.db_table)} "
        f"({quote('signature_id')}, {quote('kind')}, {_columns(email_fields)}) "
        f"SELECT {quote('id')}, CASE WHEN made THEN %s ELSE %s END, "
        f"{', '.join(['%s'] * len(email_fields))} FROM signer "
        f"RETURNING {quote('id')}"
    )
    return sql, signature_fields, email_fields


def _store_in_transaction(signature: Signature) -> int | None:
    """`_store` for databases without its statement (SQLite, for running the site on a laptop)."""
    try:
        with transaction.atomic():
            signature.save(force_insert=True)
            return OutgoingEmail.objects.create(signature=signature, kind=OutgoingEmail.Kind.CONFIRM).pk
    except IntegrityError:
        existing = Signature.objects.filter(
            campaign_id=signature.campaign_id, mailbox=signature.mailbox, erased_at__isnull=True
        ).first()
        if existing is None:
            return None
        return OutgoingEmail.objects.create(signature=existing, kind=OutgoingEmail.Kind.REPEAT).pk


def _inserted(model: type[Model], skip: Collection[str] = ()) -> list[Field[Any, Any]]:
    """The fields an INSERT of the model gives values for: every column but the primary key and those skipped.

    None may set its own value on saving (auto_now, a file's name and the like), which `_values` would not do.
    """
    fields = [field for field in model._meta.concrete_fields if not field.primary_key and field.name not in skip]
    if setting := [field.name for field in fields if _sets_itself(field)]:
        raise ImproperlyConfigured(f"signing inserts {model.__name__} without saving it: {setting} would be left unset")
    return fields


def _sets_itself(field: Field[Any, Any]) -> bool:
    """Whether saving gives the field a value of its own (its class overrides pre_save, and a date field's only
    when it is auto_now or auto_now_add)."""
    if isinstance(field, models.DateField):
        return field.auto_now or field.auto_now_add
    return type(field).pre_save is not Field.pre_save


def _columns(fields: list[Field[Any, Any]]) -> str:
    # A concrete field always has a column: the stub allows for None, which only fields without one have.
    return ", ".join(connection.ops.quote_name(field.column) for field in fields)  # type: ignore[arg-type]


# Fields whose value for the database is the Python value itself when that is None or of the type given: their
# get_db_prep_save would only return it, and a signature has forty values. Exact classes: a subclass may
# prepare its values otherwise.
_AS_GIVEN: dict[type[Field[Any, Any]], type] = {models.CharField: str, models.TextField: str, models.BooleanField: bool}


def _values(fields: list[Field[Any, Any]], given: Mapping[str, Any]) -> list[Any]:
    """The database values of a new row's fields, as an INSERT takes them: those `given` (by attname), else each
    field's default, made now. (No model instance: making one cost more than the rest of the statement's values.)"""
    values = []
    for field in fields:
        value = given[field.attname] if field.attname in given else field.get_default()
        as_given = _AS_GIVEN.get(type(field))
        if as_given is None or (value is not None and type(value) is not as_given):
            value = field.get_db_prep_save(value, connection)
        values.append(value)
    return values


def ask_to_resend(campaign: Campaign, address: str) -> None:
    """Someone asks for their email again: one row, whatever the address; the worker finds out if it has signed."""
    ResendRequest.objects.create(campaign=campaign, mailbox=mailbox(address))
    transaction.on_commit(emails.nudge_worker, robust=True)


def resend_confirmations(signatures: QuerySet[Signature], *, user: User | None) -> int:
    """Staff queue the confirmation email again for pending signatures (within the hourly cap per signature)."""
    count = 0
    with transaction.atomic():
        for signature in signatures.filter(status=Signature.Status.PENDING, erased_at__isnull=True):
            if emails.recently_sent(signature) < settings.EMAILS_PER_SIGNATURE_PER_HOUR:
                emails.queue(signature, OutgoingEmail.Kind.CONFIRM)
                count += 1
        audit.record(user, AuditEntry.Action.RESEND, count)
    return count
