"""Exporting a million signatures: time and peak memory of the process that streams the CSV.

Builds a PostgreSQL database with --rows confirmed signatures
(bench/database.py), then runs the real export code in a fresh
process, writing the CSV to /dev/null, and prints rows, seconds and peak RSS.

Usage: .venv/bin/python bench/export.py [--rows 1000000]
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.database import filled_database, run_in_django

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
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    options = parser.parse_args()

    with filled_database(options.postgres, "petition_bench_export", options.rows) as env:
        rows, seconds, peak = run_in_django(env, EXPORT).split()
    print(
        f"Export of every column: {int(rows):,} rows in {float(seconds):.1f}s "
        f"({int(rows) / float(seconds):,.0f} rows/s), peak RSS {peak} MB"
    )
    return 0 if int(rows) == options.rows else 1


if __name__ == "__main__":
    sys.exit(main())
