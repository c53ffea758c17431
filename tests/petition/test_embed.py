"""The sign page partner sites frame: who may frame which page, its form without cookies, and its own channel."""

import re
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core.cache import caches
from django.test import Client

from petition import embedding, forms, signing, visits
from petition.models import Signature

from .conftest import sent_links, valid_form, without_receipts

EMBED = "/c/letter/embed/"
PARTNER = "https://partner.example.org"
IP = "203.0.113.7"


@pytest.fixture(autouse=True)
def partner(settings):
    settings.EMBED_ORIGINS = [PARTNER]


@pytest.fixture
def browser_in_a_frame():
    """A browser inside a partner's frame: it sends none of our cookies, so Django's CSRF check would fail it."""
    return Client(enforce_csrf_checks=True)


def embed_clock(campaign, seconds_ago=10, ip=IP):
    """The embedded form's signed clock, as the page gives it to a signer at `ip`."""
    visitor = embedding.visitor(signing.hash_ip(ip))
    return forms.form_clock(campaign.pk, visitor, started=int(time.time()) - seconds_ago)


@pytest.fixture
def sign_in_frame(browser_in_a_frame, settings):
    """Return a function that sends the embedded form from the frame; keyword arguments override fields or headers."""

    def submit(campaign, *, ip=IP, origin=None, clock=None, **fields):
        data = valid_form(campaign) | {"started": clock or embed_clock(campaign, ip=ip)} | fields
        headers = {"REMOTE_ADDR": ip}
        if origin is not False:
            headers["HTTP_ORIGIN"] = origin or settings.SITE_URL
        return browser_in_a_frame.post(EMBED, {k: v for k, v in data.items() if v is not None}, **headers)

    return submit


def frame_policy(response):
    found = re.search(r"frame-ancestors ([^;]*)", response.headers["Content-Security-Policy"])
    return found.group(1) if found else None


def test_the_embed_page_shows_the_title_the_count_the_form_and_a_link_to_the_whole_letter(campaign, client):
    page = client.get(EMBED).content.decode()

    assert "<h1>Keep children safe online</h1>" in page
    assert "people have signed" in page
    assert 'action="/c/letter/embed/"' in page and "Sign the letter" in page
    letter_link = r'<a href="http[^"]*/c/letter/" target="_blank">Read the whole letter \(opens in a new tab\)'
    assert re.search(letter_link, page)
    # The privacy notice refuses frames: it opens in a new tab too.
    assert re.search(r'href="/c/letter/privacy/" target="_blank"', page)
    assert "csrfmiddlewaretoken" not in page
    assert not client.cookies  # nothing is set that a framed browser would refuse anyway


def test_the_embed_page_costs_a_few_queries_however_many_have_signed(
    campaign, client, confirmed, django_assert_max_num_queries
):
    for number in range(3):
        confirmed(campaign, email=f"signer{number}@example.org")

    for cache in caches.all():
        cache.clear()

    # The campaign and its count (each kept a few seconds by the process), and the visits written every few seconds.
    with django_assert_max_num_queries(4):
        response = client.get(EMBED)

    assert "3</strong> people have signed" in response.content.decode()


def test_only_the_embed_pages_may_be_framed_and_only_by_the_site_and_the_partners(campaign, client, sign_in_frame):
    framed = {
        "sign page": client.get(EMBED),
        "a mistake": sign_in_frame(campaign, first_name=""),
        "check your email": client.get(sign_in_frame(campaign).headers["Location"], REMOTE_ADDR=IP),
        "refused": sign_in_frame(campaign, origin="https://elsewhere.example"),
    }
    unframed = {
        "campaign page": client.get("/c/letter/"),
        "sign page": client.get("/c/letter/sign/"),
        "check your email": client.get("/c/letter/check-your-email/"),
        "front page": client.get("/"),
    }

    for name, response in framed.items():
        assert frame_policy(response) == f"'self' {PARTNER}", name
        assert "X-Frame-Options" not in response.headers, name
        # The rest of the policy is the site's: no inline script, nothing from elsewhere.
        assert "script-src 'self'" in response.headers["Content-Security-Policy"], name
    for name, response in unframed.items():
        assert frame_policy(response) == "'none'", name
        assert response.headers["X-Frame-Options"] == "DENY", name


def test_with_no_partner_listed_the_embed_page_is_served_but_only_the_site_may_frame_it(campaign, client, settings):
    settings.EMBED_ORIGINS = []

    response = client.get(EMBED)

    assert response.status_code == 200
    assert frame_policy(response) == "'self'"
    assert "X-Frame-Options" not in response.headers


def test_signing_in_the_frame_needs_no_cookie_and_stores_the_embed_channel(campaign, sign_in_frame, deliver_outbox):
    response = sign_in_frame(campaign)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/c/letter/embed/check-your-email/?r=")
    signature = Signature.objects.get()
    assert signature.source == "embed"
    assert signature.status == Signature.Status.PENDING
    (email,) = deliver_outbox()
    assert sent_links(email)[0]  # the confirmation link, as for anyone


def test_check_your_email_in_the_frame_shows_the_inbox_to_the_address_that_signed_only(campaign, sign_in_frame):
    location = sign_in_frame(campaign).headers["Location"]

    mine = Client().get(location, REMOTE_ADDR=IP)
    elsewhere = Client().get(location, REMOTE_ADDR="198.51.100.9")

    assert "We have sent a link to <strong>asha.patel@example.org</strong>" in mine.content.decode()
    assert mine.headers["Cache-Control"] == "no-store"
    assert "Sign again with the right one" in mine.content.decode()
    assert "asha.patel" not in elsewhere.content.decode()


def test_signing_again_in_the_frame_with_the_right_address_cancels_the_mistyped_one(
    campaign, sign_in_frame, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    location = sign_in_frame(campaign, email="asha.patel@example.com").headers["Location"]
    page = Client().get(location, REMOTE_ADDR=IP).content.decode()
    again = re.search(r'href="([^"]*replacing=[^"]*)"', page).group(1).replace("&amp;", "&")
    assert again.startswith("/c/letter/embed/?")

    form = Client().get(again, REMOTE_ADDR=IP).content.decode()
    replacing = re.search(r'name="replacing" value="([^"]*)"', form).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        sign_in_frame(campaign, email="asha.patel@example.org", replacing=replacing)

    assert list(Signature.objects.values_list("mailbox", "source")) == [("asha.patel@example.org", "embed")]


@pytest.mark.parametrize(
    "origin", [False, "https://elsewhere.example", "null", PARTNER, "http://127.0.0.1:8000.evil.example"]
)
def test_a_form_not_sent_from_our_own_page_is_refused(campaign, sign_in_frame, origin):
    # A partner's page is not ours either: only the form inside the frame, which is our page, may sign.
    response = sign_in_frame(campaign, origin=origin)

    assert response.status_code == 403
    assert "We could not take your signature here" in response.content.decode()
    assert not Signature.objects.exists()


def test_the_form_s_clock_is_accepted_while_it_runs_and_refused_once_expired(campaign, sign_in_frame, settings):
    clock = embed_clock(campaign, seconds_ago=0)

    with time_machine.travel(timedelta(seconds=settings.SIGN_FORM_MAX_AGE + 5)):
        expired = sign_in_frame(campaign, clock=clock)
    accepted = sign_in_frame(campaign, clock=clock, email="someone.else@example.org")

    assert expired.status_code == 200
    assert "This form had expired" in expired.content.decode()
    assert accepted.status_code == 302
    assert list(Signature.objects.values_list("mailbox", flat=True)) == ["someone.else@example.org"]


@pytest.mark.parametrize(
    "clock",
    [
        "forged",
        "1:embed-nobody:1700000000:forged-signature",
        # Signed by us, but for another address: a form loaded once cannot sign from everywhere.
        "another address",
        # The main page's clock, tied to a CSRF cookie that a framed browser does not send.
        "the page's own",
    ],
)
def test_a_forged_or_borrowed_clock_is_refused_and_the_form_shown_again(campaign, sign_in_frame, clock):
    clock = {
        "another address": embed_clock(campaign, ip="198.51.100.9"),
        "the page's own": forms.form_clock(campaign.pk, "a-csrf-secret", started=int(time.time()) - 10),
    }.get(clock, clock)

    response = sign_in_frame(campaign, clock=clock)

    assert response.status_code == 200
    assert "This form had expired" in response.content.decode()
    assert 'value="Asha"' in response.content.decode()  # everything typed is kept
    assert not Signature.objects.exists()


def test_a_form_sent_too_fast_is_refused(campaign, sign_in_frame, settings):
    settings.SIGN_FORM_MIN_SECONDS = 3

    response = sign_in_frame(campaign, clock=embed_clock(campaign, seconds_ago=0))

    assert "quicker than we expected from a person" in response.content.decode()
    assert not Signature.objects.exists()


def test_the_hidden_field_is_answered_as_if_it_worked_and_stores_nothing(campaign, sign_in_frame):
    response = sign_in_frame(campaign, website="http://spam.example")

    assert response.headers["Location"] == "/c/letter/embed/check-your-email/"
    assert not Signature.objects.exists()


def test_signing_in_the_frame_says_nothing_of_whether_the_address_had_signed(campaign, sign, sign_in_frame):
    sign(campaign, email="asha.patel@example.org")

    first = sign_in_frame(campaign, email="new.person@example.org")
    again = sign_in_frame(campaign, email="asha.patel@example.org")

    assert first.status_code == again.status_code == 302
    pages = [Client().get(response.headers["Location"], REMOTE_ADDR=IP).content.decode() for response in (first, again)]
    assert without_receipts(pages[0]).replace("new.person", "asha.patel") == without_receipts(pages[1])
    # The repeat changed nothing stored: the first signature keeps its channel.
    assert dict(Signature.objects.values_list("mailbox", "source")) == {
        "asha.patel@example.org": "",
        "new.person@example.org": "embed",
    }


def test_past_a_hard_limit_the_frame_shows_the_wait_with_the_form_kept(campaign, sign_in_frame, settings):
    settings.SIGN_LIMITS_PER_MAILBOX = [(1, 3600)]
    sign_in_frame(campaign)

    response = sign_in_frame(campaign)

    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many signatures in a short time" in page
    assert 'action="/c/letter/embed/"' in page and 'value="Asha"' in page
    assert frame_policy(response) == f"'self' {PARTNER}"


def test_a_campaign_not_open_says_so_in_the_frame(make_campaign, client, sign_in_frame):
    closed = make_campaign(slug="letter", status="closed")

    page = client.get(EMBED)
    posted = sign_in_frame(closed)

    assert "This letter has closed" in page.content.decode()
    assert posted.status_code == 403
    assert frame_policy(page) == f"'self' {PARTNER}"
    assert not Signature.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"started": "x" * 5000},
        {"email": "@" * 300, "postcode": "\x00"},
        {"replacing": "not-a-receipt", "source": "whatsapp"},
        {"location": "mars", "country": "ZZ"},
        {"use_email": "asha@gmail.com", "email": "asha@gmial.com"},
    ],
)
def test_bad_input_gets_the_form_again_never_a_server_error(campaign, sign_in_frame, fields):
    response = sign_in_frame(campaign, **fields)

    assert response.status_code < 500
    if response.status_code == 302:  # "use this address" is a valid answer
        assert Signature.objects.get().source == "embed"


def test_the_embed_channel_comes_only_from_the_embed_page(campaign, client, sign):
    # A shared link or a sign form cannot claim it: its numbers are the partners' alone.
    page = client.get("/c/letter/?s=embed").content.decode()
    sign(campaign, source="embed")

    assert 'name="source" value=""' in page
    assert Signature.objects.get().source == ""


def test_visits_signatures_and_confirmations_through_the_frame_are_on_the_overview_with_the_snippet(
    campaign, client, sign_in_frame, deliver_outbox, moderator
):
    client.get(EMBED, HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14)")
    sign_in_frame(campaign)
    (email,) = deliver_outbox()
    client.post(urlsplit(sent_links(email)[0]).path)
    visits.flush()

    page = moderator.get(f"/admin/petition/signature/overview/?campaign={campaign.pk}").content.decode()

    table = page.split("Visits, signatures and confirmations by channel")[1].split("</table>")[0]
    row = r'<th scope="row">Partner sites&#x27; sign page \(embed\)</th><td>1</td><td>1</td><td>1</td>'
    assert re.search(row, table)  # visits, signed, confirmed
    assert f"The sites allowed to show it: {PARTNER}." in page
    snippet = re.search(r'<textarea id="embed-snippet"[^>]*>([^<]*)</textarea>', page).group(1)
    assert snippet.startswith("&lt;iframe src=&quot;http")
    assert "/c/letter/embed/&quot; title=&quot;Sign the open letter: Keep children safe online&quot;" in snippet
