"""What the public sees of the signatures: the chart's rows and the latest named signers."""

from collections.abc import Collection
from datetime import datetime
from typing import NamedTuple, TypedDict

from django.conf import settings
from django.core.cache import cache, caches
from django_countries import countries

from campaign.models import Campaign

from . import counting, postcodes
from .counting import Totals
from .forms import SignForm
from .models import Signature
from .names import Audience, shown_name

RECENT = 10


class RegionRow(TypedDict):
    name: str
    count: int
    share: float  # percent of the largest region's count


class Signer(TypedDict):
    name: str
    place: str
    at: datetime | None


class Message(TypedDict):
    name: str
    place: str
    message: str


class _Row(TypedDict):
    """The columns of a signature that say what of its signer may be shown."""

    first_name: str
    last_name: str
    show_name: bool
    postcode: str
    country: str


def _recent_key(campaign_id: int) -> str:
    return f"petition:recent:{campaign_id}"


def _messages_key(campaign_id: int) -> str:
    return f"petition:messages:{campaign_id}"


class Kept(NamedTuple):
    campaign: Campaign
    until: float  # time.monotonic() when it is to be read again


# The campaigns signing reads, by slug, each kept for CAMPAIGN_CACHE_SECONDS (petition.views._campaign_for_signing).
kept_campaigns: dict[str, Kept] = {}


def forget(campaign_ids: Collection[int]) -> None:
    """Drop the cached public lists of these campaigns: a name or message in them may no longer be shown.

    The lists are shared by every app server. Each server's own renders of the
    campaign page (petition.views) are dropped here for this process; other
    processes drop theirs within PAGE_CACHE_SECONDS.
    """
    if campaign_ids:
        cache.delete_many([key(pk) for pk in campaign_ids for key in (_recent_key, _messages_key)])
        forget_copies()


def forget_copies(**kwargs: object) -> None:
    """Drop this process's copies of campaigns and their pages (a post_save receiver for Campaign)."""
    caches["local"].clear()
    kept_campaigns.clear()


def region_rows(totals: Totals) -> list[RegionRow]:
    """Rows for the regional chart: name, count, and bar length as a share of the largest."""
    regions = postcodes.regions()
    largest = max(totals.by_region.values(), default=0) or 1
    return [
        {"name": regions[key].name, "count": count, "share": round(100 * count / largest, 1)}
        for key, count in totals.by_region.items()
        if key in regions
    ]


def recent_signatories(campaign: Campaign) -> list[Signer]:
    """The latest confirmed signers who chose to be named, as the public may see them (see petition.names)."""

    def fetch() -> list[Signer]:
        rows = (
            Signature.objects.for_campaign(campaign)
            .public()
            .order_by("-confirmed_at")
            .values("first_name", "last_name", "show_name", "postcode", "country", "confirmed_at")[: 3 * RECENT]
        )
        named = ((_public_name(row), row) for row in rows)
        signers = [Signer(name=name, place=_place(row), at=row["confirmed_at"]) for name, row in named if name]
        return signers[:RECENT]

    # get_or_set returns what fetch made: its stub allows for None, which only a default of None gives.
    signers: list[Signer] = cache.get_or_set(  # type: ignore[assignment]
        _recent_key(campaign.pk), fetch, settings.COUNT_CACHE_SECONDS
    )
    return signers


def approved_messages(campaign: Campaign, limit: int = 5) -> list[Message]:
    """The latest messages to the minister that moderators approved; named only if the signer agreed."""

    def fetch() -> list[Message]:
        rows = (
            Signature.objects.for_campaign(campaign)
            .confirmed()
            .filter(message_status=Signature.MessageStatus.APPROVED)
            .order_by("-confirmed_at")
            .values("first_name", "last_name", "show_name", "postcode", "country", "message")[:limit]
        )
        return [
            {
                # "" for a signer not named: the page says "A supporter" in its own language.
                "name": _public_name(row) or "",
                "place": _place(row) if _public_name(row) else "",
                "message": row["message"],
            }
            for row in rows
        ]

    messages: list[Message] = cache.get_or_set(  # type: ignore[assignment]  # never None, as above
        _messages_key(campaign.pk), fetch, settings.COUNT_CACHE_SECONDS
    )
    return messages


def _public_name(row: _Row) -> str | None:
    return shown_name(
        Audience.PUBLIC, first_name=row["first_name"], last_name=row["last_name"], show_name=row["show_name"]
    )


def _place(row: _Row) -> str:
    return place(row["postcode"], row["country"])


def place(postcode: str, country: str) -> str:
    """Where a signer lives, as much as may be said: the postcode area's name, or the country."""
    if postcode:
        area = postcodes.area_for(postcode)
        return area.name if area else ""
    return countries.name(country)


def signature_panel(campaign: Campaign) -> dict[str, object]:
    """What a campaign page shows of its signers: the count and its progress, the regional chart, recent signers,
    approved messages, and the sign form while the campaign accepts signatures."""
    totals = counting.totals(campaign)
    return {
        "totals": totals,
        "target": counting.milestone(totals.count, campaign.signature_goal),
        "regions": region_rows(totals),
        "recent": recent_signatories(campaign),
        "messages": approved_messages(campaign),
        "form": SignForm(campaign=campaign) if campaign.is_accepting_signatures() else None,
    }
