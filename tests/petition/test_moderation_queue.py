"""The moderation queue: each waiting message read in full before it is approved or hidden, and audited."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from petition import moderation
from petition.models import AuditEntry, Signature

QUEUE = "/admin/petition/signature/queue/"


def age(signature, hours):
    """Make a signature `hours` old, so that the queue's order is the test's to choose."""
    Signature.objects.filter(pk=signature.pk).update(created_at=timezone.now() - timedelta(hours=hours))


def test_the_queue_shows_each_confirmed_signers_message_in_full_as_the_public_would_see_its_signer(
    campaign, stored, sign, moderator
):
    message = "Please act now. " * 30  # 480 characters: all of them on screen
    stored(campaign, email="asha@example.org", first_name="Asha", last_name="Patel", show_name="on", message=message)
    sign(campaign, email="stranger@example.org", message="Buy cheap followers at spam.example")

    response = moderator.get(QUEUE)

    page = response.content.decode()
    assert response.status_code == 200
    assert message.strip() in page
    assert "<strong>Asha P.</strong>, South East" in page
    assert "<strong>1</strong> message waiting" in page
    assert "Buy cheap followers" not in page  # its signer never confirmed
    assert "asha@example.org" not in page and "Patel" not in page


def test_a_signer_who_is_not_named_publicly_shows_as_the_campaign_page_shows_them(campaign, stored, moderator):
    stored(campaign, email="a@example.org", first_name="Quiet", message="Unnamed but here")
    stored(campaign, email="b@example.org", first_name="www.spam.example", show_name="on", message="Hello")

    page = moderator.get(QUEUE).content.decode()

    assert page.count("<strong>A supporter</strong>") == 2
    assert "Quiet" not in page and "www.spam.example" not in page


def test_the_oldest_message_comes_first(campaign, stored, moderator):
    newer = stored(campaign, email="a@example.org", message="The newer one")
    older = stored(campaign, email="b@example.org", message="The older one")
    age(newer, 1)
    age(older, 2)

    page = moderator.get(QUEUE).content.decode()

    assert page.index("The older one") < page.index("The newer one")


def test_approving_a_row_puts_its_message_on_the_campaign_page_and_audits_it(campaign, stored, moderator, client):
    chosen = stored(campaign, email="a@example.org", message="Protect children now", show_name="on")
    other = stored(campaign, email="b@example.org", message="Still waiting", show_name="on")

    response = moderator.post(QUEUE, {"approve": chosen.pk, "shown": [chosen.pk, other.pk]})

    assert response.status_code == 302 and response.headers["Location"] == QUEUE
    assert Signature.objects.get(pk=chosen.pk).message_status == "approved"
    assert Signature.objects.get(pk=other.pk).message_status == "pending"
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.count, entry.user, entry.details["signatures"]) == (
        "approve_message",
        1,
        moderator.user,
        [chosen.pk],
    )
    public = client.get("/c/letter/").content.decode()
    assert "Protect children now" in public and "Still waiting" not in public
    assert "Still waiting" in moderator.get(QUEUE).content.decode()
    assert "Protect children now" not in moderator.get(QUEUE).content.decode()


def test_hiding_a_row_keeps_its_message_off_the_campaign_page_and_audits_it(campaign, stored, moderator, client):
    rude = stored(campaign, email="a@example.org", message="Something rude", show_name="on")

    moderator.post(QUEUE, {"hide": rude.pk})

    assert Signature.objects.get(pk=rude.pk).message_status == "hidden"
    assert list(AuditEntry.objects.values_list("action", "count")) == [("hide_message", 1)]
    assert "Something rude" not in client.get("/c/letter/").content.decode()
    assert "Something rude" not in moderator.get(QUEUE).content.decode()


def test_the_selected_messages_are_approved_or_hidden_together(campaign, stored, moderator, client):
    kind = stored(campaign, email="a@example.org", message="Kind words", show_name="on")
    warm = stored(campaign, email="b@example.org", message="Warm words", show_name="on")
    rude = stored(campaign, email="c@example.org", message="Rude words", show_name="on")
    shown = [kind.pk, warm.pk, rude.pk]

    moderator.post(QUEUE, {"bulk": "approve", "selected": [kind.pk, warm.pk], "shown": shown})
    moderator.post(QUEUE, {"bulk": "hide", "selected": [rude.pk], "shown": [rude.pk]})

    public = client.get("/c/letter/").content.decode()
    assert "Kind words" in public and "Warm words" in public and "Rude words" not in public
    assert list(AuditEntry.objects.order_by("pk").values_list("action", "count")) == [
        ("approve_message", 2),
        ("hide_message", 1),
    ]
    assert "Nothing is waiting" in moderator.get(QUEUE).content.decode()


def test_approve_all_on_this_page_approves_only_the_messages_that_were_on_screen(
    campaign, stored, moderator, monkeypatch
):
    monkeypatch.setattr(moderation, "PER_PAGE", 2)
    signatures = [stored(campaign, email=f"s{i}@example.org", message=f"Message {i}") for i in range(3)]
    for hours, signature in zip((3, 2, 1), signatures, strict=True):
        age(signature, hours)
    page = moderator.get(QUEUE)
    shown = [entry["pk"] for entry in page.context["entries"]]
    assert "Approve all 2 on this page" in page.content.decode()
    late = stored(campaign, email="late@example.org", message="Arrived while reading")
    age(late, 4)  # older than the rest, yet never on the moderator's screen

    moderator.post(QUEUE, {"bulk": "approve-shown", "shown": shown})

    approved = set(Signature.objects.filter(message_status="approved").values_list("pk", flat=True))
    assert shown == [signatures[0].pk, signatures[1].pk]
    assert approved == set(shown)


def test_selecting_nothing_changes_nothing_and_says_so(campaign, stored, moderator):
    stored(campaign, email="a@example.org", message="Waiting")

    response = moderator.post(QUEUE, {"bulk": "approve", "shown": ["1"]}, follow=True)

    assert "Select at least one message first." in response.content.decode()
    assert not AuditEntry.objects.exists()
    assert Signature.objects.get().message_status == "pending"


@pytest.mark.parametrize("forged", ["approve", "hide"])
def test_a_message_of_an_unconfirmed_or_invalidated_signer_cannot_be_decided_from_the_queue(
    campaign, sign, stored, moderator, forged
):
    sign(campaign, email="pending@example.org", message="Unconfirmed")
    pending = Signature.objects.get(email="pending@example.org")
    invalid = stored(campaign, email="bot@example.org", message="Invalidated")
    Signature.objects.filter(pk=invalid.pk).update(
        status="invalidated", invalidated_at=timezone.now(), invalidation_reason="spam"
    )

    for pk in (pending.pk, invalid.pk, "99999999999999999999", "٣", "x"):
        moderator.post(QUEUE, {forged: pk})

    assert set(Signature.objects.values_list("message_status", flat=True)) == {"pending"}
    assert not AuditEntry.objects.filter(count__gt=0).exists()


def test_the_queue_pages_fifty_at_a_time(campaign, stored, moderator, monkeypatch):
    monkeypatch.setattr(moderation, "PER_PAGE", 2)
    for i in range(3):
        age(stored(campaign, email=f"s{i}@example.org", message=f"Message {i}"), 3 - i)

    first = moderator.get(QUEUE).content.decode()
    second = moderator.get(QUEUE, {"page": 2}).content.decode()

    assert "Message 0" in first and "Message 1" in first and "Message 2" not in first
    assert "Message 2" in second and "Page 2 of 2" in second
    assert "<strong>3</strong> messages waiting" in second


def test_the_queue_takes_a_fixed_number_of_queries(campaign, stored, moderator):
    def queries_for_the_queue():
        with CaptureQueriesContext(connection) as queries:
            assert moderator.get(QUEUE).status_code == 200
        return len(queries)

    stored(campaign, email="s0@example.org", message="Message 0")
    with_one = queries_for_the_queue()
    for i in range(1, 6):
        stored(campaign, email=f"s{i}@example.org", message=f"Message {i}")

    # The same however many wait; the staff session's second factor and its sliding expiry cost a few.
    assert queries_for_the_queue() == with_one <= 12


def test_campaign_managers_cannot_moderate_and_are_told_why(campaign, stored, manager):
    signature = stored(campaign, email="a@example.org", message="Waiting")

    refused = manager.get(QUEUE)
    manager.post(QUEUE, {"approve": signature.pk})

    assert refused.status_code == 403
    page = refused.content.decode()
    assert "You need the “Can change signature” permission (Moderators have it)." in page
    assert "Open letter administration" in page
    assert Signature.objects.get().message_status == "pending"


def test_the_signature_list_no_longer_approves_messages_in_bulk(campaign, stored, moderator):
    stored(campaign, email="a@example.org", message="Waiting")

    page = moderator.get("/admin/petition/signature/").content.decode()

    assert 'value="approve_messages"' not in page
    assert 'value="hide_messages"' in page
