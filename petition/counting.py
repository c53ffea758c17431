"""The confirmed count: exact, cheap to read, and with no single hot row.

Every change to a signature's standing (confirm, withdraw, invalidate) adds +1
or -1 to one of SHARDS counter rows for its campaign and region, chosen at
random, inside the transaction that changes the signature. The count is the
sum of those rows, so it is exact whenever no transaction is in flight, and
concurrent confirmations rarely wait on the same row. Reads sum at most
SHARDS × regions rows, whatever the number of signatures, and are kept in
each process's memory for COUNT_CACHE_SECONDS (one small query per process
every two seconds: cheaper than asking Redis on every read).

(The UK Parliament site instead adds up new signatures in a batch job every
minute; that needs a scheduler and lags by design. Sharded rows are exact at
commit time and need nothing running.)
"""

import random
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import caches
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from campaign.models import Campaign

from . import postcodes
from .models import Signature, SignatureCount

SHARDS = 16


def add(campaign_id: int, region: str, delta: int) -> None:
    """Add `delta` to the campaign's count in `region`; call inside the transaction that justifies it."""
    with connection.cursor() as cursor:
        cursor.execute(_add_to_a_shard("VALUES (%s, %s, %s, %s)"), [campaign_id, region, _shard(), delta])


def add_one_for(row: str) -> tuple[str, list[int]]:
    """A statement, for a WITH, adding one to the count of the campaign and region of `row`, a query or WITH name
    giving one row (campaign_id, region) or none: so that a change and its count can be one statement. Returns
    the SQL and its parameters."""
    return _add_to_a_shard(f"SELECT campaign_id, region, %s, 1 FROM {row}"), [_shard()]  # noqa: S608


def _add_to_a_shard(rows: str) -> str:
    table = SignatureCount._meta.db_table
    return (
        f"INSERT INTO {table} (campaign_id, region, shard, count) {rows} "
        f"ON CONFLICT (campaign_id, region, shard) DO UPDATE SET count = {table}.count + excluded.count"
    )


def _shard() -> int:
    return random.randrange(SHARDS)  # noqa: S311


@dataclass(frozen=True)
class Totals:
    count: int
    by_region: dict[str, int]  # region key -> count, every region listed
    updated_at: datetime


def totals(campaign: Campaign) -> Totals:
    """The campaign's confirmed count and its regional breakdown, at most a few seconds old."""
    key = f"petition:totals:{campaign.pk}"
    cached: Totals | None = caches["local"].get(key)
    if cached is None:
        cached = _sum_shards(campaign.pk)
        caches["local"].set(key, cached, settings.COUNT_CACHE_SECONDS)
    return cached


def verified(campaign: Campaign) -> Totals:
    """The count the recipient of the letter is told: the shards' sum less any demo signatures (petition.demo).

    Demo signatures count on the site, so that it looks as it will with thousands; they are never delivered.
    Read afresh rather than from `totals`' cache, so that both parts are of the same moment.
    """
    counted = _sum_shards(campaign.pk)
    demo: dict[str, int] = dict(
        Signature.objects.for_campaign(campaign)
        .confirmed()
        .demo()
        .values_list("region")
        .annotate(n=Count("pk"))
        .order_by()
    )
    if not demo:
        return counted
    by_region = {region: n - demo.get(region, 0) for region, n in counted.by_region.items()}
    return Totals(count=sum(by_region.values()), by_region=by_region, updated_at=counted.updated_at)


def _sum_shards(campaign_id: int) -> Totals:
    rows = SignatureCount.objects.filter(campaign_id=campaign_id).values_list("region").annotate(total=Sum("count"))
    by_region = dict.fromkeys(postcodes.regions(), 0) | dict(rows)
    return Totals(count=sum(by_region.values()), by_region=by_region, updated_at=timezone.now())


def recount(campaign: Campaign) -> tuple[int, int]:
    """Rebuild the campaign's shards from the signatures themselves. Returns (before, after).

    For repair after manual database work; in normal running the shards never drift.
    """
    with transaction.atomic():
        # Hold every counter still while they are rebuilt, including shards a confirmation would create.
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {SignatureCount._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
        before = _sum_shards(campaign.pk).count
        actual = Signature.objects.for_campaign(campaign).confirmed().values_list("region").annotate(n=Count("pk"))
        SignatureCount.objects.filter(campaign=campaign).delete()
        SignatureCount.objects.bulk_create(
            SignatureCount(campaign=campaign, region=region, shard=0, count=n) for region, n in actual
        )
        after = _sum_shards(campaign.pk).count
    caches["local"].delete(f"petition:totals:{campaign.pk}")
    return before, after


def milestone(count: int, goal: int) -> int:
    """The target the progress bar shows: the goal, then the next round figure beyond it."""
    target = goal
    while count >= target:
        target = next_round(target)
    return target


def next_round(number: int) -> int:
    """1,000 → 2,000 → 5,000 → 10,000 → 20,000 → 50,000 → 100,000 …"""
    magnitude: int = 10 ** (len(str(number)) - 1)
    for step in (1, 2, 5, 10):
        if step * magnitude > number:
            return step * magnitude
    return 10 * magnitude
