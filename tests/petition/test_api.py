import gzip
import json

from campaign.models import Organiser
from petition import counting


def test_the_count_api_gives_the_count_goal_and_breakdown(campaign, confirmed, client, settings):
    settings.COUNT_CACHE_SECONDS = 0
    settings.PAGE_CACHE_SECONDS = 0
    confirmed(campaign, email="a@example.org", postcode="EH1 1YZ")
    confirmed(campaign, email="b@example.org", postcode="SW1A 1AA")
    confirmed(campaign, email="c@example.org", location="abroad", postcode="", country="US")

    response = client.get("/api/campaigns/letter.json")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert data["count"] == 3
    assert data["goal"] == 100
    assert data["next_milestone"] == 100
    assert data["status"] == "open"
    assert data["url"] == "http://127.0.0.1:8000/c/letter/"  # SITE_URL, not the host the request named
    regions = {row["key"]: row for row in data["by_region"]}
    assert regions["scotland"] == {"key": "scotland", "name": "Scotland", "nation": "Scotland", "count": 1}
    assert regions["london"]["count"] == 1
    assert regions["outside-uk"]["count"] == 1
    assert regions["wales"]["count"] == 0
    nations = {row["name"]: row["count"] for row in data["by_nation"]}
    assert nations == {
        "England": 1,
        "Wales": 0,
        "Scotland": 1,
        "Northern Ireland": 0,
        "Crown Dependencies": 0,
        "Outside the UK": 1,
    }
    assert data["updated_at"]


def test_the_count_api_is_open_to_other_sites_and_cacheable(campaign, client):
    response = client.get("/api/campaigns/letter.json")

    assert response.headers["Access-Control-Allow-Origin"] == "*"
    cache_control = response.headers["Cache-Control"]
    assert "public" in cache_control and "max-age=5" in cache_control and "stale-while-revalidate=30" in cache_control


def test_the_count_api_has_no_personal_data(campaign, confirmed, client):
    confirmed(campaign, email="secret.person@example.org", first_name="Secretive", show_name="on")

    body = client.get("/api/campaigns/letter.json").content.decode()

    assert "secret.person" not in body and "Secretive" not in body and "BN1" not in body


def test_unknown_or_draft_campaigns_are_not_found(make_campaign, client):
    make_campaign(slug="hidden", status="draft")

    assert client.get("/api/campaigns/hidden.json").status_code == 404
    assert client.get("/api/campaigns/nothing.json").status_code == 404


def test_the_api_costs_the_same_however_many_have_signed(campaign, confirmed, client, django_assert_max_num_queries):
    for i in range(10):
        confirmed(campaign, email=f"p{i}@example.org", ip=f"192.0.2.{i}")
    counting.totals(campaign)  # warm, as under load

    with django_assert_max_num_queries(1):
        client.get("/api/campaigns/letter.json")


def test_the_count_api_names_the_organiser(client, campaign):
    campaign.organiser = Organiser.objects.create(name="Children First", charity_number="0000000")
    campaign.save()

    data = json.loads(client.get("/api/campaigns/letter.json").content)

    assert data["organiser"] == {"name": "Children First", "charity_number": "0000000"}


def test_the_count_api_gives_no_organiser_for_a_campaign_without_one(client, campaign):
    assert json.loads(client.get("/api/campaigns/letter.json").content)["organiser"] is None


def test_the_count_api_is_compressed_for_those_that_take_gzip(campaign, confirmed, client):
    confirmed(campaign, email="a@example.org", postcode="EH1 1YZ")

    plain = client.get("/api/campaigns/letter.json")
    compressed = client.get("/api/campaigns/letter.json", HTTP_ACCEPT_ENCODING="gzip")

    assert "Content-Encoding" not in plain and compressed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in plain["Vary"] and "Accept-Encoding" in compressed["Vary"]
    assert json.loads(gzip.decompress(compressed.content)) == json.loads(plain.content)
    assert json.loads(plain.content)["count"] == 1
