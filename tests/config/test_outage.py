"""When the database is unreachable, pages fail fast with a kind 503, and the site recovers by itself."""

import pytest
from django.db import connection
from django.test import Client


class Outage:
    """Points the connection at a database that cannot be reached (a refused port, or a missing directory)."""

    def __init__(self):
        self.saved = dict(connection.settings_dict)

    def start(self):
        connection.close()
        if connection.vendor == "postgresql":
            connection.settings_dict.update(HOST="127.0.0.1", PORT="9")
        else:
            connection.settings_dict["NAME"] = "/nonexistent/petition/db.sqlite3"

    def end(self):
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(self.saved)


@pytest.fixture
def outage(transactional_db):
    outage = Outage()
    yield outage
    outage.end()


@pytest.fixture
def visitor():
    return Client(raise_request_exception=False)


def test_pages_say_try_again_shortly_while_the_database_is_away(make_campaign, visitor, outage):
    make_campaign(slug="letter")
    outage.start()

    for response in (
        visitor.get("/"),
        visitor.get("/c/letter/"),
        visitor.post("/c/letter/sign/", {"first_name": "Asha", "email": "asha@example.org"}),
        visitor.get("/api/campaigns/letter.json"),
    ):
        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        assert "Sorry, the site is unavailable for a moment" in response.content.decode()
        assert "Content-Security-Policy" in response


def test_the_site_recovers_by_itself_when_the_database_returns(make_campaign, visitor, outage):
    make_campaign(slug="letter", title="Keep children safe online")
    outage.start()
    assert visitor.get("/c/letter/").status_code == 503

    outage.end()

    response = visitor.get("/c/letter/")
    assert response.status_code == 200
    assert "Keep children safe online" in response.content.decode()


def test_other_errors_still_get_the_500_page(make_campaign, visitor, monkeypatch):
    make_campaign(slug="letter")
    monkeypatch.setattr("petition.views.counting.totals", lambda campaign: 1 / 0)

    response = visitor.get("/api/campaigns/letter.json")

    assert response.status_code == 500
    assert "Sorry, something went wrong" in response.content.decode()
