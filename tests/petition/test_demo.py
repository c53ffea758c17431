"""Demo signers: a realistic, marked mix that counts on the site and never reaches the recipient, and goes again."""

import csv
import io
from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.utils import timezone
from pypdf import PdfReader

from petition import counting, delivery, demo, emails, overview, postcodes, signing, standing
from petition.domains import registrable
from petition.mailboxes import mailbox
from petition.models import AuditEntry, OutgoingEmail, Signature, SignatureCount

N = 1000


@pytest.fixture(autouse=True)
def debug(settings):
    """As on a developer's machine (the command refuses otherwise); counts and pages read fresh every time."""
    settings.DEBUG = True
    settings.COUNT_CACHE_SECONDS = 0
    settings.PAGE_CACHE_SECONDS = 0


def fill(*args):
    out = io.StringIO()
    call_command("demo_signatures", *[str(arg) for arg in args], stdout=out)
    return out.getvalue()


def api_count(client, campaign):
    return client.get(f"/api/campaigns/{campaign.slug}.json").json()


def test_the_campaign_is_filled_with_a_realistic_mix_of_signers_all_marked_as_demo(campaign):
    output = fill(N, "--seed", 1)

    signatures = Signature.objects.for_campaign(campaign)
    assert signatures.count() == N
    assert signatures.filter(is_demo=False).count() == 0
    statuses = Counter(signatures.values_list("status", flat=True))
    assert statuses["confirmed"] > 0.6 * N
    assert 0.05 * N < statuses["pending"] < 0.35 * N
    assert f"Added {N:,} demo signers to {campaign.slug}" in output
    assert "--delete" in output

    regions = Counter(signatures.values_list("region", flat=True))
    assert set(regions) <= set(postcodes.regions())
    assert len(regions) >= 10
    assert regions["south-east"] > regions["north-east"]  # by population
    messages = Counter(signatures.exclude(message="").values_list("message_status", flat=True))
    assert messages["pending"] > 0 and messages["approved"] > 0
    named = signatures.filter(show_name=True).count()
    assert 0.3 * N < named < 0.6 * N

    now = timezone.now()
    for row in signatures.values():
        # Made as real rows are, at domains that never receive mail.
        domain = row["email"].rpartition("@")[2]
        assert domain.endswith(".example")
        assert row["mailbox"] == mailbox(row["email"])
        assert row["email_domain"] == registrable(domain.lower())
        assert row["token"] and len(row["ip_hash"]) == 32
        assert row["created_at"] <= now
        if row["status"] == "confirmed":
            assert row["created_at"] < row["confirmed_at"] <= now
        if row["postcode"]:
            assert postcodes.area_for(row["postcode"]).region.key == row["region"]
        else:
            assert row["region"] == postcodes.OUTSIDE_UK and row["country"] != "GB"


def test_the_spam_bursts_stand_out_in_the_moderation_overview(campaign):
    fill(N, "--seed", 1)
    bursts = demo.spam_counts(N)

    seen = overview.overview(campaign)

    domains = {row["value"]: row["signed"] for row in seen["busiest_domains"]}
    assert domains["quickinbox.example"] == bursts["domain"]
    assert domains["spam.example"] == bursts["links"]
    busiest_ip = seen["busiest_ips"][0]
    assert busiest_ip["value"] == signing.hash_ip("203.0.113.66")
    assert busiest_ip["signed"] >= bursts["ip"]
    # Each burst came within one minute.
    times = Signature.objects.filter(email_domain="quickinbox.example").values_list("created_at", flat=True)
    assert max(times) - min(times) < timedelta(minutes=1)
    assert seen["messages_waiting"] > 0


def test_the_count_shown_is_every_confirmed_signature_demo_ones_included(campaign, confirmed, client):
    confirmed(campaign, email="real@example.org", postcode="EH1 1YZ")
    fill(N, "--seed", 2)

    shown = api_count(client, campaign)

    confirmed_rows = Signature.objects.for_campaign(campaign).confirmed()
    assert shown["count"] == confirmed_rows.count() > 0.6 * N
    by_region = Counter(confirmed_rows.values_list("region", flat=True))
    assert {row["key"]: row["count"] for row in shown["by_region"]} == {
        key: by_region[key] for key in postcodes.regions()
    }
    page = client.get(f"/c/{campaign.slug}/").content.decode()
    assert f'data-count="{shown["count"]}"' in page


@pytest.mark.slow  # it builds a PDF
def test_the_export_and_the_delivery_pack_leave_demo_signers_out(campaign, confirmed, manager):
    confirmed(
        campaign, first_name="Real", last_name="Person", email="real@example.org", postcode="EH1 1YZ", show_name="on"
    )
    fill(N, "--seed", 3)

    response = manager.post(f"/staff/c/{campaign.slug}/export/", {"columns": ["name", "region"]})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(body))) == [["Name", "Region"], ["Real Person", "Scotland"]]
    audited = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).get()
    assert audited.count == 1

    page = manager.post(f"/staff/c/{campaign.slug}/delivery/print/").content.decode()
    assert "<strong>1</strong> people signed" in page
    assert "<td>Scotland</td><td>1</td>" in page
    assert page.count("<li>") == 1 + campaign.asks.count()
    assert "<li>Real Person, Edinburgh</li>" in page

    pack = delivery.request_pdf(campaign, manager.user)
    assert (pack.signatures, pack.named_total) == (1, 1)
    delivery.build(pack.pk)
    pack.refresh_from_db()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(bytes(pack.pdf))).pages)
    assert "Real Person" in text
    assert not any(name in text for name in ("Smith", "Jones", "Patel", "Taylor"))

    # Staff are told why the export is shorter than the count.
    demo_confirmed = Signature.objects.filter(is_demo=True, status="confirmed").count()
    assert f"{demo_confirmed:,} demo signatures" in manager.get(f"/staff/c/{campaign.slug}/export/").content.decode()
    change = manager.get(f"/admin/campaign/campaign/{campaign.pk}/change/").content.decode()
    assert f"of which {demo_confirmed:,} demo (never exported or delivered)" in change


def test_demo_signers_are_never_emailed(campaign, moderator):
    fill(N, "--seed", 4)
    pending = Signature.objects.filter(status="pending")

    signing.resend_confirmations(pending, user=moderator.user)
    emails.send_due()

    assert mail.outbox == []
    assert not OutgoingEmail.objects.exclude(status=OutgoingEmail.Status.CANCELLED).exists()


def test_moderators_see_demo_rows_as_demo_and_invalidating_a_burst_moves_the_count(campaign, moderator, client):
    fill(N, "--seed", 5)
    before = api_count(client, campaign)["count"]

    listed = moderator.get("/admin/petition/signature/", {"is_demo__exact": "1"}).content.decode()
    assert 'Confirmed <span class="quiet">(demo)</span>' in listed

    burst = Signature.objects.filter(email_domain="quickinbox.example")
    counted = burst.filter(status="confirmed").count()
    assert counted > 0
    standing.invalidate(burst, reason="spam", user=moderator.user)
    assert api_count(client, campaign)["count"] == before - counted


def test_it_refuses_with_debug_off_unless_forced(campaign, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match=r"DEBUG is off.*--force"):
        fill(10)
    assert not Signature.objects.exists()

    fill(10, "--force")
    assert Signature.objects.filter(is_demo=True).count() == 10


def test_deleting_removes_every_demo_signer_and_the_count_returns(campaign, confirmed, client, moderator):
    confirmed(campaign, email="real@example.org")
    fill(N, "--seed", 6)
    # What a trainee might have done meanwhile: a burst invalidated, a signer erased.
    standing.invalidate(Signature.objects.filter(ip_hash=signing.hash_ip("203.0.113.66")), reason="spam", user=None)
    erased = Signature.objects.filter(is_demo=True, status="confirmed").first()
    standing.erase(Signature.objects.filter(pk=erased.pk), user=None)

    output = fill("--delete")

    assert f"Removed {N:,} demo signatures" in output
    assert list(Signature.objects.values_list("mailbox", flat=True)) == ["real@example.org"]
    assert api_count(client, campaign)["count"] == 1
    assert SignatureCount.objects.aggregate(total=Sum("count"))["total"] == 1
    assert counting.recount(campaign) == (1, 1)
    actions = AuditEntry.objects.filter(action__in=["add_demo", "remove_demo"]).values_list("action", "count")
    assert sorted(actions) == [("add_demo", N), ("remove_demo", N)]


def test_running_again_adds_new_signers_and_replace_starts_afresh(campaign):
    fill(300, "--seed", 7)
    fill(300, "--seed", 7)  # the same signers again: their addresses are taken, so others are made

    assert Signature.objects.filter(is_demo=True).count() == 600
    fill(200, "--replace")
    assert Signature.objects.filter(is_demo=True).count() == 200
    assert counting.totals(campaign).count == Signature.objects.confirmed().count()


def test_a_campaign_can_be_named_and_a_wrong_name_is_refused(make_campaign):
    closed = make_campaign(slug="closed", status="closed", closes_at=timezone.now())
    make_campaign(slug="open")

    fill(50, "--campaign", "closed")
    assert Signature.objects.for_campaign(closed).count() == 50
    with pytest.raises(CommandError, match="No campaign has the slug"):
        fill(50, "--campaign", "nonesuch")


def test_only_demo_rows_are_stored_or_removed_by_the_demo_transitions(campaign, confirmed):
    real = confirmed(campaign, email="real@example.org")

    assert standing.remove_demo(Signature.objects.all()) == 0
    with pytest.raises(ValueError, match="new rows"):
        standing.add_demo(campaign, [[real]])
    assert Signature.objects.get() == real
