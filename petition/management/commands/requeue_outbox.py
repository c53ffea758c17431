from datetime import timedelta

from django.core.management.base import BaseCommand

from petition import emails


class Command(BaseCommand):
    help = (
        "Start a sending run if outbox emails are overdue, as when a worker was killed mid-run. "
        "Run it every few minutes from cron or a systemd timer; it is safe to run at any time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace-minutes", type=int, default=5, help="Only act on emails overdue by more than this (default 5)."
        )

    def handle(self, *args, grace_minutes, **options):
        count = emails.requeue_due(grace=timedelta(minutes=grace_minutes))
        self.stdout.write(f"{count} overdue email{'s' if count != 1 else ''}")
