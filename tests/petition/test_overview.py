from django.contrib.auth.models import User
from django.test import Client

from petition.signing import hash_ip
from tests.conftest import sign_in

OVERVIEW = "/admin/petition/signature/overview/"


def test_the_overview_shows_the_pace_and_the_busiest_sources(campaign, confirmed, sign, moderator, settings):
    settings.SIGN_LIMITS_PER_IP = settings.SIGN_LIMITS_PER_DOMAIN = [(1000, 60)]
    for i in range(4):
        sign(campaign, email=f"bot{i}@spam.example", ip="192.0.2.66")
    confirmed(campaign, email="real@example.org", ip="198.51.100.1", message="Please act")

    response = moderator.get(OVERVIEW, {"campaign": campaign.pk})

    assert response.status_code == 200
    page = response.content.decode()
    assert "<strong>5</strong> signed; <strong>20%</strong> confirmed so far" in page
    assert f'?ip_hash={hash_ip("192.0.2.66")}">' in page
    assert "spam.example</a></td><td>4</td>" in page
    assert "1 message</a> to read" in page
    assert "real@example.org" not in page and "192.0.2.66" not in page


def test_the_overview_links_lead_to_the_signatures_of_that_source(campaign, sign, moderator):
    sign(campaign, email="bot@spam.example", ip="192.0.2.66", first_name="Bot")
    sign(campaign, email="real@example.org", ip="198.51.100.1", first_name="Real")

    page = moderator.get("/admin/petition/signature/", {"ip_hash": hash_ip("192.0.2.66")}).content.decode()

    assert "Bot Patel" in page and "Real Patel" not in page


def test_staff_without_a_role_cannot_see_the_overview(campaign, db):
    user = User.objects.create_user("nobody", password="x", is_staff=True)
    client = Client()
    sign_in(client, user)
    assert client.get(OVERVIEW).status_code == 403


def test_an_overview_address_naming_no_campaign_shows_the_front_page_campaign(campaign, moderator):
    for named in ("abc", "", "99999"):
        response = moderator.get(OVERVIEW, {"campaign": named})

        assert response.status_code == 200
        assert response.context["campaign"] == campaign
