"""The migration to one signature per mailbox folds the spellings of one inbox that signed before it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Sum
from django.utils import timezone

from petition import consent

pytestmark = pytest.mark.slow  # each test migrates a database backwards and forwards

BEFORE = [("petition", "0004_attack_lookup_indexes")]


def migrate(target):
    """Migrate the test database to `target`; return the historical models as they stand there."""
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.fixture
def migrated_back(transactional_db):
    """Return a function migrating back to a point in history; the database is migrated to now afterwards."""
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    yield migrate
    migrate(latest)


@pytest.fixture
def before_the_migration(migrated_back):
    return migrated_back(BEFORE)


def test_spellings_of_one_inbox_are_folded_into_the_earliest_confirmed_signature(before_the_migration):
    apps = before_the_migration
    Campaign = apps.get_model("campaign", "Campaign")
    Signature = apps.get_model("petition", "Signature")
    SignatureCount = apps.get_model("petition", "SignatureCount")
    OutgoingEmail = apps.get_model("petition", "OutgoingEmail")
    now = timezone.now()
    campaign = Campaign.objects.create(
        slug="letter", title="A letter", summary="-", recipient_name="A. Minister", recipient_role="-", letter="-",
        status="open", opens_at=now - timedelta(days=3), share_text="-",
    )  # fmt: skip

    def signed(email, status="confirmed", confirmed_days_ago=1, region="south-east"):
        signature = Signature.objects.create(
            campaign=campaign,
            status=status,
            first_name="Asha",
            last_name="Patel",
            email=email,
            email_normalised=email.lower(),
            email_canonical=email.lower(),
            email_domain=email.rpartition("@")[2].lower(),
            region=region,
            consent_version="test",
            confirmed_at=now - timedelta(days=confirmed_days_ago) if status == "confirmed" else None,
        )
        if status == "confirmed":
            SignatureCount.objects.create(campaign=campaign, region=region, shard=signature.pk % 16, count=1)
        return signature

    later = signed("asha.patel@gmail.com", confirmed_days_ago=1)
    earliest = signed("AshaPatel@googlemail.com", confirmed_days_ago=2, region="scotland")
    tagged = signed("asha.patel+letter@gmail.com", status="pending")
    OutgoingEmail.objects.create(signature=tagged, kind="confirm")
    pending_only = signed("ben+one@example.org", status="pending")
    pending_too = signed("Ben+two@example.org", status="pending")
    alone = signed("cara@example.org")

    apps = migrate([("petition", "0005_one_signature_per_mailbox")])
    Signature = apps.get_model("petition", "Signature")
    SignatureCount = apps.get_model("petition", "SignatureCount")
    AuditEntry = apps.get_model("petition", "AuditEntry")
    OutgoingEmail = apps.get_model("petition", "OutgoingEmail")

    rows = {row.pk: row for row in Signature.objects.all()}
    kept = [rows[earliest.pk], rows[pending_only.pk], rows[alone.pk]]
    assert [(row.status, row.mailbox, row.email) for row in kept] == [
        ("confirmed", "ashapatel@gmail.com", "AshaPatel@googlemail.com"),
        ("pending", "ben@example.org", "ben+one@example.org"),
        ("confirmed", "cara@example.org", "cara@example.org"),
    ]
    assert all(row.token for row in kept) and len({row.token for row in kept}) == 3
    for folded in (later, tagged, pending_too):
        row = rows[folded.pk]
        assert (row.status, row.invalidation_reason, row.email, row.mailbox, row.token) == (
            "invalidated",
            "duplicate",
            "",
            "",
            None,
        )
        assert row.erased_at is not None
    assert OutgoingEmail.objects.get().status == "cancelled"
    # Counted once each: the later Gmail spelling left the count.
    totals = dict(SignatureCount.objects.values_list("region").annotate(n=Sum("count")))
    assert totals == {"scotland": 1, "south-east": 1}
    (entry,) = AuditEntry.objects.all()
    assert (entry.action, entry.count, entry.reason.split(".")[0]) == (
        "invalidate",
        3,
        "Duplicate of another signature",
    )


def test_stored_domains_become_registrable_domains(migrated_back):
    apps = migrated_back([("petition", "0006_resend_requests_and_constraints")])
    Campaign = apps.get_model("campaign", "Campaign")
    Signature = apps.get_model("petition", "Signature")
    campaign = Campaign.objects.create(
        slug="letter", title="A letter", summary="-", recipient_name="A. Minister", recipient_role="-", letter="-",
        status="open", share_text="-",
    )  # fmt: skip
    for email in ("a@mail.spam.example", "b@M2.Spam.Example", "c@uni.example.ac.uk", "d@gmail.com"):
        Signature.objects.create(
            campaign=campaign, first_name="A", last_name="B", email=email, mailbox=email.lower(),
            email_domain=email.rpartition("@")[2].lower(), region="south-east", consent_version="test",
        )  # fmt: skip

    apps = migrate([("petition", "0007_registrable_email_domains")])

    domains = apps.get_model("petition", "Signature").objects.order_by("pk").values_list("email_domain", flat=True)
    assert list(domains) == ["spam.example", "spam.example", "example.ac.uk", "gmail.com"]


def test_signatures_made_before_the_wording_was_stored_get_the_key_of_the_words_they_saw(migrated_back):
    apps = migrated_back([("petition", "0009_held_signatures")])
    Campaign = apps.get_model("campaign", "Campaign")
    Signature = apps.get_model("petition", "Signature")
    campaign = Campaign.objects.create(
        slug="letter", title="A letter", summary="-", recipient_name="A. Minister", recipient_role="-", letter="-",
        status="open", opens_at=timezone.now(), share_text="-",
    )  # fmt: skip
    Signature.objects.create(
        campaign=campaign, first_name="Asha", last_name="Patel", email="a@example.org", mailbox="a@example.org",
        email_domain="example.org", region="south-east", contact_opt_in=True, consent_version="test",
    )  # fmt: skip

    apps = migrate([("petition", "0010_consent_wording_and_email_permissions")])

    (signature,) = apps.get_model("petition", "Signature").objects.all()
    assert consent.contact_wording(signature.contact_wording) == (
        "Email me about this campaign's progress and what happens next"
    )


def test_an_organiser_made_before_welsh_keeps_its_english_and_lacks_welsh(migrated_back):
    apps = migrated_back([("campaign", "0005_welsh")])
    apps.get_model("campaign", "Organiser").objects.create(name="Children First", postal_address="1 High Street")

    after = migrate([("campaign", "0006_organiser_welsh")]).get_model("campaign", "Organiser").objects.get()

    assert (after.name_en_gb, after.postal_address_en_gb, after.controller_name_en_gb) == (
        "Children First",
        "1 High Street",
        "",
    )
    assert (after.name_cy, after.postal_address_cy) == (None, None)
