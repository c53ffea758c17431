"""
Settings for the test suite: the production settings, read from the environment like any deployment,
with the few differences a test run needs given here as environment defaults, so that the production
module never asks whether it is being tested. A variable set in the shell still wins.
"""

import os
import tempfile

TEST_ENVIRONMENT = {
    # Production-like whatever a developer's .env says: DEBUG changes static files and security defaults.
    "DEBUG": "false",
    # A throwaway key: nothing signed in a test outlives it.
    "SECRET_KEY": "tests-only-not-secret",
    # The test client and the live server speak plain HTTP.
    "SECURE_SSL_REDIRECT": "false",
    # Tests open dozens of connections at once on a busy machine, where the production
    # three seconds (fail fast, show the outage page) would fail the test instead.
    "DATABASE_CONNECT_TIMEOUT": "30",
}
for name, value in TEST_ENVIRONMENT.items():
    os.environ.setdefault(name, value)

from config.settings import *  # noqa: E402, F403
from config.settings import DATABASES  # noqa: E402

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that tests can sign from many threads at once; one per test run, so that
    # runs side by side do not share it, unless TEST_SQLITE_PATH names one to keep (`make test-fast`).
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("TEST_SQLITE_PATH") or f"{tempfile.gettempdir()}/petition-test-{os.getpid()}.sqlite3"
    }

# Staff sign in all through the suite: production's deliberately slow hasher would spend half a second on every
# user a test creates and every login, for nothing a test checks.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The suite makes hundreds of test clients, and each loads the middleware afresh: whitenoise would read
# every collected file's headers each time (40% of `make test-fast`). Looking each file up when it is
# asked for instead serves the same file with the same headers.
WHITENOISE_AUTOREFRESH = True
