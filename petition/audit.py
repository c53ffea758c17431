"""The audit log: who did what to signatures, or with them, to how many, and why."""

from __future__ import annotations

from typing import TYPE_CHECKING

from campaign.models import Campaign

from .models import AuditEntry

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Signature numbers kept in one entry: enough to trace what was done, never personal data.
TRACED = 100


def record(
    user: User | None,
    action: str,
    count: int,
    *,
    reason: str = "",
    campaign: Campaign | int | None = None,
    **details: object,
) -> AuditEntry:
    """Write an audit entry: who (None for the site itself), when, what, how many, why."""
    return AuditEntry.objects.create(
        user=user,
        username=user.get_username() if user else "(automatic)",
        action=action,
        count=count,
        reason=reason,
        campaign_id=campaign.pk if isinstance(campaign, Campaign) else campaign,
        details=details,
    )
