"""What anyone can see of the signatures on the campaign page."""

import re

import pytest
from django.utils.html import escape

from petition import counting


def test_campaign_page_shows_the_verified_count_and_progress(campaign, stored, sign, client, settings):
    settings.COUNT_CACHE_SECONDS = 0
    settings.PAGE_CACHE_SECONDS = 0
    stored(campaign, email="a@example.org")
    sign(campaign, email="pending@example.org")

    page = client.get("/c/letter/").content.decode()

    assert 'data-count="1"' in page
    assert "<strong>1</strong> person has signed" in page
    assert re.search(r'<progress [^>]*max="100" value="1"', page)
    assert '<link rel="alternate" type="application/json" href="/api/campaigns/letter.json">' in page


def test_passing_the_goal_moves_the_bar_to_the_next_milestone(make_campaign, stored, client, settings):
    settings.COUNT_CACHE_SECONDS = 0
    settings.PAGE_CACHE_SECONDS = 0
    small = make_campaign(slug="small", signature_goal=2)
    stored(small, email="a@example.org")
    stored(small, email="b@example.org")

    page = client.get("/c/small/").content.decode()

    assert re.search(r'<progress [^>]*max="5" value="2"', page)
    assert "we passed our goal of 2, now for 5" in page


def test_recent_signers_who_agreed_are_shown_by_first_name_initial_and_area(campaign, stored, client):
    stored(campaign, first_name="Asha", last_name="Patel", email="asha@example.org", postcode="BN1 1AA", show_name="on")
    stored(campaign, first_name="Hidden", last_name="Person", email="hidden@example.org")
    stored(
        campaign,
        first_name="Marie",
        last_name="Curie",
        email="m@example.org",
        location="abroad",
        postcode="",
        country="FR",
        show_name="on",
    )

    page = client.get("/c/letter/").content.decode()

    assert "Asha P., Brighton" in page
    assert "Marie C., France" in page
    assert "Hidden" not in page
    assert "asha@example.org" not in page and "BN1 1AA" not in page and "Patel" not in page


def test_names_are_shown_as_text(campaign, stored, client):
    stored(campaign, first_name='Zoë "Z" O\'Brien & co', last_name="Smith", email="x@example.org", show_name="on")

    page = client.get("/c/letter/").content.decode()

    assert "<li>Zoë &quot;Z&quot; O&#x27;Brien &amp; co S., Brighton</li>" in page


@pytest.mark.parametrize(
    "name",
    [
        "<script>alert(1)</script>",
        "Buy followers at spam.example",
        "www.cheap",
        "http://x",
        "me@example.org",
        "ｗｗｗ．cheap．example",  # full-width
    ],
)
def test_names_carrying_links_addresses_or_markup_are_never_listed_but_still_count(campaign, stored, client, name):
    stored(campaign, first_name=name, email="x@example.org", show_name="on")
    stored(campaign, first_name="Asha", email="y@example.org", show_name="on")

    page = client.get("/c/letter/").content.decode()

    assert "<li>Asha P., Brighton</li>" in page
    assert name not in page and escape(name) not in page
    assert counting.totals(campaign).count == 2


def test_the_regional_chart_is_drawn_on_the_server(campaign, stored, client, settings):
    settings.COUNT_CACHE_SECONDS = 0
    settings.PAGE_CACHE_SECONDS = 0
    stored(campaign, email="a@example.org", postcode="EH1 1YZ")
    stored(campaign, email="b@example.org", postcode="EH2 2ER")
    stored(campaign, email="c@example.org", postcode="CF10 1AA")

    page = client.get("/c/letter/").content.decode()

    chart = page[page.index('class="region-chart"') :]
    assert re.search(r'Scotland</span>\s*<svg[^>]*>\s*<rect [^>]*width="100\.0"', chart)
    assert re.search(r'Wales</span>\s*<svg[^>]*>\s*<rect [^>]*width="50\.0"', chart)
    assert re.search(r'London</span>\s*<svg[^>]*>\s*<rect [^>]*width="0\.0"', chart)


def test_a_message_is_not_public_before_moderation(campaign, stored, client):
    stored(campaign, email="a@example.org", message="Do it now, minister", show_name="on")
    assert "Do it now, minister" not in client.get("/c/letter/").content.decode()


@pytest.mark.slow
def test_the_campaign_page_costs_the_same_however_many_have_signed(
    campaign, stored, client, django_assert_max_num_queries
):
    for i in range(10):
        stored(campaign, email=f"p{i}@example.org", show_name="on", ip=f"192.0.2.{i}")
    # As tests/campaign/test_pages.py counts them: the same 8 however many have signed.
    with django_assert_max_num_queries(8):
        client.get("/c/letter/")


def test_thank_you_page_offers_share_links_with_only_our_own_script(campaign, client):
    page = client.get("/c/letter/thanks/").content.decode()

    assert "Share on WhatsApp" in page and "Share by email" in page
    scripts = re.findall(r"<script[^>]*>", page)
    assert scripts and all(
        re.fullmatch(r'<script src="/static/js/share\.[0-9a-f]+\.js" defer>', tag) for tag in scripts
    )
    assert "</script>" in page and "<script>" not in page
    assert "http%3A%2F%2F127.0.0.1%3A8000%2Fc%2Fletter%2F%3Fs%3Dwhatsapp" in page
