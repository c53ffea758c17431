"""Background work, run by `manage.py db_worker`."""

from django.tasks import task

from . import emails


@task
def send_due_emails():
    """Send the outbox's due emails (see petition.emails for retries and nudges)."""
    return emails.send_due()


@task
def run_invalidation(invalidation_id):
    """Carry out a bulk invalidation in batches (see petition.invalidations)."""
    from . import invalidations

    return invalidations.run(invalidation_id)


@task
def apply_retention():
    """Remove personal data from campaigns past their retention period (the daily `apply_retention` job)."""
    from . import retention

    return {campaign.slug: retention.anonymise(campaign) for campaign in retention.due_campaigns()}


@task
def build_delivery_pack(pack_id):
    """Build a delivery pack's PDF (see petition.delivery)."""
    from . import delivery

    return delivery.build(pack_id)
