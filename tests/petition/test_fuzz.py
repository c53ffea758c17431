"""Whatever anyone sends to the public forms and the JSON API: never a server error, and a refusal stores nothing."""

import json
import string
import unicodedata
from urllib.parse import quote

import pytest
from django.core import signing as django_signing
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from hypothesis import HealthCheck, assume, event, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from campaign import PRIVACY_NOTICE_VERSION
from petition import emails
from petition.mailboxes import mailbox
from petition.models import OutgoingEmail, ResendRequest, Signature, SignatureCount

from .conftest import valid_form

pytestmark = pytest.mark.slow  # Hypothesis tries hundreds of inputs per test

FIELDS = [
    "first_name",
    "last_name",
    "email",
    "location",
    "postcode",
    "country",
    "message",
    "website",
    "started",
    "show_name",
    "contact_opt_in",
    # The answers to "Did you mean …?"
    "use_email",
    "keep_email",
]
CHECK_EMAIL = "/c/letter/check-your-email/"

fuzz = hsettings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Any text at all: control characters, other scripts, combining marks, emoji (str cannot hold surrogates).
any_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)))
long_text = st.builds(lambda char, length: char * length, st.sampled_from("xé😀<\n\x00"), st.integers(49, 20_000))
hostile_text = st.sampled_from(
    [
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "{{ settings.SECRET_KEY }}{% debug %}",
        "'; DROP TABLE petition_signature; --",
        "' OR '1'='1",
        "1; SELECT pg_sleep(5)",
        "%00",
        "\x00",
        "\u202eevil",
        "\r\nBcc: victim@example.org",
        "../../../../etc/passwd",
        "",
        " ",
        "on",
        "false",
    ]
)
plausible_text = st.sampled_from(
    [
        "Asha",
        "asha.patel@example.org",
        "ASHA.PATEL@EXAMPLE.ORG",
        "someone+tag@gmail.com",
        "someone@gmial.com",
        "someone@outlok.com",
        "someone@mailinator.com",
        "someone@[192.0.2.1]",
        "no-at-sign.example.org",
        "a@b",
        "uk",
        "abroad",
        "moon",
        "SW1A 1AA",
        "bn11aa",
        "GIR 0AA",
        "XX1 1XX",
        "12345",
        "IE",
        "GB",
        "ZZ",
    ]
)
# What people's names look like in any script: letters, accents, spaces, hyphens and apostrophes.
name_like = st.text(alphabet=st.characters(categories=("L", "M", "Zs", "Pd", "Po")), min_size=1, max_size=60)
field_value = st.one_of(any_text, long_text, hostile_text, plausible_text)
# A field may also arrive more than once.
posted_value = st.one_of(field_value, st.lists(field_value, min_size=1, max_size=3))


@pytest.fixture(autouse=True)
def no_throttling(settings):
    """These tests exercise validation, not the rate limits."""
    settings.SIGN_LIMITS_PER_IP = [(100_000, 60)]
    settings.SIGN_LIMITS_PER_DOMAIN = [(100_000, 60)]
    settings.RESEND_LIMITS_PER_IP = [(100_000, 60)]
    settings.SIGN_LIMITS_PER_MAILBOX = [(100_000, 60)]


def stored():
    """Everything a request could change, to compare before and after."""
    return {
        "signatures": sorted(Signature.objects.values_list("pk", "status", "mailbox")),
        "emails": OutgoingEmail.objects.count(),
        "resend requests": ResendRequest.objects.count(),
        "tasks": DBTaskResult.objects.count(),
        "count": sorted(SignatureCount.objects.values_list("region", "shard", "count")),
    }


def signed_up(campaign, email, status=Signature.Status.PENDING):
    """A signature stored directly, as the sign form would store it (and the confirm button, if confirmed)."""
    normalised = mailbox(email)
    return Signature.objects.create(
        campaign=campaign,
        status=status,
        confirmed_at=timezone.now() if status == Signature.Status.CONFIRMED else None,
        first_name="Asha",
        last_name="Patel",
        email=email,
        mailbox=normalised,
        email_domain=normalised.rpartition("@")[2],
        postcode="BN1 1AA",
        region="south-east",
        consent_version=PRIVACY_NOTICE_VERSION,
    )


@fuzz
@given(
    changes=st.dictionaries(st.sampled_from(FIELDS), posted_value, max_size=len(FIELDS)),
    missing=st.sets(st.sampled_from(FIELDS)),
)
@example(changes={}, missing=set(FIELDS))
@example(changes={"first_name": "A" * 51, "message": "x" * 501}, missing=set())
@example(changes={"email": "a@" + "b" * 300 + ".com"}, missing=set())
@example(changes={"postcode": "SW1A 1AA" * 3}, missing=set())
@example(changes={"location": "abroad", "postcode": "not one", "country": "IE"}, missing=set())
@example(changes={"website": "http://spam.example"}, missing=set())
@example(changes={"started": "garbage"}, missing=set())
def test_sign_form_never_fails_and_a_refused_form_stores_nothing(client, campaign, changes, missing):
    data = {key: value for key, value in (valid_form(campaign) | changes).items() if key not in missing}
    before = stored()

    response = client.post("/c/letter/sign/", data, REMOTE_ADDR="203.0.113.7")
    event(f"answered {response.status_code}")

    assert response.status_code in {200, 302, 400, 403, 429}
    if response.status_code == 302:
        assert response.headers["Location"] == CHECK_EMAIL
        assert Signature.objects.count() - len(before["signatures"]) in {0, 1}
    else:
        assert stored() == before
    if response.status_code == 200:
        assert "There is a problem" in response.content.decode()


@fuzz
@given(
    first_name=st.one_of(name_like, any_text),
    last_name=st.one_of(name_like, any_text),
    message=st.one_of(name_like, any_text, long_text),
    email=st.emails(domains=st.sampled_from(["example.org", "gmail.com"])),
)
@example(first_name=" Zoë ", last_name="O'Brien-Łukasz", message="<b>Act</b> now", email="zoe@example.org")
@example(first_name="e\u0301", last_name="\u00e9", message="", email="zoe@example.org")
def test_any_name_or_message_is_either_stored_as_typed_or_refused_with_nothing_stored(
    client, campaign, first_name, last_name, message, email
):
    form = valid_form(campaign) | {"first_name": first_name, "last_name": last_name, "message": message, "email": email}
    before = stored()

    response = client.post("/c/letter/sign/", form, REMOTE_ADDR="203.0.113.7")
    event(f"answered {response.status_code}")

    assert response.status_code in {200, 302}
    if response.status_code == 200:
        assert "There is a problem" in response.content.decode()
        assert stored() == before
        return
    signature = Signature.objects.get(mailbox=mailbox(email))
    as_typed = [unicodedata.normalize("NFC", value.strip()).strip() for value in (first_name, last_name, message)]
    assert [signature.first_name, signature.last_name, signature.message] == as_typed
    assert len(signature.first_name) <= 50 and len(signature.last_name) <= 50 and len(signature.message) <= 500
    assert signature.message_status == ("pending" if as_typed[2] else "")
    signature.delete()  # the next example signs afresh, whatever address it draws


@pytest.fixture
def someone_signed(campaign):
    return signed_up(campaign, "asha.patel@example.org")


@fuzz
@given(address=st.one_of(any_text, long_text, hostile_text, plausible_text, st.emails()))
@example(address="asha.patel@example.org")
def test_resend_form_never_fails_whatever_is_typed(client, campaign, someone_signed, address):
    before = stored()

    response = client.post("/c/letter/resend/", {"email": address}, REMOTE_ADDR="203.0.113.7")
    event(f"answered {response.status_code}")

    assert response.status_code in {200, 302}
    if response.status_code == 302:
        assert response.headers["Location"] == CHECK_EMAIL
    emails.send_due()  # the worker answers the request, and forgets it
    after = stored()
    assert after["signatures"] == before["signatures"]
    assert after["resend requests"] == 0
    if mailbox(address) != someone_signed.mailbox:
        assert after["emails"] == before["emails"]


@fuzz
@given(address=st.emails().filter(lambda address: len(address) <= 254))
@example(address="Asha.Patel@Example.org")
def test_resend_answers_the_same_whether_or_not_the_address_has_signed(client, campaign, address):
    def resend():
        response = client.post("/c/letter/resend/", {"email": address}, REMOTE_ADDR="203.0.113.7")
        return response.status_code, response.headers.get("Location")

    not_signed = resend()
    signature = signed_up(campaign, address)
    signed = resend()
    signature.delete()

    event(f"answered {signed[0]}")
    assert signed == not_signed
    assert signed in {(302, CHECK_EMAIL), (200, None)}


url_safe_text = st.text(alphabet=string.ascii_letters + string.digits + "-_:.", min_size=1)


@pytest.fixture
def links(campaign, make_campaign):
    """Tokens from real emails: a pending and a confirmed signature here, and a pending one on another letter."""
    pending = signed_up(campaign, "pending@example.org")
    confirmed = signed_up(campaign, "confirmed@example.org", status=Signature.Status.CONFIRMED)
    elsewhere = signed_up(make_campaign(slug="other"), "pending@example.org")
    return {
        ("letter", "confirm"): [pending.token, confirmed.token],
        ("letter", "withdraw"): [pending.token, confirmed.token],
        ("other", "confirm"): [elsewhere.token],
        ("other", "withdraw"): [elsewhere.token],
    }


def broken_tokens(real):
    """Real tokens damaged or misused: cut short, altered, lengthened, or signed for something else."""
    real = sorted(real)
    return st.one_of(
        st.sampled_from(real),
        st.builds(lambda token, cut: token[:cut], st.sampled_from(real), st.integers(0, 60)),
        st.builds(
            lambda token, at, char: token[:at] + char + token[at + 1 :],
            st.sampled_from(real),
            st.integers(0, 60),
            st.sampled_from(string.ascii_letters + string.digits + "-_:"),
        ),
        st.builds(lambda token, extra: token + extra, st.sampled_from(real), url_safe_text),
        st.builds(
            django_signing.dumps,
            st.one_of(st.integers(-(2**70), 2**70), st.text(), st.lists(st.integers()), st.none(), st.floats()),
            # Links in the form this site once sent (signed numbers) lead nowhere now.
            salt=st.sampled_from(["petition.confirm", "petition.withdraw", ""]),
        ),
    )


@fuzz
@given(
    data=st.data(),
    slug=st.sampled_from(["letter", "other", "no-such-letter"]),
    purpose=st.sampled_from(["confirm", "withdraw"]),
    method=st.sampled_from(["get", "post"]),
)
def test_a_bad_or_misused_link_never_fails_and_changes_nothing(client, campaign, links, data, slug, purpose, method):
    every_token = {token for tokens in links.values() for token in tokens}
    token = data.draw(st.one_of(url_safe_text, any_text, long_text, hostile_text, broken_tokens(every_token)))
    # The link an email really sent for this letter and purpose is the one case that may change something.
    assume(token not in links.get((slug, purpose), []))
    before = stored()

    response = getattr(client, method)(f"/c/{slug}/{purpose}/{quote(token, safe='')}/")

    assert response.status_code == 404
    assert stored() == before


@pytest.fixture
def draft(make_campaign):
    return make_campaign(slug="draft", status="draft")


@fuzz
@given(slug=st.one_of(any_text, st.from_regex(r"[-a-zA-Z0-9_]{1,80}", fullmatch=True), hostile_text))
@example(slug="letter")
@example(slug="draft")
@example(slug="LETTER")
def test_json_api_answers_with_the_count_or_not_found_for_any_slug(client, campaign, draft, slug):
    response = client.get(f"/api/campaigns/{quote(slug, safe='')}.json")
    event(f"answered {response.status_code}")

    assert response.status_code in {200, 404}
    if response.status_code == 200:
        data = json.loads(response.content)
        assert (data["slug"], data["count"]) == ("letter", 0)
        assert response.headers["Access-Control-Allow-Origin"] == "*"


# Inputs the fuzz tests above once found to fail, kept as plain regression tests.
def sign_with(client, campaign, ip="203.0.113.7", **fields):
    return client.post("/c/letter/sign/", valid_form(campaign) | fields, REMOTE_ADDR=ip)


def test_a_name_longer_than_50_characters_once_normalised_is_refused(client, campaign):
    response = sign_with(client, campaign, first_name="\ufb2c" * 50)

    assert response.status_code == 200
    assert "First name must be 50 characters or fewer" in response.content.decode()
    assert Signature.objects.count() == 0


def test_an_address_longer_than_254_characters_once_normalised_is_refused(client, campaign):
    response = sign_with(client, campaign, email="a@" + "\ufdfa" * 15 + ".com")

    assert response.status_code == 200
    assert Signature.objects.count() == 0


def test_an_address_with_a_long_but_valid_domain_can_sign(client, campaign):
    response = sign_with(client, campaign, email="a@" + ("b" * 63 + ".") * 3 + "b" * 40 + ".com")

    assert response.status_code == 302
    assert Signature.objects.count() == 1


def test_an_address_that_cannot_be_emailed_is_refused(client, campaign):
    response = sign_with(client, campaign, email="asha.patel@exa\u202emple.org")

    assert response.status_code == 200
    assert Signature.objects.count() == 0


@pytest.mark.parametrize("invisible", ["\u200b", "\u00ad"])
def test_an_invisible_character_in_the_domain_does_not_make_a_second_signature(client, campaign, invisible):
    sign_with(client, campaign, email="asha.patel@example.org")
    sign_with(client, campaign, ip="203.0.113.8", email=f"asha.patel@exa{invisible}mple.org")

    assert Signature.objects.count() == 1
