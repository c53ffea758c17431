"""The moderation overview as an attack console: the hourly chart, the busiest sources with their confirmation
rate, links to their signatures and to a prefilled invalidation, and a self-refresh that can be turned off."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from petition import holding, overview
from petition.models import Invalidation, Signature, VisitCount
from petition.signing import hash_ip
from tests.conftest import sign_in

OVERVIEW = "/admin/petition/signature/overview/"
# A fixed "now", in British Summer Time (UTC+1), so that the hours on the page are local ones.
NOW = datetime(2026, 6, 10, 13, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


def add(campaign, n, *, at, confirmed_at=None, ip_hash="a" * 32, domain="example.org", status=None, source=""):
    """`n` signatures made at `at` (and confirmed at `confirmed_at`, if given), as a burst would leave them."""
    start = Signature.objects.count()
    Signature.objects.bulk_create(
        Signature(
            campaign=campaign,
            status=status or ("confirmed" if confirmed_at else "pending"),
            created_at=at,
            confirmed_at=confirmed_at,
            first_name="Asha",
            last_name=f"Patel{start + i}",
            email=f"s{start + i}@{domain}",
            mailbox=f"s{start + i}@{domain}",
            email_domain=domain,
            postcode="LS1 1AA",
            region="yorkshire-and-the-humber",
            ip_hash=ip_hash,
            source=source,
            consent_version="test",
            **({"invalidated_at": NOW, "invalidation_reason": "fake"} if status == "invalidated" else {}),
        )
        for i in range(n)
    )


def bars(page):
    """Each hour's group in the chart: {local hour: (signed, confirmed, signed bar's height)}."""
    found = re.findall(
        r'<g class="chart-hour" data-hour="([^"]+)" data-signed="(\d+)" data-confirmed="(\d+)">'
        r'<title>[^<]*</title><rect class="chart-signed" [^>]*height="([\d.]+)"',
        page,
    )
    return {hour: (int(signed), int(confirmed), float(height)) for hour, signed, confirmed, height in found}


def rows(page, caption):
    """The busiest-sources table with this caption, as lists of cell texts."""
    table = page.split(f"<caption>{caption}</caption>")[1].split("</table>")[0]
    return [
        [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)
    ]


def test_the_chart_has_a_bar_for_each_of_the_last_48_hours_with_its_counts(campaign, moderator):
    add(campaign, 3, at=NOW - timedelta(minutes=20))  # 13:10 UTC, 14:10 in London
    add(campaign, 2, at=NOW - timedelta(hours=5), confirmed_at=NOW - timedelta(minutes=50))  # confirmed 12:40 UTC
    add(campaign, 1, at=NOW - timedelta(hours=47, minutes=20))  # 14:10 UTC two days before: the first hour shown
    add(campaign, 4, at=NOW - timedelta(hours=48, minutes=1))  # before the chart begins

    page = moderator.get(OVERVIEW, {"campaign": campaign.pk}).content.decode()

    chart = bars(page)
    assert len(chart) == 48
    hours = list(chart)
    assert (hours[0], hours[-1]) == ("2026-06-08T15:00:00+01:00", "2026-06-10T14:00:00+01:00")
    counts = {hour: (signed, confirmed) for hour, (signed, confirmed, _) in chart.items() if signed or confirmed}
    assert counts == {
        "2026-06-08T15:00:00+01:00": (1, 0),
        "2026-06-10T09:00:00+01:00": (2, 0),
        "2026-06-10T13:00:00+01:00": (0, 2),
        "2026-06-10T14:00:00+01:00": (3, 0),
    }
    # On a scale of 0 to 5, three signatures fill three fifths of the plot's height, nothing none of it.
    assert chart["2026-06-10T14:00:00+01:00"][2] == round(overview.PLOT_HEIGHT * 3 / 5, 2)
    assert chart["2026-06-10T12:00:00+01:00"][2] == 0
    assert "<title>10 Jun 14:00: 3 signed, 0 confirmed</title>" in page


def test_the_chart_is_described_for_those_who_cannot_see_it_and_its_figures_are_in_a_table(campaign, moderator):
    add(campaign, 7, at=NOW - timedelta(hours=2), confirmed_at=NOW - timedelta(hours=1, minutes=50))

    page = moderator.get(OVERVIEW, {"campaign": campaign.pk}).content.decode()

    svg = page.split("<svg viewBox=")[1].split("</svg>")[0]
    assert 'role="img" aria-labelledby="chart-title chart-desc"' in svg
    assert '<title id="chart-title">Signatures and confirmations per hour, the last 48 hours</title>' in svg
    assert "The busiest hour was 10 Jun 12:00, with 7 signed and 7 confirmed." in svg
    assert '<th scope="row">10 Jun 12:00</th><td>7</td><td>7</td>' in page
    content = page.split('id="content"')[1]
    # The CSP allows no inline style: the chart is coloured from staff.css (the partners' snippet is text).
    assert not re.search(r"<[^>]*\sstyle=", content)


def test_the_busiest_sources_show_their_confirmation_rate(campaign, moderator):
    add(campaign, 6, at=NOW - timedelta(minutes=30), ip_hash="b" * 32, domain="spam.example")
    add(campaign, 2, at=NOW - timedelta(minutes=30), confirmed_at=NOW - timedelta(minutes=25), ip_hash="c" * 32)
    add(campaign, 1, at=NOW - timedelta(minutes=30), ip_hash="c" * 32)
    add(campaign, 9, at=NOW - timedelta(hours=3), ip_hash="d" * 32)  # outside the last hour

    page = moderator.get(OVERVIEW, {"campaign": campaign.pk}).content.decode()

    assert [row[:4] for row in rows(page, "IP addresses (as keyed hashes)")] == [
        ["bbbbbbbb", "6", "0", "0%"],
        ["cccccccc", "3", "2", "67%"],
    ]
    assert [row[:4] for row in rows(page, "Email domains")] == [
        ["spam.example", "6", "0", "0%"],
        ["example.org", "3", "2", "67%"],
    ]


def test_the_last_24_hours_can_be_looked_over_instead_of_the_last_hour(campaign, moderator):
    add(campaign, 9, at=NOW - timedelta(hours=3), ip_hash="d" * 32)

    last_hour = moderator.get(OVERVIEW, {"campaign": campaign.pk}).content.decode()
    last_day = moderator.get(OVERVIEW, {"campaign": campaign.pk, "hours": "24"}).content.decode()
    nonsense = moderator.get(OVERVIEW, {"campaign": campaign.pk, "hours": "5"})

    assert rows(last_hour, "Email domains") == [["None"]]
    assert rows(last_day, "Email domains")[0][:4] == ["example.org", "9", "0", "0%"]
    assert "Busiest sources in the last 24 hours" in last_day
    assert nonsense.context["window"] == 1


def test_each_source_links_to_its_signatures_and_to_a_prefilled_invalidation(campaign, sign, moderator, settings):
    settings.SIGN_LIMITS_PER_IP = settings.SIGN_LIMITS_PER_DOMAIN = [(1000, 60)]
    for i in range(3):
        sign(campaign, email=f"bot{i}@spam.example", ip="192.0.2.66", first_name="Bot")
    sign(campaign, email="real@example.org", ip="198.51.100.1", first_name="Real")
    ip_hash = hash_ip("192.0.2.66")

    page = moderator.get(OVERVIEW, {"campaign": campaign.pk}).content.decode()

    to_list = f"/admin/petition/signature/?campaign={campaign.pk}&amp;ip_hash={ip_hash}"
    to_invalidation = f"/admin/petition/invalidation/add/?campaign={campaign.pk}&amp;reason=fake&amp;ip_hash={ip_hash}"
    assert f'href="{to_list}"' in page and f'href="{to_invalidation}"' in page
    assert f'href="/admin/petition/signature/?campaign={campaign.pk}&amp;email_domain=spam.example"' in page
    listed = moderator.get(unescape(to_list)).content.decode()
    assert "Bot Patel" in listed and "Real Patel" not in listed
    form = moderator.get(unescape(to_invalidation)).context["adminform"].form
    assert form.initial == {"campaign": str(campaign.pk), "reason": "fake", "ip_hash": ip_hash}
    assert "real@example.org" not in page and "192.0.2.66" not in page


def test_the_overview_reloads_itself_until_told_not_to_and_remembers(campaign, moderator):
    refreshing = moderator.get(OVERVIEW, {"campaign": campaign.pk})
    stopped = moderator.get(OVERVIEW, {"campaign": campaign.pk, "refresh": "off"})
    later = moderator.get(OVERVIEW, {"campaign": campaign.pk})
    restarted = moderator.get(OVERVIEW, {"campaign": campaign.pk, "refresh": "on"})

    assert refreshing["Refresh"] == "60"
    page = refreshing.content.decode()
    assert "This page reloads itself every minute" in page
    assert f'<a href="?campaign={campaign.pk}&amp;refresh=off">Stop reloading</a>' in page
    # The way to stop it comes before anything else on the page.
    assert page.index("Stop reloading") < page.index('class="overview-campaign"')
    assert "Refresh" not in stopped and "Refresh" not in later
    assert "This page does not reload itself." in later.content.decode()
    assert f'<a href="?campaign={campaign.pk}&amp;refresh=on">Reload it every minute</a>' in stopped.content.decode()
    assert restarted["Refresh"] == "60"


def test_the_overview_lists_the_latest_invalidations_with_their_progress(campaign, moderator):
    invalidation = Invalidation.objects.create(
        campaign=campaign, reason="fake", email_domain="spam.example", status="completed", matched=40, invalidated=40
    )

    page = moderator.get(OVERVIEW, {"campaign": campaign.pk}).content.decode()

    assert f'<a href="/admin/petition/invalidation/{invalidation.pk}/change/">' in page
    assert "<td>Completed</td><td>40 of 40</td>" in page


def test_the_overview_shows_the_count_and_the_messages_waiting(campaign, confirmed, sign, moderator, settings):
    settings.SIGN_LIMITS_PER_IP = settings.SIGN_LIMITS_PER_DOMAIN = [(1000, 60)]
    for i in range(4):
        sign(campaign, email=f"bot{i}@spam.example", ip="192.0.2.66")
    confirmed(campaign, email="real@example.org", ip="198.51.100.1", message="Please act")

    page = moderator.get(OVERVIEW, {"campaign": campaign.pk}).content.decode()

    assert "<strong>1</strong> verified signature on the count now" in page
    assert "<strong>5</strong> signed; <strong>20%</strong> confirmed so far" in page
    assert "1 message</a> to read" in page


def test_the_overview_says_whether_new_signatures_are_held_and_links_to_those_held(campaign, moderator):
    add(campaign, 3, at=NOW - timedelta(minutes=5))
    Signature.objects.filter(pk__in=Signature.objects.values("pk")[:2]).update(held_at=NOW, held_reason="review")
    holding.set_holding(campaign, hold=True, user=moderator.user)

    page = moderator.get(OVERVIEW, {"campaign": campaign.pk}).content.decode()

    assert "<strong>Every new signature is held for review</strong>" in page
    assert f'<a href="/admin/petition/signature/?campaign={campaign.pk}&amp;held=yes">2 signatures held' in page


def test_staff_see_visits_signatures_and_confirmations_by_channel_over_the_chosen_hours(campaign, moderator):
    this_hour = NOW.replace(minute=0)
    for source, hour, count in [
        ("whatsapp", this_hour, 40),
        ("whatsapp", this_hour - timedelta(hours=1), 10),
        ("email", this_hour - timedelta(hours=5), 7),
        ("x", this_hour - timedelta(hours=30), 99),  # before the longest window
    ]:
        VisitCount.objects.create(campaign=campaign, source=source, hour=hour, count=count)
    add(campaign, 3, at=NOW - timedelta(minutes=10), source="whatsapp")
    add(campaign, 2, at=NOW - timedelta(minutes=10), confirmed_at=NOW - timedelta(minutes=5), source="whatsapp")
    add(campaign, 1, at=NOW - timedelta(hours=5), confirmed_at=NOW - timedelta(hours=4), source="email")
    add(campaign, 4, at=NOW - timedelta(minutes=30))

    last_hour = moderator.get(OVERVIEW, {"campaign": campaign.pk}).content.decode()
    last_day = moderator.get(OVERVIEW, {"campaign": campaign.pk, "hours": 24}).content.decode()

    caption = "Visits, signatures and confirmations by channel"
    # Since 12:00 UTC (13:00 in London): the last hour, in the whole hours visits are counted in.
    assert "since 10 Jun 13:00" in last_hour
    assert rows(last_hour, caption) == [["50", "5", "2"], ["not counted", "4", "0"]]
    assert rows(last_day, caption) == [["50", "5", "2"], ["7", "1", "1"], ["not counted", "4", "0"]]
    assert re.findall(r'<th scope="row">([^<]+)</th>', last_day.split(caption)[1].split("</table>")[0]) == [
        "WhatsApp",
        "Email",
        "No channel (direct)",
    ]


def test_the_overview_links_to_its_campaigns_hold_switch_which_leads_back_to_it(campaign, moderator):
    page = moderator.get(OVERVIEW, {"campaign": campaign.pk}).content.decode()
    switch = f"/admin/petition/signingpolicy/add/?campaign={campaign.pk}"
    assert f'<a href="{switch}">Hold every new signature for review…</a>' in page
    assert f'value="{campaign.pk}" selected' in moderator.get(switch).content.decode()

    saved = moderator.post(switch, {"campaign": campaign.pk, "hold_all": "on"}, follow=True)

    assert saved.redirect_chain == [(f"{OVERVIEW}?campaign={campaign.pk}", 302)]
    page = saved.content.decode()
    assert "is now held for review: it counts once released." in unescape(page)
    assert "<strong>Every new signature is held for review</strong>" in page
    change = f"/admin/petition/signingpolicy/{campaign.pk}/change/"
    assert f'<a href="{change}">Stop holding new signatures…</a>' in page

    saved = moderator.post(change, {}, follow=True)

    assert "count again as soon as they are confirmed." in unescape(saved.content.decode())
    assert not holding.holds_all(campaign.__class__.objects.get(pk=campaign.pk))


def test_the_overview_takes_the_same_few_queries_however_many_have_signed(campaign, moderator):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert moderator.get(OVERVIEW, {"campaign": campaign.pk}).status_code == 200
        return [query["sql"] for query in captured]

    add(campaign, 2, at=NOW - timedelta(minutes=5))
    moderator.get(OVERVIEW, {"campaign": campaign.pk})  # the count, kept for a few seconds, is read once
    few = queries()
    for hours in range(48):
        add(campaign, 5, at=NOW - timedelta(hours=hours), ip_hash=f"{hours:032x}", domain=f"d{hours}.example")
        add(campaign, 2, at=NOW - timedelta(hours=hours), confirmed_at=NOW - timedelta(hours=hours))

    many = queries()

    assert len(many) == len(few)
    # The page's own: two per-hour counts, the busiest addresses and domains, the visits and signatures by
    # channel, the messages waiting, those held, the hold switch and the latest invalidations (the rest are the
    # session, the user and their permissions and second factor, and the campaigns).
    signatures = [sql for sql in many if '"petition_' in sql]
    assert len(signatures) == 10
    assert all("GROUP BY" in sql for sql in signatures[:6])


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
