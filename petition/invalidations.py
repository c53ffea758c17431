"""Bulk invalidation by criteria, as the UK Parliament petitions site does it, plus one-step revert.

A moderator describes the signatures (by IP hash, email domain, postcode or
area, name, time window) on one campaign; `preview` says how many match and
shows a sample before anything changes; `start` runs it in the background in
batches, counting progress and stopping between batches if cancelled. Every
signature it touches records the invalidation, so `revert` restores exactly
those, and the count follows each step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.tasks import task
from django.utils import timezone

from . import standing
from .domains import email_domain
from .models import Invalidation, Signature, SignatureQuerySet

if TYPE_CHECKING:
    from django.contrib.auth.models import User

BATCH = 1000
SAMPLE = 10


def matching(invalidation: Invalidation) -> SignatureQuerySet:
    """The signatures the criteria describe that are not invalid already (the database insists on a criterion)."""
    criteria = Q()
    if invalidation.ip_hash:
        criteria &= Q(ip_hash=invalidation.ip_hash)
    if invalidation.email_domain:
        # A domain nobody could have signed with matches nothing (None is never a stored domain).
        criteria &= Q(email_domain=email_domain(invalidation.email_domain) or None)
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
    return (
        Signature.objects.for_campaign(invalidation.campaign_id)
        .filter(criteria)
        .exclude(status=Signature.Status.INVALIDATED)
    )


def preview(invalidation: Invalidation) -> tuple[int, list[Signature]]:
    """How many signatures would be invalidated, and a few of them."""
    signatures = matching(invalidation)
    return signatures.count(), list(signatures.select_related("campaign").order_by("-pk")[:SAMPLE])


class NotStarted(Exception):
    """Why an invalidation was not started, in words for the moderator who asked."""


@transaction.atomic
def start(invalidation: Invalidation, *, user: User | None, expected: int | None = None) -> int:
    """Record how many match and who started it, and hand the work to the task worker. Returns how many match.

    `expected` is the number the moderator saw in the preview: if another number matches now (new
    signatures came in, or the criteria were edited in another tab), nothing starts, so that one press
    never invalidates more than the page said.
    """
    locked = Invalidation.objects.select_for_update().get(pk=invalidation.pk)
    if locked.status != Invalidation.Status.PENDING:
        raise NotStarted(f"It was started already: it is {locked.get_status_display().lower()}.")
    matched = matching(locked).count()
    if expected is not None and matched != expected:
        raise NotStarted(
            f"{matched} signature{'' if matched == 1 else 's'} match now, not the {expected} the preview showed: "
            "nothing has changed. Check the new preview, then press again."
        )
    locked.matched, locked.status, locked.started_by = matched, Invalidation.Status.RUNNING, user
    locked.save(update_fields=["matched", "status", "started_by"])
    invalidation.matched, invalidation.status, invalidation.started_by = matched, locked.status, user
    transaction.on_commit(lambda: run_invalidation.enqueue(locked.pk))
    return matched


@task
def run_invalidation(invalidation_id: int) -> str:
    """Carry out a bulk invalidation in the task worker."""
    return run(invalidation_id)


def run(invalidation_pk: int) -> str:
    """Invalidate matching signatures a batch at a time until none is left or it is cancelled.

    Each batch is one `standing.invalidate`, audited as such, naming this invalidation and whoever started it.
    """
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
                return invalidation.status
            invalidation.invalidated += standing.invalidate(
                Signature.objects.filter(pk__in=batch),
                reason=invalidation.reason,
                note=f"{invalidation.note} ({invalidation.describe()})".strip(),
                user=invalidation.started_by,
                invalidation=invalidation,
            )
            invalidation.save(update_fields=["invalidated"])


def cancel(invalidation: Invalidation) -> None:
    """Stop a running invalidation after its current batch; what it did so far stays (and can be reverted)."""
    Invalidation.objects.filter(pk=invalidation.pk, status=Invalidation.Status.RUNNING).update(
        status=Invalidation.Status.CANCELLED, finished_at=timezone.now()
    )


REVERTIBLE = (Invalidation.Status.COMPLETED, Invalidation.Status.CANCELLED)


def restorable(invalidation: Invalidation) -> SignatureQuerySet:
    """The signatures a revert would restore: those it invalidated, unless since restored or erased."""
    return Signature.objects.filter(
        invalidation=invalidation, status=Signature.Status.INVALIDATED, erased_at__isnull=True
    )


@transaction.atomic
def revert(invalidation: Invalidation, *, user: User | None) -> int:
    """Restore every signature this invalidation invalidated, as one unit, audited with `user`. Returns how many."""
    invalidation = Invalidation.objects.select_for_update().get(pk=invalidation.pk)
    if invalidation.status not in REVERTIBLE:
        return 0
    restored = standing.restore(restorable(invalidation), user=user, invalidation=invalidation)
    invalidation.status = Invalidation.Status.REVERTED
    invalidation.reverted_at, invalidation.reverted_by = timezone.now(), user
    invalidation.save(update_fields=["status", "reverted_at", "reverted_by"])
    return restored
