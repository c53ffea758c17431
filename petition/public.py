"""What the public sees of the signatures: the chart's rows and the latest named signers."""

from django.conf import settings
from django.core.cache import cache
from django_countries import countries

from . import postcodes
from .models import Signature

RECENT = 10


def region_rows(totals):
    """Rows for the regional chart: name, count, and bar length as a share of the largest."""
    regions = postcodes.regions()
    largest = max(totals.by_region.values(), default=0) or 1
    return [
        {"name": regions[key].name, "count": count, "share": round(100 * count / largest, 1)}
        for key, count in totals.by_region.items()
        if key in regions
    ]


def recent_signatories(campaign):
    """The latest confirmed signers who chose to be named: first name, initial, and area only."""

    def fetch():
        rows = (
            Signature.objects.for_campaign(campaign)
            .public()
            .order_by("-confirmed_at")
            .values("first_name", "last_name", "postcode", "country", "confirmed_at")[:RECENT]
        )
        return [{"name": _initialled(row), "place": _place(row), "at": row["confirmed_at"]} for row in rows]

    return cache.get_or_set(f"petition:recent:{campaign.pk}", fetch, settings.COUNT_CACHE_SECONDS)


def approved_messages(campaign, limit=5):
    """The latest messages to the minister that moderators approved; named only if the signer agreed."""

    def fetch():
        rows = (
            Signature.objects.for_campaign(campaign)
            .confirmed()
            .filter(message_status=Signature.MessageStatus.APPROVED)
            .order_by("-confirmed_at")
            .values("first_name", "last_name", "show_name", "postcode", "country", "message")[:limit]
        )
        return [
            {
                "name": _initialled(row) if row["show_name"] else "A supporter",
                "place": _place(row),
                "message": row["message"],
            }
            for row in rows
        ]

    return cache.get_or_set(f"petition:messages:{campaign.pk}", fetch, settings.COUNT_CACHE_SECONDS)


def _initialled(row):
    return f"{row['first_name']} {row['last_name'][:1]}."


def _place(row):
    return place(row["postcode"], row["country"])


def place(postcode, country):
    """Where a signer lives, as much as may be said: the postcode area's name, or the country."""
    if postcode:
        area = postcodes.area_for(postcode)
        return area.name if area else ""
    return countries.name(country)
