"""Bounces and spam complaints from the email provider (Postmark here, through django-anymail's tracking webhook)
stop every further update to that mailbox; the webhook exists only when a provider is configured."""

import base64
import importlib
import json

import pytest
from django.urls import clear_url_caches

import config.urls
from petition import suppression
from petition.models import Suppression

WEBHOOK = "/anymail/postmark/tracking/"
SECRET = "postmark:a-long-webhook-secret"

# Postmark's documented examples (postmarkapp.com/developer/webhooks/bounce-webhook and spam-complaint-webhook),
# with the recipient changed.
HARD_BOUNCE = {
    "RecordType": "Bounce",
    "MessageStream": "outbound",
    "ID": 4323372036854775807,
    "Type": "HardBounce",
    "TypeCode": 1,
    "Name": "Hard bounce",
    "Tag": "Test",
    "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
    "Metadata": {"a_key": "a_value", "b_key": "b_value"},
    "ServerID": 23,
    "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
    "Details": "Test bounce details",
    "Email": "Asha.Patel+news@Example.org",
    "From": "sender@example.com",
    "BouncedAt": "2019-11-05T16:33:54.9070259Z",
    "DumpAvailable": True,
    "Inactive": True,
    "CanActivate": True,
    "Subject": "Test subject",
    "Content": "<Full dump of bounce>",
}
SPAM_COMPLAINT = {
    "RecordType": "SpamComplaint",
    "MessageStream": "outbound",
    "ID": 42,
    "Type": "SpamComplaint",
    "TypeCode": 512,
    "Name": "Spam complaint",
    "Tag": "Test",
    "MessageID": "00000000-0000-0000-0000-000000000000",
    "Metadata": {"a_key": "a_value", "b_key": "b_value"},
    "ServerID": 1234,
    "Description": "",
    "Details": "Test spam complaint details",
    "Email": "ben@example.org",
    "From": "sender@example.com",
    "BouncedAt": "2019-11-05T16:33:54.9070259Z",
    "DumpAvailable": True,
    "Inactive": True,
    "CanActivate": False,
    "Subject": "Test subject",
    "Content": "<Abuse report dump>",
}
SOFT_BOUNCE = HARD_BOUNCE | {"Type": "SoftBounce", "TypeCode": 4096, "Name": "Soft bounce", "Inactive": False}


def reload_urls():
    importlib.reload(config.urls)
    clear_url_caches()


@pytest.fixture
def provider(settings):
    """A configured email provider: the webhook's secret set, and the URLs loaded again with it."""
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    reload_urls()
    yield
    settings.ANYMAIL = {}
    reload_urls()


def post_event(client, payload, secret=SECRET):
    auth = base64.b64encode(secret.encode()).decode()
    return client.post(
        WEBHOOK, json.dumps(payload), content_type="application/json", HTTP_AUTHORIZATION=f"Basic {auth}"
    )


def test_a_hard_bounce_stops_the_updates_to_its_mailbox(provider, client, db, caplog):
    response = post_event(client, HARD_BOUNCE)

    assert response.status_code == 200
    (stopped,) = Suppression.objects.all()
    assert (stopped.mailbox, stopped.reason) == ("asha.patel@example.org", Suppression.Reason.BOUNCED)
    assert "example.org" not in caplog.text.lower()


def test_a_spam_complaint_stops_the_updates_to_its_mailbox(provider, client, db):
    post_event(client, SPAM_COMPLAINT)

    assert suppression.suppressed(["ben@example.org"]) == {"ben@example.org"}
    assert Suppression.objects.get().reason == Suppression.Reason.COMPLAINED


def test_a_soft_bounce_stops_nothing(provider, client, db):
    response = post_event(client, SOFT_BOUNCE)

    assert response.status_code == 200
    assert not Suppression.objects.exists()


def test_an_event_without_the_secret_is_refused(provider, client, db):
    response = post_event(client, HARD_BOUNCE, secret="postmark:guessed")

    assert response.status_code == 400
    assert not Suppression.objects.exists()


def test_without_a_provider_there_is_no_webhook(client, db):
    response = post_event(client, HARD_BOUNCE)

    assert response.status_code == 404
    assert not Suppression.objects.exists()
