"""The supporter's side in Welsh: /cy/ addresses, the link between the languages, the front page's first visit,
forms, error pages, the signer's language kept for their emails, and the count API's ?lang=cy."""

import json
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from campaign.models import Campaign
from petition.models import Signature

from .conftest import sent_links, valid_form


def html_lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)"', page).group(1)


def language_link(page: str) -> str:
    return re.search(r'<a class="language-link"[^>]*>[^<]*</a>', page).group()


@pytest.mark.django_db
def test_english_page_links_to_the_same_page_in_welsh_written_in_welsh(client, campaign):
    response = client.get("/c/letter/")
    page = response.content.decode()

    assert html_lang(page) == "en-GB"
    assert response["Content-Language"] == "en-GB"
    assert language_link(page) == '<a class="language-link" href="/cy/c/letter/" lang="cy" hreflang="cy">Cymraeg</a>'
    site = settings.SITE_URL
    assert f'<link rel="alternate" hreflang="en-GB" href="{site}/c/letter/">' in page
    assert f'<link rel="alternate" hreflang="cy" href="{site}/cy/c/letter/">' in page
    assert f'<link rel="alternate" hreflang="x-default" href="{site}/c/letter/">' in page
    assert '<meta property="og:locale" content="en_GB">' in page
    assert '<meta property="og:locale:alternate" content="cy_GB">' in page


@pytest.mark.django_db
def test_welsh_page_is_in_welsh_and_links_back_to_english(client, campaign):
    response = client.get("/cy/c/letter/")
    page = response.content.decode()

    assert response.status_code == 200
    assert html_lang(page) == "cy"
    assert response["Content-Language"] == "cy"
    assert language_link(page) == '<a class="language-link" href="/c/letter/" lang="en-GB" hreflang="en-GB">English</a>'
    assert "Llofnodi&#x27;r llythyr" in page or "Llofnodi'r llythyr" in page
    assert "Sign the letter" not in page
    # Every form and link on the page stays in Welsh.
    assert 'action="/cy/c/letter/sign/"' in page
    assert 'href="/cy/c/letter/privacy/"' in page
    assert '<meta property="og:locale" content="cy_GB">' in page
    assert '<meta property="og:locale:alternate" content="en_GB">' in page


@pytest.mark.django_db
def test_no_language_cookie_and_no_vary_on_accept_language_for_pages_with_their_language_in_the_address(
    client, campaign
):
    for path in ("/c/letter/", "/cy/c/letter/", "/cy/", "/cy/c/letter/privacy/", "/c/letter/privacy/"):
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="cy")
        assert response.status_code == 200, path
        assert "Accept-Language" not in response.get("Vary", ""), path
        assert set(response.cookies) <= {"csrftoken"}, path


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept_language", "welsh"),
    [
        ("cy", True),
        ("cy-GB,cy;q=0.9,en-GB;q=0.8,en;q=0.7", True),
        ("en-GB,en;q=0.9,cy;q=0.8", False),
        ("en-GB,cy;q=0.9", False),
        ("fr,cy;q=0.5", True),
        ("", False),
        ("cy;q=nonsense,en;q=0.5", False),
    ],
)
def test_first_visit_to_the_front_page_follows_the_browsers_languages(client, campaign, accept_language, welsh):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=accept_language)

    if welsh:
        assert (response.status_code, response["Location"]) == (302, "/cy/")
    else:
        assert response.status_code == 200
        assert html_lang(response.content.decode()) == "en-GB"
    assert {"Accept-Language", "Referer"} <= {part.strip() for part in response["Vary"].split(",")}


@pytest.mark.django_db
def test_someone_who_chose_english_on_a_welsh_page_stays_in_english(client, campaign):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="cy", HTTP_REFERER=settings.SITE_URL + "/cy/")

    assert response.status_code == 200
    assert html_lang(response.content.decode()) == "en-GB"


@pytest.mark.django_db
def test_only_the_front_page_reads_the_browsers_languages(client, campaign):
    response = client.get("/c/letter/", HTTP_ACCEPT_LANGUAGE="cy")

    assert response.status_code == 200
    assert html_lang(response.content.decode()) == "en-GB"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/cy/api/campaigns/letter.json", "/cy/c/letter/badge.svg", "/cy/staff/c/letter/export/", "/cy/admin/"]
)
def test_staff_pages_badge_and_api_have_no_welsh_address(client, campaign, path):
    assert client.get(path).status_code == 404


@pytest.mark.django_db
def test_welsh_not_found_page(client):
    response = client.get("/cy/no-such-page/")
    page = response.content.decode()

    assert response.status_code == 404
    assert html_lang(page) == "cy"
    assert "Heb ddod o hyd i&#x27;r dudalen" in page or "Heb ddod o hyd i'r dudalen" in page
    assert 'href="/cy/"' in page


@pytest.mark.django_db
def test_welsh_form_errors_and_error_summary(client, campaign):
    response = client.post("/cy/c/letter/sign/", {"location": "uk"})
    page = response.content.decode()

    assert "Mae problem" in page
    assert "Rhowch eich enw cyntaf" in page
    assert "Rhowch eich cyfeiriad e-bost" in page
    assert "Enter your first name" not in page


@pytest.mark.django_db
def test_a_message_names_its_field_in_the_page_s_language(client, campaign):
    english = client.post("/c/letter/sign/", {"first_name": "Asha\nClick here"}).content.decode()
    welsh = client.post("/cy/c/letter/sign/", {"first_name": "Asha\nClick here"}).content.decode()

    assert "First name must be on one line" in english
    assert "Rhaid i Enw cyntaf fod ar un llinell" in welsh


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "hint", "other"),
    [
        ("/c/letter/sign/", "For the count by region. We never publish your full postcode.", "Ar gyfer y cyfrif"),
        (
            "/cy/c/letter/sign/",
            "Ar gyfer y cyfrif fesul rhanbarth. Nid ydym byth yn cyhoeddi eich cod post llawn.",
            "For",
        ),
    ],
)
def test_a_field_s_hint_is_in_the_page_s_language_and_read_with_its_input(client, campaign, path, hint, other):
    # On the page, and on the form sent back to correct.
    for page in (client.get(path).content.decode(), client.post(path, {"location": "uk"}).content.decode()):
        assert f'<p class="hint" id="id_postcode_helptext">{hint}</p>' in page
        assert re.search(r'<input[^>]*aria-describedby="id_postcode_helptext[^"]*"[^>]*id="id_postcode"', page)
        assert f'id="id_postcode_helptext">{other}' not in page


@pytest.mark.django_db
def test_a_welsh_signer_gets_welsh_email_with_welsh_links_and_keeps_their_language(client, campaign, deliver_outbox):
    data = valid_form(campaign, client=client) | {"email": "gwen@example.org"}
    response = client.post("/cy/c/letter/sign/", data, REMOTE_ADDR="203.0.113.9")

    assert urlsplit(response["Location"]).path == "/cy/c/letter/check-your-email/"
    assert Signature.objects.get().language == "cy"
    (message,) = deliver_outbox()
    assert message.subject == "Cadarnhewch eich llofnod: Keep children safe online"
    assert message.body.startswith('Cadarnhewch eich llofnod ar y llythyr agored "Keep children safe online".')
    html = message.alternatives[0].content
    assert '<html lang="cy">' in html
    confirm_url, withdraw_url = sent_links(message)
    assert urlsplit(confirm_url).path.startswith("/cy/c/letter/confirm/")
    assert urlsplit(withdraw_url).path.startswith("/cy/c/letter/withdraw/")

    page = client.get(urlsplit(confirm_url).path).content.decode()
    assert "Cadarnhau fy llofnod" in page
    client.post(urlsplit(confirm_url).path)
    assert Signature.objects.get().status == Signature.Status.CONFIRMED


@pytest.mark.django_db
def test_an_english_signer_still_gets_english_email(client, campaign, sign, deliver_outbox):
    sign(campaign)

    (message,) = deliver_outbox()
    assert Signature.objects.get().language == "en-gb"
    assert message.subject == "Please confirm your signature: Keep children safe online"
    assert "/cy/" not in message.body


@pytest.mark.django_db
def test_a_repeat_email_is_in_the_language_of_the_signature_it_is_about(client, campaign, sign, deliver_outbox):
    sign(campaign, email="gwen@example.org")
    deliver_outbox()
    data = valid_form(campaign, client=client) | {"email": "gwen@example.org"}
    client.post("/cy/c/letter/sign/", data, REMOTE_ADDR="203.0.113.9")

    (message,) = deliver_outbox()
    assert Signature.objects.get().language == "en-gb"
    assert not message.subject.startswith("Rydych")


@pytest.mark.django_db
def test_dates_and_numbers_follow_the_page_language(client, make_campaign):
    make_campaign(
        slug="delivered",
        status=Campaign.Status.DELIVERED,
        opens_at=datetime(2026, 1, 5, 9, tzinfo=UTC),
        closes_at=datetime(2026, 3, 1, 9, tzinfo=UTC),
        delivered_at=datetime(2026, 3, 2, 12, tzinfo=UTC),
        delivered_count=51234,
    )

    english = client.get("/c/delivered/").content.decode()
    welsh = client.get("/cy/c/delivered/").content.decode()

    assert "on 2 March 2026" in english
    assert "ar 2 Mawrth 2026" in welsh
    assert "<strong>51,234</strong>" in welsh
    assert "Agorodd y llythyr i&#x27;w lofnodi" in welsh or "Agorodd y llythyr i'w lofnodi" in welsh


@pytest.mark.django_db
def test_the_count_api_names_its_language_and_takes_lang_cy(client, campaign):
    english = client.get("/api/campaigns/letter.json")
    welsh = client.get("/api/campaigns/letter.json?lang=cy")
    unknown = client.get("/api/campaigns/letter.json?lang=<script>")

    assert json.loads(english.content)["language"] == "en-GB"
    assert english["Content-Language"] == "en-GB"
    assert json.loads(welsh.content)["language"] == "cy"
    assert welsh["Content-Language"] == "cy"
    assert json.loads(welsh.content)["url"] == settings.SITE_URL + "/cy/c/letter/"
    assert json.loads(welsh.content)["timeline"][0]["text"] == "Agorodd y llythyr i'w lofnodi"
    assert json.loads(unknown.content)["language"] == "en-GB"
    # Regions and nations are named in the response's language; their keys are the same in both.
    welsh_regions = {row["key"]: row for row in json.loads(welsh.content)["by_region"]}
    assert welsh_regions["yorkshire-and-the-humber"]["name"] == "Swydd Efrog a'r Humber"
    assert welsh_regions["yorkshire-and-the-humber"]["nation"] == "Lloegr"
    assert welsh_regions["outside-uk"]["nation"] == "Y tu allan i'r DU"
    welsh_nations = {row["key"]: row["name"] for row in json.loads(welsh.content)["by_nation"]}
    english_nations = {row["key"]: row["name"] for row in json.loads(english.content)["by_nation"]}
    assert welsh_nations == {
        "england": "Lloegr",
        "wales": "Cymru",
        "scotland": "Yr Alban",
        "northern-ireland": "Gogledd Iwerddon",
        "crown-dependencies": "Dibynwledydd y Goron",
        "outside-uk": "Y tu allan i'r DU",
    }
    assert english_nations["crown-dependencies"] == "Crown Dependencies"


@pytest.mark.django_db
def test_welsh_privacy_notice(client, campaign):
    page = client.get("/cy/c/letter/privacy/").content.decode()

    assert "Hysbysiad preifatrwydd" in page
    assert "Sail gyfreithlon:" in page
    assert "Anfonwch e-bost ataf am hynt yr ymgyrch hon" in page


@pytest.mark.django_db
def test_the_shipped_campaign_loads_in_both_languages(client, real_campaign):
    english = client.get("/c/online-safety-bill/").content.decode()
    welsh = client.get("/cy/c/online-safety-bill/").content.decode()

    assert "<h1>Put children at the heart of the Online Safety Bill</h1>" in english
    assert "<h1>Rhowch blant wrth galon y Bil Diogelwch Ar-lein</h1>" in welsh
    assert "Annwyl Ysgrifennydd Gwladol," in welsh
    assert "Stori Ben" in welsh
    assert "Mwy na 100,000" in welsh
    assert "Dear Secretary of State" not in welsh
    # The one text with no Welsh, a publication's title, is marked as English; nothing is on the English page.
    assert '<strong lang="en-GB">NSPCC Freedom of Information requests' in welsh
    assert 'lang="en-GB">' not in english.split("<body>")[1].replace('<a class="language-link"', "")
    assert real_campaign.welsh_needs_review


@pytest.mark.django_db
def test_a_text_without_welsh_falls_back_to_english(client, campaign, settings):
    settings.PAGE_CACHE_SECONDS = 0

    # Shown in English, and marked so for screen readers, until its Welsh is written.
    assert '<h1 lang="en-GB">Keep children safe online</h1>' in client.get("/cy/c/letter/").content.decode()
    Campaign.objects.filter(pk=campaign.pk).update(title_cy="Cadw plant yn ddiogel ar-lein")
    assert "<h1>Cadw plant yn ddiogel ar-lein</h1>" in client.get("/cy/c/letter/").content.decode()
    assert "<h1>Keep children safe online</h1>" in client.get("/c/letter/").content.decode()


@pytest.mark.django_db
def test_a_refused_form_is_explained_in_welsh_on_a_welsh_page(campaign):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/cy/c/letter/sign/", {"first_name": "Gwen"})
    page = response.content.decode()

    assert response.status_code == 403
    assert html_lang(page) == "cy"
    assert "<h1>Rhowch gynnig arall arni</h1>" in page


@pytest.mark.django_db
def test_the_welsh_campaign_page_takes_as_few_queries_as_the_english(
    client, real_campaign, make_fact, settings, django_assert_max_num_queries
):
    settings.PAGE_CACHE_SECONDS = 0
    for _ in range(3):
        make_fact(real_campaign)

    with django_assert_max_num_queries(8):
        assert client.get("/cy/c/online-safety-bill/").status_code == 200


@pytest.mark.django_db
def test_an_english_page_after_a_welsh_one_in_the_same_thread_is_english(client, campaign):
    from django.utils import translation

    client.get("/cy/c/letter/")
    client.get("/cy/no-such-page/")

    assert translation.get_language() == "en-gb"
    assert html_lang(client.get("/c/letter/privacy/").content.decode()) == "en-GB"


@pytest.mark.django_db
def test_english_and_welsh_signers_sent_in_one_run_each_get_links_to_their_own_pages(client, campaign, deliver_outbox):
    sign_in = {"/c/letter/sign/": "asha@example.org", "/cy/c/letter/sign/": "gwen@example.org"}
    for number, (path, address) in enumerate(sign_in.items()):
        client.post(path, valid_form(campaign, client=client) | {"email": address}, REMOTE_ADDR=f"203.0.113.{number}")

    messages = {message.to[0]: message.body for message in deliver_outbox()}

    assert "/cy/" not in messages["asha@example.org"]
    assert f"{settings.SITE_URL}/cy/c/letter/privacy/" in messages["gwen@example.org"]
    assert f"{settings.SITE_URL}/c/letter/privacy/" not in messages["gwen@example.org"]
