"""The admin signature list and the moderation overview on a million signatures: latency of what a moderator uses.

Fills a PostgreSQL database as bench/export.py does, or takes one already
filled (--database: make bench fills one for both), adds a few invalidated
and pending rows and messages waiting, then requests the changelist through
Django's test client as a moderator, several times per filter, and prints
p50 and p99 in milliseconds and the number of queries. Then it spreads the
signatures over 30 days (about 1,400 an hour), adds a scripted burst from one
address in the last two hours, and times the overview the same way.

Usage: .venv/bin/python bench/admin_list.py [--rows 1000000] [--repeat 20] [--quick] [--postgres URL | --database URL]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.database import environment, filled_database, server  # noqa: E402

FILTERS = {
    "newest first": {},
    "campaign": {"campaign__id__exact": "1"},
    "status: pending": {"status__exact": "pending"},
    "status: invalidated": {"status__exact": "invalidated"},
    "region": {"region": "scotland"},
    "signed today": {"created_at__gte": "TODAY"},
    "has a message": {"has_message": "yes"},
    "message waiting": {"message_status__exact": "pending"},
    "email domain": {"email_domain": "spam.example"},
    "IP hash": {"ip_hash": "IPHASH"},
    "search exact email": {"q": "s500000@example.org"},
    "search surname": {"q": "Number 123456"},
    "search common surname": {"q": "Number 7"},
    "moderation queue": {"PAGE": "queue/"},
}
# What a moderator has open while an attack is signing (--under-load): the list, the messages and the queue.
UNDER_LOAD = ["newest first", "message waiting", "moderation queue"]


# A scripted attack, some unconfirmed signers and messages waiting: what moderators look for.
MODERATORS_SEE = [
    "UPDATE petition_signature SET email_domain = 'spam.example' WHERE id % 997 = 0",
    "UPDATE petition_signature SET status = 'pending', confirmed_at = NULL WHERE id % 50 = 1",
    "UPDATE petition_signature SET status = 'invalidated', invalidated_at = now(), "
    "invalidation_reason = 'spam' WHERE id % 5000 = 2",
    "UPDATE petition_signature SET message_status = 'pending' WHERE id % 1000 = 0",
    "UPDATE petition_signature SET region = 'scotland' WHERE id % 12 = 3",
]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="100,000 rows, 10 requests per filter")
    parser.add_argument(
        "--under-load",
        action="store_true",
        help="only what a moderator has open during an attack (make bench signs meanwhile); the database as it is",
    )
    parser.add_argument("--postgres", help="a server to fill (postgres://user@host:port); default a throwaway cluster")
    parser.add_argument(
        "--database", help="a database already filled with --rows signatures (bench/database.py), such as make bench's"
    )
    options = parser.parse_args()
    if options.quick:
        options.rows, options.repeat = 100_000, 10

    if options.database:
        return measure(environment(options.database), options.rows, options.repeat, options.under_load)
    with server(options.postgres) as postgres, filled_database(postgres, "petition_bench_admin", options.rows) as env:
        return measure(env, options.rows, options.repeat)


def measure(env, rows, repeat, under_load=False):
    """Give the filled database what moderators look for, then time every filter in this process.

    Under load, the database is taken as an earlier run left it, and only UNDER_LOAD is timed, and not the overview.
    """
    database_url = env["DATABASE_URL"]
    with psycopg.connect(database_url, autocommit=True) as conn:
        if not under_load:
            for statement in MODERATORS_SEE:
                conn.execute(statement)
            conn.execute("VACUUM ANALYZE petition_signature")
        ip_hash = conn.execute("SELECT ip_hash FROM petition_signature WHERE id = 777").fetchone()[0]
    os.environ.update(env | {"ALLOWED_HOSTS": "testserver", "SECURE_SSL_REDIRECT": "false"})
    # The admin's pages are served with hashed static names, as in production: a fresh clone has none yet.
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True)

    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.utils import timezone

    setup_test_environment()
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user, _ = User.objects.get_or_create(username="moderator", defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name="Moderators"))
    client = Client()
    client.force_login(user)
    # Signed in with the second factor too, as every staff page needs (accounts.middleware).
    session = client.session
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="app", defaults={"confirmed": True})
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    today = timezone.localdate().isoformat()

    while_signing = " while others sign" if under_load else ""
    print(f"\nAdmin signature list on {rows:,} signatures{while_signing}, PostgreSQL, {repeat} requests per filter")
    print(f"{'filter':<22} {'p50 ms':>8} {'p99 ms':>8} {'queries':>8}")
    worst = 0
    for label, params in FILTERS.items():
        if under_load and label not in UNDER_LOAD:
            continue
        params = {k: v.replace("TODAY", today).replace("IPHASH", ip_hash) for k, v in params.items()}
        page = params.pop("PAGE", "")
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response = client.get(f"/admin/petition/signature/{page}", params)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (label, response.status_code)
        timings.sort()
        p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
        worst = max(worst, p99)
        print(f"{label:<22} {statistics.median(timings):>8.0f} {p99:>8.0f} {len(queries):>8}")
    if under_load:
        print(f"Slowest p99: {worst:.0f} ms (target under 500 ms)")
        return 0 if worst < 500 else 1
    with psycopg.connect(database_url, autocommit=True) as conn:
        # 30 days of signing, newest ids last; confirmed five minutes after signing, but for the burst's.
        conn.execute(
            "UPDATE petition_signature SET created_at = now() - ((%(rows)s - id) * %(spread)s)::int * interval '1 s', "
            "confirmed_at = CASE WHEN status = 'confirmed' THEN now() - ((%(rows)s - id) * %(spread)s)::int "
            "* interval '1 s' + interval '5 minutes' END",
            {"rows": rows, "spread": 30 * 86400 / rows},
        )
        conn.execute(
            "UPDATE petition_signature SET ip_hash = 'b07b07b07b07b07b07b07b07b07b0700', "
            "email_domain = 'spam.example', status = 'pending', confirmed_at = NULL "
            "WHERE id > %(first)s AND id %% 3 = 0",
            {"first": rows - rows * 3 // 1000},
        )
        conn.execute("VACUUM ANALYZE petition_signature")
    for label, params in {"overview, last hour": {}, "overview, last 24 hours": {"hours": "24"}}.items():
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response = client.get("/admin/petition/signature/overview/", params)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (label, response.status_code)
        timings.sort()
        p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
        worst = max(worst, p99)
        print(f"{label:<22} {statistics.median(timings):>8.0f} {p99:>8.0f} {len(queries):>8}")
    print(f"Slowest p99: {worst:.0f} ms (target under 500 ms)")
    return 0 if worst < 500 else 1


if __name__ == "__main__":
    sys.exit(main())
