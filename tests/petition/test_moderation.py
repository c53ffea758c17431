"""Moderators at work in the admin: every action keeps the count exact and lands in the audit log."""

import pytest

from petition import counting
from petition.models import AuditEntry, OutgoingEmail, Signature

CHANGELIST = "/admin/petition/signature/"


def count(campaign):
    return counting._sum_shards(campaign.pk).count


def act(client, action, signatures, **extra):
    data = {"action": action, "_selected_action": [s.pk for s in signatures], **extra}
    return client.post(CHANGELIST, data)


def test_invalidating_asks_for_a_reason_first_and_changes_nothing_until_given(campaign, stored, moderator):
    client = moderator
    signature = stored(campaign)

    response = act(client, "invalidate", [signature])

    assert response.status_code == 200
    page = response.content.decode()
    assert "Invalidate <strong>1</strong> signature" in page
    assert "Spam" in page and "At the signer&#x27;s request" in page
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED
    assert count(campaign) == 1
    assert not AuditEntry.objects.exists()


def test_invalidating_takes_signatures_off_the_count_and_is_audited(campaign, stored, sign, moderator):
    client, user = moderator, moderator.user
    first = stored(campaign, email="a@example.org")
    second = stored(campaign, email="b@example.org")
    sign(campaign, email="pending@example.org")
    pending = Signature.objects.get(email="pending@example.org")

    response = act(client, "invalidate", [first, pending], reason="fake", note="scripted burst", apply="1")

    assert response.status_code == 302
    assert count(campaign) == 1
    assert set(Signature.objects.filter(status="invalidated").values_list("pk", flat=True)) == {first.pk, pending.pk}
    assert Signature.objects.get(pk=second.pk).status == "confirmed"
    assert OutgoingEmail.objects.get(signature=pending).status == "cancelled"
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.username, entry.action, entry.count) == (user, "mod", "invalidate", 2)
    assert entry.reason == "Fake or automated. scripted burst"
    assert sorted(entry.details["signatures"]) == sorted([first.pk, pending.pk])


def test_restoring_puts_confirmed_signatures_back_on_the_count(campaign, stored, sign, moderator):
    client = moderator
    signature = stored(campaign)
    sign(campaign, email="pending@example.org")
    pending = Signature.objects.get(email="pending@example.org")
    act(client, "invalidate", [signature, pending], reason="spam", apply="1")

    act(client, "restore", [signature, pending], note="false alarm", apply="1")

    assert count(campaign) == 1
    assert Signature.objects.get(pk=signature.pk).status == "confirmed"
    assert Signature.objects.get(pk=pending.pk).status == "pending"
    assert list(AuditEntry.objects.values_list("action", "count")) == [("restore", 2), ("invalidate", 2)]


def test_invalidating_twice_changes_the_count_once(campaign, stored, moderator):
    client = moderator
    signature = stored(campaign)

    act(client, "invalidate", [signature], reason="spam", apply="1")
    act(client, "invalidate", [signature], reason="spam", apply="1")

    assert count(campaign) == 0
    assert counting.recount(campaign) == (0, 0)


def test_approved_messages_are_shown_publicly_and_hidden_ones_are_not(campaign, stored, moderator, client):
    mod_client = moderator
    kind = stored(campaign, email="a@example.org", message="Protect children now", show_name="on")
    rude = stored(campaign, email="b@example.org", message="Something rude", show_name="on")

    mod_client.post("/admin/petition/signature/queue/", {"bulk": "approve", "selected": [kind.pk, rude.pk]})
    act(mod_client, "hide_messages", [rude], note="abusive", apply="1")

    page = client.get("/c/letter/").content.decode()
    assert "Protect children now" in page
    assert "Something rude" not in page
    assert list(AuditEntry.objects.values_list("action", "count")) == [("hide_message", 1), ("approve_message", 2)]


def test_erasing_removes_personal_data_but_keeps_the_count(campaign, stored, sign, moderator):
    client = moderator
    signature = stored(campaign, email="a@example.org", first_name="Asha", postcode="EH1 1YZ", message="Hi")
    sign(campaign, email="pending@example.org")
    pending = Signature.objects.get(email="pending@example.org")

    act(client, "erase", [signature, pending], note="signer asked by email", apply="1")

    signature.refresh_from_db()
    assert (signature.first_name, signature.email, signature.postcode, signature.message) == ("", "", "", "")
    assert (signature.mailbox, signature.token) == ("", None)  # the links in their emails lead nowhere now
    assert signature.region == "scotland" and signature.status == "confirmed"
    assert not Signature.objects.filter(pk=pending.pk).exists()
    assert count(campaign) == 1
    assert counting.recount(campaign) == (1, 1)


def test_resending_queues_a_confirmation_for_pending_signatures_only(campaign, stored, sign, moderator):
    client = moderator
    done = stored(campaign, email="a@example.org")
    sign(campaign, email="b@example.org")
    pending = Signature.objects.get(email="b@example.org")

    act(client, "resend_confirmation", [done, pending])

    assert OutgoingEmail.objects.filter(signature=pending).count() == 2
    assert OutgoingEmail.objects.filter(signature=done).count() == 1


def test_signature_list_never_shows_an_email_address_in_the_list(campaign, stored, moderator):
    client = moderator
    stored(campaign, email="private@example.org", first_name="Asha", last_name="Patel")

    page = client.get(CHANGELIST).content.decode()

    assert "Asha Patel" in page
    assert "private@example.org" not in page


def test_names_with_markup_are_text_in_the_admin(campaign, stored, moderator):
    client = moderator
    stored(campaign, email="x@example.org", first_name="<script>alert(1)</script>")

    page = client.get(CHANGELIST).content.decode()

    assert "<script>alert(1)</script>" not in page


def test_staff_with_no_group_see_no_signatures(campaign, stored, staff):
    client = staff()
    stored(campaign)

    assert client.get(CHANGELIST).status_code == 403
    assert client.get("/admin/petition/auditentry/").status_code == 403


def test_campaign_managers_see_signatures_but_cannot_moderate_them(campaign, stored, staff):
    client = staff("Campaign managers", username="manager")
    signature = stored(campaign)

    page = client.get(CHANGELIST).content.decode()
    response = act(client, "invalidate", [signature], reason="spam", apply="1")

    assert "Invalidate the selected signatures" not in page
    assert Signature.objects.get(pk=signature.pk).status == "confirmed"
    assert response.status_code in (200, 302, 403)


def test_moderators_cannot_edit_campaigns(campaign, moderator):
    client = moderator
    assert client.get(f"/admin/campaign/campaign/{campaign.pk}/change/").status_code == 200  # may read
    response = client.post(f"/admin/campaign/campaign/{campaign.pk}/change/", {"title": "Hijacked"})
    assert response.status_code == 403


def test_nobody_can_edit_or_delete_the_audit_log(campaign, stored, moderator, admin_client):
    client = moderator
    act(client, "invalidate", [stored(campaign)], reason="spam", apply="1")
    entry = AuditEntry.objects.get()

    assert admin_client.get("/admin/petition/auditentry/").status_code == 200
    assert admin_client.post(f"/admin/petition/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    admin_client.post(f"/admin/petition/auditentry/{entry.pk}/change/", {"reason": "rewritten"})
    entry.refresh_from_db()
    assert entry.reason == "Spam."


def test_the_list_finds_signatures_by_exact_email_and_filters_by_message(campaign, stored, moderator):
    client = moderator
    stored(campaign, email="Asha.Patel@Example.org", first_name="Asha", message="Hello")
    stored(campaign, email="other@example.org", first_name="Bea")

    found = client.get(CHANGELIST, {"q": "asha.patel@example.org"}).content.decode()
    with_message = client.get(CHANGELIST, {"has_message": "yes"}).content.decode()

    assert "Asha Patel" in found and "Bea Patel" not in found
    assert "Asha Patel" in with_message and "Bea Patel" not in with_message


def test_the_list_takes_a_fixed_number_of_queries(campaign, stored, moderator, django_assert_max_num_queries):
    client = moderator
    for i in range(5):
        stored(campaign, email=f"p{i}@example.org", ip=f"192.0.2.{i}")

    with django_assert_max_num_queries(12):
        assert client.get(CHANGELIST).status_code == 200


def test_the_list_filters_by_email_domain(campaign, stored, moderator):
    stored(campaign, email="bot@spam.example", first_name="Bot")
    stored(campaign, email="real@example.org", first_name="Real")

    page = moderator.get(CHANGELIST, {"email_domain": "SPAM.example"}).content.decode()

    assert "Bot Patel" in page and "Real Patel" not in page
    assert 'name="email_domain" value="SPAM.example"' in page


@pytest.mark.parametrize("typed", ["\x00", "spam\x00.example", "☃" * 300, "@", " "])
def test_a_domain_nobody_could_sign_with_finds_nothing_and_breaks_nothing(campaign, stored, moderator, typed):
    stored(campaign, email="bot@spam.example", first_name="Bot")

    response = moderator.get(CHANGELIST, {"email_domain": typed})

    assert response.status_code == 200
    assert "Bot Patel" not in response.content.decode()


def test_the_list_filters_by_region_from_the_region_table_not_from_the_rows(
    campaign, stored, moderator, django_assert_max_num_queries
):
    stored(campaign, email="scot@example.org", first_name="Morag", postcode="EH1 1YZ")
    stored(campaign, email="south@example.org", first_name="Sam", postcode="BN1 1AA")

    with django_assert_max_num_queries(12) as queries:
        page = moderator.get(CHANGELIST, {"region": "scotland"}).content.decode()

    assert "Morag Patel" in page and "Sam Patel" not in page
    # Every region is offered, with or without signatures, and none is found by reading the signatures.
    assert "Northern Ireland" in page and "Outside the UK" in page
    assert not [query for query in queries.captured_queries if "DISTINCT" in query["sql"]]
