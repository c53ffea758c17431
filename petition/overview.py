"""The moderation overview: the pace of signing and the signs of a scripted attack, for one campaign."""

from datetime import datetime, timedelta
from typing import TypedDict

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncHour
from django.utils import timezone

from campaign.models import Campaign

from .models import Signature

TOP = 10


class Hour(TypedDict):
    hour: datetime
    signed: int


class Overview(TypedDict):
    per_hour: list[Hour]
    signed_today: int
    confirmation_rate: float | None
    busiest_ips: list[dict[str, str | int]]  # {"ip_hash": …, "signed": n}
    busiest_domains: list[dict[str, str | int]]  # {"email_domain": …, "signed": n}
    messages_waiting: int


def overview(campaign: Campaign, now: datetime | None = None) -> Overview:
    now = now or timezone.now()
    day = Signature.objects.for_campaign(campaign).filter(created_at__gte=now - timedelta(hours=24))
    hour = day.filter(created_at__gte=now - timedelta(hours=1))
    totals = day.aggregate(signed=Count("pk"), confirmed=Count("pk", filter=Q(confirmed_at__isnull=False)))
    return {
        "per_hour": list(
            day.annotate(hour=TruncHour("created_at")).values("hour").annotate(signed=Count("pk")).order_by("hour")
        ),
        "signed_today": totals["signed"],
        "confirmation_rate": totals["confirmed"] / totals["signed"] if totals["signed"] else None,
        "busiest_ips": _busiest(hour.exclude(ip_hash=""), "ip_hash"),
        "busiest_domains": _busiest(hour.exclude(email_domain=""), "email_domain"),
        "messages_waiting": Signature.objects.for_campaign(campaign).awaiting_moderation().count(),
    }


def _busiest(signatures: QuerySet[Signature], field: str) -> list[dict[str, str | int]]:
    return list(signatures.values(field).annotate(signed=Count("pk")).order_by("-signed", field)[:TOP])
