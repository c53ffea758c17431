"""Every public page of a campaign says who runs it: in the header, and in full in the footer."""

import re

import pytest

from campaign.models import Campaign, Organiser


@pytest.fixture
def organiser(db):
    return Organiser.objects.create(
        name="Children First",
        charity_number="0000000",
        postal_address="1 High Street\nLondon\nEC1A 1AA",
        email="hello@children-first.example",
    )


def header(page):
    return re.search(r'<header class="site-header">(.*?)</header>', page, re.S).group(1)


def footer(page):
    return re.search(r'<footer class="site-footer">(.*?)</footer>', page, re.S).group(1)


def test_the_campaign_page_says_who_runs_the_letter_in_the_header_and_footer(client, campaign, organiser):
    campaign.organiser = organiser
    campaign.save()

    page = client.get("/c/letter/").content.decode()

    assert "Run by <strong>Children First</strong>" in header(page)
    assert "This open letter is run by <strong>Children First</strong>, registered charity number 0000000." in (
        footer(page)
    )
    assert "1 High Street<br>London<br>EC1A 1AA" in footer(page)
    assert '<a href="mailto:hello@children-first.example">hello@children-first.example</a>' in footer(page)


@pytest.mark.parametrize("path", ["/", "/c/letter/sign/", "/c/letter/check-your-email/", "/c/letter/privacy/"])
def test_every_page_of_the_campaign_names_its_organiser(client, campaign, organiser, path):
    campaign.organiser = organiser
    campaign.save()

    page = client.get(path).content.decode()

    assert "Run by <strong>Children First</strong>" in header(page)
    assert '<a href="/c/letter/privacy/">Privacy notice</a>' in footer(page)


def test_a_campaign_without_an_organiser_names_nobody(client, campaign):
    page = client.get("/c/letter/").content.decode()

    assert "Run by" not in page and "organiser" not in page
    assert "charity" not in footer(page)


def test_details_left_blank_are_left_out(client, campaign):
    campaign.organiser = Organiser.objects.create(name="Parents Together")
    campaign.save()

    text = re.sub(r"\s+", " ", footer(client.get("/c/letter/").content.decode()))

    assert "This open letter is run by <strong>Parents Together</strong>.</p>" in text
    assert "charity number" not in text and "mailto:" not in text and "<br>" not in text


def test_the_logo_stands_for_the_name_and_is_served_from_this_site(client, campaign, organiser):
    organiser.logo = "favicon.svg"
    organiser.save()
    campaign.organiser = organiser
    campaign.save()

    page = client.get("/c/letter/").content.decode()

    assert re.search(
        r'Run by <img class="organiser-logo" src="/static/favicon\.[0-9a-f]{12}\.svg" alt="Children First">',
        header(page),
    )


def test_a_logo_whose_file_is_missing_gives_way_to_the_name(client, campaign, organiser, caplog):
    # Saved before its file was deployed, say, so the form's check did not stop it.
    Organiser.objects.filter(pk=organiser.pk).update(logo="img/organisers/not-collected.svg")
    Campaign.objects.filter(pk=campaign.pk).update(organiser=organiser)

    response = client.get("/c/letter/")

    assert response.status_code == 200
    assert "Run by <strong>Children First</strong>" in header(response.content.decode())
    assert "img/organisers/not-collected.svg of Children First is not among the collected static files" in caplog.text


def test_pages_outside_a_campaign_name_no_organiser(client, campaign, organiser):
    campaign.organiser = organiser
    campaign.save()

    page = client.get("/no-such-page/").content.decode()

    assert "Run by" not in page
