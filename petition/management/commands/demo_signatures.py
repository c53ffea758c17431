import argparse
import itertools
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count, Q

from campaign.models import Campaign
from petition import demo, standing
from petition.models import Signature

# Signatures made and stored between two lines of progress.
BATCH = 10_000


class Command(BaseCommand):
    help = (
        "Fill a campaign with N made-up signers (regions, names, messages, pending ones and a few spam bursts), "
        "so that the site, the admin, the overview and the delivery pack can be seen and practised on as they "
        "will look with thousands. Every row is marked as demo: counted on the site, never exported or delivered. "
        "--delete removes them all again."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("count", nargs="?", type=int, help="How many signers to add.")
        parser.add_argument(
            "--campaign", metavar="SLUG", help="The campaign to fill (default: the open one on the front page)."
        )
        parser.add_argument(
            "--replace", action="store_true", help="First remove the campaign's demo signers, so N are left."
        )
        parser.add_argument(
            "--delete", action="store_true", help="Remove the demo signers (of --campaign, or of every campaign)."
        )
        parser.add_argument("--seed", type=int, help="Make the same signers every time.")
        parser.add_argument("--force", action="store_true", help="Add demo signers even with DEBUG off.")

    def handle(
        self,
        *args: Any,
        count: int | None,
        campaign: str | None,
        replace: bool,
        delete: bool,
        seed: int | None,
        force: bool,
        **options: Any,
    ) -> None:
        slug = campaign
        if delete:
            if count is not None or replace:
                raise CommandError("--delete removes demo signers: give it no count and no --replace.")
            signatures = Signature.objects.all() if slug is None else Signature.objects.for_campaign(self._find(slug))
            removed = standing.remove_demo(signatures, note="manage.py demo_signatures --delete")
            self.stdout.write(f"Removed {removed:,} demo signatures; the count is back to the real ones.")
            return
        if count is None or count < 1:
            raise CommandError("Say how many demo signers to add, e.g. `manage.py demo_signatures 100000`.")
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off, so this may be a live site: demo signers would show on its public page and in its "
                "count. Run with DEBUG=true on your own machine, or add --force if you really mean it."
            )
        self._fill(self._find(slug), count, replace=replace, seed=seed)

    def _find(self, slug: str | None) -> Campaign:
        if slug is None:
            campaign: Campaign | None = Campaign.objects.filter(status=Campaign.Status.OPEN).front_page()
            if campaign is None:
                raise CommandError("No campaign is open: load one (`manage.py load_campaign`) or give --campaign.")
            return campaign
        campaign = Campaign.objects.filter(slug=slug).first()
        if campaign is None:
            raise CommandError(f"No campaign has the slug “{slug}”.")
        return campaign

    def _fill(self, campaign: Campaign, count: int, *, replace: bool, seed: int | None) -> None:
        started = time.monotonic()
        with transaction.atomic():
            if replace:
                signatures = Signature.objects.for_campaign(campaign)
                removed = standing.remove_demo(signatures, note="manage.py demo_signatures --replace")
                self.stdout.write(f"Removed {removed:,} demo signatures")
            # Addresses at the demo's domains that are taken (by an earlier demo, or anyone): never reused.
            taken = (
                Signature.objects.for_campaign(campaign)
                .filter(email_domain__in=demo.domains())
                .values_list("mailbox", flat=True)
            )
            signers = demo.signers(campaign, count, seed=seed, taken=taken.iterator())
            statuses = standing.add_demo(campaign, self._progress(signers, count), note="manage.py demo_signatures")
        self._summary(campaign, statuses, time.monotonic() - started)

    def _progress(self, signers: Iterable[Signature], count: int) -> Iterator[tuple[Signature, ...]]:
        """The signers in batches, saying how many are stored as each batch is (after the yield)."""
        done = 0
        for batch in itertools.batched(signers, BATCH):
            yield batch
            done += len(batch)
            self.stdout.write(f"  {done:,} of {count:,} stored")

    def _summary(self, campaign: Campaign, statuses: Counter[str], seconds: float) -> None:
        total = statuses.total()
        self.stdout.write(
            self.style.SUCCESS(f"Added {total:,} demo signers to {campaign.slug} in {seconds:.1f} s: ")
            + ", ".join(f"{n:,} {status}" for status, n in statuses.most_common())
        )
        demo_rows = Signature.objects.for_campaign(campaign).demo()
        held = demo_rows.aggregate(
            signers=Count("pk"),
            waiting=Count("pk", filter=Q(message_status=Signature.MessageStatus.PENDING)),
            approved=Count("pk", filter=Q(message_status=Signature.MessageStatus.APPROVED)),
        )
        self.stdout.write(
            f"The campaign now holds {held['signers']:,} demo signers, with {held['waiting']:,} messages waiting "
            f"for moderation and {held['approved']:,} approved."
        )
        counts = demo.spam_counts(total)
        for burst in demo.BURSTS:
            self.stdout.write(
                f"  A spam burst of {counts[burst.name]:,} within a minute, {burst.minutes_ago} minutes ago: "
                f"{burst.clue}."
            )
        self.stdout.write(
            "The bursts show in the moderation overview for an hour. "
            "Remove every demo signer with `manage.py demo_signatures --delete`."
        )
