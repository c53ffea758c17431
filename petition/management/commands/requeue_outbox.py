from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from petition import emails, updates


class Command(BaseCommand):
    help = (
        "Start a sending run if outbox emails are overdue, as when a worker was killed mid-run, and carry on "
        "choosing the recipients of an update whose worker died while it did. "
        "Run it every few minutes from cron or a systemd timer; it is safe to run at any time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--grace-minutes", type=int, default=5, help="Only act on emails overdue by more than this (default 5)."
        )

    def handle(self, *args: Any, grace_minutes: int, **options: Any) -> None:
        count = emails.requeue_due(grace=timedelta(minutes=grace_minutes))
        self.stdout.write(f"{count} overdue email{'s' if count != 1 else ''}")
        stalled = updates.resume_preparing(grace=timedelta(minutes=grace_minutes))
        if stalled:
            self.stdout.write(f"{stalled} update{'s' if stalled != 1 else ''} still choosing recipients: resumed")
