"""The share card: the picture under a shared link, drawn from the campaign's title in the link's language."""

import io
import re

import pytest
from django.utils import translation
from PIL import Image

from campaign.models import Campaign
from petition import cards

pytestmark = pytest.mark.django_db


def card_address(page: str) -> str:
    return re.search(r'<meta property="og:image" content="http://127\.0\.0\.1:8000([^"]+)">', page).group(1)


def picture(response) -> Image.Image:
    return Image.open(io.BytesIO(response.content))


def test_the_campaign_page_names_a_card_in_its_language_that_networks_can_show(client, campaign):
    english_address = card_address(client.get("/c/letter/").content.decode())
    welsh_address = card_address(client.get("/cy/c/letter/").content.decode())
    assert english_address.startswith("/c/letter/card.png?v=")
    assert welsh_address.startswith("/cy/c/letter/card.png?v=")

    english, welsh = client.get(english_address), client.get(welsh_address)

    assert english.status_code == welsh.status_code == 200
    assert english["Content-Type"] == "image/png"
    assert picture(english).size == picture(welsh).size == (1200, 630)
    assert english.content != welsh.content  # "Add your name" is "Ychwanegwch eich enw" on the Welsh card
    assert "public" in english["Cache-Control"] and "max-age=86400" in english["Cache-Control"]


def test_an_edited_title_gets_a_new_card_at_a_new_address(client, campaign, settings):
    settings.PAGE_CACHE_SECONDS = settings.CAMPAIGN_CACHE_SECONDS = 0
    before = card_address(client.get("/c/letter/").content.decode())
    old_card = client.get(before).content

    campaign = Campaign.objects.get(pk=campaign.pk)
    campaign.title = "Stop grooming online now"
    campaign.save()
    after = card_address(client.get("/c/letter/").content.decode())

    assert after != before
    assert client.get(after).content != old_card


def test_a_long_title_is_set_smaller_and_cut_at_a_word_to_fit_three_lines(campaign):
    words = "Make every platform answer for the safety of the children who use it " * 4

    font, lines = cards._title(words.strip(), 1020)

    assert font.size == cards.TITLE_SIZES[-1]
    assert len(lines) == 3
    assert lines[-1].endswith("…")
    assert all(font.getlength(line) <= 1020 for line in lines)
    with translation.override("cy"):
        assert Image.open(io.BytesIO(cards.share_card(campaign))).size == (1200, 630)


def test_a_short_title_is_set_large(campaign):
    font, lines = cards._title("Protect children online", 1020)

    assert (font.size, lines) == (cards.TITLE_SIZES[0], ["Protect children online"])


def test_there_is_no_card_for_a_campaign_not_yet_public(client, make_campaign):
    make_campaign(slug="hidden", status="draft")

    assert client.get("/c/hidden/card.png").status_code == 404
