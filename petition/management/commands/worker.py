from django_tasks_db.management.commands import db_worker

from petition import emails


class Command(db_worker.Command):
    help = (
        "Run the task worker (django-tasks-db's db_worker, with the same options), first starting a sending run "
        "for any email that is due: a worker killed mid-run leaves no task behind to send them."
    )

    def handle(self, *args, **options):
        emails.resume()
        super().handle(*args, **options)
