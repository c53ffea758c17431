"""Building the delivery-pack PDF: time, pages and peak memory of the worker's build.

Fills a PostgreSQL database with --rows confirmed signatures (bench/database.py:
a third of them named, and only they are listed), then runs the real build, as
the task worker would, in a fresh process, and prints names, pages, seconds
(wall and CPU) and peak RSS.

Usage: .venv/bin/python bench/delivery.py [--rows 20000] [--quick] [--postgres URL]
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.database import filled_database, run_in_django, server

BUILD = """
import resource, time
from campaign.models import Campaign
from petition import delivery
from petition.models import DeliveryPack
campaign = Campaign.objects.get(slug="online-safety-bill")
pack = DeliveryPack.objects.create(campaign=campaign)
started, cpu_started = time.monotonic(), time.process_time()
status = delivery.build(pack.pk)
seconds, cpu = time.monotonic() - started, time.process_time() - cpu_started
pack.refresh_from_db()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(status, pack.named_total, pack.pages, len(pack.pdf), f"{seconds:.2f}", f"{cpu:.2f}", f"{peak:.0f}")
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # 20,000 names, as when only a third of the signers were named and this part built from 60,000 rows.
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="6,000 signatories (three parts of names)")
    parser.add_argument("--postgres", help="a server to fill (postgres://user@host:port); default a throwaway cluster")
    options = parser.parse_args()
    if options.quick:
        options.rows = 6_000

    with (
        server(options.postgres) as postgres,
        filled_database(postgres, "petition_bench_delivery", options.rows) as env,
    ):
        status, named, pages, size, seconds, cpu, peak = run_in_django(env, BUILD).split()
    print(
        f"Delivery-pack PDF: {int(named):,} named signatories, {int(pages):,} pages, "
        f"{int(size) / 1e6:.1f} MB, built in {float(seconds):.1f}s "
        f"({int(named) / float(seconds):,.0f} names/s; {float(cpu):.1f}s of CPU, which a shared machine's load "
        f"does not inflate), peak RSS {peak} MB [{status}]"
    )
    return 0 if status == "ready" else 1


if __name__ == "__main__":
    sys.exit(main())
