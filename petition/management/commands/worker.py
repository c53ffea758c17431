import logging
import time
from typing import Any

from django.db import DatabaseError, connections
from django_tasks_db.management.commands import db_worker

from petition import emails

logger = logging.getLogger(__name__)

# Seconds between attempts while the database is away, doubling up to the last.
RETRY_DELAYS = [1, 2, 5, 10, 30]


class Command(db_worker.Command):
    help = (
        "Run the task worker (django-tasks-db's db_worker, with the same options). It first starts a sending run "
        "for any email waiting (a worker killed mid-run leaves no task behind), and when the database goes away "
        "it waits and starts again instead of exiting."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        failures = 0
        while True:
            started = time.monotonic()
            try:
                emails.resume()
                return super().handle(*args, **options)
            except DatabaseError as error:
                if options["batch"]:
                    raise
                if time.monotonic() - started > 60:
                    failures = 0
                delay = RETRY_DELAYS[min(failures, len(RETRY_DELAYS) - 1)]
                failures += 1
                logger.warning("Database unavailable (%s): the worker starts again in %ss", type(error).__name__, delay)
                connections.close_all()
                time.sleep(delay)
