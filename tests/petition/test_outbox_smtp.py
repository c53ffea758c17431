"""The outbox over a real SMTP conversation: each email reads as Django's own would, pipelined where the server
offers it, a refused address holds up nobody, repeats keep to the hourly few, and a big queue is shared."""

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from campaign.models import Organiser
from petition import emails, updates
from petition.models import OutgoingEmail, Signature, Update


def signer(campaign, n, **fields):
    defaults = {
        "first_name": "Siân",
        "last_name": f"Jones {n}",
        "email": f"sian{n}@example.org",
        "mailbox": f"sian{n}@example.org",
        "email_domain": "example.org",
        "region": "wales",
        "consent_version": "test",
    }
    if fields.get("status") == Signature.Status.CONFIRMED:
        defaults["confirmed_at"] = timezone.now()
    return Signature.objects.create(campaign=campaign, **(defaults | fields))


def confirmations(campaign, count):
    signatures = [signer(campaign, n) for n in range(count)]
    OutgoingEmail.objects.bulk_create(OutgoingEmail(signature=s, kind=OutgoingEmail.Kind.CONFIRM) for s in signatures)
    return signatures


@pytest.mark.parametrize("server", ["smtp_server", "smtp_server_without_pipelining"])
def test_an_email_over_smtp_reads_as_djangos_own_message(campaign, request, server):
    smtp_server = request.getfixturevalue(server)
    campaign.title = "Cadwch blant yn ddiogel ar-lein: llythyr agored i’r Gweinidog, gyda’n gilydd " * 2
    campaign.organiser = Organiser.objects.create(name="Plant Cymru, Gŵyl", email="helo@plant.example")
    campaign.save()
    signature = signer(campaign, 1, email="sian@bücher.example.org")
    OutgoingEmail.objects.create(signature=signature, kind=OutgoingEmail.Kind.CONFIRM)

    assert emails.send_due() == 1

    ((recipients, received),) = smtp_server.messages
    assert recipients == ["sian@xn--bcher-kva.example.org"]
    expected = emails._message(OutgoingEmail.objects.select_related("signature__campaign__organiser").get())
    django = expected.message()
    for name in ("Subject", "From", "To", "Auto-Submitted"):
        assert received[name] == django[name], name
    for subtype, content in (("plain", expected.body), ("html", expected.alternatives[0].content)):
        # Line breaks travel as CRLF (RFC 5322); the text, its letters and its lines are as rendered.
        assert received.get_body((subtype,)).get_content().replace("\r\n", "\n") == content
    assert received["Message-ID"] and received["Date"].datetime


@pytest.mark.parametrize("server", ["smtp_server", "smtp_server_without_pipelining"])
def test_an_address_the_server_refuses_is_given_up_and_the_next_ones_still_go(campaign, request, server):
    smtp_server = request.getfixturevalue(server)
    confirmations(campaign, 3)
    smtp_server.refuse.add("sian1@example.org")

    assert emails.send_due() == 2

    assert [recipients for recipients, _ in smtp_server.messages] == [["sian0@example.org"], ["sian2@example.org"]]
    refused = OutgoingEmail.objects.get(signature__email="sian1@example.org")
    assert (refused.status, refused.last_error) == (OutgoingEmail.Status.CANCELLED, "SMTPRecipientsRefused")
    assert set(OutgoingEmail.objects.exclude(pk=refused.pk).values_list("status", flat=True)) == {"sent"}


@pytest.mark.parametrize("server", ["smtp_server", "smtp_server_without_pipelining"])
def test_an_email_whose_text_the_server_refuses_waits_for_a_retry_and_the_others_go(campaign, request, server):
    smtp_server = request.getfixturevalue(server)
    confirmations(campaign, 3)
    smtp_server.reject.add("sian1@example.org")

    assert emails.send_due() == 2

    assert [recipients for recipients, _ in smtp_server.messages] == [["sian0@example.org"], ["sian2@example.org"]]
    refused = OutgoingEmail.objects.get(signature__email="sian1@example.org")
    assert (refused.status, refused.attempts, refused.last_error) == ("pending", 1, "SMTPDataError 554")
    assert refused.next_attempt_at > timezone.now()
    assert set(OutgoingEmail.objects.exclude(pk=refused.pk).values_list("status", flat=True)) == {"sent"}


def test_a_line_of_an_update_that_starts_with_a_dot_arrives_whole(campaign, smtp_server, manager):
    update = Update(campaign=campaign, title="News", body=".Then a line that starts with a dot\n\n. And another")
    updates.save_draft(update)
    OutgoingEmail.objects.create(
        kind=OutgoingEmail.Kind.UPDATE, update=update, signature=signer(campaign, 1, status="confirmed")
    )

    assert emails.send_due() == 1

    ((_, received),) = smtp_server.messages
    text = received.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "\n.Then a line that starts with a dot\n\n. And another\n" in text


def test_repeats_in_one_batch_get_no_more_than_the_few_emails_an_hour(campaign, smtp_server, settings):
    signature = signer(campaign, 1)
    OutgoingEmail.objects.bulk_create(
        OutgoingEmail(signature=signature, kind=OutgoingEmail.Kind.REPEAT) for _ in range(6)
    )

    assert emails.send_due() == settings.EMAILS_PER_SIGNATURE_PER_HOUR

    assert len(smtp_server.messages) == settings.EMAILS_PER_SIGNATURE_PER_HOUR
    assert OutgoingEmail.objects.filter(status="cancelled").count() == 6 - settings.EMAILS_PER_SIGNATURE_PER_HOUR


def test_a_run_that_finds_more_than_a_batch_waiting_asks_another_worker_to_join(campaign, smtp_server, settings):
    settings.OUTBOX_NUDGE_SECONDS = 0
    confirmations(campaign, emails.BATCH + 1)

    assert emails.send_due() == emails.BATCH + 1

    # This run sent them all, but it asked for another as soon as it had claimed a full batch: with several
    # workers, another would have shared the queue.
    (run,) = DBTaskResult.objects.all()
    assert run.task_path == "petition.emails.send_due_emails"
    assert len(smtp_server.messages) == emails.BATCH + 1


def test_a_few_waiting_ask_for_no_other_run(campaign, smtp_server, settings):
    settings.OUTBOX_NUDGE_SECONDS = 0
    confirmations(campaign, 3)

    assert emails.send_due() == 3

    assert not DBTaskResult.objects.exists()


def test_a_run_sends_everything_alone_when_redis_is_away(campaign, smtp_server, settings, monkeypatch):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # the shared flag's server: a refused port
    monkeypatch.setattr(emails, "_run_due", 0.0)
    confirmations(campaign, emails.BATCH + 1)

    assert emails.send_due() == emails.BATCH + 1

    assert len(smtp_server.messages) == emails.BATCH + 1
