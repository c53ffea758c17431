"""The outbox: emails survive a mail server that is down, and none is sent twice."""

import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from petition import emails
from petition.models import OutgoingEmail


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_down(settings):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": closed_port(), "timeout": 2},
        }
    }


def test_when_the_mail_server_is_down_the_email_waits_and_is_retried_later(campaign, sign, smtp_down):
    sign(campaign)
    email = OutgoingEmail.objects.get()

    assert emails.deliver(email.pk) == "retry"

    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.PENDING
    assert email.attempts == 1
    assert email.last_error == "ConnectionRefusedError"
    assert timezone.now() + timedelta(seconds=50) < email.next_attempt_at < timezone.now() + timedelta(minutes=2)
    retry = DBTaskResult.objects.order_by("-enqueued_at").first()
    assert retry.args_kwargs["args"] == [email.pk]
    assert retry.run_after == email.next_attempt_at


def test_retries_back_off_and_stop_after_many_failures(campaign, sign, smtp_down):
    sign(campaign)
    email = OutgoingEmail.objects.get()

    delays = []
    for _ in range(emails.MAX_ATTEMPTS):
        before = timezone.now()
        emails.deliver(email.pk)
        email.refresh_from_db()
        delays.append(round((email.next_attempt_at - before).total_seconds() / 60))

    assert delays[:7] == [1, 2, 5, 15, 30, 60, 60]
    assert email.status == OutgoingEmail.Status.CANCELLED


def test_an_email_is_sent_once_the_server_is_back_and_never_twice(campaign, sign, smtp_down, settings, mailoutbox):
    sign(campaign)
    email = OutgoingEmail.objects.get()
    emails.deliver(email.pk)

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    assert emails.deliver(email.pk) == "sent"
    assert emails.deliver(email.pk) == "skipped"

    assert len(mailoutbox) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutgoingEmail.Status.SENT, 2)


def test_an_email_for_a_withdrawn_signature_is_never_sent(campaign, sign, mailoutbox):
    sign(campaign)
    email = OutgoingEmail.objects.get()
    email.signature.delete()

    assert emails.deliver(email.pk) == "skipped"
    assert mailoutbox == []


def test_emails_whose_task_was_lost_are_queued_again(campaign, sign):
    sign(campaign)
    DBTaskResult.objects.all().delete()  # as if the worker died holding it
    OutgoingEmail.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=10))

    call_command("requeue_outbox")
    call_command("requeue_outbox")  # a second sweep straight after adds nothing

    (task,) = DBTaskResult.objects.all()
    assert task.args_kwargs["args"] == [OutgoingEmail.objects.get().pk]


def test_emails_not_yet_overdue_are_left_to_their_task(campaign, sign):
    sign(campaign)

    call_command("requeue_outbox")

    assert DBTaskResult.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_task_worker_sends_the_queued_emails(campaign, sign, mailoutbox):
    sign(campaign, email="one@example.org")
    sign(campaign, email="two@example.org")

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    assert sorted(message.to[0] for message in mail.outbox) == ["one@example.org", "two@example.org"]
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {"sent"}
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
