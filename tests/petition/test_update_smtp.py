"""An update to a thousand signers (ten thousand with UPDATE_SMTP_SIGNERS=10000) over a real SMTP conversation,
sent by the real task worker: the headers and footer each receives, one unsubscribed by a one-click POST, one
bounced through the provider's webhook, and the next update reaching neither."""

import importlib
import os
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import clear_url_caches
from django.utils import timezone

import config.urls
from petition.models import OutgoingEmail, Signature, Update

from .test_email_events import HARD_BOUNCE, SECRET, post_event

pytestmark = pytest.mark.slow  # thousands of emails through a real SMTP server and the worker

# Issue 13 asks for 10,000: `UPDATE_SMTP_SIGNERS=10000` runs that (about 50 s of CPU: the worker and the SMTP
# server share one process). The suite's default keeps it near 5 s, as CI runs the suite three times.
SIGNERS = int(os.environ.get("UPDATE_SMTP_SIGNERS", "1000"))


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def send_update(staff, campaign, title):
    response = staff.post(
        "/admin/petition/update/add/", {"campaign": campaign.pk, "title": title, "body": f"**{title}**, thank you."}
    )
    update = Update.objects.get(title=title)
    assert response["Location"] == f"/staff/updates/{update.pk}/"
    staff.post(f"/staff/updates/{update.pk}/send/", {"audience": Update.Audience.OPTED_IN})
    run_worker()
    return update


@pytest.fixture
def provider(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    importlib.reload(config.urls)
    clear_url_caches()
    yield
    settings.ANYMAIL = {}
    importlib.reload(config.urls)
    clear_url_caches()


@pytest.mark.django_db(transaction=True)
def test_an_update_over_real_smtp_then_one_unsubscribes_one_bounces_and_the_next_reaches_neither(
    campaign, manager, smtp_server, settings, provider
):
    settings.OUTBOX_NUDGE_SECONDS = 0  # the worker below runs once, with no time to wait
    settings.UPDATE_EMAILS_PER_MINUTE = 0
    settings.DEFAULT_FROM_EMAIL = "Open letter <letter@example.org>"
    signed = timezone.now() - timedelta(days=10)
    Signature.objects.bulk_create(
        Signature(
            campaign=campaign,
            status="confirmed",
            confirmed_at=signed,
            first_name="Signer",
            last_name=str(i),
            email=f"signer{i}@example.org",
            mailbox=f"signer{i}@example.org",
            email_domain="example.org",
            region="south-east",
            contact_opt_in=True,
            consent_version="test",
        )
        for i in range(SIGNERS)
    )

    first = send_update(manager, campaign, "We delivered your letter")

    assert len(smtp_server.messages) == SIGNERS
    assert sorted(rcpt for rcpts, _ in smtp_server.messages for rcpt in rcpts) == sorted(
        f"signer{i}@example.org" for i in range(SIGNERS)
    )
    (_, message) = next(m for m in smtp_server.messages if m[0] == ["signer7@example.org"])
    assert message["Subject"] == "We delivered your letter"
    assert message["From"] == "Open letter <letter@example.org>"
    # A long header is folded onto a second line (RFC 5322); unfolded, its value is exactly "<URL>".
    unsubscribe = message["List-Unsubscribe"].strip()
    assert re.fullmatch(rf"<{re.escape(settings.SITE_URL)}/u/[^/>]+/>", unsubscribe)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    signed_on = timezone.localtime(signed)
    assert f'you signed the open letter "Keep children safe online" on {signed_on.day} {signed_on:%B %Y}' in text
    assert "and asked us to email you about its progress." in text
    assert unsubscribe.strip("<>") in text and unsubscribe.strip("<>") in html
    assert "<strong>We delivered your letter</strong>, thank you." in html
    assert not OutgoingEmail.objects.filter(update=first).exclude(status=OutgoingEmail.Status.SENT).exists()
    page = manager.get(f"/staff/updates/{first.pk}/").content.decode()
    assert f"Sent {SIGNERS:,} of {SIGNERS:,}" in page

    # Signer 7's mailbox provider presses "Unsubscribe": a one-click POST. Signer 8's address bounces for good.
    Client(enforce_csrf_checks=True).post(
        urlsplit(unsubscribe.strip("<>")).path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert post_event(Client(), HARD_BOUNCE | {"Email": "Signer8@Example.org"}).status_code == 200
    smtp_server.messages.clear()

    send_update(manager, campaign, "The minister answered")

    reached = {rcpt for rcpts, _ in smtp_server.messages for rcpt in rcpts}
    assert len(reached) == SIGNERS - 2
    assert {"signer7@example.org", "signer8@example.org"}.isdisjoint(reached)
