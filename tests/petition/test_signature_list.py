"""The signature list: what tells one signature from another at a glance, and a filter for each of those things."""

from datetime import timedelta

from django.utils import timezone

from petition.models import Signature
from petition.signing import hash_ip

CHANGELIST = "/admin/petition/signature/"


def test_each_row_shows_name_region_status_domain_ip_hash_message_and_date_but_no_email(campaign, confirmed, moderator):
    confirmed(
        campaign,
        email="asha.patel@mail.example.org",
        postcode="LS1 1AA",
        ip="192.0.2.44",
        message="Please protect children online now, before another family has to live through it",
    )
    Signature.objects.update(created_at=timezone.now() - timedelta(days=3))
    signature = Signature.objects.get()

    page = moderator.get(CHANGELIST).content.decode()

    assert "Asha Patel" in page
    assert '<td class="field-region_name">Yorkshire and The Humber</td>' in page
    assert "yorkshire-and-the-humber</td>" not in page
    assert '<td class="field-standing">Confirmed</td>' in page
    assert ">example.org</a>" in page
    ip_hash = hash_ip("192.0.2.44")
    assert f'href="?ip_hash={ip_hash}"><code>{ip_hash[:8]}</code></a>' in page
    excerpt = page.split('class="field-message_excerpt">')[1].split("</td>")[0]
    assert excerpt.startswith("Please protect children online now") and "…" in excerpt
    assert "live through it" not in page
    assert "(waiting for moderation)" in page
    assert f'<td class="field-signed_at">{timezone.localtime(signature.created_at):%-d %b %Y %H:%M}</td>' in page
    assert "asha.patel@mail.example.org" not in page and "@" not in page.split('id="result_list"')[1]


def test_the_campaign_is_a_filter_when_there_are_several_and_never_a_column(
    campaign, make_campaign, confirmed, moderator
):
    other = make_campaign(slug="other", title="A second letter")
    confirmed(campaign, email="a@example.org", first_name="First")
    confirmed(other, email="b@example.org", first_name="Second")

    page = moderator.get(CHANGELIST).content.decode()
    filtered = moderator.get(CHANGELIST, {"campaign": other.pk}).content.decode()

    assert "By campaign" in page and page.count("A second letter") == 1
    assert "field-campaign" not in page
    assert "Second Patel" in filtered and "First Patel" not in filtered


def test_with_one_campaign_there_is_no_campaign_filter(campaign, confirmed, moderator):
    confirmed(campaign)

    page = moderator.get(CHANGELIST).content.decode()

    assert "By campaign" not in page
    assert campaign.title not in page.split('id="result_list"')[1]


def test_the_list_filters_by_ip_hash_whole_or_as_the_list_shows_it(campaign, confirmed, moderator):
    confirmed(campaign, email="bot@example.org", first_name="Bot", ip="192.0.2.66")
    confirmed(campaign, email="real@example.org", first_name="Real", ip="198.51.100.1")
    ip_hash = hash_ip("192.0.2.66")

    whole = moderator.get(CHANGELIST, {"ip_hash": ip_hash}).content.decode()
    short = moderator.get(CHANGELIST, {"ip_hash": ip_hash[:8].upper()}).content.decode()

    assert "Bot Patel" in whole and "Real Patel" not in whole
    assert "Bot Patel" in short and "Real Patel" not in short
    assert f'name="ip_hash" value="{ip_hash[:8].upper()}"' in short


def test_the_list_filters_by_status_message_status_and_date(campaign, confirmed, sign, moderator):
    confirmed(campaign, email="old@example.org", first_name="Old", message="Read me")
    sign(campaign, email="new@example.org", first_name="New")
    Signature.objects.filter(first_name="Old").update(created_at=timezone.now() - timedelta(days=30))

    pending = moderator.get(CHANGELIST, {"status__exact": "pending"}).content.decode()
    waiting = moderator.get(CHANGELIST, {"message_status__exact": "pending"}).content.decode()
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    today = moderator.get(
        CHANGELIST, {"created_at__gte": str(midnight), "created_at__lt": str(midnight + timedelta(days=1))}
    ).content.decode()

    assert "New Patel" in pending and "Old Patel" not in pending
    assert "Old Patel" in waiting and "New Patel" not in waiting
    assert "New Patel" in today and "Old Patel" not in today


def test_the_filters_cover_every_column(campaign, confirmed, moderator):
    confirmed(campaign)

    page = moderator.get(CHANGELIST).content.decode()

    for title in (
        "status",
        "region",
        "created at",
        "email domain",
        "IP hash",
        "message to the minister",
        "message status",
    ):
        assert f"By {title}" in page, title
