"""Removing signers' personal data once a campaign is over: the counts and regions stay.

RETENTION_DAYS after a campaign is delivered (or closed, if it never was),
every signature on it is made anonymous in place, as the UK Parliament
petitions site does, so that every count and the regional breakdown can still
be recomputed; unconfirmed ones, never counted, are deleted.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.tasks import task
from django.utils import timezone

from campaign.models import Campaign

from . import standing
from .models import Signature


def period() -> timedelta:
    """How long after a campaign is delivered or closed its signers' personal data is kept: the figure the
    privacy notice promises, and the one this module keeps."""
    return timedelta(days=settings.RETENTION_DAYS)


def due_campaigns(now: datetime | None = None) -> QuerySet[Campaign]:
    """Campaigns whose signers' personal data should now be removed."""
    cutoff = (now or timezone.now()) - period()
    delivered = Q(status=Campaign.Status.DELIVERED, delivered_at__lte=cutoff)
    closed = Q(status=Campaign.Status.CLOSED, closes_at__lte=cutoff)
    return Campaign.objects.filter(delivered | closed)


def anonymise(campaign: Campaign) -> int:
    """Remove personal data from a campaign's signatures. Returns how many signatures were touched."""
    signatures = Signature.objects.for_campaign(campaign).filter(erased_at__isnull=True)
    if not signatures.exists():
        return 0
    return standing.erase(signatures, user=None, note=f"Retention: {period().days} days")


@task
def apply_retention() -> dict[str, int]:
    """Remove personal data from campaigns past their retention period (the daily `apply_retention` job)."""
    return {campaign.slug: anonymise(campaign) for campaign in due_campaigns()}
