"""Abuse of the site: floods, forged forms, framing, probing who signed, stored markup, and staff pages.

Each test plays someone misusing the site and checks what they would notice: a refusal, a page that
gives nothing away, or their markup shown back to them as text. Much is covered beside the code it
tests (tests/petition/test_ratelimits.py, test_duplicates.py, test_public.py, test_exports.py, ...);
this file covers what those do not: the limits as shipped, every public form and page, every state a
signature can be in, every place a name is shown, and every staff address the URL configuration has.
"""

import csv
import io
import ipaddress
import re
import time
from datetime import UTC, datetime
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern
from django.utils import timezone
from django.utils.html import escape
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from campaign.models import Campaign, Organiser, Source
from petition import audit, standing
from petition.emails import send_due_emails
from petition.models import (
    AuditEntry,
    DeliveryPack,
    Invalidation,
    OutgoingEmail,
    ResendRequest,
    Signature,
    SigningPolicy,
    Suppression,
    Update,
)
from tests.petition import conftest as signing_fixtures
from tests.petition.conftest import sent_links, valid_form, without_receipts

# The signing fixtures live beside the signing tests, below this file: take them in by name.
no_typing_delay = signing_fixtures.no_typing_delay
campaign = signing_fixtures.campaign
sign = signing_fixtures.sign
deliver_outbox = signing_fixtures.deliver_outbox
confirmed = signing_fixtures.confirmed

SIGN = "/c/letter/sign/"
RESEND = "/c/letter/resend/"
CHECK_EMAIL = "/c/letter/check-your-email/"


def flood_time():
    """Five seconds into the current hour, held still: no rate-limit window ends while a test floods."""
    return time_machine.travel(datetime.fromtimestamp(time.time() // 3600 * 3600 + 5, UTC), tick=False)


def sign_as(client, campaign, ip, forwarded_for=None, **fields):
    """Send the sign form from `ip`, through a proxy that says it forwarded `forwarded_for` if given."""
    headers = {"REMOTE_ADDR": ip} | ({"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {})
    return client.post(SIGN, valid_form(campaign, client=client) | fields, **headers)


def page_text(response):
    """A page as a person would compare it: the CSRF token, different on every visit, blanked."""
    return re.sub(rb'(name="csrfmiddlewaretoken" value=")[^"]*"', rb'\1"', response.content)


# 1. Floods of signatures, with the limits as shipped (not lowered for the test).


@pytest.mark.slow
def test_hundreds_of_signatures_a_minute_from_one_address_are_held_then_refused_while_another_address_signs(
    campaign, client, settings
):
    assert settings.SIGN_LIMITS_PER_IP[0] == (10, 60)  # as shipped: ten a minute from one address, then held
    assert settings.SIGN_CEILINGS_PER_IP[0] == (100, 60)  # and a hundred, then refused
    flood, neighbours = [], []
    with flood_time():
        for i in range(300):
            # A large provider, so that only the limit per address can stop the flood.
            flood.append(sign_as(client, campaign, "198.51.100.66", email=f"flood{i}@gmail.com").status_code)
            if i % 20 == 0:
                neighbour = sign_as(client, campaign, f"192.0.2.{i // 20 + 1}", email=f"n{i}@gmail.com")
                neighbours.append(neighbour.status_code)

    assert flood == [302] * 100 + [429] * 200
    assert neighbours == [302] * 15
    assert Signature.objects.filter(email__startswith="flood").count() == 100
    assert Signature.objects.held().filter(email__startswith="flood").count() == 90
    assert Signature.objects.filter(email__startswith="n", held_at__isnull=True).count() == 15


@pytest.mark.slow
def test_a_burst_from_one_unusual_domain_is_held_while_other_domains_sign(campaign, client, settings):
    assert settings.SIGN_LIMITS_PER_DOMAIN[0] == (20, 60)  # as shipped: twenty a minute from one domain, then held
    burst, others = [], []
    with flood_time():
        for i in range(200):
            # Every bot from its own address, so that only the limit per domain can stop them.
            ip = str(ipaddress.ip_address("198.18.0.1") + i)
            burst.append(sign_as(client, campaign, ip, email=f"bot{i}@spam.example").status_code)
            if i % 10 == 0:
                domain = ["example.net", "uni.example.ac.uk"][i // 10 % 2]
                other = sign_as(client, campaign, f"192.0.2.{i // 10 + 1}", email=f"person{i}@{domain}")
                others.append(other.status_code)

    assert burst == [302] * 200
    assert others == [302] * 20
    assert Signature.objects.filter(email_domain="spam.example", held_at__isnull=True).count() == 20
    assert Signature.objects.held().filter(email_domain="spam.example", held_reason="busy_domain").count() == 180
    assert not Signature.objects.held().exclude(email_domain="spam.example").exists()


@pytest.mark.slow
def test_a_flood_over_many_subdomains_is_limited_shown_and_invalidated_as_one_domain(
    campaign, client, moderator, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    with flood_time():
        burst = [
            sign_as(client, campaign, str(ipaddress.ip_address("198.18.0.1") + i), email=f"bot@m{i}.spam.example")
            for i in range(60)
        ]
        person = sign_as(client, campaign, "192.0.2.1", email="person@uni.example.ac.uk")

    assert [response.status_code for response in burst] == [302] * 60
    assert Signature.objects.held().filter(held_reason="busy_domain").count() == 40
    assert person.status_code == 302
    overview = moderator.get("/admin/petition/signature/overview/", {"campaign": campaign.pk}).content.decode()
    assert "spam.example</a></td><td>60</td>" in overview
    assert "m1.spam.example" not in overview
    listed = moderator.get("/admin/petition/signature/", {"email_domain": "m7.spam.example", "held": "yes"})
    assert listed.content.decode().count('name="_selected_action"') == 40

    # A moderator types the domain as they saw it in one address: the whole organisation goes at once.
    moderator.post(
        "/admin/petition/invalidation/add/",
        {"campaign": campaign.pk, "reason": "fake", "email_domain": "M3.Spam.Example"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        moderator.post(
            "/admin/petition/invalidation/",
            {"action": "start", "_selected_action": [Invalidation.objects.get().pk]},
        )
    assert Signature.objects.filter(status="invalidated").count() == 60
    assert Signature.objects.exclude(status="invalidated").get().email == "person@uni.example.ac.uk"


def test_behind_a_trusted_proxy_a_flooder_is_held_and_their_neighbour_is_not(campaign, client, settings):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    with flood_time():
        flood = [
            sign_as(client, campaign, "10.0.0.5", "198.51.100.66", email=f"f{i}@gmail.com").status_code
            for i in range(30)
        ]
        neighbour = sign_as(client, campaign, "10.0.0.5", "192.0.2.1", email="neighbour@gmail.com")

    assert flood == [302] * 30
    assert Signature.objects.held().count() == 20
    assert neighbour.status_code == 302
    assert Signature.objects.get(email="neighbour@gmail.com").held_at is None


@pytest.mark.parametrize("proxied", [False, True], ids=["direct", "through a trusted proxy"])
def test_a_made_up_forwarded_for_header_does_not_get_round_the_limit(campaign, client, settings, proxied):
    if proxied:
        settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    with flood_time():
        statuses = []
        for i in range(30):
            claimed = f"203.0.113.{i + 1}"  # a new address each time, in the header the flooder writes
            if proxied:  # the proxy appends the address it really saw
                response = sign_as(client, campaign, "10.0.0.5", f"{claimed}, 198.51.100.66", email=f"f{i}@gmail.com")
            else:
                response = sign_as(client, campaign, "198.51.100.66", claimed, email=f"f{i}@gmail.com")
            statuses.append(response.status_code)

    assert statuses == [302] * 30
    assert Signature.objects.held().count() == 20


# 2. Forged forms: every public POST form needs its CSRF token.


@pytest.fixture
def public_forms(campaign, sign, deliver_outbox, settings):
    """Each public form: the page showing it, where it posts, what it sends, and how to see whether it acted."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # a quick sign-in
    staffer = User.objects.create_user("staffer", password="a long enough password", is_staff=True)
    sign(campaign, email="pending@example.org")
    confirm_url, withdraw_url = sent_links(deliver_outbox()[0])
    pending = Signature.objects.get(mailbox="pending@example.org")

    def status():
        return Signature.objects.filter(pk=pending.pk).values_list("status", flat=True).first()

    sign_form = {
        "posts_to": SIGN,
        "data": valid_form(campaign) | {"email": "new@example.org"},
        "acted": lambda: Signature.objects.filter(mailbox="new@example.org").exists(),
    }
    return {
        "sign, from the campaign page": {"page": "/c/letter/", **sign_form},
        "sign, from the sign page": {"page": SIGN, **sign_form},
        "resend": {
            "page": RESEND,
            "posts_to": RESEND,
            "data": {"email": "pending@example.org"},
            "acted": lambda: ResendRequest.objects.exists(),
        },
        "confirm": {
            "page": urlsplit(confirm_url).path,
            "posts_to": urlsplit(confirm_url).path,
            "data": {},
            "acted": lambda: status() == Signature.Status.CONFIRMED,
        },
        "withdraw": {
            "page": urlsplit(withdraw_url).path,
            "posts_to": urlsplit(withdraw_url).path,
            "data": {},
            "acted": lambda: status() is None,
        },
        "staff sign-in": {
            "page": "/admin/login/",
            "posts_to": "/admin/login/",
            "data": {"username": "staffer", "password": "a long enough password", "next": "/admin/"},
            "acted": lambda: User.objects.get(pk=staffer.pk).last_login is not None,
        },
    }


FORMS = ["sign, from the campaign page", "sign, from the sign page", "resend", "confirm", "withdraw", "staff sign-in"]


def csrf_token_in(response):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode()).group(1)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("forgery", ["no cookie and no token", "the cookie but no token", "the cookie and a guess"])
def test_a_public_form_posted_without_its_token_is_refused_and_does_nothing(public_forms, form, forgery):
    form = public_forms[form]
    browser = Client(enforce_csrf_checks=True)
    data = dict(form["data"])
    if forgery != "no cookie and no token":
        browser.get(form["page"])  # another site's form, posted from a browser that has visited this one
    if forgery == "the cookie and a guess":
        data["csrfmiddlewaretoken"] = "x" * 64
    before = (Signature.objects.count(), OutgoingEmail.objects.count())

    response = browser.post(form["posts_to"], data, REMOTE_ADDR="198.51.100.9")

    assert response.status_code == 403
    assert "Nothing was saved." in response.content.decode()
    assert not form["acted"]()
    assert (Signature.objects.count(), OutgoingEmail.objects.count()) == before


@pytest.mark.parametrize("form", FORMS)
def test_a_public_form_posted_with_the_token_from_its_page_works(public_forms, form):
    form = public_forms[form]
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(form["page"])
    sent = {"csrfmiddlewaretoken": csrf_token_in(page)}
    if clock := re.search(rb'name="started" value="([^"]+)"', page.content):
        sent["started"] = clock.group(1).decode()  # the form's clock is this browser's, as its token is

    response = browser.post(form["posts_to"], form["data"] | sent, REMOTE_ADDR="198.51.100.9")

    assert response.status_code in (200, 302)
    assert form["acted"]()


# 3. Security headers on every public page.


@pytest.fixture
def visit(campaign, sign, deliver_outbox, client, settings):
    """A visitor over HTTPS, with the links from a real confirmation email."""
    sign(campaign, email="pending@example.org")
    confirm_url, withdraw_url = sent_links(deliver_outbox()[0])

    def too_many():
        settings.SIGN_CEILINGS_PER_IP = [(0, 3600)]
        return client.post(SIGN, valid_form(campaign), secure=True)

    return SimpleNamespace(
        get=lambda path: client.get(path, secure=True),
        post=lambda path, data=None: client.post(path, data or {}, secure=True),
        forged=lambda path, data: Client(enforce_csrf_checks=True).post(path, data, secure=True),
        form=valid_form(campaign),
        confirm=urlsplit(confirm_url).path,
        withdraw=urlsplit(withdraw_url).path,
        too_many=too_many,
    )


PAGES = {
    "front page": (200, lambda visit: visit.get("/")),
    "campaign page": (200, lambda visit: visit.get("/c/letter/")),
    "sign page": (200, lambda visit: visit.get(SIGN)),
    "sign form with a mistake": (200, lambda visit: visit.post(SIGN, visit.form | {"email": "nope"})),
    "check your email": (200, lambda visit: visit.get(CHECK_EMAIL)),
    "resend page": (200, lambda visit: visit.get(RESEND)),
    "thanks": (200, lambda visit: visit.get("/c/letter/thanks/")),
    "privacy notice": (200, lambda visit: visit.get("/privacy/")),
    "confirm link page": (200, lambda visit: visit.get(visit.confirm)),
    "withdraw link page": (200, lambda visit: visit.get(visit.withdraw)),
    "withdrawn page": (200, lambda visit: visit.post(visit.withdraw)),
    "broken link page": (404, lambda visit: visit.get("/c/letter/confirm/not-a-real-token/")),
    "too many signatures": (429, lambda visit: visit.too_many()),
    "form without its token": (403, lambda visit: visit.forged(SIGN, visit.form)),
    "JSON API": (200, lambda visit: visit.get("/api/campaigns/letter.json")),
    "robots.txt": (200, lambda visit: visit.get("/robots.txt")),
    "staff sign-in page": (200, lambda visit: visit.get("/admin/login/")),
    "404 page": (404, lambda visit: visit.get("/no-such-page/")),
}


@pytest.mark.parametrize("page", PAGES)
def test_every_public_page_forbids_framing_sniffing_foreign_scripts_and_leaking_referrers(visit, page):
    status, open_page = PAGES[page]

    response = open_page(visit)

    assert response.status_code == status
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "script-src 'self'" in csp, csp
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp
    assert headers.get("X-Frame-Options") == "DENY" or "frame-ancestors 'none'" in csp
    assert headers.get("X-Content-Type-Options") == "nosniff"
    assert headers.get("Referrer-Policy") in {"same-origin", "no-referrer", "strict-origin"}
    assert headers.get("Cross-Origin-Opener-Policy") == "same-origin"
    assert headers.get("Strict-Transport-Security", "").startswith("max-age=31536000")


# 4. No page says whether an address has signed.


def signed_earlier(campaign, confirmed, sign, state, email):
    """A signature by `email`, left pending, confirmed, or confirmed and then invalidated by a moderator."""
    if state == "pending":
        sign(campaign, email=email)
        return
    signature = confirmed(campaign, email=email)
    if state == "invalidated":
        standing.invalidate(Signature.objects.filter(pk=signature.pk), reason="spam", user=None)
    assert Signature.objects.get(pk=signature.pk).status == state


def what_a_visitor_sees(path, data, ip):
    """Everything a visitor could compare: the answer, where it leads, and the page they land on.

    Each signing's receipt is its own, and the page after signing shows the inbox typed: both are put
    aside (as "RECEIPT" and "ADDRESS"), so that anything else that differs shows.
    """
    browser = Client()
    response = browser.post(path, data, REMOTE_ADDR=ip)
    landing = browser.get(response.headers["Location"]) if response.status_code == 302 else response
    headers = dict(response.headers)
    if "Location" in headers:
        headers["Location"] = without_receipts(headers["Location"])
    landing_page = without_receipts(page_text(landing).decode()).replace(data["email"], "ADDRESS")
    return {
        "status": response.status_code,
        "headers": headers,
        "body": page_text(response),
        "cookies": sorted(response.cookies),
        "landing status": landing.status_code,
        "landing page": landing_page,
    }


@pytest.mark.parametrize("state", ["pending", "confirmed", "invalidated"])
def test_signing_with_an_address_that_has_signed_looks_exactly_like_signing_afresh(campaign, confirmed, sign, state):
    signed_earlier(campaign, confirmed, sign, state, "asha.patel@example.org")
    form = valid_form(campaign)

    fresh = what_a_visitor_sees(SIGN, form | {"email": "never.signed@example.org"}, "198.51.100.1")
    again = what_a_visitor_sees(SIGN, form | {"email": "asha.patel@example.org"}, "198.51.100.2")

    assert (fresh["status"], fresh["headers"].get("Location")) == (302, f"{CHECK_EMAIL}?r=RECEIPT")
    assert "Check your email" in fresh["landing page"]
    assert "We have sent a link to <strong>ADDRESS</strong>" in fresh["landing page"]
    assert again == fresh


@pytest.mark.parametrize("state", ["pending", "confirmed", "invalidated"])
def test_asking_for_the_email_again_looks_exactly_the_same_for_any_address(campaign, confirmed, sign, state):
    signed_earlier(campaign, confirmed, sign, state, "asha.patel@example.org")

    stranger = what_a_visitor_sees(RESEND, {"email": "never.signed@example.org"}, "198.51.100.1")
    signer = what_a_visitor_sees(RESEND, {"email": "asha.patel@example.org"}, "198.51.100.2")

    assert (stranger["status"], stranger["headers"].get("Location")) == (302, CHECK_EMAIL)
    assert signer == stranger


# 5. Names and messages with markup are shown as text wherever they appear.

PAYLOADS = {"script tag": "<script>alert(1)</script>", "attribute break-out": '"><img src=x onerror=alert(1)>'}


@pytest.fixture(params=PAYLOADS.values(), ids=PAYLOADS.keys())
def payload(request):
    return request.param


@pytest.fixture
def hostile(campaign, confirmed, payload, settings):
    """A confirmed, named signer whose names and approved message are markup."""
    settings.COUNT_CACHE_SECONDS = 0
    settings.PAGE_CACHE_SECONDS = 0
    signature = confirmed(
        campaign, first_name=payload, last_name=payload, message=payload, email="mallory@example.org", show_name="on"
    )
    standing.set_message_status(Signature.objects.filter(pk=signature.pk), "approved", user=None)
    signature.refresh_from_db()
    assert (signature.first_name, signature.last_name, signature.message) == (payload, payload, payload)
    return signature


def shown_as_text(page, *texts):
    """Each text is on the page escaped, and the markup in it nowhere as markup."""
    for text in texts:
        assert escape(text) in page
        assert text not in page
    assert "<script>alert" not in page and "<img src=x" not in page


@pytest.mark.parametrize("path", ["/", "/c/letter/"])
def test_recent_signers_and_approved_messages_on_the_campaign_page_are_text(client, hostile, payload, path):
    page = client.get(path).content.decode()

    # A name carrying markup is never listed (petition.names); the approved message is shown, as text.
    assert "Recently signed" not in page
    assert f"<p>{escape(payload)}</p>" in page
    assert "<footer>A supporter</footer>" in page
    shown_as_text(page, payload)


def test_the_json_api_carries_no_signer_text_and_cannot_be_read_as_a_page(client, hostile, payload):
    response = client.get("/api/campaigns/letter.json")

    body = response.content.decode()
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert '"count": 1' in body
    assert payload not in body and escape(payload) not in body and "alert(1)" not in body


def test_the_confirm_page_and_email_show_the_signer_s_markup_as_text(campaign, sign, deliver_outbox, client, payload):
    sign(campaign, first_name=payload, last_name=payload, message=payload, show_name="on")
    (email,) = deliver_outbox()
    html, _ = email.alternatives[0]

    page = client.get(urlsplit(sent_links(email)[0]).path).content.decode()

    assert f"add your name, {escape(payload)}, to the open letter" in page
    assert "will not be listed on the campaign page: it looks like a link or an address" in page
    assert f"<q>{escape(payload)}</q>" in page
    shown_as_text(page, payload)
    assert f"the name “{escape(payload)} {escape(payload)}”" in html
    shown_as_text(html, payload)


def test_the_admin_signature_list_and_page_show_markup_as_text(hostile, payload, moderator):
    listing = moderator.get("/admin/petition/signature/")
    change = moderator.get(f"/admin/petition/signature/{hostile.pk}/change/")

    assert listing.status_code == change.status_code == 200
    shown_as_text(listing.content.decode(), str(hostile))
    shown_as_text(change.content.decode(), str(hostile), payload)


def test_the_admin_confirmation_of_an_action_lists_markup_as_text(hostile, moderator):
    response = moderator.post("/admin/petition/signature/", {"action": "invalidate", "_selected_action": [hostile.pk]})

    page = response.content.decode()
    assert "Invalidate <strong>1</strong> signature." in page
    shown_as_text(page, str(hostile))


def test_the_admin_preview_of_a_bulk_invalidation_lists_markup_as_text(campaign, hostile, moderator):
    invalidation = Invalidation.objects.create(campaign=campaign, reason="spam", email_domain="example.org")

    page = moderator.get(f"/admin/petition/invalidation/{invalidation.pk}/change/").content.decode()

    assert "signature would be invalidated" in page
    shown_as_text(page, str(hostile))


def test_the_delivery_print_page_counts_a_name_of_markup_without_naming_it(hostile, payload, manager, confirmed):
    confirmed(hostile.campaign, first_name='Zoë "Z"', last_name="O'Brien & co", email="zoe@example.org", show_name="on")

    page = manager.post("/staff/c/letter/delivery/print/").content.decode()

    # A name carrying markup is never named to the recipient (petition.names); other names are text.
    assert "<strong>2</strong> people signed" in page
    assert "<li>Zoë &quot;Z&quot; O&#x27;Brien &amp; co, Brighton</li>" in page
    assert escape(payload) not in page
    assert "<script>alert" not in page and "<img src=x" not in page


@pytest.mark.slow
def test_the_delivery_pdf_counts_a_name_of_markup_without_naming_it(
    hostile, payload, manager, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        manager.post("/staff/c/letter/delivery/")
    pack = DeliveryPack.objects.get(status="ready")

    response = manager.get(f"/staff/c/letter/delivery/{pack.pk}.pdf")

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    # Counted, never named (petition.names); long lines wrap in the PDF, so compare without white space.
    assert "alert(1)" not in re.sub(r"\s", "", text)
    assert pack.signatures == 1 and pack.named_total == 0


def test_the_csv_export_keeps_markup_as_inert_text_in_a_download(hostile, payload, manager):
    response = manager.post("/staff/c/letter/export/", {"columns": ["name", "message"]})

    body = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert rows[1] == ["", payload]  # the name carries markup: counted, not named (petition.names)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# 6. No staff or admin address answers anyone who is not staff, nor staff who have not given their second factor.


def _walk(patterns, prefix=()):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, (*prefix, entry.pattern))
        else:
            yield (*prefix, entry.pattern), entry


ROUTES = {"".join(str(part) for part in parts): (parts, entry) for parts, entry in _walk(get_resolver().url_patterns)}
# What anyone may open. Every other address the site has is for staff only.
PUBLIC = {
    "",
    "c/<slug:slug>/",
    "privacy/",
    "c/<slug:slug>/privacy/",
    "favicon.ico",
    "robots.txt",
    "c/<slug:slug>/sign/",
    "c/<slug:slug>/check-your-email/",
    "c/<slug:slug>/resend/",
    "c/<slug:slug>/confirm/<str:token>/",
    "c/<slug:slug>/thanks/",
    "c/<slug:slug>/withdraw/<str:token>/",
    "api/campaigns/<slug:slug>.json",
    "c/<slug:slug>/badge.svg",  # the count for partners' sites
    "c/<slug:slug>/card.png",  # the picture under a shared link (petition.cards)
    "c/<slug:slug>/embed/",  # the sign page partners' sites frame (petition.embedding)
    "c/<slug:slug>/embed/check-your-email/",
    "c/<slug:slug>/updates/<int:pk>/",  # a sent update, as emailed
    "u/<str:token>/",  # stopping updates: the link in each one
    "admin/login/",  # the way in
}
STAFF_ONLY = sorted(set(ROUTES) - PUBLIC)
CATCH_ALL = "admin/(?P<url>.*)$"
# The second step of signing in, open to staff who have given their password, and the way out.
SECOND_FACTOR = {"admin/second-factor/", "admin/second-factor/set-up/", "admin/second-factor/recovery-codes/"}
SIGN_OUT = "admin/logout/"


@pytest.fixture
def one_of_everything(campaign, confirmed, make_fact):
    """A row of every model staff pages show, for their addresses to point at."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    make_fact(campaign)
    campaign.organiser = Organiser.objects.create(name="Children First")
    campaign.save()
    confirmed(campaign, show_name="on", message="Please act")
    audit.record(None, AuditEntry.Action.EXPORT, 1, campaign=campaign)
    Invalidation.objects.create(campaign=campaign, reason="spam", email_domain="spam.example")
    SigningPolicy.objects.create(campaign=campaign)
    pack = DeliveryPack.objects.create(campaign=campaign, status="ready", finished_at=timezone.now(), pdf=b"%PDF-")
    send_due_emails.enqueue()
    attempt = {"user_agent": "curl", "ip_address": "192.0.2.1", "username": "x", "http_accept": "*/*", "path_info": "/"}
    AccessAttempt.objects.create(**attempt, get_data="", post_data="", failures_since_start=1)
    AccessFailureLog.objects.create(**attempt)
    AccessLog.objects.create(**attempt)
    User.objects.create_user("someone")
    update = Update.objects.create(campaign=campaign, title="News", body="News", html="<p>News</p>", text="News")
    Suppression.objects.create(mailbox="gone@example.org", reason="bounced")
    return SimpleNamespace(campaign=campaign, pack=pack, update=update)


def staff_path(parts, objects):
    """A real address for a URL pattern: the campaign's slug, an existing row's key, and so on."""
    path = "/"
    for part in parts:
        regex = isinstance(part, RegexPattern)
        text = str(part).removeprefix("^").removesuffix("$") if regex else str(part)
        parameter = r"\(\?P<(\w+)>[^)]*\)" if regex else r"<(?:\w+:)?(\w+)>"
        text = re.sub(parameter, lambda match, before=path: _argument(match[1], before, objects), text)
        path += text
    return path


def _argument(name, before, objects):
    if name == "slug":
        return objects.campaign.slug
    if name == "update_id":
        return str(objects.update.pk)
    if name == "pk":
        return str(objects.pack.pk)
    if name == "app_label":
        return "petition"
    if name == "url":
        return "no-such-page/"
    if name == "content_type_id":
        return str(ContentType.objects.get_for_model(Campaign).pk)
    if model := re.fullmatch(r"/admin/(\w+)/(\w+)/", before):
        row = apps.get_model(model[1], model[2]).objects.order_by("pk").first()
        assert row is not None, f"no {model[1]}.{model[2]} for {before} to point at"
        return str(row.pk)
    return str(objects.campaign.pk)  # the object of admin/r/<content type>/<object>/


def snapshot():
    """What a visit could change: every row of what staff manage."""
    return {
        "signatures": sorted(Signature.objects.values_list("pk", "status", "message_status", "first_name")),
        "campaigns": sorted(Campaign.objects.values_list("pk", "title", "status")),
        "sources": Source.objects.count(),
        "organisers": sorted(Organiser.objects.values_list("pk", "name", "logo")),
        "packs": sorted(DeliveryPack.objects.values_list("pk", "status")),
        "invalidations": sorted(Invalidation.objects.values_list("pk", "status")),
        "policies": sorted(SigningPolicy.objects.values_list("pk", "hold_all")),
        "audit": AuditEntry.objects.count(),
        "updates": sorted(Update.objects.values_list("pk", "status", "title")),
        "suppressions": Suppression.objects.count(),
        "emails": OutgoingEmail.objects.count(),
        "tasks": DBTaskResult.objects.count(),
        "users": sorted(User.objects.values_list("pk", "username", "is_staff", "is_superuser")),
        "groups": sorted(Group.objects.values_list("pk", "name")),
    }


def outsiders():
    """Someone not signed in; someone signed in who is not staff; and one who is not staff but kept every group."""
    anonymous = Client()
    member = User.objects.create_user("member")
    demoted = User.objects.create_user("demoted")
    demoted.groups.set(Group.objects.all())
    signed_in, kept_groups = Client(), Client()
    signed_in.force_login(member)
    kept_groups.force_login(demoted)
    return {"anonymous": anonymous, "signed-in non-staff": signed_in, "non-staff with staff groups": kept_groups}


def shown_to(client, method, path):
    """None if the visitor is sent to sign in or refused; otherwise what they were shown."""
    response = getattr(client, method)(path)
    for _ in range(3):  # follow the site's own redirects: a staff page may pass through another on its way
        if response.status_code in (403, 404):
            return None
        if response.status_code not in (301, 302):
            break
        location = urlsplit(response.headers["Location"])
        if location.path == "/admin/login/":
            return None
        if location.netloc not in ("", "testserver"):
            return f"sent off the site to {response.headers['Location']}"
        response = client.get(response.headers["Location"])
    return f"{response.status_code} at {response.request['PATH_INFO']}"


@pytest.mark.slow
@pytest.mark.parametrize("route", STAFF_ONLY)
def test_no_staff_address_answers_anyone_who_is_not_staff(one_of_everything, route):
    parts, _ = ROUTES[route]
    path = staff_path(parts, one_of_everything)
    visitors = outsiders()
    before = snapshot()

    shown = {
        f"{who} {method.upper()}": shown_to(client, method, path)
        for who, client in visitors.items()
        for method in ("get", "post")
    }

    assert {attempt: what for attempt, what in shown.items() if what} == {}, path
    assert snapshot() == before


@pytest.mark.slow
def test_the_walk_finds_every_staff_address_and_points_each_at_something_real(one_of_everything, admin_client):
    wanted = {
        "staff/c/<slug:slug>/export/",
        "staff/c/<slug:slug>/delivery/",
        "staff/c/<slug:slug>/delivery/print/",
        "staff/c/<slug:slug>/delivery/<int:pk>.pdf",
        "admin/petition/signature/overview/",
        "admin/petition/signature/<path:object_id>/change/",
        "admin/auth/user/<id>/password/",
        CATCH_ALL,
        *SECOND_FACTOR,
    }
    assert wanted <= set(STAFF_ONLY)
    assert set(ROUTES) >= PUBLIC  # a public address removed from the site must leave this list too

    # Walked again: a test that clears the URL caches (an email-event test, say) leaves new view functions.
    current = {"".join(str(part) for part in parts): entry for parts, entry in _walk(get_resolver().url_patterns)}
    not_found = []
    for route in STAFF_ONLY:
        parts, _ = ROUTES[route]
        path = staff_path(parts, one_of_everything)
        assert resolve(path).func == current[route].callback, (route, path)
        if route != CATCH_ALL and admin_client.get(path).status_code == 404:
            not_found.append(path)

    # A superuser finds something at each, so a 404 for an outsider means refusal, not a wrong address.
    assert not_found == []
    assert admin_client.post("/staff/c/letter/delivery/print/").status_code == 200


def password_only():
    """Superusers (so every permission) who gave the right password and no code: one with an authenticator app, one
    who has not set one up yet."""
    with_app = User.objects.create_superuser("has-app")
    TOTPDevice.objects.create(user=with_app, name="Authenticator app", confirmed=True)
    without_app = User.objects.create_superuser("no-app")
    clients = {"staff with an app": Client(), "staff without one": Client()}
    clients["staff with an app"].force_login(with_app)
    clients["staff without one"].force_login(without_app)
    return clients


def reached_without_second_factor(client, method, path):
    """None if the visitor is sent to give their code (or to set an app up), or to sign in; otherwise what they got."""
    response = getattr(client, method)(path)
    for _ in range(3):
        if response.status_code not in (301, 302):
            return f"{response.status_code} at {response.request['PATH_INFO']}"
        location = urlsplit(response.headers["Location"])
        if location.path.startswith("/admin/second-factor/") or location.path == "/admin/login/":
            return None
        if location.netloc not in ("", "testserver"):
            return f"sent off the site to {response.headers['Location']}"
        response = client.get(response.headers["Location"])
    return f"redirected on and on from {path}"


@pytest.mark.slow
@pytest.mark.parametrize("route", sorted(set(STAFF_ONLY) - SECOND_FACTOR - {SIGN_OUT}))
def test_no_staff_address_answers_staff_who_have_not_given_their_second_factor(one_of_everything, route):
    parts, _ = ROUTES[route]
    path = staff_path(parts, one_of_everything)
    visitors = password_only()
    before = snapshot()

    reached = {
        f"{who} {method.upper()}": reached_without_second_factor(client, method, path)
        for who, client in visitors.items()
        for method in ("get", "post")
    }

    assert {attempt: what for attempt, what in reached.items() if what} == {}, path
    assert snapshot() == before
    assert not TOTPDevice.objects.filter(user__username="no-app", confirmed=True).exists()


def test_before_the_second_factor_its_own_pages_lead_only_to_the_code(one_of_everything):
    visitors = password_only()
    with_app, without_app = visitors["staff with an app"], visitors["staff without one"]

    assert with_app.get("/admin/second-factor/set-up/")["Location"].startswith("/admin/second-factor/?")
    assert without_app.get("/admin/second-factor/")["Location"].startswith("/admin/second-factor/set-up/?")
    for client in visitors.values():
        assert client.get("/admin/second-factor/recovery-codes/")["Location"].startswith("/admin/second-factor/?")
        assert client.post("/admin/second-factor/recovery-codes/").status_code == 302
    assert not TOTPDevice.objects.filter(user__username="no-app", confirmed=True).exists()
