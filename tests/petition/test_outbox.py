"""The outbox: emails survive a mail server that is down, and none is sent twice."""

import smtplib
import socket
import threading
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.core.management import call_command
from django.db import IntegrityError, OperationalError, connections
from django.utils import timezone
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from petition import emails
from petition.management.commands import worker as worker_command
from petition.models import OutgoingEmail, Signature


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


@pytest.fixture
def smtp_up(settings):
    def restore():
        settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}

    return restore


def test_when_the_mail_server_is_down_emails_wait_and_a_retry_is_scheduled(campaign, sign, smtp_down):
    sign(campaign, email="one@example.org")
    sign(campaign, email="two@example.org")

    assert emails.send_due() == 0

    for email in OutgoingEmail.objects.all():
        assert email.status == OutgoingEmail.Status.PENDING
        assert email.attempts == 1
        assert email.last_error == "ConnectionRefusedError"
        assert timezone.now() + timedelta(seconds=50) < email.next_attempt_at < timezone.now() + timedelta(minutes=2)
    (retry,) = DBTaskResult.objects.all()
    assert retry.task_path == "petition.emails.send_due_emails"
    assert retry.run_after == OutgoingEmail.objects.earliest("next_attempt_at").next_attempt_at


def test_a_retry_that_falls_due_while_a_run_is_ending_gets_a_run_at_once(campaign, sign, smtp_down, monkeypatch):
    sign(campaign)
    emails.send_due()
    DBTaskResult.objects.all().delete()
    # A slow run: its last claim found nothing due, and by the time it looks for the next retry one has fallen due.
    OutgoingEmail.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    monkeypatch.setattr(emails, "_claim_batch", lambda: [])

    emails.send_due()

    assert DBTaskResult.objects.ready().count() == 1


def test_retries_back_off_and_stop_after_many_failures(campaign, sign, smtp_down):
    sign(campaign)
    email = OutgoingEmail.objects.get()

    delays = []
    for _ in range(emails.MAX_ATTEMPTS):
        OutgoingEmail.objects.filter(pk=email.pk, status="pending").update(next_attempt_at=timezone.now())
        before = timezone.now()
        emails.send_due()
        email.refresh_from_db()
        delays.append(round((email.next_attempt_at - before).total_seconds() / 60))

    assert delays[:7] == [1, 2, 5, 15, 30, 60, 60]
    assert email.status == OutgoingEmail.Status.CANCELLED


def test_emails_go_out_once_the_server_is_back_and_never_twice(campaign, sign, smtp_down, smtp_up, mailoutbox):
    sign(campaign)
    emails.send_due()
    smtp_up()

    assert emails.send_due() == 0  # not due yet: the retry waits its turn
    OutgoingEmail.objects.update(next_attempt_at=timezone.now())
    assert emails.send_due() == 1
    assert emails.send_due() == 0

    assert len(mailoutbox) == 1
    email = OutgoingEmail.objects.get()
    assert (email.status, email.attempts) == (OutgoingEmail.Status.SENT, 2)


def test_an_email_for_a_withdrawn_signature_is_never_sent(campaign, sign, mailoutbox):
    sign(campaign)
    OutgoingEmail.objects.get().signature.delete()

    assert emails.send_due() == 0
    assert mailoutbox == []


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_email_once(campaign, sign, mailoutbox, settings):
    settings.SIGN_LIMITS_PER_IP = settings.SIGN_LIMITS_PER_DOMAIN = [(1000, 60)]
    for i in range(30):
        sign(campaign, email=f"n{i}@example.org")
    barrier = threading.Barrier(2)

    def worker():
        try:
            barrier.wait()
            emails.send_due()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(message.to[0] for message in mailoutbox) == sorted(f"n{i}@example.org" for i in range(30))


def test_a_lost_run_is_started_again_by_the_sweep(campaign, sign):
    sign(campaign)
    OutgoingEmail.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=10))

    call_command("requeue_outbox")
    call_command("requeue_outbox")  # a second sweep straight after adds nothing

    (task,) = DBTaskResult.objects.all()
    assert task.task_path == "petition.emails.send_due_emails"


def test_emails_not_yet_overdue_are_left_to_their_run(campaign, sign):
    sign(campaign)

    call_command("requeue_outbox")

    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_task_worker_sends_the_queued_emails(campaign, sign, mailoutbox, settings):
    settings.OUTBOX_NUDGE_SECONDS = 0
    sign(campaign, email="one@example.org")
    sign(campaign, email="two@example.org")

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    assert sorted(message.to[0] for message in mail.outbox) == ["one@example.org", "two@example.org"]
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {"sent"}
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


class ServerThatHangsUpAfterOne(locmem.EmailBackend):
    """Accepts one message, then drops the connection, as a mail server restarting mid-batch would."""

    def send_messages(self, messages):
        if len(mail.outbox) >= 1:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


def test_an_email_sent_before_the_server_hung_up_stays_sent(campaign, sign, settings, mailoutbox):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.ServerThatHangsUpAfterOne"}}
    sign(campaign, email="one@example.org")
    sign(campaign, email="two@example.org")

    assert emails.send_due() == 1

    statuses = dict(OutgoingEmail.objects.values_list("signature__email", "status"))
    assert statuses == {"one@example.org": "sent", "two@example.org": "pending"}
    assert len(mailoutbox) == 1


def test_an_address_that_cannot_be_sent_to_does_not_hold_up_the_others(campaign, sign, smtp_server):
    sign(campaign, email="bad@example.org")
    sign(campaign, email="good@example.org")
    Signature.objects.filter(email="bad@example.org").update(email='"a\x01b"@example.org')

    assert emails.send_due() == 1

    assert [recipients for recipients, _ in smtp_server.messages] == [["good@example.org"]]
    bad = OutgoingEmail.objects.get(signature__email__startswith='"a')
    assert (bad.status, bad.last_error) == (OutgoingEmail.Status.CANCELLED, "ValueError")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_restarted_worker_sends_what_a_killed_one_left(campaign, sign, mailoutbox, settings, time_machine):
    for n in range(emails.BATCH + 10):
        sign(campaign, email=f"signer{n}@gmail.com", ip=f"203.0.113.{n}")
    # The worker died mid-run: its task is gone, and it had claimed a batch it never sent.
    DBTaskResult.objects.all().delete()
    emails._claim_batch()

    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert len(mail.outbox) == 10

    time_machine.move_to(timezone.now() + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS + 1))
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    recipients = [message.to[0] for message in mail.outbox]
    assert len(recipients) == len(set(recipients)) == emails.BATCH + 10
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.django_db(transaction=True)
def test_the_worker_waits_for_the_database_and_starts_again(monkeypatch):
    runs, naps = [], []

    def run(worker):
        runs.append(worker)
        if len(runs) < 3:
            raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(db_worker.Worker, "run", run)
    monkeypatch.setattr(worker_command, "time", SimpleNamespace(monotonic=time.monotonic, sleep=naps.append))

    call_command("worker", "--no-startup-delay", verbosity=0)

    assert len(runs) == 3
    assert naps == [1, 2]


def test_the_database_refuses_an_email_marked_sent_without_its_time(campaign, sign):
    sign(campaign)

    with pytest.raises(IntegrityError):
        OutgoingEmail.objects.update(status="sent")
