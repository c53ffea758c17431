from datetime import timedelta

from django.core.management.base import BaseCommand

from petition import emails


class Command(BaseCommand):
    help = (
        "Enqueue again the outbox emails whose sending task was lost (a worker killed mid-send, say). "
        "Run it every few minutes from cron or a systemd timer; it is safe to run at any time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace-minutes", type=int, default=5, help="Only emails overdue by more than this (default 5)."
        )

    def handle(self, *args, grace_minutes, **options):
        count = emails.requeue_due(grace=timedelta(minutes=grace_minutes))
        self.stdout.write(f"{count} email{'s' if count != 1 else ''} queued again")
