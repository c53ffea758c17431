"""Background work, run by `manage.py db_worker`."""

from django.tasks import task

from . import emails


@task
def send_email(email_id):
    """Send one email from the outbox (see emails.deliver for retries)."""
    return emails.deliver(email_id)
