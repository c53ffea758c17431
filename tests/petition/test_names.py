"""What the sign form says about a signer's name is what happens to it, everywhere it appears."""

import csv
import io

import pytest
from django.utils.html import escape

from petition.names import RECIPIENT_NOTE, SHOW_NAME_LABEL


@pytest.fixture
def named_and_unnamed(campaign, confirmed, settings):
    settings.PAGE_CACHE_SECONDS = settings.COUNT_CACHE_SECONDS = 0
    confirmed(campaign, first_name="Asha", last_name="Patel", email="asha@example.org", show_name="on")
    confirmed(campaign, first_name="Ben", last_name="Okafor", email="ben@example.org", postcode="EH1 1YZ")


def test_the_form_says_what_happens_to_a_name(campaign, client):
    page = client.get("/c/letter/").content.decode()

    assert escape(SHOW_NAME_LABEL) in page
    assert escape(RECIPIENT_NOTE.format(recipient="A. Minister MP")) in page
    assert "Name me: show my first name, the initial of my last name and my area" in page
    assert "receives your full name and area with the letter only if you tick" in page


def test_the_campaign_page_lists_only_those_who_ticked_the_box_by_first_name_initial_and_area(
    named_and_unnamed, client
):
    page = client.get("/c/letter/").content.decode()

    assert "<li>Asha P., Brighton</li>" in page
    assert "Asha Patel" not in page and "Okafor" not in page and "Ben O." not in page


def test_the_recipient_gets_the_full_names_of_those_who_ticked_the_box_and_counts_everyone(named_and_unnamed, manager):
    pack = manager.post("/staff/c/letter/delivery/print/").content.decode()
    export = manager.post("/staff/c/letter/export/", {"columns": ["name", "region"]})
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode().removeprefix("\ufeff"))))

    assert "<strong>2</strong> people signed" in pack
    assert "Asha Patel, Brighton</li>" in pack and "Okafor" not in pack
    assert rows == [["Name", "Region"], ["Asha Patel", "South East"], ["", "Scotland"]]


@pytest.mark.parametrize(
    ("first_name", "last_name"),
    [
        ("Buy followers at", "spam.example"),
        ("<b>Rhys</b>", "Evans"),
        ("me@example.net", "Jones"),
        ("www.cheap", "X"),
        ("ｗｗｗ．cheap", "Ｘ"),  # full-width, as an attack disguises a link
    ],
)
def test_names_carrying_links_addresses_or_markup_are_counted_but_never_named_to_the_recipient(
    campaign, named_and_unnamed, confirmed, manager, first_name, last_name
):
    confirmed(campaign, first_name=first_name, last_name=last_name, email="spam@example.net", show_name="on")

    pack = manager.post("/staff/c/letter/delivery/print/").content.decode()
    export = manager.post("/staff/c/letter/export/", {"columns": ["name", "region"]})
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode().removeprefix("\ufeff"))))

    assert "<strong>3</strong> people signed" in pack
    assert "1 of them is named, as they agreed to be" in pack
    assert "Asha Patel, Brighton</li>" in pack
    assert last_name not in pack and escape(first_name) not in pack
    assert sorted(rows[1:]) == [["", "Scotland"], ["", "South East"], ["Asha Patel", "South East"]]


def test_moderators_see_full_names(named_and_unnamed, moderator):
    page = moderator.get("/admin/petition/signature/").content.decode()

    assert "Asha Patel" in page and "Ben Okafor" in page
