from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from petition import counting
from petition.models import AuditEntry, OutgoingEmail, Signature


def test_personal_data_is_removed_after_the_retention_period_keeping_the_counts(
    make_campaign, confirmed, sign, settings, capsys
):
    settings.RETENTION_DAYS = 180
    settings.COUNT_CACHE_SECONDS = 0
    settings.PAGE_CACHE_SECONDS = 0
    old = make_campaign(slug="old", status="open")
    confirmed(old, email="a@example.org", first_name="Asha", postcode="EH1 1YZ", message="Hello", show_name="on")
    confirmed(old, email="b@example.org", postcode="CF10 1AA")
    sign(old, email="never@example.org")
    recent = make_campaign(slug="recent")
    confirmed(recent, email="c@example.org")
    before = counting.totals(old)
    old.status, old.delivered_at = "delivered", timezone.now() - timedelta(days=181)
    old.save()
    recent.status, recent.delivered_at = "delivered", timezone.now() - timedelta(days=10)
    recent.save()

    call_command("apply_retention")

    assert capsys.readouterr().out.strip() == "old: 3 signatures made anonymous"
    remaining = Signature.objects.filter(campaign=old)
    assert remaining.count() == 2
    assert set(remaining.values_list("first_name", "email", "postcode", "message", "ip_hash")) == {("", "", "", "", "")}
    assert not OutgoingEmail.objects.filter(signature__campaign=old, status="pending").exists()
    after = counting.totals(old)
    assert (after.count, after.by_region) == (before.count, before.by_region)
    assert counting.recount(old) == (2, 2)
    assert Signature.objects.get(campaign=recent).email == "c@example.org"
    entry = AuditEntry.objects.get()
    assert (entry.username, entry.action, entry.count, entry.campaign) == ("(automatic)", "erase", 3, old)


def test_a_closed_campaign_is_anonymised_after_the_period_too(make_campaign, confirmed, settings):
    settings.RETENTION_DAYS = 30
    campaign = make_campaign(slug="shut", opens_at=timezone.now() - timedelta(days=60))
    confirmed(campaign, email="a@example.org")
    campaign.status, campaign.closes_at = "closed", timezone.now() - timedelta(days=31)
    campaign.save()

    call_command("apply_retention")

    assert Signature.objects.get().email == ""


def test_a_dry_run_changes_nothing_and_a_second_run_finds_nothing_to_do(make_campaign, confirmed, settings, capsys):
    settings.RETENTION_DAYS = 1
    campaign = make_campaign(slug="old")
    confirmed(campaign, email="a@example.org")
    campaign.status, campaign.delivered_at = "delivered", timezone.now() - timedelta(days=2)
    campaign.save()

    call_command("apply_retention", "--dry-run")
    assert Signature.objects.get().email == "a@example.org"
    call_command("apply_retention")
    call_command("apply_retention")

    assert capsys.readouterr().out.splitlines() == [
        "old: due",
        "old: 1 signatures made anonymous",
        "old: 0 signatures made anonymous",
    ]
    assert AuditEntry.objects.count() == 1


def test_the_privacy_notice_states_the_retention_period(client, db, settings):
    settings.RETENTION_DAYS = 120
    assert "120 days after the letter has been delivered" in client.get("/privacy/").content.decode()


def test_the_retention_task_does_what_the_command_does(make_campaign, confirmed, settings):
    from petition.retention import apply_retention

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.RETENTION_DAYS = 1
    campaign = make_campaign(slug="old")
    confirmed(campaign, email="a@example.org")
    campaign.status, campaign.delivered_at = "delivered", timezone.now() - timedelta(days=2)
    campaign.save()

    result = apply_retention.enqueue()

    assert result.status == "SUCCESSFUL"
    assert result.return_value == {"old": 1}
    assert Signature.objects.get().email == ""
