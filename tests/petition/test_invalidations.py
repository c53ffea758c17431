"""Bulk invalidation: criteria, preview, background run with progress, cancel, and revert as one unit."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from petition import counting, invalidations, signing, standing
from petition.models import AuditEntry, Invalidation, Signature


@pytest.fixture
def attack(campaign, stored):
    """Five confirmed signatures from a spam domain and one IP, one pending, and two real signers."""
    for i in range(5):
        stored(campaign, email=f"bot{i}@spam.example", ip="192.0.2.66", postcode="SW1A 1AA")
    stored(campaign, email="bot-pending@spam.example", ip="192.0.2.66", confirmed=False)
    stored(campaign, email="real@example.org", ip="198.51.100.1", postcode="SW1A 2AA")
    stored(campaign, email="other@example.org", ip="198.51.100.2", postcode="EH1 1YZ")
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
    invalidations.start(invalidation, user=user)

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
    invalidations.start(invalidation, user=None)

    invalidations.run(invalidation.pk)

    invalidation.refresh_from_db()
    assert invalidation.invalidated == 6 and invalidation.status == "completed"


def test_a_cancelled_invalidation_stops_and_keeps_what_it_did(attack):
    invalidation = make(attack, email_domain="spam.example")
    invalidations.start(invalidation, user=None)
    invalidations.cancel(invalidation)

    assert invalidations.run(invalidation.pk) == Invalidation.Status.CANCELLED
    assert count(attack) == 7


def test_reverting_restores_exactly_what_it_invalidated(attack, moderator, confirmed):
    user = moderator.user
    invalidation = make(attack, user, email_domain="spam.example")
    invalidations.start(invalidation, user=user)
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


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def public_count(client, campaign):
    return client.get(f"/api/campaigns/{campaign.slug}.json").json()["count"]


def test_saved_criteria_lead_to_their_preview_not_back_to_the_list(attack, moderator):
    response = moderator.post(
        "/admin/petition/invalidation/add/",
        {"campaign": attack.pk, "reason": "fake", "email_domain": "spam.example"},
    )

    invalidation = Invalidation.objects.get()
    assert response["Location"] == f"/admin/petition/invalidation/{invalidation.pk}/change/"
    page = moderator.get(response["Location"]).content.decode()
    assert "<strong>6</strong> signatures would be invalidated. Nothing has changed yet." in page
    assert (
        f'<form id="start-invalidation" method="post" action="/admin/petition/invalidation/{invalidation.pk}/start/">'
        in page
    )
    assert (
        '<button type="submit" form="start-invalidation" name="expected" value="6" class="button default">'
        "Invalidate these 6 signatures</button>" in page
    )


def test_one_press_on_the_preview_runs_it_and_the_public_count_falls(
    attack, moderator, client, immediate_tasks, settings, django_capture_on_commit_callbacks
):
    settings.COUNT_CACHE_SECONDS = 0
    invalidation = make(attack, moderator.user, email_domain="spam.example")
    assert public_count(client, attack) == 7

    with django_capture_on_commit_callbacks(execute=True):
        response = moderator.post(f"/admin/petition/invalidation/{invalidation.pk}/start/", {"expected": "6"})

    assert response["Location"] == f"/admin/petition/invalidation/{invalidation.pk}/change/"
    invalidation.refresh_from_db()
    assert (invalidation.status, invalidation.matched, invalidation.invalidated) == ("completed", 6, 6)
    assert public_count(client, attack) == 2
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.action, entry.count, entry.details["invalidation"]) == (
        moderator.user,
        "invalidate",
        6,
        invalidation.pk,
    )
    page = moderator.get(response["Location"]).content.decode()
    assert "Invalidating 6 signatures" in page and "6 of 6 invalidated (Completed)." in page
    assert "Invalidate these" not in page
    assert f'href="/admin/petition/invalidation/{invalidation.pk}/revert/"' in page


def test_the_button_runs_nothing_when_more_match_than_the_preview_showed(attack, moderator, immediate_tasks, sign):
    invalidation = make(attack, email_domain="spam.example")
    sign(attack, email="late-bot@spam.example", ip="192.0.2.66")  # came in after the preview was shown

    response = moderator.post(f"/admin/petition/invalidation/{invalidation.pk}/start/", {"expected": "6"}, follow=True)

    assert "7 signatures match now, not the 6 the preview showed: nothing has changed." in response.content.decode()
    invalidation.refresh_from_db()
    assert invalidation.status == "pending"
    assert not Signature.objects.filter(status="invalidated").exists()
    assert "Invalidate these 7 signatures" in response.content.decode()


def test_starting_takes_a_post_with_the_preview_number_and_runs_once(
    attack, moderator, immediate_tasks, django_capture_on_commit_callbacks
):
    invalidation = make(attack, email_domain="spam.example")
    start = f"/admin/petition/invalidation/{invalidation.pk}/start/"

    assert moderator.get(start).status_code == 405
    moderator.post(start)
    invalidation.refresh_from_db()
    assert invalidation.status == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        moderator.post(start, {"expected": "6"})
    again = moderator.post(start, {"expected": "0"}, follow=True).content.decode()

    assert "It was started already: it is completed." in again
    assert AuditEntry.objects.filter(action="invalidate").count() == 1


def test_only_staff_who_may_change_invalidations_see_the_button_or_can_press_it(attack, manager):
    invalidation = make(attack, email_domain="spam.example")

    page = manager.get(f"/admin/petition/invalidation/{invalidation.pk}/change/").content.decode()
    response = manager.post(f"/admin/petition/invalidation/{invalidation.pk}/start/", {"expected": "6"})

    assert "<strong>6</strong> signatures would be invalidated" in page
    assert "Invalidate these" not in page and "start-invalidation" not in page
    assert response.status_code == 403
    invalidation.refresh_from_db()
    assert invalidation.status == "pending"


@pytest.fixture
def completed(attack, moderator, immediate_tasks, django_capture_on_commit_callbacks):
    """The spam domain's six signatures invalidated in bulk, and one real signature invalidated by hand."""
    invalidation = make(attack, moderator.user, email_domain="spam.example")
    with django_capture_on_commit_callbacks(execute=True):
        invalidations.start(invalidation, user=moderator.user)
    real = Signature.objects.filter(email="real@example.org")
    standing.invalidate(real, reason="spam", user=moderator.user)
    invalidation.refresh_from_db()
    return invalidation


def test_revert_asks_first_saying_how_many_and_a_get_changes_nothing(completed, moderator, client, settings):
    settings.COUNT_CACHE_SECONDS = 0
    before = AuditEntry.objects.count()

    response = moderator.get(f"/admin/petition/invalidation/{completed.pk}/revert/")

    page = response.content.decode()
    assert "Restore 6 signatures invalidated by “Fake or automated: email domain spam.example”?" in page
    assert '<input type="submit" value="Restore 6 signatures">' in page
    completed.refresh_from_db()
    assert completed.status == "completed"
    assert public_count(client, completed.campaign) == 1
    assert AuditEntry.objects.count() == before


def test_revert_posted_from_its_confirmation_restores_exactly_those(completed, moderator, client, settings):
    settings.COUNT_CACHE_SECONDS = 0

    response = moderator.post(f"/admin/petition/invalidation/{completed.pk}/revert/", follow=True)

    assert "6 signatures restored." in response.content.decode()
    assert public_count(client, completed.campaign) == 6  # five confirmed bots back on it, not the real one
    assert Signature.objects.get(email="real@example.org").status == "invalidated"
    assert Signature.objects.get(email="bot-pending@spam.example").status == "pending"
    completed.refresh_from_db()
    assert completed.status == "reverted"
    entry = AuditEntry.objects.filter(action="restore").get()
    assert (entry.user, entry.count, entry.details["invalidation"]) == (moderator.user, 6, completed.pk)


def test_the_revert_action_on_the_list_asks_first_too(completed, moderator, client, settings):
    settings.COUNT_CACHE_SECONDS = 0
    pending = make(completed.campaign, ip_hash="0" * 32)
    selected = {"action": "revert", "_selected_action": [completed.pk, pending.pk]}

    asked = moderator.post("/admin/petition/invalidation/", selected).content.decode()

    assert "Restore 6 signatures invalidated by 1 invalidations?" not in asked
    assert "Restore 6 signatures invalidated by “Fake or automated: email domain spam.example”?" in asked
    assert "is not started. Only a completed or cancelled invalidation can be reverted." in asked
    assert public_count(client, completed.campaign) == 1

    moderator.post("/admin/petition/invalidation/", selected | {"apply": "1"})

    assert public_count(client, completed.campaign) == 6


def test_the_audit_names_who_started_it_and_who_reverted_it_not_who_described_it(
    attack, staff, immediate_tasks, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(invalidations, "BATCH", 4)
    describer, starter, reverter = (staff("Moderators", username=name) for name in ("alice", "bea", "cai"))
    describer.post(
        "/admin/petition/invalidation/add/", {"campaign": attack.pk, "reason": "fake", "email_domain": "spam.example"}
    )
    invalidation = Invalidation.objects.get()
    page = f"/admin/petition/invalidation/{invalidation.pk}/change/"

    with django_capture_on_commit_callbacks(execute=True):
        starter.post(f"/admin/petition/invalidation/{invalidation.pk}/start/", {"expected": "6"})
    reverter.post(f"/admin/petition/invalidation/{invalidation.pk}/revert/")

    entries = AuditEntry.objects.order_by("pk").values_list("action", "username", "count")
    assert list(entries) == [("invalidate", "bea", 4), ("invalidate", "bea", 2), ("restore", "cai", 6)]
    invalidation.refresh_from_db()
    assert (invalidation.created_by, invalidation.started_by, invalidation.reverted_by) == (
        describer.user,
        starter.user,
        reverter.user,
    )
    shown = describer.get(page).content.decode()
    assert "Described by alice on " in shown and "; started by bea; reverted by cai on " in shown


def test_the_lists_start_action_names_whoever_pressed_it(
    attack, staff, immediate_tasks, django_capture_on_commit_callbacks
):
    invalidation = make(attack, staff("Moderators", username="alice").user, email_domain="spam.example")
    starter = staff("Moderators", username="bea")

    with django_capture_on_commit_callbacks(execute=True):
        starter.post("/admin/petition/invalidation/", {"action": "start", "_selected_action": [invalidation.pk]})

    assert AuditEntry.objects.get().username == "bea"
    invalidation.refresh_from_db()
    assert invalidation.started_by == starter.user


def test_a_running_invalidations_page_reloads_itself_until_told_not_to_and_stops_once_done(attack, moderator):
    invalidation = make(attack, moderator.user, email_domain="spam.example")
    page = f"/admin/petition/invalidation/{invalidation.pk}/change/"
    assert "Refresh" not in moderator.get(page)  # the preview stays still while it is read
    invalidations.start(invalidation, user=moderator.user)  # the worker has not begun: it runs

    running = moderator.get(page)
    stopped = moderator.get(page, {"refresh": "off"})
    later = moderator.get(page)
    restarted = moderator.get(page, {"refresh": "on"})

    assert running["Refresh"] == "10"
    text = running.content.decode()
    assert "this page reloads itself every 10 seconds" in text
    assert '<a href="?refresh=off">Stop reloading</a>' in text
    # The way to stop it comes before the invalidation's fields.
    assert text.index("Stop reloading") < text.index("0 of 6 invalidated (Running).")
    assert "Refresh" not in stopped and "Refresh" not in later
    assert '<a href="?refresh=on">reload it every 10 seconds</a>' in later.content.decode()
    assert restarted["Refresh"] == "10"

    invalidations.run(invalidation.pk)
    done = moderator.get(page)

    assert "Refresh" not in done
    assert "6 of 6 invalidated (Completed)." in done.content.decode()
    assert "reloads itself" not in done.content.decode()


def test_turning_off_the_overviews_reloading_turns_off_the_invalidations_too(attack, moderator):
    invalidation = make(attack, moderator.user, email_domain="spam.example")
    invalidations.start(invalidation, user=moderator.user)

    moderator.get("/admin/petition/signature/overview/", {"refresh": "off"})

    assert "Refresh" not in moderator.get(f"/admin/petition/invalidation/{invalidation.pk}/change/")
