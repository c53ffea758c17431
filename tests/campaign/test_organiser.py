"""The organiser: who runs a campaign, edited in the admin and loaded with the shipped campaign."""

import re

import pytest
from django.db.models import ProtectedError

from campaign.loading import content_files, load_campaign
from campaign.models import Campaign, Organiser
from tests.campaign.test_admin import submitted_as_is


def errors(response):
    return re.findall(r"errorlist[^>]*>\s*<li>(.*?)</li>", response.content.decode())


def test_staff_add_an_organiser_and_make_it_run_a_campaign(admin_client, real_campaign):
    response = admin_client.post(
        "/admin/campaign/organiser/add/",
        {
            "name_en_gb": "Children First",
            "logo": "favicon.svg",
            "charity_number": "0000000",
            "postal_address_en_gb": "1 High Street\r\nLondon\r\nEC1A 1AA",
            "email": "hello@children-first.example",
            "controller_name_en_gb": "",
            "controller_email": "privacy@children-first.example",
        },
    )
    assert response.status_code == 302, errors(response)
    organiser = Organiser.objects.get(name="Children First")
    assert organiser.address_lines == ["1 High Street", "London", "EC1A 1AA"]

    url = f"/admin/campaign/campaign/{real_campaign.pk}/change/"
    response = admin_client.post(url, submitted_as_is(admin_client.get(url).context) | {"organiser": organiser.pk})

    assert response.status_code == 302, errors(response)
    real_campaign.refresh_from_db()
    assert real_campaign.organiser == organiser
    page = admin_client.get("/admin/campaign/campaign/").content.decode()
    assert "Children First" in page


def test_the_organiser_page_shows_the_logo_as_the_public_will_see_it(admin_client, db):
    organiser = Organiser.objects.create(name="Children First", logo="favicon.svg")

    page = admin_client.get(f"/admin/campaign/organiser/{organiser.pk}/change/").content.decode()

    assert re.search(r'<img src="/static/favicon\.[0-9a-f]{12}\.svg" alt="Children First"', page)


@pytest.mark.parametrize(
    "logo",
    ["img/no-such-logo.svg", "css/site.css", "../config/settings.py", "/etc/hosts.png", "https://example.org/a.png"],
)
def test_a_logo_must_be_an_svg_or_png_among_the_sites_static_files(admin_client, db, logo):
    response = admin_client.post("/admin/campaign/organiser/add/", {"name_en_gb": "Children First", "logo": logo})

    assert response.status_code == 200
    assert errors(response) and "static" in errors(response)[0]
    assert not Organiser.objects.exists()


def test_campaign_managers_edit_organisers_and_moderators_do_not(manager, moderator):
    assert manager.get("/admin/campaign/organiser/add/").status_code == 200
    assert moderator.get("/admin/campaign/organiser/add/").status_code == 403


def test_an_organiser_that_runs_a_campaign_cannot_be_deleted(make_campaign):
    organiser = Organiser.objects.create(name="Children First")
    make_campaign(organiser=organiser)

    with pytest.raises(ProtectedError):
        organiser.delete()


def test_the_controller_is_the_organiser_unless_another_is_named(db):
    organiser = Organiser(name="Children First", email="hello@children-first.example")
    assert (organiser.controller, organiser.controller_contact) == ("Children First", "hello@children-first.example")

    organiser.controller_name, organiser.controller_email = "Data Trust", "dpo@data-trust.example"
    assert (organiser.controller, organiser.controller_contact) == ("Data Trust", "dpo@data-trust.example")


def test_the_shipped_campaign_is_run_by_the_charity_in_the_news_reports_and_nothing_is_guessed(real_campaign):
    organiser = real_campaign.organiser

    assert organiser.name == "NSPCC"
    # The reports give no charity number, address, contact or logo: the site must not make them up.
    assert (organiser.charity_number, organiser.postal_address, organiser.email, organiser.logo) == ("", "", "", "")
    assert (organiser.controller_name, organiser.controller_email) == ("", "")


def test_a_campaign_loaded_before_organisers_existed_gets_its_organiser_once(real_campaign):
    Campaign.objects.update(organiser=None)
    Organiser.objects.all().delete()
    (path,) = content_files()

    assert load_campaign(path).action == "organiser added"
    real_campaign.refresh_from_db()
    assert real_campaign.organiser.name == "NSPCC"

    # Staff then decide the letter names nobody: loading again leaves it so.
    Campaign.objects.update(organiser=None)
    assert load_campaign(path).action == "unchanged"
    real_campaign.refresh_from_db()
    assert real_campaign.organiser is None


def test_loading_again_keeps_the_details_staff_gave_the_organiser(real_campaign):
    Organiser.objects.update(email="supporters@charity.example", charity_number="0000000")
    (path,) = content_files()

    load_campaign(path)
    load_campaign(path, reset=True)

    organiser = Organiser.objects.get()
    assert (organiser.email, organiser.charity_number) == ("supporters@charity.example", "0000000")
    assert Campaign.objects.get().organiser == organiser
