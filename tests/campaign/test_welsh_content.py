"""The campaign's texts in Welsh: edited beside the English in the admin, which says what still lacks Welsh and
whether a fluent speaker has checked it."""

import re

from django.utils import translation

from campaign.models import Campaign, Organiser
from campaign.translation import CAMPAIGN_FIELDS, missing_welsh
from petition import emails


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


def test_the_organiser_is_named_in_welsh_on_welsh_pages_and_in_english_on_english_ones(
    admin_client, client, make_campaign, settings
):
    settings.PAGE_CACHE_SECONDS = 0
    campaign = make_campaign(slug="letter")
    response = admin_client.post(
        "/admin/campaign/organiser/add/",
        {
            "name_en_gb": "Children First",
            "name_cy": "Plant yn Gyntaf",
            "postal_address_en_gb": "1 High Street\r\nCardiff",
            "postal_address_cy": "1 Stryd Fawr\r\nCaerdydd",
            "controller_name_en_gb": "",
            "controller_name_cy": "",
        },
    )
    assert response.status_code == 302
    Campaign.objects.filter(pk=campaign.pk).update(organiser=Organiser.objects.get(name_en_gb="Children First"))

    english = client.get("/c/letter/").content.decode()
    welsh = client.get("/cy/c/letter/").content.decode()
    welsh_privacy = client.get("/cy/c/letter/privacy/").content.decode()

    assert "<strong>Children First</strong>" in english and "Cardiff" in english
    assert "Plant yn Gyntaf" not in english and "Caerdydd" not in english
    assert "<strong>Plant yn Gyntaf</strong>" in welsh and "1 Stryd Fawr<br>Caerdydd" in welsh
    assert "Children First" not in welsh
    assert "<strong>Plant yn Gyntaf</strong>" in welsh_privacy
    with translation.override("cy"):
        assert emails.sender(Campaign.objects.get(pk=campaign.pk)).startswith("Plant yn Gyntaf <")


def test_an_organiser_without_welsh_is_named_in_english_and_listed_as_lacking_it(make_campaign):
    campaign = make_campaign(slug="letter")
    organiser = Organiser.objects.create(name="Children First", postal_address="1 High Street\nCardiff")
    welsh = {f"{name}_cy": "Cymraeg" for name in CAMPAIGN_FIELDS}
    Campaign.objects.filter(pk=campaign.pk).update(organiser=organiser, **welsh)
    campaign = Campaign.objects.get(pk=campaign.pk)

    assert missing_welsh(campaign) == ["Organiser: name", "Organiser: postal address"]
    with translation.override("cy"):
        assert campaign.organiser.name == "Children First"
        assert campaign.organiser.address_lines == ["1 High Street", "Cardiff"]


def test_organisers_without_a_welsh_name_do_not_clash(db):
    Organiser.objects.create(name="Children First")
    Organiser.objects.create(name="Parents Together")

    assert Organiser.objects.filter(name_cy__isnull=True).count() == 2
