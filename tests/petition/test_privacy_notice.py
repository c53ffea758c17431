"""The privacy notice: who the controller is and how to reach them, why and on what basis, for how long, the
signer's rights and the regulator. Its figures come from the code that keeps each promise."""

import re
from datetime import timedelta

import pytest

from campaign.models import Organiser
from petition import consent, retention


def text(response):
    """The page's words as a reader sees them."""
    assert response.status_code == 200
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.content.decode()))


@pytest.fixture
def run_by(campaign):
    def give(**details):
        campaign.organiser = Organiser.objects.create(**({"name": "Children First"} | details))
        campaign.save()
        return campaign.organiser

    return give


def test_the_notice_names_the_organiser_as_controller_with_its_contacts(client, run_by):
    run_by(email="hello@children-first.example", postal_address="1 High Street\nLondon")

    page = text(client.get("/c/letter/privacy/"))

    assert "For this letter, the data controller is Children First" in page
    assert "write to Children First at hello@children-first.example, or by post to 1 High Street, London." in page


def test_the_notice_names_a_controller_other_than_the_organiser(client, run_by):
    run_by(
        email="hello@children-first.example",
        postal_address="1 High Street",
        controller_name="Data Trust",
        controller_email="dpo@data-trust.example",
    )

    page = text(client.get("/c/letter/privacy/"))

    assert "the data controller is Data Trust" in page and "The letter is run by Children First." in page
    assert "write to Data Trust at dpo@data-trust.example." in page
    # The organiser's postal address is not the controller's.
    assert "by post" not in page


def test_the_notice_invents_no_contact_the_organiser_has_not_given(client, run_by):
    run_by()

    page = text(client.get("/c/letter/privacy/"))

    assert "the data controller is Children First" in page
    assert "write to Children First" not in page


def test_a_campaign_without_an_organiser_has_a_notice_that_names_none(client, campaign):
    page = text(client.get("/c/letter/privacy/"))

    assert "data controller" not in page and "Who is responsible" not in page
    assert "What we collect" in page


def test_the_site_wide_notice_names_the_controller_of_each_letter(client, make_campaign, run_by):
    run_by()
    other = make_campaign(slug="other", title="Safer streets for children")
    other.organiser = Organiser.objects.create(name="Parents Together")
    other.save()

    page = text(client.get("/privacy/"))

    assert "For the open letter “Keep children safe online”, the data controller is Children First" in page
    assert "For the open letter “Safer streets for children”, the data controller is Parents Together" in page


def test_the_notice_gives_purposes_and_lawful_bases(client, campaign):
    page = text(client.get("/c/letter/privacy/"))

    for purpose in ("Counting your signature", "Emails about your signature", "progress", "count honest"):
        assert purpose in page
    assert "Lawful basis: your consent" in page and "Article 6(1)(a)" in page
    assert "Lawful basis: our legitimate interest" in page and "Article 6(1)(f)" in page


def test_the_notice_quotes_the_contact_box_as_the_form_shows_it(client, campaign):
    page = client.get("/c/letter/privacy/").content.decode()
    form = client.get("/c/letter/sign/").content.decode()

    assert f"the box “{consent.CONTACT_LABEL}”" in page.replace("&#x27;", "'")
    assert consent.CONTACT_LABEL in form.replace("&#x27;", "'")


def test_the_notice_promises_the_retention_the_site_keeps(client, campaign, settings):
    settings.RETENTION_DAYS = 90

    page = text(client.get("/c/letter/privacy/"))

    assert retention.period() == timedelta(days=90)
    assert "We remove signers' personal details 90 days after the letter has been delivered" in page.replace(
        "&#x27;", "'"
    )


def test_the_notice_sets_out_the_signers_rights_and_the_right_to_complain_to_the_ico(client, campaign):
    page = client.get("/c/letter/privacy/")
    words = text(page)

    for right in ("a copy of your details", "corrected", "erased", "limit how we use them", "to object"):
        assert right in words
    assert "complain to the Information Commissioner's Office (ICO)" in words.replace("&#x27;", "'")
    assert '<a href="https://ico.org.uk/">ico.org.uk</a>' in page.content.decode()
    assert '<a href="tel:+443031231113">0303 123 1113</a>' in page.content.decode()


def test_the_sign_form_links_to_the_campaigns_own_notice(client, campaign):
    page = client.get("/c/letter/").content.decode()

    assert 'as our <a href="/c/letter/privacy/">privacy notice</a> explains' in page


def test_a_draft_campaign_has_no_notice(client, make_campaign):
    make_campaign(slug="draft", status="draft")

    assert client.get("/c/draft/privacy/").status_code == 404


def test_the_shipped_campaign_names_the_charity_as_controller(client, real_campaign):
    page = text(client.get("/c/online-safety-bill/privacy/"))

    assert "For this letter, the data controller is NSPCC" in page
