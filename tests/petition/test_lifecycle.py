"""The campaign page follows the campaign's life: open, closed, delivered, answered, with a short timeline, and the
JSON API says the same."""

import re
from datetime import date, datetime, timedelta

from django.utils import timezone

from petition import counting, timeline
from petition.models import Signature
from tests.campaign.test_admin import submitted_as_is

MARCH_2 = datetime(2026, 3, 2, 12, tzinfo=timezone.UTC)


def confirmed_at(campaign, *moments):
    """Confirmed signatures, one confirmed at each moment, counted."""
    start = Signature.objects.count()
    Signature.objects.bulk_create(
        Signature(
            campaign=campaign,
            status=Signature.Status.CONFIRMED,
            confirmed_at=moment,
            first_name="Sam",
            last_name=f"Jones{start + i}",
            email=f"s{start + i}@example.org",
            mailbox=f"s{start + i}@example.org",
            email_domain="example.org",
            postcode="LS1 1AA",
            region="yorkshire-and-the-humber",
            consent_version="test",
        )
        for i, moment in enumerate(moments)
    )
    counting.recount(campaign)


def test_a_delivered_campaign_says_to_whom_when_and_how_many_at_the_top_and_offers_no_signing(client, make_campaign):
    make_campaign(slug="done", status="delivered", delivered_at=MARCH_2, delivered_count=12_345)

    page = client.get("/c/done/").content.decode()

    header = page[
        page.index('<header class="campaign-header">') : page.index("</header>", page.index("campaign-header"))
    ]
    assert "Delivered to A. Minister MP on 2 March 2026." in header
    assert "<strong>12,345</strong> signatures delivered" in header
    assert "<progress" not in page and "Sign the letter" not in page and 'name="email"' not in page


def test_the_ministers_response_is_shown_near_the_top_once_recorded(client, make_campaign, settings):
    settings.PAGE_CACHE_SECONDS = 0  # as two seconds later
    campaign = make_campaign(slug="done", status="delivered", delivered_at=MARCH_2, delivered_count=10)
    assert "The response" not in client.get("/c/done/").content.decode()

    campaign.response = "Thank you for your letter.\n\nWe will bring forward amendments."
    campaign.response_by = "The Secretary of State"
    campaign.responded_on = date(2026, 4, 14)
    campaign.save()
    page = client.get("/c/done/").content.decode()

    assert "From The Secretary of State, 14 April 2026" in page
    assert "<p>Thank you for your letter.</p><p>We will bring forward amendments.</p>" in page
    assert page.index("The response") < page.index("The letter")


def test_the_timeline_dates_each_milestone_by_the_signature_that_reached_it(client, make_campaign):
    campaign = make_campaign(slug="t", signature_goal=1_000, opens_at=datetime(2026, 2, 27, 9, tzinfo=timezone.UTC))
    early = [datetime(2026, 3, 1, tzinfo=timezone.UTC) + timedelta(minutes=i) for i in range(999)]
    confirmed_at(campaign, *early, datetime(2026, 3, 4, 10, tzinfo=timezone.UTC), MARCH_2 + timedelta(days=3))

    page = client.get("/c/t/").content.decode()

    entries = re.findall(r'<li class="timeline-(\w+)"><time datetime="([\d-]+)">[^<]+</time> ([^<]+)</li>', page)
    assert entries == [
        ("opened", "2026-02-27", "The letter opened for signatures"),
        ("milestone", "2026-03-04", "1,000 signatures (our goal)"),
    ]


def test_milestones_are_the_round_figures_passed_and_the_goal():
    assert timeline.milestones(999, 50_000) == []
    assert timeline.milestones(12_000, 50_000) == [1_000, 2_000, 5_000, 10_000]
    assert timeline.milestones(60_000, 50_000) == [1_000, 2_000, 5_000, 10_000, 20_000, 50_000]
    assert timeline.milestones(30_000, 25_000) == [1_000, 2_000, 5_000, 10_000, 20_000, 25_000]


def test_the_api_gives_the_delivery_the_response_and_the_timeline(client, make_campaign):
    make_campaign(
        slug="done",
        status="delivered",
        opens_at=datetime(2026, 1, 5, 9, tzinfo=timezone.UTC),
        delivered_at=MARCH_2,
        delivered_count=40,
        response="We agree.",
        response_by="The Secretary of State",
        responded_on=date(2026, 4, 14),
    )

    data = client.get("/api/campaigns/done.json").json()

    assert data["status"] == "delivered"
    assert data["delivered"] == {"on": "2026-03-02", "count": 40}
    assert data["response"] == {"by": "The Secretary of State", "on": "2026-04-14", "text": "We agree."}
    assert [event["kind"] for event in data["timeline"]] == ["opened", "delivered", "responded"]
    assert data["timeline"][1]["text"] == "Delivered to A. Minister MP with 40 signatures"


def test_an_open_campaign_in_the_api_has_no_delivery_or_response(client, make_campaign):
    make_campaign(slug="open")

    data = client.get("/api/campaigns/open.json").json()

    assert data["delivered"] is None and data["response"] is None


def test_saving_a_campaign_as_delivered_records_the_verified_count(admin_client, make_campaign):
    campaign = make_campaign(slug="d")
    counting.add(campaign.pk, "london", 321)
    url = f"/admin/campaign/campaign/{campaign.pk}/change/"
    data = submitted_as_is(admin_client.get(url).context)
    data |= {"status": "delivered", "delivered_at_0": "02/03/2026", "delivered_at_1": "12:00:00"}

    response = admin_client.post(url, data)

    assert response.status_code == 302, re.findall(r"errorlist[^>]*>(.*?)</ul>", response.content.decode())
    campaign.refresh_from_db()
    assert campaign.delivered_count == 321


def test_a_response_without_its_date_is_refused_with_a_message(admin_client, make_campaign):
    campaign = make_campaign(slug="d")
    url = f"/admin/campaign/campaign/{campaign.pk}/change/"
    data = submitted_as_is(admin_client.get(url).context) | {"response": "We agree."}

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "A response needs the date it was sent" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.response == ""
