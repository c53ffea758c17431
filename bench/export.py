"""Exporting a million signatures: time and peak memory of the process that streams the CSV.

Builds a PostgreSQL database with --rows confirmed signatures
(bench/database.py), or takes one already filled (--database, as make bench
passes), then runs the real export code in a fresh process, writing the CSV
to /dev/null, and prints rows, seconds and peak RSS.

Usage: .venv/bin/python bench/export.py [--rows 1000000] [--quick] [--postgres URL | --database URL]
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.database import environment, filled_database, run_in_django, server

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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 rows")
    parser.add_argument("--postgres", help="a server to fill (postgres://user@host:port); default a throwaway cluster")
    parser.add_argument("--database", help="a database already filled with --rows signatures (left as it is)")
    options = parser.parse_args()
    if options.quick:
        options.rows = 100_000

    if options.database:
        rows, seconds, peak = run_in_django(environment(options.database), EXPORT).split()
    else:
        with (
            server(options.postgres) as postgres,
            filled_database(postgres, "petition_bench_export", options.rows) as env,
        ):
            rows, seconds, peak = run_in_django(env, EXPORT).split()
    print(
        f"Export of every column: {int(rows):,} rows in {float(seconds):.1f}s "
        f"({int(rows) / float(seconds):,.0f} rows/s), peak RSS {peak} MB"
    )
    return 0 if int(rows) == options.rows else 1


if __name__ == "__main__":
    sys.exit(main())
