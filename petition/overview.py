"""The moderation overview: the pace of signing and the signs of a scripted attack, for one campaign.

Everything is counted in the database, grouped by hour or by source over a window of time on the campaign's
indexed columns, so the page costs the same few queries on a million signatures as on a hundred.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypedDict

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone

from campaign.models import Campaign

from . import counting, holding
from .models import Invalidation, Signature, VisitCount

CHART_HOURS = 48
DAY = 24
TOP = 10
# The hours a moderator may look back over for the busiest sources: the last one, or the last day.
WINDOWS = (1, 24)
RECENT_INVALIDATIONS = 5


class Hour(TypedDict):
    start: datetime
    signed: int  # signatures made in the hour
    signed_confirmed: int  # of those, how many have been confirmed since
    confirmed: int  # confirmations made in the hour, whenever their signatures were made


class Source(TypedDict):
    value: str  # an IP hash or an email domain
    signed: int
    confirmed: int  # of those signed in the window, how many have been confirmed
    rate: float


class Channel(TypedDict):
    source: str  # a Signature.Source value; "" for signatures that came through no shared link
    label: str
    visits: int | None  # visits through links shared on it; None for no channel, whose visits are not counted
    signed: int
    confirmed: int  # of those signed since then, how many have been confirmed


class Overview(TypedDict):
    hours: list[Hour]
    chart: "Chart"
    signed_today: int
    confirmation_rate: float | None
    window: int
    busiest_ips: list[Source]
    busiest_domains: list[Source]
    channels_since: datetime
    channels: list[Channel]
    messages_waiting: int
    held: int
    holding_all: bool
    count: int
    invalidations: list[Invalidation]


def overview(campaign: Campaign, now: datetime | None = None, window: int = WINDOWS[0]) -> Overview:
    now = now or timezone.now()
    window = window if window in WINDOWS else WINDOWS[0]
    signatures = Signature.objects.for_campaign(campaign)
    hours = per_hour(campaign, now)
    signed_today = sum(hour["signed"] for hour in hours[-DAY:])
    confirmed_today = sum(hour["signed_confirmed"] for hour in hours[-DAY:])
    recent = signatures.filter(created_at__gte=now - timedelta(hours=window))
    # Visits are counted by the hour: the channels are compared over the same whole hours.
    channels_since = (now - timedelta(hours=window)).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return {
        "hours": hours,
        "chart": chart(hours),
        "signed_today": signed_today,
        "confirmation_rate": confirmed_today / signed_today if signed_today else None,
        "window": window,
        "busiest_ips": _busiest(recent.exclude(ip_hash=""), "ip_hash"),
        "busiest_domains": _busiest(recent.exclude(email_domain=""), "email_domain"),
        "channels_since": channels_since,
        "channels": channels(campaign, channels_since),
        "messages_waiting": signatures.awaiting_moderation().count(),
        "held": signatures.held().count(),
        "holding_all": holding.holds_all(campaign),
        "count": counting.totals(campaign).count,
        "invalidations": list(Invalidation.objects.filter(campaign=campaign)[:RECENT_INVALIDATIONS]),
    }


def per_hour(campaign: Campaign, now: datetime) -> list[Hour]:
    """Signatures and confirmations in each of the last CHART_HOURS hours, oldest first, empty hours included.

    Hours are counted in UTC, whose hours are the UK's hours too (its offsets are whole hours). The last DAY of
    them (this hour so far and the 23 before it) give the day's totals.
    """
    first = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=CHART_HOURS - 1)
    signatures = Signature.objects.for_campaign(campaign)
    signed = _by_hour(signatures.filter(created_at__gte=first), "created_at")
    # Confirmations stay in the chart after an invalidation: it shows what happened, hour by hour.
    confirmations = signatures.filter(
        status__in=[Signature.Status.CONFIRMED, Signature.Status.INVALIDATED], confirmed_at__gte=first
    )
    confirmed = _by_hour(confirmations, "confirmed_at")
    hours: list[Hour] = []
    for start in (first + timedelta(hours=n) for n in range(CHART_HOURS)):
        made, made_confirmed = signed.get(start, (0, 0))
        confirmations_made = confirmed.get(start, (0, 0))[0]
        hours.append(
            {"start": start, "signed": made, "signed_confirmed": made_confirmed, "confirmed": confirmations_made}
        )
    return hours


def _by_hour(signatures: QuerySet[Signature], field: str) -> dict[datetime, tuple[int, int]]:
    """How many rows fall in each hour of `field`, and how many of those are confirmed."""
    rows = (
        signatures.annotate(hour=TruncHour(field, tzinfo=UTC))
        .values("hour")
        .annotate(n=Count("pk"), confirmed=Count("pk", filter=Q(confirmed_at__isnull=False)))
    )
    return {row["hour"]: (row["n"], row["confirmed"]) for row in rows.order_by()}


def _busiest(signatures: QuerySet[Signature], field: str) -> list[Source]:
    rows = (
        signatures.values(field)
        .annotate(signed=Count("pk"), confirmed=Count("pk", filter=Q(confirmed_at__isnull=False)))
        .order_by("-signed", field)[:TOP]
    )
    return [
        {
            "value": row[field],
            "signed": row["signed"],
            "confirmed": row["confirmed"],
            "rate": row["confirmed"] / row["signed"],
        }
        for row in rows
    ]


def channels(campaign: Campaign, since: datetime) -> list[Channel]:
    """Visits, signatures and confirmations by the channel of the shared link they came through, since `since`.

    Two grouped counts: the hourly visit counters, and the signatures made since then on the campaign's
    indexed time column. Only channels with something to show are listed, busiest first.
    """
    visits = dict(
        VisitCount.objects.filter(campaign=campaign, hour__gte=since)
        .values("source")
        .annotate(n=Sum("count"))
        .values_list("source", "n")
        .order_by()
    )
    signed: dict[str, tuple[int, int]] = {
        source: (n, confirmed)
        for source, n, confirmed in Signature.objects.for_campaign(campaign)
        .filter(created_at__gte=since)
        .values("source")
        .annotate(signed=Count("pk"), confirmed=Count("pk", filter=Q(confirmed_at__isnull=False)))
        .values_list("source", "signed", "confirmed")
        .order_by()
    }
    rows: list[Channel] = [
        {
            "source": source.value,
            "label": source.label,
            "visits": visits.get(source.value, 0) if source.value else None,
            "signed": signed.get(source.value, (0, 0))[0],
            "confirmed": signed.get(source.value, (0, 0))[1],
        }
        for source in Signature.Source
        if source.value in visits or source.value in signed
    ]
    return sorted(rows, key=lambda row: (row["source"] == "", -row["signed"], -(row["visits"] or 0)))


# The chart's drawing, in the SVG's own units: it scales with its viewBox, from a phone to a wide screen.
WIDTH, HEIGHT = 360, 190
LEFT, RIGHT, TOP_MARGIN, BOTTOM = 40, 4, 10, 26
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP_MARGIN - BOTTOM
LABEL_EVERY = 12  # hours between the labels on the time axis


@dataclass(frozen=True)
class Bar:
    hour: Hour
    x: float
    signed_y: float
    signed_height: float
    confirmed_x: float
    confirmed_y: float
    confirmed_height: float
    width: float


@dataclass(frozen=True)
class Tick:
    value: int | str
    x: float
    y: float


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    top: int
    busiest: Hour
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    baseline: int = TOP_MARGIN + PLOT_HEIGHT


def chart(hours: list[Hour]) -> Chart:
    """Where each hour's two bars go: signed, and confirmed beside it, on a scale rounded up to a plain number."""
    top = _nice(max((max(hour["signed"], hour["confirmed"]) for hour in hours), default=0))
    slot = PLOT_WIDTH / len(hours)
    width = round(slot * 0.42, 2)
    baseline = TOP_MARGIN + PLOT_HEIGHT

    def height(n: int) -> float:
        return round(PLOT_HEIGHT * n / top, 2)

    bars = []
    for i, hour in enumerate(hours):
        x = round(LEFT + i * slot + slot * 0.08, 2)
        bars.append(
            Bar(
                hour=hour,
                x=x,
                signed_y=round(baseline - height(hour["signed"]), 2),
                signed_height=height(hour["signed"]),
                confirmed_x=round(x + width, 2),
                confirmed_y=round(baseline - height(hour["confirmed"]), 2),
                confirmed_height=height(hour["confirmed"]),
                width=width,
            )
        )
    y_ticks = [Tick(value=value, x=LEFT - 4, y=round(baseline - height(value), 2)) for value in (0, top // 2, top)]
    x_ticks = [
        Tick(value=f"{timezone.localtime(hour['start']):%H:%M}", x=round(LEFT + i * slot, 2), y=HEIGHT - 8)
        for i, hour in enumerate(hours)
        if timezone.localtime(hour["start"]).hour % LABEL_EVERY == 0
    ]
    busiest = max(hours, key=lambda hour: hour["signed"])
    return Chart(bars=bars, y_ticks=y_ticks, x_ticks=x_ticks, top=top, busiest=busiest)


def _nice(n: int) -> int:
    """The smallest of 2, 5, 10, 20, 50, 100, … at least `n`: a scale a reader can read in their head."""
    scale = 1
    while True:
        for step in (2, 5, 10):
            if step * scale >= n:
                return step * scale
        scale *= 10
