from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from petition import retention


class Command(BaseCommand):
    help = (
        "Remove signers' personal data from campaigns delivered or closed more than RETENTION_DAYS ago, "
        "keeping the counts and the regional breakdown. Run it daily from cron or a systemd timer."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Say which campaigns are due; change nothing.")

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        due = list(retention.due_campaigns())
        if not due:
            self.stdout.write(
                f"No campaign ended more than {settings.RETENTION_DAYS} days ago still holds personal data"
            )
        for campaign in due:
            if dry_run:
                self.stdout.write(f"{campaign.slug}: due")
            else:
                self.stdout.write(f"{campaign.slug}: {retention.anonymise(campaign)} signatures made anonymous")
