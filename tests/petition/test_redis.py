"""Rate limits and the worker's nudge as production runs them: in a real Redis shared by every app server."""

import os

import pytest
import redis
from django_tasks_db.models import DBTaskResult

from petition import emails
from petition.models import Signature

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


@pytest.fixture
def shared_redis(settings, monkeypatch):
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL}")
    client.flushdb()
    settings.REDIS_URL = REDIS_URL
    monkeypatch.setattr(emails, "_run_due", 0.0)
    yield client
    client.flushdb()


def test_limits_in_redis_throttle_one_address_across_every_app_server(campaign, sign, settings, shared_redis):
    settings.SIGN_LIMITS_PER_IP = [(3, 3600)]
    settings.SIGN_CEILINGS_PER_IP = [(4, 3600)]  # the same window as the soft limit: one counter for both

    statuses = [sign(campaign, email=f"a{i}@example.org", ip="198.51.100.1").status_code for i in range(5)]

    assert statuses == [302, 302, 302, 302, 429]
    assert Signature.objects.held().count() == 1
    (key,) = [key for key in shared_redis.keys("rl:ip:*")]
    assert int(shared_redis.get(key)) == 5
    assert 3590 < shared_redis.ttl(key) <= 3601  # the window's, set with its first count and kept
    assert 0 < shared_redis.ttl(key) <= 3601


def test_the_nudge_in_redis_queues_one_run_however_many_sign(
    campaign, sign, settings, shared_redis, django_capture_on_commit_callbacks
):
    settings.SIGN_LIMITS_PER_DOMAIN = [(100, 60)]
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(5):
            sign(campaign, email=f"n{i}@example.org", ip=f"198.51.100.{i}")

    (task,) = DBTaskResult.objects.all()
    assert task.task_path == "petition.emails.send_due_emails"
    assert float(shared_redis.get(emails.NUDGE_KEY)) == pytest.approx(task.run_after.timestamp(), abs=0.01)
