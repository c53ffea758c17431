"""The campaign's texts in Welsh: edited beside the English in the admin, which says what still lacks Welsh and
whether a fluent speaker has checked it."""

import re

from campaign.models import Campaign
from campaign.translation import missing_welsh


def test_the_shipped_campaign_has_welsh_for_every_text_marked_for_review(real_campaign):
    assert missing_welsh(real_campaign) == []
    assert real_campaign.welsh_needs_review
    assert real_campaign.title_cy == "Rhowch blant wrth galon y Bil Diogelwch Ar-lein"
    assert real_campaign.title_en_gb == "Put children at the heart of the Online Safety Bill"


def test_staff_see_which_texts_lack_welsh(admin_client, make_campaign, make_ask):
    campaign = make_campaign(slug="new", title="A new letter")
    make_ask(campaign, title="Do this", explanation="Because.")
    Campaign.objects.filter(pk=campaign.pk).update(summary_cy="Gofyn i'r gweinidog weithredu.")

    listing = admin_client.get("/admin/campaign/campaign/").content.decode()
    page = admin_client.get(f"/admin/campaign/campaign/{campaign.pk}/change/").content.decode()

    assert "texts without Welsh" in listing
    items = re.findall(r"<li>([^<]+)</li>", page.split("Texts without Welsh")[1].split("</ul>")[0])
    assert "Title" in items
    assert "Summary" not in items
    assert "Ask 1: title" in items and "Ask 1: explanation" in items
    assert 'name="title_cy"' in page and 'name="title_en_gb"' in page
    assert 'name="asks-0-title_cy"' in page


def test_staff_write_the_welsh_and_mark_it_reviewed(admin_client, real_campaign):
    from tests.campaign.test_admin import submitted_as_is

    url = f"/admin/campaign/campaign/{real_campaign.pk}/change/"
    data = submitted_as_is(admin_client.get(url).context) | {"title_cy": "Teitl cliriach"}
    data.pop("welsh_needs_review", None)

    response = admin_client.post(url, data)

    assert response.status_code == 302
    real_campaign.refresh_from_db()
    assert (real_campaign.title_cy, real_campaign.title_en_gb) == (
        "Teitl cliriach",
        "Put children at the heart of the Online Safety Bill",
    )
    assert not real_campaign.welsh_needs_review
    listing = admin_client.get("/admin/campaign/campaign/").content.decode()
    assert "Complete" in listing
