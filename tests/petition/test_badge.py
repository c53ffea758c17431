"""The count badge partners put on their sites: an SVG image any origin may show, cached briefly."""

from xml.etree import ElementTree

from petition import counting

SVG = "{http://www.w3.org/2000/svg}"


def test_the_badge_shows_the_count_and_says_it_in_words_for_screen_readers(client, make_campaign, settings):
    settings.SITE_URL = "https://letter.example.org"
    campaign = make_campaign(slug="letter", title="Keep children safe & sound online")
    counting.add(campaign.pk, "london", 12_345)

    response = client.get("/c/letter/badge.svg")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    svg = ElementTree.fromstring(response.content)  # noqa: S314 (our own output) well-formed, the "&" escaped
    assert svg.get("role") == "img"
    title = svg.find(f"{SVG}title").text
    assert title == "12,345 people have signed the open letter: Keep children safe & sound online"
    texts = "".join(svg.itertext())
    assert "12,345" in texts and "Sign the open letter · letter.example.org" in texts


def test_any_site_may_show_the_badge_and_caches_may_keep_it_a_minute(client, make_campaign):
    make_campaign(slug="letter")

    response = client.get("/c/letter/badge.svg")

    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "public" in response["Cache-Control"] and "max-age=60" in response["Cache-Control"]


def test_a_closed_campaigns_badge_no_longer_asks_to_sign(client, make_campaign):
    make_campaign(slug="closed", status="closed")

    texts = "".join(ElementTree.fromstring(client.get("/c/closed/badge.svg").content).itertext())  # noqa: S314

    assert "Sign the open letter" not in texts and "The open letter" in texts


def test_drafts_and_unknown_campaigns_have_no_badge(client, make_campaign):
    make_campaign(slug="draft", status="draft")

    assert client.get("/c/draft/badge.svg").status_code == 404
    assert client.get("/c/nothing/badge.svg").status_code == 404
