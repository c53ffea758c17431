"""Held signatures: the campaign's switch and the soft limits hold new signatures for review; staff release
or invalidate them; a held signature is confirmable but counts, shows and is delivered only once released."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from petition import counting, delivery, exports, holding, retention, standing
from petition.models import AuditEntry, Signature, SigningPolicy

from .conftest import sent_links
from .test_standing import assert_count_exact

CHANGELIST = "/admin/petition/signature/"


@pytest.fixture(autouse=True)
def no_stale_counts(settings):
    settings.COUNT_CACHE_SECONDS = settings.PAGE_CACHE_SECONDS = 0


@pytest.fixture
def signer(campaign, sign, deliver_outbox, client):
    """Sign as a named person with a message (and confirm, unless told not to); return their signature."""

    def make(first_name, email, *, confirm=True, **fields):
        response = sign(campaign, first_name=first_name, last_name="Walker", email=email, show_name="on", **fields)
        assert response.status_code == 302 and urlsplit(response.headers["Location"]).path.endswith(
            "/check-your-email/"
        )
        (message,) = [message for message in deliver_outbox() if message.to == [email]]
        if confirm:
            confirm_path = urlsplit(sent_links(message)[0]).path
            assert client.get(confirm_path).status_code == 200
            assert urlsplit(client.post(confirm_path).headers["Location"]).path.endswith("/thanks/")
        return Signature.objects.get(email=email)

    return make


def public_page(client, campaign):
    """The campaign page as anyone sees it, without the two values that differ on every visit."""
    page = client.get(campaign.get_absolute_url()).content.decode()
    page = re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]*"', r'\1"', page)
    return re.sub(r'(name="started" value=")[^"]*"', r'\1"', page)


def test_while_a_campaign_holds_signatures_they_are_confirmed_as_usual_but_not_counted_or_shown(
    campaign, signer, client, moderator
):
    signer("Ashaleigh", "asha@example.org", message="Protect children from harm")
    before = public_page(client, campaign)

    assert holding.set_holding(campaign, hold=True, user=moderator.user, note="a flood from one address")
    ben = signer("Benedikt", "ben@example.org", message="Spam spam")
    cara = signer("Caradoc", "cara@example.org", confirm=False)

    assert (ben.status, ben.held_reason) == (Signature.Status.CONFIRMED, Signature.HeldReason.REVIEW)
    assert ben.held_at is not None and cara.held_at is not None
    assert counting.totals(campaign).count == 1
    assert client.get(f"/api/campaigns/{campaign.slug}.json").json()["count"] == 1
    assert public_page(client, campaign) == before  # no sign that anything is held
    assert "Benedikt" not in client.get(f"/c/{campaign.slug}/thanks/").content.decode()
    assert not Signature.objects.awaiting_moderation().filter(pk=ben.pk).exists()  # its message waits too
    entry = AuditEntry.objects.get(action=AuditEntry.Action.HOLD)
    assert (entry.username, entry.campaign, entry.reason) == ("mod", campaign, "a flood from one address")

    holding.set_holding(campaign, hold=False, user=moderator.user)
    assert signer("Dorothea", "dora@example.org").held_at is None
    assert counting.totals(campaign).count == 2
    assert AuditEntry.objects.filter(action=AuditEntry.Action.STOP_HOLDING).count() == 1


def test_released_signatures_count_now_if_confirmed_or_once_confirmed_and_the_release_is_audited(
    campaign, signer, client, moderator, deliver_outbox
):
    holding.set_holding(campaign, hold=True, user=moderator.user)
    asha = signer("Ashaleigh", "asha@example.org")
    ben = signer("Benedikt", "ben@example.org", confirm=False)
    holding.set_holding(campaign, hold=False, user=moderator.user)
    counted = signer("Caradoc", "cara@example.org")

    listed = moderator.get(CHANGELIST, {"held": "yes"}).content.decode()
    assert listed.count('name="_selected_action"') == 2
    assert "(held: campaign holding every new signature)" in listed
    form = {"action": "release", "_selected_action": [asha.pk, ben.pk, counted.pk]}
    asked = moderator.post(CHANGELIST, form)
    assert "Release <strong>2</strong> signatures" in asked.content.decode()
    moderator.post(CHANGELIST, form | {"apply": "1", "note": "a school trip, checked"})

    assert counting.totals(campaign).count == 2
    assert not Signature.objects.held().exists()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.RELEASE)
    assert (entry.count, entry.reason, entry.details["signatures"]) == (2, "a school trip, checked", [asha.pk, ben.pk])
    assert "Ashaleigh W" in public_page(client, campaign)
    client.post(f"/c/{campaign.slug}/confirm/{ben.token}/")
    assert counting.totals(campaign).count == 3
    assert_count_exact()


def test_held_signatures_are_invalidated_in_bulk_from_the_list(campaign, signer, moderator):
    holding.set_holding(campaign, hold=True, user=moderator.user)
    for i in range(3):
        signer(f"Bot{i}", f"bot{i}@example.org", confirm=i != 0)
    holding.set_holding(campaign, hold=False, user=moderator.user)
    person = signer("Ashaleigh", "asha@example.org")

    form = {"action": "invalidate", "select_across": "1", "_selected_action": [person.pk], "held": "yes"}
    moderator.post(f"{CHANGELIST}?held=yes", form | {"apply": "1", "reason": "fake"})

    assert Signature.objects.filter(status=Signature.Status.INVALIDATED).count() == 3
    assert Signature.objects.get(pk=person.pk).status == Signature.Status.CONFIRMED
    assert counting.totals(campaign).count == 1
    assert_count_exact()


def test_the_switch_is_set_in_the_admin_by_a_moderator_and_audited(campaign, moderator):
    moderator.post("/admin/petition/signingpolicy/add/", {"campaign": campaign.pk, "hold_all": "on"})
    assert holding.holds_all(SigningPolicy.objects.get().campaign)
    moderator.post(f"/admin/petition/signingpolicy/{campaign.pk}/change/", {})

    assert not SigningPolicy.objects.get().hold_all
    assert list(AuditEntry.objects.order_by("pk").values_list("action", "username")) == [
        ("hold", "mod"),
        ("stop_holding", "mod"),
    ]
    page = moderator.get("/admin/petition/signingpolicy/").content.decode()
    assert "0 signatures" in page


def test_past_the_limit_for_one_address_signatures_are_held_and_past_the_ceiling_refused_keeping_the_form(
    campaign, signer, sign, settings, moderator
):
    settings.SIGN_LIMITS_PER_IP = [(2, 3600)]  # an hour: no window ends mid-test
    settings.SIGN_CEILINGS_PER_IP = [(4, 3600)]
    school = [signer(f"Pupil{i}", f"pupil{i}@school.example") for i in range(4)]
    refused = sign(campaign, first_name="Pupil4", email="pupil4@school.example", message="Me & my class")

    assert [s.held_reason for s in school] == ["", "", "busy_address", "busy_address"]
    assert counting.totals(campaign).count == 2
    assert refused.status_code == 429
    page = refused.content.decode()
    assert 'value="Pupil4"' in page and 'value="pupil4@school.example"' in page
    assert "Me &amp; my class</textarea>" in page
    assert not Signature.objects.filter(email="pupil4@school.example").exists()

    standing.release(Signature.objects.all(), user=moderator.user)
    assert counting.totals(campaign).count == 4


def test_a_held_signature_is_counted_if_released_after_its_confirmation_page_was_read(campaign, signer, moderator):
    holding.set_holding(campaign, hold=True, user=moderator.user)
    asha = signer("Ashaleigh", "asha@example.org", confirm=False)  # read before the release: still held here
    standing.release(Signature.objects.all(), user=moderator.user)

    assert standing.confirm(asha)
    assert counting.totals(campaign).count == 1


@pytest.mark.slow
def test_every_transition_of_a_held_signature_keeps_the_count_exact_and_it_is_never_delivered(
    campaign, signer, client, moderator, settings
):
    user = moderator.user
    holding.set_holding(campaign, hold=True, user=user)
    asha = signer("Ashaleigh", "asha@example.org", message="Protect children from harm")
    ben = signer("Benedikt", "ben@example.org")
    cara = signer("Caradoc", "cara@example.org", confirm=False)
    dora = signer("Dorothea", "dora@example.org")
    assert_count_exact()
    assert counting.totals(campaign).count == 0

    # Never named by the export or the delivery pack, and never a message for the page.
    assert list(exports.csv_lines(campaign, ["name"])) == ["\ufeff", "Name\r\n"]
    assert delivery.context(campaign)["named_count"] == 0
    standing.set_message_status(Signature.objects.filter(pk=asha.pk), "approved", user=user)
    assert "Protect children from harm" not in public_page(client, campaign)

    # Invalidated and restored, it is held again, not counted.
    standing.invalidate(Signature.objects.filter(pk__in=[ben.pk, cara.pk]), reason="spam", user=user)
    assert_count_exact()
    standing.restore(Signature.objects.filter(pk__in=[ben.pk, cara.pk]), user=user)
    assert set(Signature.objects.held().values_list("pk", flat=True)) == {asha.pk, ben.pk, cara.pk, dora.pk}
    assert_count_exact()
    assert counting.totals(campaign).count == 0

    # Withdrawn or erased while held: nothing to take off the count.
    client.post(f"/c/{campaign.slug}/withdraw/{dora.token}/")
    standing.erase(Signature.objects.filter(pk=cara.pk), user=user)
    assert_count_exact()
    assert counting.totals(campaign).count == 0

    # Released: counted once, named, its approved message shown; confirming again changes nothing.
    assert standing.release(Signature.objects.all(), user=user) == 2
    assert standing.release(Signature.objects.all(), user=user) == 0
    assert not standing.confirm(Signature.objects.get(pk=asha.pk))
    assert counting.totals(campaign).count == 2
    assert_count_exact()
    assert "Protect children from harm" in public_page(client, campaign)
    assert delivery.context(campaign)["named_count"] == 2

    # A held confirmed signature erased stays uncounted, by the shards and by a recount.
    holding.set_holding(campaign, hold=True, user=user)
    eve = signer("Evelina", "eve@example.org")
    standing.erase(Signature.objects.filter(pk=eve.pk), user=user)
    assert counting.recount(campaign) == (2, 2)
    assert_count_exact()

    # Retention anonymises held and counted alike; the count stands.
    signer("Ffion", "ffion@example.org")
    campaign.status, campaign.delivered_at = "delivered", timezone.now() - timedelta(days=settings.RETENTION_DAYS + 1)
    campaign.save()
    retention.anonymise(campaign)
    assert counting.recount(campaign) == (2, 2)
    assert_count_exact()


def test_holding_adds_no_query_to_signing(campaign, sign, moderator):
    def queries_to_sign(email):
        sign(campaign, email=f"warm-{email}")  # the campaign and its policy, kept by this process
        with CaptureQueriesContext(connection) as queries:
            sign(campaign, email=email)
        return len(queries)

    normal = queries_to_sign("a@example.org")
    holding.set_holding(campaign, hold=True, user=moderator.user)
    held = queries_to_sign("b@example.org")

    assert held == normal
    assert Signature.objects.get(email="b@example.org").held_at is not None
