"""Building the delivery-pack PDF: time, pages and peak memory of the worker's build.

Fills a PostgreSQL database with --rows confirmed signatures (a third of them
named, as bench/export.py does), then runs the real build, as the task worker
would, in a fresh process, and prints names, pages, seconds and peak RSS.

Usage: .venv/bin/python bench/delivery.py [--rows 60000]
"""

import argparse
import os
import secrets
import subprocess
import sys
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.export import FILL

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

BUILD = """
import resource, time
from campaign.models import Campaign
from petition import delivery
from petition.models import DeliveryPack
campaign = Campaign.objects.get(slug="online-safety-bill")
pack = DeliveryPack.objects.create(campaign=campaign)
started = time.monotonic()
status = delivery.build(pack.pk)
seconds = time.monotonic() - started
pack.refresh_from_db()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(status, pack.named_total, pack.pages, len(pack.pdf), f"{seconds:.2f}", f"{peak:.0f}")
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    options = parser.parse_args()

    name = "petition_bench_delivery"
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"{options.postgres}/{name}",
        "LOG_LEVEL": "WARNING",
    }
    with psycopg.connect(f"{options.postgres}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run([PYTHON, "manage.py", "load_campaign"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        with psycopg.connect(f"{options.postgres}/{name}", autocommit=True) as conn:
            conn.execute(FILL, {"rows": options.rows})
            conn.execute("VACUUM ANALYZE petition_signature")
        result = subprocess.run(
            [PYTHON, "manage.py", "shell", "--no-imports", "-v0", "-c", BUILD],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        status, named, pages, size, seconds, peak = result.stdout.split()
        print(
            f"Delivery-pack PDF: {int(named):,} named signatories, {int(pages):,} pages, "
            f"{int(size) / 1e6:.1f} MB, built in {float(seconds):.1f}s "
            f"({int(named) / float(seconds):,.0f} names/s), peak RSS {peak} MB [{status}]"
        )
        return 0 if status == "ready" else 1
    finally:
        with psycopg.connect(f"{options.postgres}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
