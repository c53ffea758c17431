"""The outbox: every email to a signer is a row until it is sent.

django-tasks-db never retries a failed task, so delivery state lives here:
`queue` writes the row and enqueues the task in the caller's transaction;
`deliver` locks the row, skips it unless still pending, sends, and on failure
schedules a retry with backoff. `requeue_due` (run by `manage.py
send_outbox`) picks up rows whose task was lost, for instance when a worker
was killed mid-send. An email is never lost; it is sent twice only if the
process dies between the SMTP server accepting it and the row being marked.
"""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .models import OutgoingEmail

logger = logging.getLogger(__name__)

SUBJECTS = {
    OutgoingEmail.Kind.CONFIRM: "Please confirm your signature: {title}",
    OutgoingEmail.Kind.ALREADY_SIGNED: "You have already signed: {title}",
}
# Minutes to wait before each retry; the last repeats until MAX_ATTEMPTS.
BACKOFF_MINUTES = [1, 2, 5, 15, 30, 60]
MAX_ATTEMPTS = 30


def queue(signature, kind):
    """Write an email to the outbox and enqueue its sending, in the caller's transaction.

    With the database task backend the task row commits (or rolls back) with
    the email row, so a committed email always has a task and one commit does
    for all three rows.
    """
    from .tasks import send_email

    email = OutgoingEmail.objects.create(signature=signature, kind=kind)
    send_email.enqueue(email.pk)
    return email


def recently_sent(signature):
    """How many emails this signature has had queued in the last hour."""
    since = timezone.now() - timedelta(hours=1)
    return OutgoingEmail.objects.filter(signature=signature, created_at__gte=since).count()


def deliver(email_id):
    """Send one outbox email unless it is already sent; on failure, schedule a retry."""
    with transaction.atomic():
        email = (
            OutgoingEmail.objects.select_for_update(skip_locked=True)
            .select_related("signature__campaign")
            .filter(pk=email_id, status=OutgoingEmail.Status.PENDING)
            .first()
        )
        if email is None:
            return "skipped"  # sent already, cancelled, or another worker holds it
        try:
            _message(email).send()
        except (smtplib.SMTPRecipientsRefused, UnicodeError) as error:
            return _give_up(email, error)
        except (smtplib.SMTPException, OSError) as error:
            return _schedule_retry(email, error)
        email.status = OutgoingEmail.Status.SENT
        email.sent_at = timezone.now()
        email.attempts += 1
        email.last_error = ""
        email.save(update_fields=["status", "sent_at", "attempts", "last_error"])
    return "sent"


def _describe(error):
    # The type and SMTP code only: the server's text may quote the address.
    return f"{type(error).__name__} {getattr(error, 'smtp_code', '')}".strip()


def _give_up(email, error):
    """The address cannot be sent to (refused by the server, or not encodable): trying again would not help."""
    email.attempts += 1
    email.last_error = _describe(error)
    email.status = OutgoingEmail.Status.CANCELLED
    email.save(update_fields=["attempts", "last_error", "status"])
    logger.warning("Email %s refused by the mail server: %s", email.pk, email.last_error)
    return "refused"


def _schedule_retry(email, error):
    from .tasks import send_email

    email.attempts += 1
    email.last_error = _describe(error)
    delay = BACKOFF_MINUTES[min(email.attempts, len(BACKOFF_MINUTES)) - 1]
    email.next_attempt_at = timezone.now() + timedelta(minutes=delay)
    if email.attempts >= MAX_ATTEMPTS:
        email.status = OutgoingEmail.Status.CANCELLED
    email.save(update_fields=["attempts", "last_error", "next_attempt_at", "status"])
    logger.warning("Email %s not sent (attempt %s): %s", email.pk, email.attempts, email.last_error)
    if email.status == OutgoingEmail.Status.PENDING:
        send_email.using(run_after=email.next_attempt_at).enqueue(email.pk)
    return "retry"


def requeue_due(grace=timedelta(minutes=5)):
    """Enqueue emails overdue by more than `grace`: their task was lost. Returns how many."""
    from .tasks import send_email

    now = timezone.now()
    count = 0
    with transaction.atomic():
        overdue = OutgoingEmail.objects.select_for_update(skip_locked=True).filter(
            status=OutgoingEmail.Status.PENDING, next_attempt_at__lt=now - grace
        )
        for email in overdue.only("pk"):
            send_email.enqueue(email.pk)
            count += 1
        # Not due again until this new task has had its chance.
        overdue.update(next_attempt_at=now)
    return count


def _message(email):
    from .signing import confirmation_token, withdrawal_token

    signature = email.signature
    campaign = signature.campaign
    site = settings.SITE_URL
    context = {
        "signature": signature,
        "campaign": campaign,
        "site_url": site,
        "campaign_url": site + campaign.get_absolute_url(),
        "confirm_url": site + reverse("petition:confirm", args=[campaign.slug, confirmation_token(signature)]),
        "withdraw_url": site + reverse("petition:withdraw", args=[campaign.slug, withdrawal_token(signature)]),
        "link_days": settings.CONFIRMATION_LINK_MAX_AGE // 86400,
    }
    template = f"petition/email/{email.kind}"
    message = EmailMultiAlternatives(
        subject=SUBJECTS[email.kind].format(title=campaign.title),
        body=render_to_string(f"{template}.txt", context),
        to=[signature.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message
