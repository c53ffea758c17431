from typing import Any

from django.core.management.base import BaseCommand

from campaign.models import Campaign
from petition import counting


class Command(BaseCommand):
    help = "Compare each campaign's count with its confirmed signatures and repair any difference."

    def handle(self, *args: Any, **options: Any) -> None:
        for campaign in Campaign.objects.order_by("pk"):
            before, after = counting.recount(campaign)
            verdict = "exact" if before == after else f"repaired (was {before})"
            self.stdout.write(f"{campaign.slug}: {after} {verdict}")
