import re
from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone
from django.views.defaults import server_error


def test_front_page_shows_the_letter_its_recipient_asks_facts_and_story(client, real_campaign):
    response = client.get("/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Put children at the heart of the Online Safety Bill</h1>" in page
    assert "To Nadine Dorries MP,<br>Secretary of State for Digital, Culture, Media and Sport" in page
    assert "We are writing to ask you to put children at the heart of the Online Safety Bill." in page
    assert page.count("<li>\n          <h3>") == 5
    assert "A funded voice for children" in page
    assert "More than 3,380" in page and "Sussex, 2016/17 to 2020/21" in page
    assert "Source:" in page and "as reported by The Argus (Brighton)" in page
    assert "Ben&#x27;s story" in page
    assert "Names have been changed to protect the people involved." in page
    assert 'href="#sign"' in page and 'id="sign"' in page


def test_campaign_page_links_to_its_canonical_address_and_share_card(client, real_campaign, settings):
    settings.SITE_URL = "https://letter.example.org"

    page = client.get("/").content.decode()

    canonical = "https://letter.example.org/c/online-safety-bill/"
    assert f'<link rel="canonical" href="{canonical}">' in page
    assert f'<meta property="og:url" content="{canonical}">' in page
    assert re.search(
        r'<meta property="og:image" content="https://letter\.example\.org/c/online-safety-bill/card\.png\?v=[0-9]+">',
        page,
    )
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    assert "I&#x27;ve signed the open letter" in page


def test_campaign_has_its_own_address(client, real_campaign):
    response = client.get("/c/online-safety-bill/")
    assert response.status_code == 200
    assert response.context["campaign"] == real_campaign


def test_campaign_page_takes_a_fixed_number_of_queries(client, real_campaign, make_fact, django_assert_max_num_queries):
    for _ in range(5):
        make_fact(real_campaign)
    # The campaign with its organiser, asks, facts with sources, stories, the count's shards, recent signers,
    # messages, and the timeline's updates: the same however many facts, signers or updates there are.
    with django_assert_max_num_queries(8):
        client.get("/c/online-safety-bill/")


def test_draft_campaign_is_not_public(client, make_campaign):
    make_campaign(slug="secret", status="draft")

    response = client.get("/c/secret/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_front_page_without_any_public_campaign_is_not_found(client, make_campaign):
    make_campaign(status="draft")
    assert client.get("/").status_code == 404


def test_closed_campaign_says_so_and_offers_no_signing(client, make_campaign):
    make_campaign(slug="closed", status="closed")

    page = client.get("/c/closed/").content.decode()

    assert "This letter has closed and is no longer collecting signatures." in page
    assert "Sign the letter" not in page


def test_delivered_campaign_says_when_it_was_delivered(client, make_campaign):
    make_campaign(slug="done", status="delivered", delivered_at=timezone.datetime(2026, 3, 2, 12, tzinfo=timezone.UTC))

    page = client.get("/c/done/").content.decode()

    assert "Delivered to A. Minister MP on 2 March 2026." in page


def test_campaign_not_yet_open_says_so(client, make_campaign):
    make_campaign(slug="soon", opens_at=timezone.now() + timedelta(days=2))

    page = client.get("/c/soon/").content.decode()

    assert "This letter is not open for signatures yet." in page
    assert "Sign the letter" not in page


def test_privacy_notice_explains_what_is_collected_and_why(client, db):
    response = client.get("/privacy/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Privacy notice</h1>" in page
    assert "We never show it publicly." in page


def test_server_error_page_is_friendly_and_needs_no_database():
    # Without the db fixture any query would raise: the page must render when the database is down.
    response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    assert "Sorry, something went wrong" in response.content.decode()


@pytest.mark.parametrize("path", ["/", "/privacy/", "/no-such-page/"])
def test_every_page_has_security_headers(client, real_campaign, path):
    response = client.get(path, secure=True)

    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_static_files_have_hashed_names_and_long_cache_headers(client, real_campaign):
    page = client.get("/").content.decode()
    stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', page).group(1)

    response = client.get(stylesheet)
    response.close()

    assert response.status_code == 200
    assert "max-age=315360000" in response.headers["Cache-Control"]
    assert "immutable" in response.headers["Cache-Control"]


def test_favicon_address_browsers_guess_leads_to_the_icon(client, db):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert re.fullmatch(r"/static/favicon\.[0-9a-f]{12}\.svg", response.headers["Location"])


def test_robots_keep_crawlers_out_of_the_admin(client, db):
    response = client.get("/robots.txt")
    assert response.headers["Content-Type"] == "text/plain"
    assert "Disallow: /admin/" in response.content.decode()
