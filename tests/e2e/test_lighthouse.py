"""Lighthouse (mobile) on the campaign page: full marks in every category, and all it needs within 12 KB on the wire;
and on the Welsh campaign page, full marks for accessibility and search.

One page, one run per suite: each takes Lighthouse some seconds of both cores.
"""

import pytest

from . import lighthouse

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.lighthouse]

FULL_MARKS = dict.fromkeys(lighthouse.CATEGORIES, 1.0)
BUDGET_BYTES = 12 * 1024


@pytest.fixture(autouse=True)
def site_where_it_is_served(settings, live_server):
    # Canonical and share-card addresses point at the site being measured, as in production.
    settings.SITE_URL = live_server.url


def test_the_campaign_page_has_full_marks_on_a_phone_and_transfers_at_most_12_kb(live_server, real_campaign):
    report = lighthouse.audit(f"{live_server.url}{real_campaign.get_absolute_url()}")

    assert report.scores == FULL_MARKS, (report.failing, report.benchmark_index, report.cpu_slowdown)
    assert report.transfer_bytes <= BUDGET_BYTES, report.requests


def test_the_welsh_campaign_page_has_full_marks_for_accessibility_and_search_on_a_phone(live_server, real_campaign):
    report = lighthouse.audit(f"{live_server.url}/cy{real_campaign.get_absolute_url()}")

    assert {name: report.scores[name] for name in ("accessibility", "seo")} == {"accessibility": 1.0, "seo": 1.0}, (
        report.failing
    )
