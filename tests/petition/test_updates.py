"""Updates to supporters: written, previewed, tested on oneself, sent once to the right people through the outbox
at a set rate, followed and cancelled; every one with one-click unsubscribe, and a stopped mailbox never emailed."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from petition import consent, emails, standing, suppression, updates
from petition.models import AuditEntry, OutgoingEmail, Signature, Suppression, Update


@pytest.fixture(autouse=True)
def no_rate_limit(settings):
    """Most tests send everything at once; the test of the rate sets its own."""
    settings.UPDATE_EMAILS_PER_MINUTE = 0


@pytest.fixture
def signers(campaign):
    """Return a function that stores `n` confirmed signers (who asked to hear more unless told otherwise)."""

    def make(n, *, start=0, **fields):
        confirmed_at = fields.pop("confirmed_at", timezone.now() - timedelta(days=3))
        defaults = {"contact_opt_in": True, "consent_version": "test", "region": "south-east"}
        rows = [
            Signature(
                campaign=campaign,
                status=Signature.Status.CONFIRMED,
                confirmed_at=confirmed_at,
                first_name="Signer",
                last_name=f"Number {i}",
                email=f"signer{i}@example.org",
                mailbox=f"signer{i}@example.org",
                email_domain="example.org",
                **(defaults | fields),
            )
            for i in range(start, start + n)
        ]
        return Signature.objects.bulk_create(rows)

    return make


@pytest.fixture
def sender(manager):
    """A campaign manager with an email address of their own."""
    manager.user.email = "manager@charity.example"
    manager.user.save()
    return manager


@pytest.fixture
def draft(campaign, sender):
    """Write an update in the admin, as a campaign manager does, and return it."""

    def write(title="We delivered your letter", body="Thank you. **Over 100** of you signed.\n\n- One\n- Two"):
        response = sender.post("/admin/petition/update/add/", {"campaign": campaign.pk, "title": title, "body": body})
        assert response.status_code == 302, response.content.decode()[:2000]
        update = Update.objects.get(title=title)
        assert response["Location"] == f"/staff/updates/{update.pk}/"
        return update

    return write


def send(client, update, audience=Update.Audience.OPTED_IN):
    """Press "Send the update", then let the worker choose the recipients and send them; return the updates sent."""
    response = client.post(f"/staff/updates/{update.pk}/send/", {"audience": audience})
    assert response.status_code == 302
    updates.prepare(update.pk)
    before = len(mail.outbox)
    emails.send_due()
    return [message for message in mail.outbox[before:] if message.subject == update.title]


def test_staff_see_the_update_as_html_and_as_plain_text_before_sending(draft, sender):
    update = draft(
        body="Thank you. **Over 100** of you signed. <script>alert(1)</script>\n\n[Read](https://x.example/a)"
    )

    page = sender.get(f"/staff/updates/{update.pk}/").content.decode()

    assert "<strong>Over 100</strong>" in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;" not in page.split("As plain text")[0]
    assert '<a href="https://x.example/a" rel="noopener noreferrer nofollow">Read</a>' in page
    assert "Thank you. Over 100 of you signed.\n\nRead (https://x.example/a)" in page
    assert "Send me a test" in page and "Send the update" in page
    assert mail.outbox == []


def test_markdown_is_rendered_to_safe_html_and_readable_text():
    html, text = updates.render(
        "# Big news\n\nSome *words* & [a link](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n1. one\n2. two"
    )

    assert html.startswith("<h2>Big news</h2>")
    assert "javascript" not in html and "<img" not in html and "onerror" not in html
    assert "<em>words</em> &amp;" in html
    assert text == "Big news\n\nSome words & a link\n\n1. one\n2. two"


def test_a_test_goes_to_the_member_of_staff_alone(draft, sender, signers, deliver_outbox):
    signers(3)
    update = draft()

    response = sender.post(f"/staff/updates/{update.pk}/test/", follow=True)
    sent = deliver_outbox()

    assert "A test is on its way to manager@charity.example, and to nobody else." in response.content.decode()
    (message,) = sent
    assert message.to == ["manager@charity.example"]
    assert message.subject == "[Test] We delivered your letter"
    assert "This is a test of an update, sent only to you." in message.body
    update.refresh_from_db()
    assert update.status == Update.Status.DRAFT
    assert not OutgoingEmail.objects.filter(kind=OutgoingEmail.Kind.UPDATE).exists()


def test_the_audiences_hold_only_confirmed_real_signers_who_were_told_we_would_write(
    campaign, draft, sender, signers, moderator, sign, make_campaign
):
    (wanted,) = signers(1)
    signers(1, start=1, contact_opt_in=False)  # told "We will not email you about the campaign"
    signers(1, start=2, is_demo=True)
    signers(1, start=3, held_at=timezone.now(), held_reason=Signature.HeldReason.REVIEW)
    invalid, erased, withdrawn, unsubscribed = signers(4, start=4)
    sign(campaign, email="pending@example.org", contact_opt_in="on")
    standing.invalidate(Signature.objects.filter(pk=invalid.pk), reason="fake", user=moderator.user)
    standing.erase(Signature.objects.filter(pk=erased.pk), user=moderator.user)
    standing.withdraw(withdrawn)
    suppression.suppress(unsubscribed.email, Suppression.Reason.UNSUBSCRIBED)
    other = make_campaign(slug="other")
    Signature.objects.create(
        campaign=other,
        status="confirmed",
        confirmed_at=timezone.now(),
        first_name="O",
        last_name="T",
        email="other@example.org",
        mailbox="other@example.org",
        email_domain="example.org",
        region="south-east",
        contact_opt_in=True,
        consent_version="test",
    )
    update = draft()

    sizes = updates.audience_sizes(campaign)
    page = sender.get(f"/staff/updates/{update.pk}/").content.decode()
    sent = send(sender, update, Update.Audience.PROMISED)

    assert sizes == {"promised": 1, "opted_in": 1}
    assert "Everyone we said we would tell about the delivery and the response: <strong>1</strong>" in page
    assert "Only those who asked to hear about the campaign&#x27;s progress: <strong>1</strong>" in page
    assert [message.to for message in sent] == [[wanted.email]]


def test_a_sign_form_that_promised_news_to_everyone_brings_its_signers_into_that_audience(
    campaign, signers, monkeypatch
):
    signers(1)
    signers(1, start=1, contact_opt_in=False, consent_version="promised-everyone")
    monkeypatch.setattr(consent, "OUTCOME_PROMISED", frozenset({"promised-everyone"}))

    assert updates.audience_sizes(campaign) == {"promised": 2, "opted_in": 1}


def test_pressing_send_twice_sends_each_supporter_one_email(draft, sender, signers):
    signers(3)
    update = draft()

    first = send(sender, update)
    again = sender.post(f"/staff/updates/{update.pk}/send/", {"audience": Update.Audience.OPTED_IN}, follow=True)
    updates.prepare(update.pk)  # the worker running the preparation again changes nothing
    emails.send_due()

    assert sorted(message.to[0] for message in first) == [f"signer{i}@example.org" for i in range(3)]
    assert "This update was already sent: it was not sent again." in again.content.decode()
    assert OutgoingEmail.objects.filter(update=update).count() == 3
    assert len([message for message in mail.outbox if message.subject == update.title]) == 3
    (entry,) = AuditEntry.objects.filter(action=AuditEntry.Action.SEND_UPDATE)
    assert (entry.username, entry.count, entry.details["audience"]) == ("manager", 3, "opted_in")


def test_a_mailbox_that_signed_twice_gets_one_email(campaign, confirmed, sign, draft, sender, deliver_outbox):
    confirmed(campaign, email="asha.patel@example.org", contact_opt_in="on")
    sign(campaign, email="Asha.Patel+letter@Example.org", contact_opt_in="on")  # the same inbox again
    deliver_outbox()
    update = draft()

    sent = send(sender, update)

    assert [message.to for message in sent] == [["asha.patel@example.org"]]


def test_sending_is_spread_at_the_configured_rate(draft, sender, signers, settings, time_machine):
    settings.UPDATE_EMAILS_PER_MINUTE = 50  # one batch of 50 a minute
    time_machine.move_to(timezone.now(), tick=False)
    signers(120)
    update = draft()

    first = send(sender, update)
    emails.send_due()
    nothing_yet = [message for message in mail.outbox if message.subject == update.title]
    time_machine.shift(timedelta(seconds=61))
    emails.send_due()
    second_minute = [message for message in mail.outbox if message.subject == update.title]
    time_machine.shift(timedelta(seconds=60))
    emails.send_due()

    assert (len(first), len(nothing_yet), len(second_minute)) == (50, 50, 100)
    assert len([message for message in mail.outbox if message.subject == update.title]) == 120


def test_the_update_page_shows_progress_and_reloads_itself_until_told_not_to(draft, sender, signers, settings):
    settings.UPDATE_EMAILS_PER_MINUTE = 50
    signers(60)
    update = draft()
    send(sender, update)

    response = sender.get(f"/staff/updates/{update.pk}/")
    page = response.content.decode()
    still = sender.get(f"/staff/updates/{update.pk}/?still=1")

    assert response["Refresh"] == "10"
    assert "Sent 50 of 60" in page
    assert "This page reloads itself every 10 seconds while the update is sent." in page
    assert '<a href="?still=1">Stop reloading</a>' in page
    assert "Refresh" not in still.headers
    assert "This page does not reload itself." in still.content.decode()


def test_cancelling_stops_every_email_not_yet_sent(draft, sender, signers, settings):
    settings.UPDATE_EMAILS_PER_MINUTE = 50
    signers(120)
    update = draft()
    first = send(sender, update)

    response = sender.post(f"/staff/updates/{update.pk}/cancel/", follow=True)
    update.refresh_from_db()
    later = OutgoingEmail.objects.filter(update=update, status=OutgoingEmail.Status.PENDING)
    later.update(next_attempt_at=timezone.now())  # as if the rest had fallen due
    emails.send_due()

    assert len(first) == 50
    assert "Sending cancelled: 70 emails not yet sent will not go." in response.content.decode()
    assert update.status == Update.Status.CANCELLED
    assert len([message for message in mail.outbox if message.subject == update.title]) == 50
    (entry,) = AuditEntry.objects.filter(action=AuditEntry.Action.CANCEL_UPDATE)
    assert (entry.username, entry.count) == ("manager", 70)
    assert "Sent 50 of 120" in sender.get(f"/staff/updates/{update.pk}/").content.decode()


def test_cancelling_while_recipients_are_chosen_stops_the_choosing(draft, sender, signers):
    signers(3)
    update = draft()
    sender.post(f"/staff/updates/{update.pk}/send/", {"audience": Update.Audience.OPTED_IN})

    sender.post(f"/staff/updates/{update.pk}/cancel/")
    updates.prepare(update.pk)

    assert not OutgoingEmail.objects.filter(update=update).exists()


def test_a_suppressed_mailbox_never_gets_an_update(draft, sender, signers, campaign):
    _, between = signers(2, start=0)
    signers(1, start=2)
    suppression.suppress("SIGNER0@example.org", Suppression.Reason.BOUNCED)
    update = draft()
    sender.post(f"/staff/updates/{update.pk}/send/", {"audience": Update.Audience.OPTED_IN})
    updates.prepare(update.pk)

    # Chosen, then the mailbox stops the updates before its email goes: checked again just before sending.
    suppression.suppress(between.email, Suppression.Reason.COMPLAINED)
    emails.send_due()

    sent = [message.to[0] for message in mail.outbox if message.subject == update.title]
    assert sent == ["signer2@example.org"]
    assert OutgoingEmail.objects.filter(update=update).count() == 2  # signer0 was never chosen
    assert OutgoingEmail.objects.get(update=update, signature=between).status == OutgoingEmail.Status.CANCELLED


def test_confirmation_emails_still_go_to_a_mailbox_that_stopped_the_updates(campaign, sign, deliver_outbox):
    suppression.suppress("asha.patel@example.org", Suppression.Reason.UNSUBSCRIBED)

    sign(campaign, email="asha.patel@example.org")

    (message,) = deliver_outbox()
    assert message.subject.startswith("Please confirm your signature")


def test_every_update_carries_rfc_8058_one_click_unsubscribe_and_says_why(draft, sender, signers, settings):
    (signer,) = signers(1, confirmed_at=timezone.now() - timedelta(days=40))
    update = draft()

    (message,) = send(sender, update)

    url = message.extra_headers["List-Unsubscribe"].removeprefix("<").removesuffix(">")
    assert message.extra_headers["List-Unsubscribe"] == f"<{url}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = url.removeprefix(f"{settings.SITE_URL}/u/").removesuffix("/")
    assert url == f"{settings.SITE_URL}/u/{token}/"
    assert suppression.signature_for(token) == signer and len(token) > 40  # signed, not a bare number
    signed_on = timezone.localtime(signer.confirmed_at)
    assert (
        f'Why you get this: you signed the open letter "Keep children safe online" on {signed_on.day} '
        f"{signed_on:%B %Y} and asked us to email you about its progress." in message.body
    )
    assert "To stop these updates, open this link and press the button" in message.body
    assert url in message.body
    html = message.alternatives[0].content
    assert "Stop these updates</a>" in html and url in html


def test_one_click_post_unsubscribes_and_a_get_does_not(draft, sender, signers):
    (signer,) = signers(1)
    update = draft()
    (message,) = send(sender, update)
    path = urlsplit(message.extra_headers["List-Unsubscribe"].strip("<>")).path
    provider = Client(enforce_csrf_checks=True)  # the mailbox provider: no cookie, no CSRF token

    scanned = provider.get(path)
    assert scanned.status_code == 200 and "Stop the updates" in scanned.content.decode()
    assert not Suppression.objects.exists()

    clicked = provider.post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")

    assert clicked.status_code == 200
    assert "You will get no more updates" in clicked.content.decode()
    assert Suppression.objects.get().mailbox == signer.mailbox
    later = draft(title="The minister answered")
    assert send(sender, later) == []


def test_a_forged_unsubscribe_link_does_nothing(signers):
    (signer,) = signers(1)
    token = suppression.unsubscribe_token(signer)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    response = Client().get(f"/u/{forged}/")
    Client().post(f"/u/{forged}/")

    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()
    assert not Suppression.objects.exists()


def test_sending_needs_its_permission_and_says_which(draft, moderator):
    update = draft()

    response = moderator.post(f"/staff/updates/{update.pk}/send/", {"audience": "opted_in"})

    assert response.status_code == 403
    assert "Can send updates to supporters" in response.content.decode()
    assert "Campaign managers have it" in response.content.decode()
    assert Permission.objects.filter(codename="send_update", group__name="Campaign managers").exists()


def test_a_sent_update_is_published_and_a_draft_is_not(campaign, draft, sender, signers, client):
    signers(1)
    unsent = draft(title="Not yet")
    update = draft()
    send(sender, update)

    page = client.get(f"/c/{campaign.slug}/updates/{update.pk}/")
    (published,) = updates.published_updates(campaign)

    assert page.status_code == 200
    assert "<h1>We delivered your letter</h1>" in page.content.decode()
    assert "<strong>Over 100</strong>" in page.content.decode()
    assert client.get(f"/c/{campaign.slug}/updates/{unsent.pk}/").status_code == 404
    assert (published.title, published.url) == ("We delivered your letter", f"/c/{campaign.slug}/updates/{update.pk}/")
    assert published.sent_at == Update.objects.get(pk=update.pk).sent_at


def test_a_sent_update_can_no_longer_be_edited(draft, sender, signers):
    signers(1)
    update = draft()
    send(sender, update)

    response = sender.post(f"/admin/petition/update/{update.pk}/change/", {"title": "Changed", "body": "Changed"})

    assert response.status_code == 403
    assert "We delivered your letter" in sender.get(f"/admin/petition/update/{update.pk}/change/").content.decode()
    update.refresh_from_db()
    assert update.title == "We delivered your letter"


def test_choosing_recipients_that_a_killed_worker_left_half_done_is_resumed_by_the_sweep(
    draft, sender, signers, settings, time_machine, monkeypatch
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    monkeypatch.setattr(updates, "PREPARE_BATCH", 2)
    first_two = signers(2)
    signers(3, start=2)
    update = draft()
    sender.post(f"/staff/updates/{update.pk}/send/", {"audience": Update.Audience.OPTED_IN})
    # The worker wrote its first batch and was killed: the task never finished.
    OutgoingEmail.objects.bulk_create(
        OutgoingEmail(kind=OutgoingEmail.Kind.UPDATE, update=update, signature=signature) for signature in first_two
    )
    Update.objects.filter(pk=update.pk).update(recipients=2)

    call_command("requeue_outbox")  # too soon: it may still be running
    assert OutgoingEmail.objects.filter(update=update).count() == 2
    time_machine.move_to(timezone.now() + timedelta(minutes=6))
    call_command("requeue_outbox")
    emails.send_due()

    update.refresh_from_db()
    assert (update.recipients, update.prepared_at is not None) == (5, True)
    sent = sorted(message.to[0] for message in mail.outbox if message.subject == update.title)
    assert sent == [f"signer{i}@example.org" for i in range(5)]


def test_a_sent_update_is_on_the_campaign_pages_timeline_and_in_the_api(
    campaign, draft, sender, signers, client, settings
):
    settings.PAGE_CACHE_SECONDS = 0
    settings.SITE_URL = "https://letter.example.org"
    signers(1)
    draft(title="Not yet")
    update = draft()
    send(sender, update)
    url = f"/c/{campaign.slug}/updates/{update.pk}/"

    page = client.get(campaign.get_absolute_url()).content.decode()
    timeline = client.get(f"/api/campaigns/{campaign.slug}.json").json()["timeline"]

    assert f'Update: <a href="{url}">We delivered your letter</a>' in page and "Not yet" not in page
    assert [event for event in timeline if event["kind"] == "update"] == [
        {
            "on": timezone.localdate(Update.objects.get(pk=update.pk).sent_at).isoformat(),
            "kind": "update",
            "text": "We delivered your letter",
            "url": f"https://letter.example.org{url}",
        }
    ]


def test_an_update_reaches_a_welsh_signer_with_its_footer_and_links_in_welsh(draft, sender, signers):
    signers(1, language="cy", confirmed_at=datetime(2026, 3, 2, 12, tzinfo=UTC))
    update = draft()

    (message,) = send(sender, update)

    assert message.subject == "We delivered your letter"  # written by staff, in English: sent as written
    assert "Pam rydych chi'n cael hwn: fe wnaethoch lofnodi'r llythyr agored" in message.body
    assert "ar 2 Mawrth 2026" in message.body
    unsubscribe = message.extra_headers["List-Unsubscribe"].removeprefix("<").removesuffix(">")
    assert urlsplit(unsubscribe).path.startswith("/cy/u/")
    assert '<html lang="cy">' in message.alternatives[0].content
