"""Staff sessions end after a working day idle; supporters never get one."""

from datetime import timedelta

import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from tests.conftest import sign_in


def test_a_staff_session_ends_after_a_working_day_without_a_request(db, settings):
    settings.SESSION_COOKIE_AGE = 8 * 3600
    with time_machine.travel(timezone.now(), tick=False) as now:
        client = Client()
        sign_in(client, User.objects.create_user("mod", is_staff=True))
        assert client.get("/admin/").status_code == 200
        for _ in range(3):  # a long day, with a request every seven hours
            now.shift(timedelta(hours=7))
            assert client.get("/admin/").status_code == 200

        now.shift(timedelta(hours=8, minutes=1))
        response = client.get("/admin/")

    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_supporters_are_given_no_session(real_campaign, client):
    client.get(f"/c/{real_campaign.slug}/")
    client.get(f"/c/{real_campaign.slug}/sign/")
    assert "sessionid" not in client.cookies
