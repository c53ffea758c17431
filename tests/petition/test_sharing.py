"""Sharing that is measured: each shared link carries its channel, which the sign form carries to the signature,
and visits through shared links are counted per channel and hour, without cookies, for staff to compare."""

import re
import time
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from petition import visits
from petition.models import Signature, VisitCount

from .conftest import valid_form

NOW = datetime(2026, 6, 10, 13, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_visits_left_over(monkeypatch):
    """Visits wait in this process's memory until written: each test starts and ends with none waiting, and
    none is written before the test asks (unless it sets when the last write was)."""
    visits._pending.clear()
    monkeypatch.setattr(visits, "_last_flush", float("inf"))
    yield
    visits._pending.clear()


def hidden(page, name):
    return re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page).group(1)


def counted():
    return {(row.source, row.hour): row.count for row in VisitCount.objects.all()}


def test_a_visitor_from_a_whatsapp_link_signs_with_whatsapp_as_the_source(campaign, client):
    page = client.get("/c/letter/", {"s": "whatsapp"}).content.decode()
    assert hidden(page, "source") == "whatsapp"

    form = valid_form(campaign, client=client) | {"source": hidden(page, "source")}
    assert client.post("/c/letter/sign/", form).status_code == 302

    assert Signature.objects.get().source == "whatsapp"


def test_the_channel_is_carried_by_the_cached_page_for_each_visitor_alone(campaign, client):
    first = client.get("/c/letter/", {"s": "bluesky"}).content.decode()
    second = client.get("/c/letter/").content.decode()  # the same render, kept for PAGE_CACHE_SECONDS

    assert hidden(first, "source") == "bluesky"
    assert hidden(second, "source") == ""
    assert "placeholder" not in first + second


def test_an_unknown_channel_is_neither_carried_nor_stored(campaign, client):
    page = client.get("/c/letter/", {"s": '"><script>alert(1)</script>'}).content.decode()
    assert hidden(page, "source") == ""
    assert "alert(1)" not in page

    client.post("/c/letter/sign/", valid_form(campaign, client=client) | {"source": "myspace"})

    assert Signature.objects.get().source == ""


def test_the_channel_survives_a_form_sent_back_for_a_mistake(campaign, client):
    page = client.post("/c/letter/sign/", valid_form(campaign) | {"source": "email", "postcode": ""}).content.decode()

    assert "Enter your postcode" in page
    assert hidden(page, "source") == "email"


def test_the_sign_page_opened_from_a_shared_link_carries_its_channel(campaign, client):
    page = client.get("/c/letter/sign/", {"s": "facebook"}).content.decode()

    assert hidden(page, "source") == "facebook"


def test_storing_the_channel_adds_no_query_to_signing(campaign, client):
    def signing_queries(email, source):
        with CaptureQueriesContext(connection) as captured:
            response = client.post("/c/letter/sign/", valid_form(campaign) | {"email": email, "source": source})
        assert response.status_code == 302
        return len(captured)

    signing_queries("warm.up@example.org", "")  # the first signing in a process looks up what it keeps
    assert signing_queries("one@example.org", "whatsapp") == signing_queries("two@example.org", "")


def test_the_database_refuses_a_channel_not_on_the_list(campaign, sign):
    sign(campaign)

    with pytest.raises(IntegrityError), transaction.atomic():
        Signature.objects.update(source="myspace")


def test_visits_through_shared_links_are_counted_per_channel_and_hour_from_the_cached_page(
    campaign, client, time_machine, django_assert_num_queries
):
    time_machine.move_to(NOW, tick=False)
    client.get("/c/letter/")  # renders the page, kept for the next ones
    with django_assert_num_queries(0):
        client.get("/c/letter/", {"s": "whatsapp"})
    client.get("/c/letter/", {"s": "whatsapp"})
    client.get("/c/letter/", {"s": "email"})
    client.get("/c/letter/", {"s": "nonsense"})  # not a channel we know
    client.head("/c/letter/", {"s": "email"})
    client.get("/c/letter/", {"s": "whatsapp"}, HTTP_USER_AGENT="WhatsApp/2.23.20.0 A")  # a link preview
    client.get("/c/letter/", {"s": "x"}, HTTP_SEC_PURPOSE="prefetch")
    time_machine.move_to(NOW + timedelta(hours=1), tick=False)
    client.get("/c/letter/", {"s": "email"})

    visits.flush()

    hour = NOW.replace(minute=0)
    assert counted() == {("whatsapp", hour): 2, ("email", hour): 1, ("email", hour + timedelta(hours=1)): 1}
    assert set(client.cookies) <= {"csrftoken"}


def test_visits_are_written_every_few_seconds_and_added_to_what_is_there(campaign, client, time_machine, monkeypatch):
    time_machine.move_to(NOW, tick=False)
    monkeypatch.setattr(visits, "_last_flush", time.time())
    client.get("/c/letter/", {"s": "link"})
    assert counted() == {}

    time_machine.shift(visits.FLUSH_SECONDS)
    client.get("/c/letter/")  # any view of the page writes what is due
    client.get("/c/letter/", {"s": "link"})
    time_machine.shift(visits.FLUSH_SECONDS)
    client.get("/c/letter/")

    assert counted() == {("link", NOW.replace(minute=0)): 2}


def test_visits_wait_for_the_database_if_it_is_away(campaign, client, monkeypatch):
    client.get("/c/letter/", {"s": "share"})

    def away(*args, **kwargs):
        raise visits.DatabaseError("the database is away")

    with monkeypatch.context() as patch:
        patch.setattr(visits.transaction, "atomic", away)
        assert visits.flush() == 0
    assert visits.flush() == 1

    assert list(VisitCount.objects.values_list("source", "count")) == [("share", 1)]


def test_every_share_button_carries_its_own_channel(campaign, client):
    page = client.get("/c/letter/thanks/").content.decode()

    links = dict(re.findall(r'<a class="share-button share-(\w+)" href="([^"#]+)"', page))
    shared = {}
    for channel, href in links.items():
        query = parse_qs(urlsplit(unescape(href)).query)
        text = " ".join(query.get("text", []) + query.get("body", []) + query.get("u", []) + query.get("url", []))
        shared[channel] = re.search(r"https?://\S+", text).group()
    assert list(shared) == ["whatsapp", "email", "facebook", "x", "bluesky"]
    assert shared == {channel: f"http://127.0.0.1:8000/c/letter/?s={channel}" for channel in shared}
    assert 'data-copy="http://127.0.0.1:8000/c/letter/?s=link"' in page
    assert 'value="http://127.0.0.1:8000/c/letter/?s=link"' in page
    assert 'data-share-url="http://127.0.0.1:8000/c/letter/?s=share"' in page
