"""Exporting a million signatures: time and peak memory of the process that streams the CSV.

Builds a PostgreSQL database with --rows confirmed signatures (one INSERT ...
SELECT over generate_series), then runs the real export code in a fresh
process, writing the CSV to /dev/null, and prints rows, seconds and peak RSS.

Usage: .venv/bin/python bench/export.py [--rows 1000000]
"""

import argparse
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

EXPORT = """
import resource, sys, time
from campaign.models import Campaign
from petition import exports
campaign = Campaign.objects.get(slug="online-safety-bill")
started = time.monotonic()
lines = 0
with open("/dev/null", "w", encoding="utf-8") as out:
    for line in exports.csv_lines(campaign, list(exports.COLUMNS)):
        out.write(line)
        lines += 1
seconds = time.monotonic() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(lines - 2, f"{seconds:.2f}", f"{peak:.0f}")
"""

FILL = """
INSERT INTO petition_signature (
    campaign_id, status, first_name, last_name, email, email_normalised, email_canonical, email_domain,
    postcode, country, region, show_name, contact_opt_in, message, message_status, consent_version, ip_hash,
    created_at, confirmed_at, invalidation_reason
)
SELECT c.id, 'confirmed', 'Signer', 'Number ' || n, 's' || n || '@example.org', 's' || n || '@example.org',
       's' || n || '@example.org', 'example.org', 'BN1 1AA', 'GB', 'south-east', n %% 3 = 0, false,
       CASE WHEN n %% 10 = 0 THEN '=HYPERLINK("x") please act' ELSE '' END,
       CASE WHEN n %% 10 = 0 THEN 'approved' ELSE '' END,
       'bench', md5(n::text), now(), now(), ''
FROM generate_series(1, %(rows)s) AS n, campaign_campaign AS c WHERE c.slug = 'online-safety-bill'
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    options = parser.parse_args()

    import psycopg

    name = "petition_bench_export"
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"{options.postgres}/{name}",
        "LOG_LEVEL": "WARNING",
    }
    with psycopg.connect(f"{options.postgres}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([PYTHON, "manage.py", "load_campaign"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    started = time.monotonic()
    with psycopg.connect(f"{options.postgres}/{name}", autocommit=True) as conn:
        conn.execute(FILL, {"rows": options.rows})
        conn.execute("VACUUM ANALYZE petition_signature")
    print(f"Filled {options.rows:,} signatures in {time.monotonic() - started:.1f}s")

    result = subprocess.run(
        [PYTHON, "manage.py", "shell", "--no-imports", "-v0", "-c", EXPORT],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    rows, seconds, peak = result.stdout.split()
    print(
        f"Export of every column: {int(rows):,} rows in {float(seconds):.1f}s "
        f"({int(rows) / float(seconds):,.0f} rows/s), peak RSS {peak} MB"
    )
    ok = int(rows) == options.rows
    with psycopg.connect(f"{options.postgres}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
