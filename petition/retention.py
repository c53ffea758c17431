"""Removing signers' personal data once a campaign is over: the counts and regions stay.

RETENTION_DAYS after a campaign is delivered (or closed, if it never was),
every signature on it is made anonymous in place, as the UK Parliament
petitions site does, so that every count and the regional breakdown can still
be recomputed; unconfirmed ones, never counted, are deleted.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from campaign.models import Campaign

from . import moderation
from .models import AuditEntry, DeliveryPack, OutgoingEmail, Signature


def due_campaigns(now=None):
    """Campaigns whose signers' personal data should now be removed."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.RETENTION_DAYS)
    delivered = Q(status=Campaign.Status.DELIVERED, delivered_at__lte=cutoff)
    closed = Q(status=Campaign.Status.CLOSED, closes_at__lte=cutoff)
    return Campaign.objects.filter(delivered | closed)


@transaction.atomic
def anonymise(campaign):
    """Remove personal data from a campaign's signatures. Returns how many signatures were touched."""
    signatures = Signature.objects.for_campaign(campaign).filter(erased_at__isnull=True)
    pending = signatures.filter(status=Signature.Status.PENDING)
    deleted = pending.count()
    OutgoingEmail.objects.filter(signature__in=pending).delete()
    pending.delete()
    kept = signatures.update(**moderation.ANONYMOUS, erased_at=timezone.now())
    DeliveryPack.objects.filter(campaign=campaign).delete()
    touched = deleted + kept
    if touched:
        moderation.record(
            None,
            AuditEntry.Action.ERASE,
            touched,
            campaign=campaign,
            reason=f"Retention: {settings.RETENTION_DAYS} days",
        )
    return touched
