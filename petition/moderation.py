"""The moderation queue: messages to the minister waiting to be read, each shown as the campaign page would show it.

Only confirmed signers' messages wait here: anyone can type a message and an
address that is not theirs. A message is approved or hidden only where its
whole text is on screen, through `standing.set_message_status`, which audits it
and drops the cached public lists.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, TypedDict

from . import postcodes, standing
from .models import Signature
from .names import Audience, shown_name

if TYPE_CHECKING:
    from datetime import datetime

    from django.db.models import QuerySet

    from campaign.models import Campaign

    from .standing import User

PER_PAGE = 50
# What the campaign page says in place of a name its signer did not agree to show.
UNNAMED = "A supporter"


class Waiting(TypedDict):
    pk: int
    campaign: str
    name: str
    region: str
    signed_at: datetime
    message: str


def waiting(campaign: Campaign | None = None) -> QuerySet[Signature]:
    """The messages waiting, oldest first, so that none waits longest; of one campaign, or of all."""
    signatures = Signature.objects.awaiting_moderation()
    if campaign is not None:
        signatures = signatures.for_campaign(campaign)
    return signatures.select_related("campaign").order_by("created_at", "pk")


def entries(signatures: Iterable[Signature]) -> list[Waiting]:
    """Each message with its signer's name as the public would see it (never an address), region and date."""
    regions = postcodes.regions()
    return [
        Waiting(
            pk=signature.pk,
            campaign=signature.campaign.title,
            name=shown_name(
                Audience.PUBLIC,
                first_name=signature.first_name,
                last_name=signature.last_name,
                show_name=signature.show_name,
            )
            or UNNAMED,
            region=regions[signature.region].name if signature.region in regions else signature.region,
            signed_at=signature.created_at,
            message=signature.message,
        )
        for signature in signatures
    ]


def decide(ids: Collection[int], status: Signature.MessageStatus, *, user: User) -> int:
    """Approve or hide the messages with these ids that are still waiting. Returns how many changed.

    Ids of messages decided meanwhile, or never in the queue (an unconfirmed signer's), change nothing.
    """
    return standing.set_message_status(Signature.objects.awaiting_moderation().filter(pk__in=ids), status, user=user)
