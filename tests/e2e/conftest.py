"""Browser tests: Playwright driving Debian's Chromium against a live server.

The browser is the system's (`CHROMIUM_PATH`, default /usr/bin/chromium);
Playwright never downloads one. A missing browser fails the run: these tests
are part of the suite, not an optional extra.
"""

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright
from pytest_django.live_server_helper import LiveServer

# Playwright's sync API keeps an event loop in this thread; Django's ORM calls
# from test code are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
PHONE = {"width": 360, "height": 740}
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


class WhiteNoiseLiveServer(LiveServer):
    """A live server whose static files come from whitenoise, hashed, as in production."""

    def __init__(self, addr):
        super().__init__(addr, start=False)
        self.thread.static_handler = lambda handler: handler
        self.start()


@pytest.fixture
def signing_at_once(settings):
    """What a journey through the pages needs to run at a test's pace: forms may be sent at once, each email is sent
    as soon as it is queued (a sending run per signature, not one a second), and nothing public is cached."""
    settings.SIGN_FORM_MIN_SECONDS = 0
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.OUTBOX_NUDGE_SECONDS = 0
    settings.COUNT_CACHE_SECONDS = 0
    settings.PAGE_CACHE_SECONDS = 0
    settings.CAMPAIGN_CACHE_SECONDS = 0


@pytest.fixture(scope="session")
def live_server(static_files):
    server = WhiteNoiseLiveServer("localhost")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"The browser tests need Chromium at {CHROMIUM}: install it (apt-get install chromium) "
            "or set CHROMIUM_PATH."
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
            # `make test-future` moves the clocks of this process with libfaketime; Chromium
            # spins under it, and the site under test is what must not depend on the date.
            env={name: value for name, value in os.environ.items() if name not in {"LD_PRELOAD", "FAKETIME"}},
        )
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    """A page in a fresh phone-sized browser context."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def accessibility_violations():
    """Return a function giving axe-core's WCAG 2.2 A/AA violations on a page, as readable lines."""
    axe = Axe()

    def check(page):
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
        return [
            f"{violation['id']}: {violation['help']} ({', '.join(node['target'][0] for node in violation['nodes'])})"
            for violation in results.response["violations"]
        ]

    return check
