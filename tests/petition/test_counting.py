import pytest
from django.test import Client

from petition import counting
from petition.models import Signature, SignatureCount

from .conftest import simultaneously


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_hundred_simultaneous_signers_are_all_stored_and_counted_once_confirmed(campaign, sign, settings):
    settings.COUNT_CACHE_SECONDS = 0
    settings.PAGE_CACHE_SECONDS = 0
    settings.SIGN_LIMITS_PER_DOMAIN = [(1000, 60)]

    signed = simultaneously(200, lambda i: sign(campaign, client=Client(), email=f"s{i}@example.org", ip=f"10.0.{i}.1"))
    assert [response.status_code for response in signed] == [302] * 200
    assert Signature.objects.count() == 200

    tokens = [s.token for s in Signature.objects.all()]
    confirmed = simultaneously(200, lambda i: Client().post(f"/c/letter/confirm/{tokens[i]}/"))

    assert [response.status_code for response in confirmed] == [302] * 200
    assert counting.totals(campaign).count == 200
    assert Signature.objects.confirmed().count() == 200
    # Spread over the shards rather than piled on one row.
    assert SignatureCount.objects.filter(campaign=campaign).count() > 1


def test_count_adds_up_across_regions(campaign, confirmed, settings):
    settings.COUNT_CACHE_SECONDS = 0
    settings.PAGE_CACHE_SECONDS = 0
    confirmed(campaign, email="a@example.org", postcode="BN1 1AA")
    confirmed(campaign, email="b@example.org", postcode="EH1 1YZ")
    confirmed(campaign, email="c@example.org", postcode="CF10 1AA")
    confirmed(campaign, email="d@example.org", location="abroad", postcode="", country="FR")

    totals = counting.totals(campaign)

    assert totals.count == 4
    assert {key: n for key, n in totals.by_region.items() if n} == {
        "south-east": 1,
        "scotland": 1,
        "wales": 1,
        "outside-uk": 1,
    }


def test_a_pending_signature_is_not_counted(campaign, sign):
    sign(campaign)
    assert counting.totals(campaign).count == 0


def test_reading_the_count_never_counts_the_signatures(campaign, confirmed, django_assert_num_queries):
    for i in range(5):
        confirmed(campaign, email=f"n{i}@example.org")

    with django_assert_num_queries(1) as captured:
        counting._sum_shards(campaign.pk)

    assert 'petition_signature"' not in captured.captured_queries[0]["sql"]


def test_the_count_is_cached_for_a_few_seconds(campaign, confirmed, django_assert_num_queries):
    counting.totals(campaign)
    with django_assert_num_queries(0):
        counting.totals(campaign)


def test_recount_repairs_a_count_that_drifted(campaign, confirmed):
    confirmed(campaign, email="a@example.org")
    confirmed(campaign, email="b@example.org")
    SignatureCount.objects.filter(campaign=campaign).update(count=50)

    before, after = counting.recount(campaign)

    assert after == 2 and before != 2
    assert counting.totals(campaign).count == 2


@pytest.mark.parametrize(
    ("count", "goal", "target"),
    [(0, 100, 100), (99, 100, 100), (100, 100, 200), (250, 100, 500), (600, 100, 1000), (50_000, 50_000, 100_000)],
)
def test_the_progress_bar_aims_at_the_goal_then_the_next_round_figure(count, goal, target):
    assert counting.milestone(count, goal) == target
