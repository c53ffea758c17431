import ipaddress
from datetime import UTC, datetime, timedelta

import time_machine
from django.test import Client, RequestFactory

from petition.models import Signature
from petition.ratelimits import client_ip


def test_past_the_limit_one_address_signs_but_is_held_while_others_are_not(campaign, sign, settings):
    settings.SIGN_LIMITS_PER_IP = [(3, 3600)]  # an hour: no window ends mid-test

    statuses = [sign(campaign, email=f"a{i}@example.org", ip="198.51.100.1").status_code for i in range(5)]
    other = sign(campaign, email="b@example.org", ip="198.51.100.2")

    assert statuses == [302] * 5
    assert other.status_code == 302
    held = Signature.objects.held()
    assert sorted(held.values_list("email", flat=True)) == ["a3@example.org", "a4@example.org"]
    assert set(held.values_list("held_reason", flat=True)) == {"busy_address"}
    assert Signature.objects.filter(held_at__isnull=True).count() == 4


def test_past_the_ceiling_one_address_is_told_to_wait(campaign, sign, settings):
    settings.SIGN_LIMITS_PER_IP = [(2, 3600)]  # an hour: no window ends mid-test
    settings.SIGN_CEILINGS_PER_IP = [(4, 3600)]

    statuses = [sign(campaign, email=f"a{i}@example.org", ip="198.51.100.1").status_code for i in range(6)]

    assert statuses == [302] * 4 + [429] * 2
    assert Signature.objects.count() == 4 and Signature.objects.held().count() == 2


def test_the_too_many_page_says_when_to_try_again_and_keeps_what_was_typed(campaign, sign, settings):
    settings.SIGN_CEILINGS_PER_IP = [(1, 60)]
    # Ten seconds into a minute's window: fifty more to wait, whenever the test runs.
    minute = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    with time_machine.travel(minute + timedelta(seconds=10), tick=False):
        sign(campaign, email="a@example.org")
        response = sign(campaign, email="b@example.org", first_name="Bethan", message="Act now & «please»")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "51"
    page = response.content.decode()
    assert "Too many signatures in a short time" in page
    assert "Please try again in 1 minute:" in page
    assert "Nothing was saved yet." in page
    assert 'value="Bethan"' in page and 'value="b@example.org"' in page
    assert "Act now &amp; «please»</textarea>" in page


def test_a_burst_from_one_unusual_email_domain_is_held_then_refused(campaign, sign, settings):
    settings.SIGN_LIMITS_PER_DOMAIN = [(3, 3600)]  # an hour: no window ends mid-test
    settings.SIGN_CEILINGS_PER_DOMAIN = [(5, 3600)]

    statuses = [sign(campaign, email=f"bot{i}@spam.example", ip=f"198.51.100.{i}").status_code for i in range(7)]

    assert statuses == [302] * 5 + [429] * 2
    assert list(Signature.objects.held().values_list("held_reason", flat=True)) == ["busy_domain"] * 2


def test_large_mail_providers_are_never_held_or_throttled_by_domain(campaign, sign, settings):
    settings.SIGN_LIMITS_PER_DOMAIN = [(3, 3600)]  # an hour: no window ends mid-test
    settings.SIGN_CEILINGS_PER_DOMAIN = [(3, 3600)]

    statuses = [sign(campaign, email=f"fan{i}@gmail.com", ip=f"198.51.100.{i}").status_code for i in range(6)]

    assert statuses == [302] * 6
    assert not Signature.objects.held().exists()


def test_a_forwarded_for_header_is_ignored_unless_it_comes_from_a_trusted_proxy(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(request) == "203.0.113.9"

    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    assert client_ip(request) == "203.0.113.9"

    proxied = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9, 10.0.0.7")
    assert client_ip(proxied) == "203.0.113.9"


def test_resend_page_is_rate_limited_and_keeps_the_address(campaign, client, settings):
    settings.RESEND_LIMITS_PER_IP = [(2, 3600)]  # an hour: no window ends mid-test

    responses = [client.post("/c/letter/resend/", {"email": f"x{i}@example.org"}) for i in range(3)]

    assert [response.status_code for response in responses] == [302, 302, 429]
    assert 'value="x2@example.org"' in responses[2].content.decode()


def test_one_mailbox_cannot_be_signed_many_times_with_tags_or_dots(campaign, sign, settings):
    settings.SIGN_LIMITS_PER_MAILBOX = [(3, 3600)]
    variants = ["asha.patel@gmail.com", "ashapatel+1@gmail.com", "a.sha.patel+2@googlemail.com", "ashapatel@gmail.com"]

    statuses = [sign(campaign, email=email, ip=f"198.51.100.{i}").status_code for i, email in enumerate(variants)]

    assert statuses == [302, 302, 302, 429]


def test_an_ipv6_network_is_limited_as_one_address(campaign, sign, settings):
    settings.SIGN_LIMITS_PER_IP = [(2, 3600)]  # an hour: no window ends mid-test

    for i in range(3):
        sign(campaign, email=f"v{i}@example.org", ip=f"2001:db8:1:2:{i}::1")
    sign(campaign, email="other@example.org", ip="2001:db8:1:3::1")

    assert list(Signature.objects.held().values_list("email", flat=True)) == ["v2@example.org"]


def test_signing_says_try_again_shortly_while_redis_is_away(campaign, sign, settings):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # the limits' server: a refused port

    response = sign(campaign, client=Client(raise_request_exception=False))

    assert response.status_code == 503
    assert "Sorry, the site is unavailable for a moment" in response.content.decode()
    assert not Signature.objects.exists()
