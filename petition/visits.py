"""Visits to a campaign's page through shared links, counted per channel and hour, with no cookie and no personal data.

The campaign page is the hot path of a read storm, served from a copy in each process's memory without a
query: so each process adds up its visits in memory (a dictionary increment) and writes them every
FLUSH_SECONDS, in one transaction of upserts, on the next page it serves (and as it exits). A process
that dies loses at most those few seconds of visits: a statistic, not a count anyone relies on.
"""

import atexit
import logging
import threading
import time
from collections import Counter
from datetime import UTC, datetime

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from .models import VisitCount

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 10

_pending: Counter[tuple[int, str, datetime]] = Counter()
_lock = threading.Lock()
_last_flush = time.time()


def record(campaign_id: int, source: str) -> None:
    """Count one visit through a link shared on `source` (a known channel), to be written with the next flush."""
    hour = timezone.now().astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    with _lock:
        _pending[(campaign_id, source, hour)] += 1


def flush_if_due() -> None:
    """Write the visits counted in this process if FLUSH_SECONDS have passed since it last did."""
    if _pending and time.time() - _last_flush >= FLUSH_SECONDS:
        flush()


def flush() -> int:
    """Add this process's counted visits to the database now. Returns how many counters it wrote.

    If the database is away, the visits are kept for the next flush rather than failing the page.
    """
    global _last_flush
    with _lock:
        batch = dict(_pending)
        _pending.clear()
        _last_flush = time.time()
    if not batch:
        return 0
    table = VisitCount._meta.db_table
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} (campaign_id, source, hour, count) VALUES (%s, %s, %s, %s) "  # noqa: S608
                f"ON CONFLICT (campaign_id, hour, source) DO UPDATE SET count = {table}.count + excluded.count",
                [
                    (campaign_id, source, _db_datetime(hour), count)
                    for (campaign_id, source, hour), count in sorted(batch.items())
                ],
            )
    except DatabaseError:
        logger.warning("Could not write %d visit counters; keeping them for the next try", len(batch))
        with _lock:
            _pending.update(batch)
        return 0
    return len(batch)


def _db_datetime(value: datetime) -> datetime | str:
    # A raw statement gets no field conversion: SQLite stores naive UTC, PostgreSQL takes the aware value.
    prepared: datetime | str = VisitCount._meta.get_field("hour").get_db_prep_value(value, connection)
    return prepared


atexit.register(lambda: _pending and flush())
