import fcntl
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from campaign.loading import content_files, load_campaign
from campaign.models import Ask, Campaign, Fact, Source
from petition import public, visits


@pytest.fixture(scope="session", autouse=True)
def static_files():
    """Collect static files once, so pages are served with hashed names as in production.

    Skipped when the collected files are newer than every source file (whitenoise compresses every
    file again on each run: seconds that the inner loop, `make test-fast`, should not pay twice).
    Parallel workers (pytest -n) take turns: the first collects, the others find the files fresh."""
    root = Path(settings.STATIC_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".collecting", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        manifest = root / "staticfiles.json"
        sources = (
            storage.path(path) for finder in finders.get_finders() for path, storage in finder.list(ignore_patterns=[])
        )
        if manifest.exists() and all(Path(source).stat().st_mtime < manifest.stat().st_mtime for source in sources):
            return
        call_command("collectstatic", "--noinput", verbosity=0)


@pytest.fixture(scope="session", autouse=True)
def nobody_left_on_the_test_database(django_db_setup, django_db_blocker):
    """At the end, end any session a test's subprocess (a task worker, say) left on the PostgreSQL test database,
    which would otherwise make dropping it fail after every test has passed."""
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def empty_cache():
    """Counts, rate limits, recent signers and campaigns live in caches, and visits in memory until they are written
    (petition.visits): each test starts with none."""
    for cache in caches.all():
        cache.clear()
    public.forget_copies()
    visits._pending.clear()
    yield
    for cache in caches.all():
        cache.clear()
    public.forget_copies()
    visits._pending.clear()


@pytest.fixture
def make_campaign(db):
    """Return a function that creates a campaign; keyword arguments override the defaults."""

    def make(**fields):
        slug = fields.pop("slug", f"letter-{Campaign.objects.count() + 1}")
        defaults = {
            "title": "Keep children safe online",
            "summary": "Ask the minister to act.",
            "recipient_name": "A. Minister MP",
            "recipient_role": "Secretary of State",
            "letter": "Dear Minister,\n\nPlease act.",
            "status": Campaign.Status.OPEN,
            "opens_at": timezone.now() - timedelta(days=1),
            "signature_goal": 1000,
            "share_text": "I signed.",
        }
        if fields.get("status") == Campaign.Status.CLOSED:
            fields.setdefault("closes_at", timezone.now())
        return Campaign.objects.create(slug=slug, **(defaults | fields))

    return make


@pytest.fixture
def make_fact(db):
    def make(campaign, **fields):
        source = fields.pop("source", None) or Source.objects.get_or_create(name="Police FOI replies")[0]
        defaults = {
            "position": campaign.facts.count() + 1,
            "number": 100,
            "counts": "offences recorded",
            "area": "Sussex",
            "period": "2020/21",
        }
        return Fact.objects.create(campaign=campaign, source=source, **(defaults | fields))

    return make


@pytest.fixture
def make_ask(db):
    def make(campaign, **fields):
        defaults = {"position": campaign.asks.count() + 1, "title": "Do this", "explanation": "Because."}
        return Ask.objects.create(campaign=campaign, **(defaults | fields))

    return make


@pytest.fixture
def real_campaign(db):
    """The open letter this site ships with, loaded as `make run` loads it."""
    (path,) = content_files()
    return load_campaign(path).campaign


def sign_in(client, user):
    """Sign a test client in as a staff member who gave their password and a code from their authenticator app,
    as django-otp marks a session once a code is checked. Returns the app (a TOTP device), made if need be."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    device = device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def code_from_app(device):
    """The code an authenticator app shows now for a TOTP device, as its owner would read it."""
    from django_otp.oath import totp

    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


@pytest.fixture
def staff(db):
    """Return a function making a signed-in staff client in the named groups (the user is `client.user`)."""
    from django.contrib.auth.models import Group, User
    from django.test import Client

    def make(*groups, username="staffer"):
        user = User.objects.create_user(username, password="a long enough password", is_staff=True)
        user.groups.set(Group.objects.filter(name__in=groups))
        client = Client()
        sign_in(client, user)
        client.user = user
        return client

    return make


@pytest.fixture
def admin_client(db, admin_user):
    """pytest-django's superuser client, through the second factor as every staff client must be."""
    from django.test import Client

    client = Client()
    sign_in(client, admin_user)
    return client


@pytest.fixture
def moderator(staff):
    return staff("Moderators", username="mod")


@pytest.fixture
def manager(staff):
    return staff("Campaign managers", username="manager")
