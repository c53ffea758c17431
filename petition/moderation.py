"""What moderators do to signatures: invalidate, restore, moderate messages, resend, erase.

Each function takes a queryset of signatures, changes them in one
transaction, keeps the count exact (a confirmed signature leaving or
rejoining the count moves its region's count by one) and writes one audit
entry saying who did what to how many, and why.
"""

from collections import Counter

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from . import counting, emails
from .models import AuditEntry, DeliveryPack, OutgoingEmail, Signature


def record(user, action, count, *, reason="", campaign=None, **details):
    """Write an audit entry: who (None for the site itself), when, what, how many, why."""
    return AuditEntry.objects.create(
        user=user,
        username=user.get_username() if user else "(automatic)",
        action=action,
        count=count,
        reason=reason,
        campaign=campaign,
        details=details,
    )


def move_counts(rows, sign):
    """Add `sign` (+1 or -1) to the count of each (campaign, region) per confirmed row."""
    for (campaign_id, region), n in Counter((row[1], row[2]) for row in rows).items():
        counting.add(campaign_id, region, sign * n)


@transaction.atomic
def invalidate(signatures, *, reason, user, note=""):
    """Invalidate signatures not already invalid; confirmed ones leave the count. Returns how many changed."""
    rows = list(
        signatures.exclude(status=Signature.Status.INVALIDATED)
        .select_for_update()
        .values_list("pk", "campaign_id", "region", "status")
    )
    Signature.objects.filter(pk__in=[row[0] for row in rows]).update(
        status=Signature.Status.INVALIDATED, invalidated_at=timezone.now(), invalidation_reason=reason
    )
    move_counts([row for row in rows if row[3] == Signature.Status.CONFIRMED], -1)
    # Nothing more goes to an invalidated signature.
    OutgoingEmail.objects.filter(signature__in=[row[0] for row in rows], status=OutgoingEmail.Status.PENDING).update(
        status=OutgoingEmail.Status.CANCELLED
    )
    label = Signature.InvalidationReason(reason).label
    record(user, AuditEntry.Action.INVALIDATE, len(rows), reason=f"{label}. {note}".strip(), signatures=_ids(rows))
    return len(rows)


@transaction.atomic
def restore(signatures, *, user, note=""):
    """Undo invalidation: confirmed ones rejoin the count, the rest wait for confirmation again."""
    rows = list(
        signatures.filter(status=Signature.Status.INVALIDATED, erased_at__isnull=True)
        .select_for_update()
        .values_list("pk", "campaign_id", "region", "confirmed_at")
    )
    ids = [row[0] for row in rows]
    clear = {"invalidated_at": None, "invalidation_reason": ""}
    Signature.objects.filter(pk__in=ids, confirmed_at__isnull=False).update(status=Signature.Status.CONFIRMED, **clear)
    Signature.objects.filter(pk__in=ids, confirmed_at__isnull=True).update(status=Signature.Status.PENDING, **clear)
    move_counts([row for row in rows if row[3] is not None], +1)
    record(user, AuditEntry.Action.RESTORE, len(rows), reason=note, signatures=_ids(rows))
    return len(rows)


@transaction.atomic
def set_message_status(signatures, status, *, user, note=""):
    """Approve or hide signers' messages to the minister."""
    changed = signatures.exclude(message="").exclude(message_status=status)
    ids = list(changed.values_list("pk", flat=True))
    Signature.objects.filter(pk__in=ids).update(message_status=status)
    action = AuditEntry.Action.APPROVE_MESSAGE if status == "approved" else AuditEntry.Action.HIDE_MESSAGE
    record(user, action, len(ids), reason=note, signatures=ids[:100])
    return len(ids)


@transaction.atomic
def resend_confirmation(signatures, *, user):
    """Queue the confirmation email again for pending signatures (within the hourly cap per signature)."""
    count = 0
    for signature in signatures.filter(status=Signature.Status.PENDING, erased_at__isnull=True):
        if emails.recently_sent(signature) < settings.EMAILS_PER_SIGNATURE_PER_HOUR:
            emails.queue(signature, OutgoingEmail.Kind.CONFIRM)
            count += 1
    record(user, AuditEntry.Action.RESEND, count)
    return count


@transaction.atomic
def erase(signatures, *, user, note=""):
    """Remove signers' personal data (the right to erasure), keeping what the counts need.

    A confirmed or invalidated signature stays as an anonymous row with its
    region, so every count can still be recomputed; a pending one, never
    counted, is deleted with its emails.
    """
    rows = list(
        signatures.filter(erased_at__isnull=True)
        .select_for_update()
        .values_list("pk", "status", "campaign_id", "show_name", named=True)
    )
    pending = [row.pk for row in rows if row.status == Signature.Status.PENDING]
    kept = [row.pk for row in rows if row.status != Signature.Status.PENDING]
    Signature.objects.filter(pk__in=pending).delete()
    Signature.objects.filter(pk__in=kept).update(**ANONYMOUS, erased_at=timezone.now())
    OutgoingEmail.objects.filter(signature__in=kept, status=OutgoingEmail.Status.PENDING).update(
        status=OutgoingEmail.Status.CANCELLED
    )
    # A delivery PDF already built may carry the name: it goes too, and can be built again.
    DeliveryPack.objects.filter(campaign__in={row.campaign_id for row in rows if row.show_name}).delete()
    record(user, AuditEntry.Action.ERASE, len(rows), reason=note, signatures=_ids(rows))
    return len(rows)


# Field values that keep a signature countable but say nothing about who signed it. The
# unique address becomes a placeholder no one can sign with.
ANONYMOUS = {
    "first_name": "",
    "last_name": "",
    "email": "",
    "email_normalised": Concat(Value("erased:"), Cast("pk", CharField())),
    "email_canonical": "",
    "email_domain": "",
    "postcode": "",
    "show_name": False,
    "contact_opt_in": False,
    "message": "",
    "message_status": Signature.MessageStatus.NONE,
    "ip_hash": "",
}


def _ids(rows, limit=100):
    """Signature numbers for the audit entry (the first `limit`): enough to trace, never personal data."""
    return [row[0] for row in rows[:limit]]
