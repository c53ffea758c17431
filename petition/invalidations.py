"""Bulk invalidation by criteria, as the UK Parliament petitions site does it, plus one-step revert.

A moderator describes the signatures (by IP hash, email domain, postcode or
area, name, time window) on one campaign; `preview` says how many match and
shows a sample before anything changes; `start` runs it in the background in
batches, counting progress and stopping between batches if cancelled. Every
signature it touches records the invalidation, so `revert` restores exactly
those, and the count follows each step.
"""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import moderation
from .models import AuditEntry, Invalidation, OutgoingEmail, Signature

BATCH = 1000
SAMPLE = 10


def matching(invalidation):
    """The signatures the criteria describe that are not invalid already."""
    criteria = Q()
    if invalidation.ip_hash:
        criteria &= Q(ip_hash=invalidation.ip_hash)
    if invalidation.email_domain:
        criteria &= Q(email_domain=invalidation.email_domain.strip().lower())
    if invalidation.postcode:
        postcode = invalidation.postcode.strip().upper()
        criteria &= Q(postcode=postcode) if " " in postcode else Q(postcode__regex=rf"^{postcode}[0-9]")
    if invalidation.name_contains:
        criteria &= Q(first_name__icontains=invalidation.name_contains) | Q(
            last_name__icontains=invalidation.name_contains
        )
    if invalidation.signed_after:
        criteria &= Q(created_at__gte=invalidation.signed_after)
    if invalidation.signed_before:
        criteria &= Q(created_at__lt=invalidation.signed_before)
    if not criteria:
        raise ValueError("An invalidation needs at least one criterion.")
    return (
        Signature.objects.for_campaign(invalidation.campaign_id)
        .filter(criteria)
        .exclude(status=Signature.Status.INVALIDATED)
    )


def preview(invalidation):
    """How many signatures would be invalidated, and a few of them."""
    signatures = matching(invalidation)
    return signatures.count(), list(signatures.select_related("campaign").order_by("-pk")[:SAMPLE])


def start(invalidation):
    """Record how many match and hand the work to the task worker."""
    from .tasks import run_invalidation

    invalidation.matched = matching(invalidation).count()
    invalidation.status = Invalidation.Status.RUNNING
    invalidation.save(update_fields=["matched", "status"])
    transaction.on_commit(lambda: run_invalidation.enqueue(invalidation.pk))


def run(invalidation_pk):
    """Invalidate matching signatures a batch at a time until none is left or it is cancelled."""
    while True:
        with transaction.atomic():
            invalidation = Invalidation.objects.select_for_update().get(pk=invalidation_pk)
            if invalidation.status != Invalidation.Status.RUNNING:
                return invalidation.status
            batch = list(matching(invalidation).order_by("pk").values_list("pk", flat=True)[:BATCH])
            if not batch:
                invalidation.status = Invalidation.Status.COMPLETED
                invalidation.finished_at = timezone.now()
                invalidation.save(update_fields=["status", "finished_at"])
                moderation.record(
                    invalidation.created_by,
                    AuditEntry.Action.INVALIDATE,
                    invalidation.invalidated,
                    campaign=invalidation.campaign,
                    reason=f"{invalidation.get_reason_display()}. {invalidation.note}".strip(),
                    invalidation=invalidation.pk,
                    criteria=invalidation.describe(),
                )
                return invalidation.status
            invalidation.invalidated += _invalidate(batch, invalidation)
            invalidation.save(update_fields=["invalidated"])


def _invalidate(pks, invalidation):
    rows = list(
        Signature.objects.filter(pk__in=pks)
        .exclude(status=Signature.Status.INVALIDATED)
        .select_for_update()
        .values_list("pk", "campaign_id", "region", "status")
    )
    Signature.objects.filter(pk__in=[row[0] for row in rows]).update(
        status=Signature.Status.INVALIDATED,
        invalidated_at=timezone.now(),
        invalidation_reason=invalidation.reason,
        invalidation=invalidation,
    )
    moderation.move_counts([row for row in rows if row[3] == Signature.Status.CONFIRMED], -1)
    OutgoingEmail.objects.filter(signature__in=[row[0] for row in rows], status=OutgoingEmail.Status.PENDING).update(
        status=OutgoingEmail.Status.CANCELLED
    )
    return len(rows)


def cancel(invalidation):
    """Stop a running invalidation after its current batch; what it did so far stays (and can be reverted)."""
    Invalidation.objects.filter(pk=invalidation.pk, status=Invalidation.Status.RUNNING).update(
        status=Invalidation.Status.CANCELLED, finished_at=timezone.now()
    )


@transaction.atomic
def revert(invalidation, *, user):
    """Restore every signature this invalidation invalidated, as one unit. Returns how many."""
    invalidation = Invalidation.objects.select_for_update().get(pk=invalidation.pk)
    if invalidation.status not in (Invalidation.Status.COMPLETED, Invalidation.Status.CANCELLED):
        return 0
    rows = list(
        Signature.objects.filter(invalidation=invalidation, status=Signature.Status.INVALIDATED, erased_at__isnull=True)
        .select_for_update()
        .values_list("pk", "campaign_id", "region", "confirmed_at")
    )
    ids = [row[0] for row in rows]
    clear = {"invalidated_at": None, "invalidation_reason": "", "invalidation": None}
    Signature.objects.filter(pk__in=ids, confirmed_at__isnull=False).update(status=Signature.Status.CONFIRMED, **clear)
    Signature.objects.filter(pk__in=ids, confirmed_at__isnull=True).update(status=Signature.Status.PENDING, **clear)
    moderation.move_counts([row for row in rows if row[3] is not None], +1)
    invalidation.status = Invalidation.Status.REVERTED
    invalidation.reverted_at = timezone.now()
    invalidation.save(update_fields=["status", "reverted_at"])
    moderation.record(
        user, AuditEntry.Action.RESTORE, len(rows), campaign=invalidation.campaign, invalidation=invalidation.pk
    )
    return len(rows)
