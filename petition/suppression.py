"""Who gets no more updates: a mailbox that unsubscribed, bounced for good or marked an update as spam.

Every update carries a one-click unsubscribe link (RFC 8058) whose token is signed, so that nobody can
make one for someone else; the link names a signature, whose mailbox is then suppressed. Bounces and
complaints arrive from the email provider through django-anymail's tracking webhooks (when one is
configured). Suppressions are checked when an update's recipients are chosen and again just before each
email goes. They never stop a confirmation email: that is not an update, and the person asked for it.
"""

import logging
from collections.abc import Iterable

from anymail.signals import AnymailTrackingEvent, EventType, RejectReason
from django.core import signing
from django.db.models import Exists, OuterRef, QuerySet

from .mailboxes import mailbox
from .models import Signature, Suppression

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "petition.unsubscribe"


def unsubscribe_token(signature: Signature) -> str:
    """The token in an update's unsubscribe link: the signature's number, signed (it cannot be guessed or forged)."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(signing.b62_encode(signature.pk))


def signature_for(token: str) -> Signature | None:
    """The signature an unsubscribe token names (None for a forged token, or one withdrawn or erased since)."""
    try:
        pk = signing.b62_decode(signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return Signature.objects.filter(pk=pk, erased_at__isnull=True).exclude(mailbox="").first()


def suppress(address_or_mailbox: str, reason: str) -> bool:
    """Send no more updates to this mailbox. Returns False if it was already suppressed (the first reason stays)."""
    _, created = Suppression.objects.get_or_create(mailbox=mailbox(address_or_mailbox), defaults={"reason": reason})
    return created


def unsubscribe(signature: Signature) -> None:
    """The person behind `signature` asked for no more updates, by the link in one."""
    suppress(signature.mailbox, Suppression.Reason.UNSUBSCRIBED)


def suppressed(mailboxes: Iterable[str]) -> set[str]:
    """Which of these mailboxes get no more updates."""
    return set(Suppression.objects.filter(mailbox__in=list(mailboxes)).values_list("mailbox", flat=True))


def without_suppressed(signatures: QuerySet[Signature]) -> QuerySet[Signature]:
    """`signatures` less those whose mailbox gets no more updates."""
    return signatures.exclude(Exists(Suppression.objects.filter(mailbox=OuterRef("mailbox"))))


# Postmark reports a soft bounce (a full mailbox, a server down) as "bounced" too; it says so in its Type.
SOFT_BOUNCES = {"SoftBounce", "Transient", "DnsError"}


def reason_for(event: AnymailTrackingEvent) -> str | None:
    """Why an email provider's event stops further updates to its recipient, or None if it does not.

    A hard bounce (the mailbox does not exist), the provider refusing an address it knows is bad, a spam
    complaint, or an unsubscribe handled by the provider. Not a soft bounce, a delay or an open.
    """
    if event.event_type == EventType.COMPLAINED:
        return Suppression.Reason.COMPLAINED
    if event.event_type == EventType.UNSUBSCRIBED:
        return Suppression.Reason.UNSUBSCRIBED
    if event.event_type == EventType.BOUNCED:
        kind = event.esp_event.get("Type") if isinstance(event.esp_event, dict) else None
        return None if kind in SOFT_BOUNCES else Suppression.Reason.BOUNCED
    if event.event_type == EventType.REJECTED and event.reject_reason in {RejectReason.INVALID, RejectReason.BOUNCED}:
        return Suppression.Reason.BOUNCED
    return None


def record_email_event(sender: object, event: AnymailTrackingEvent, esp_name: str, **kwargs: object) -> None:
    """django-anymail's tracking signal: suppress the recipient of a hard bounce or a complaint (logs no address)."""
    reason = reason_for(event)
    if reason is None or not event.recipient:
        return
    added = suppress(event.recipient, reason)
    logger.info("%s reported %s: %s", esp_name, event.event_type, "suppressed" if added else "already suppressed")
