from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from campaign.models import Campaign, Fact


def test_open_campaign_accepts_signatures_only_inside_its_window(make_campaign):
    now = timezone.now()
    campaign = make_campaign(opens_at=now + timedelta(hours=1), closes_at=now + timedelta(days=30))

    assert not campaign.is_accepting_signatures(now)
    assert campaign.is_accepting_signatures(now + timedelta(hours=2))
    assert not campaign.is_accepting_signatures(now + timedelta(days=30))


@pytest.mark.parametrize("status", ["draft", "closed"])
def test_campaign_that_is_not_open_refuses_signatures(make_campaign, status):
    assert not make_campaign(status=status).is_accepting_signatures()


def test_database_refuses_a_closing_date_before_the_opening_date(make_campaign):
    now = timezone.now()
    with pytest.raises(IntegrityError):
        make_campaign(opens_at=now, closes_at=now - timedelta(days=1))


def test_database_refuses_a_delivered_campaign_without_a_delivery_date(make_campaign):
    with pytest.raises(IntegrityError):
        make_campaign(status=Campaign.Status.DELIVERED, delivered_at=None)


def test_database_refuses_two_asks_in_the_same_position(make_campaign, make_ask):
    campaign = make_campaign()
    make_ask(campaign, position=1)
    with pytest.raises(IntegrityError):
        make_ask(campaign, position=1)


@pytest.mark.parametrize(
    ("qualifier", "number", "unit", "expected"),
    [
        ("more than", 3380, Fact.Unit.COUNT, "more than 3,380"),
        ("nearly", 7000, Fact.Unit.COUNT, "nearly 7,000"),
        ("", 1329, Fact.Unit.COUNT, "1,329"),
        ("", 37, Fact.Unit.PERCENT, "37%"),
    ],
)
def test_fact_figure_reads_as_a_person_would_say_it(make_campaign, make_fact, qualifier, number, unit, expected):
    fact = make_fact(make_campaign(), qualifier=qualifier, number=number, unit=unit)
    assert fact.figure == expected


def test_front_page_is_the_newest_open_campaign(make_campaign):
    now = timezone.now()
    make_campaign(slug="older", opens_at=now - timedelta(days=10))
    newer = make_campaign(slug="newer", opens_at=now - timedelta(days=1))
    make_campaign(slug="closed-later", status="closed", opens_at=now)
    make_campaign(slug="draft", status="draft", opens_at=now)

    assert Campaign.objects.front_page() == newer


def test_front_page_falls_back_to_the_newest_public_campaign(make_campaign):
    make_campaign(slug="draft", status="draft")
    closed = make_campaign(slug="closed", status="closed")

    assert Campaign.objects.front_page() == closed


def test_letter_is_split_into_paragraphs_at_blank_lines(make_campaign):
    campaign = make_campaign(letter="Dear Minister,\r\n\r\nFirst.\nStill first.\n\n\n\nSecond.\n")
    assert campaign.letter_paragraphs == ["Dear Minister,", "First.\nStill first.", "Second."]
