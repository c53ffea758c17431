"""Bulk invalidation: criteria, preview, background run with progress, cancel, and revert as one unit."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from petition import counting, invalidations, signing, standing
from petition.models import AuditEntry, Invalidation, Signature


@pytest.fixture
def attack(campaign, confirmed, sign, settings):
    """Five confirmed signatures from a spam domain and one IP, one pending, and two real signers."""
    settings.SIGN_LIMITS_PER_IP = settings.SIGN_LIMITS_PER_DOMAIN = [(1000, 60)]
    for i in range(5):
        confirmed(campaign, email=f"bot{i}@spam.example", ip="192.0.2.66", postcode="SW1A 1AA")
    sign(campaign, email="bot-pending@spam.example", ip="192.0.2.66")
    confirmed(campaign, email="real@example.org", ip="198.51.100.1", postcode="SW1A 2AA")
    confirmed(campaign, email="other@example.org", ip="198.51.100.2", postcode="EH1 1YZ")
    return campaign


def count(campaign):
    return counting._sum_shards(campaign.pk).count


def make(campaign, user=None, **criteria):
    return Invalidation.objects.create(campaign=campaign, reason="fake", created_by=user, **criteria)


def test_the_preview_counts_and_shows_matches_without_changing_anything(attack):
    invalidation = make(attack, email_domain="spam.example")

    matched, sample = invalidations.preview(invalidation)

    assert matched == 6
    assert {s.email_domain for s in sample} == {"spam.example"}
    assert count(attack) == 7
    assert not Signature.objects.filter(status="invalidated").exists()


@pytest.mark.parametrize(
    ("criteria", "matched"),
    [
        ({"email_domain": "SPAM.example"}, 6),
        ({"postcode": "SW1A 1AA"}, 5),
        ({"postcode": "EH"}, 1),
        ({"postcode": "SW"}, 6),
        ({"name_contains": "asha"}, 8),
        ({"signed_after": timezone.now() + timedelta(days=1)}, 0),
    ],
)
def test_criteria_select_the_signatures_they_describe(attack, criteria, matched):
    assert invalidations.preview(make(attack, **criteria))[0] == matched


def test_an_invalidation_without_criteria_is_refused(campaign):
    with pytest.raises(IntegrityError):
        make(campaign)


def test_running_it_invalidates_the_matches_and_takes_them_off_the_count(attack, moderator):
    user = moderator.user
    invalidation = make(attack, user, ip_hash=signing.hash_ip("192.0.2.66"))
    invalidations.start(invalidation)

    assert invalidations.run(invalidation.pk) == Invalidation.Status.COMPLETED

    invalidation.refresh_from_db()
    assert (invalidation.matched, invalidation.invalidated) == (6, 6)
    assert count(attack) == 2
    assert Signature.objects.filter(invalidation=invalidation).count() == 6
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.action, entry.count, entry.details["invalidation"]) == (
        user,
        "invalidate",
        6,
        invalidation.pk,
    )


def test_it_works_in_batches(attack, monkeypatch):
    monkeypatch.setattr(invalidations, "BATCH", 2)
    invalidation = make(attack, email_domain="spam.example")
    invalidations.start(invalidation)

    invalidations.run(invalidation.pk)

    invalidation.refresh_from_db()
    assert invalidation.invalidated == 6 and invalidation.status == "completed"


def test_a_cancelled_invalidation_stops_and_keeps_what_it_did(attack):
    invalidation = make(attack, email_domain="spam.example")
    invalidations.start(invalidation)
    invalidations.cancel(invalidation)

    assert invalidations.run(invalidation.pk) == Invalidation.Status.CANCELLED
    assert count(attack) == 7


def test_reverting_restores_exactly_what_it_invalidated(attack, moderator, confirmed):
    user = moderator.user
    invalidation = make(attack, user, email_domain="spam.example")
    invalidations.start(invalidation)
    invalidations.run(invalidation.pk)
    real = Signature.objects.get(email="real@example.org")
    standing.invalidate(Signature.objects.filter(pk=real.pk), reason="spam", user=user)  # separately, by hand

    assert invalidations.revert(invalidation, user=user) == 6

    assert count(attack) == 6  # all but the one invalidated by hand
    assert Signature.objects.get(pk=real.pk).status == "invalidated"
    assert Signature.objects.get(email="bot-pending@spam.example").status == "pending"
    invalidation.refresh_from_db()
    assert invalidation.status == "reverted"
    assert counting.recount(attack) == (6, 6)
    assert invalidations.revert(invalidation, user=user) == 0


def test_moderators_preview_and_start_it_in_the_admin(attack, moderator, settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    client = moderator

    response = client.post(
        "/admin/petition/invalidation/add/",
        {"campaign": attack.pk, "reason": "fake", "note": "burst", "email_domain": "spam.example"},
    )
    assert response.status_code == 302
    invalidation = Invalidation.objects.get()
    page = client.get(f"/admin/petition/invalidation/{invalidation.pk}/change/").content.decode()
    assert "<strong>6</strong> signatures would be invalidated" in page
    assert count(attack) == 7

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/petition/invalidation/", {"action": "start", "_selected_action": [invalidation.pk]})

    invalidation.refresh_from_db()
    assert (invalidation.status, invalidation.invalidated) == ("completed", 6)
    assert count(attack) == 2


def test_the_admin_refuses_an_invalidation_with_no_criteria(attack, moderator):
    client = moderator

    response = client.post("/admin/petition/invalidation/add/", {"campaign": attack.pk, "reason": "fake"})

    assert "Give at least one criterion" in response.content.decode()
    assert not Invalidation.objects.exists()


def test_a_window_that_runs_backwards_is_refused_with_its_reason(attack, moderator):
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        make(attack, signed_after=now, signed_before=now - timedelta(hours=1))

    response = moderator.post(
        "/admin/petition/invalidation/add/",
        {
            "campaign": attack.pk,
            "reason": "fake",
            "signed_after_0": "2026-06-02",
            "signed_after_1": "12:00",
            "signed_before_0": "2026-06-01",
            "signed_before_1": "12:00",
        },
    )

    assert "“Signed before” must be later than “signed after”." in response.content.decode()
    assert not Invalidation.objects.exists()
