"""Holding new signatures for review, instead of counting them as soon as they are confirmed.

A signature is held when it is made, for one of two reasons: staff have
switched its campaign to hold every new signature (during an attack, to stop
the bleeding without stopping real signers), or it came past a soft limit
(petition.ratelimits: many signatures from one address or unusual email
domain, as a school, a rally's Wi-Fi or a mobile network's shared address
sends). A held signature is stored, emailed and confirmable like any other,
and its signer sees the same pages; it is not counted, listed or delivered
until staff release it (petition.standing.release) or invalidate it.

The switch lives here, in a SigningPolicy row beside the campaign, because the
campaign app knows nothing of signatures. The sign view reads it with the
campaign it keeps for CAMPAIGN_CACHE_SECONDS, so holding costs the hot path no
query, and a change takes effect in every process within those seconds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from campaign.models import Campaign

from . import audit, public
from .models import AuditEntry, Signature, SigningPolicy

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def holds_all(campaign: Campaign) -> bool:
    """Whether the campaign holds every new signature for review (no query if its policy was read with it)."""
    try:
        return campaign.signing_policy.hold_all
    except SigningPolicy.DoesNotExist:
        return False


def reason_to_hold(campaign: Campaign, over_soft_limit: str = "") -> str:
    """Why a new signature is held ("" if it is not): the campaign's switch first, then a soft limit passed."""
    return Signature.HeldReason.REVIEW if holds_all(campaign) else over_soft_limit


@transaction.atomic
def set_holding(campaign: Campaign, *, hold: bool, user: User | None, note: str = "") -> bool:
    """Switch holding every new signature on or off, audited. Returns whether anything changed."""
    policy, _ = SigningPolicy.objects.select_for_update().get_or_create(campaign=campaign)
    if policy.hold_all == hold:
        return False
    policy.hold_all, policy.changed_at, policy.changed_by = hold, timezone.now(), user
    policy.save()
    action = AuditEntry.Action.HOLD if hold else AuditEntry.Action.STOP_HOLDING
    audit.record(user, action, 0, reason=note, campaign=campaign)
    # This process's copy of the campaign goes at once; the others' within CAMPAIGN_CACHE_SECONDS.
    public.forget({campaign.pk})
    return True
