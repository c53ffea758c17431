"""Settings come from the environment; each case runs Django in a fresh process."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each case starts Django in a fresh process

BASE_DIR = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "letter.example.org",
    "SITE_URL": "https://letter.example.org",
    "DATABASE_URL": "postgres://petition:secret@db.internal:5432/petition",
    "REDIS_URL": "redis://cache.internal:6379/1",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.org:587",
}

PRINT_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "DATABASE": {k: settings.DATABASES["default"].get(k) for k in ("ENGINE", "NAME", "HOST", "PORT", "USER")},
    "DATABASE_OPTIONS": settings.DATABASES["default"].get("OPTIONS", {}),
    "CACHE": settings.CACHES["default"],
    "MAILERS": settings.MAILERS,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
}, default=str))
"""


def run_django(args, **environment):
    """Run Python with exactly the given environment, outside pytest (so not in test mode)."""
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings", **environment}
    return subprocess.run([sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60)


def settings_under(**environment):
    result = run_django(["-c", PRINT_SETTINGS], **environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_settings_pass_the_deployment_checklist_silently():
    result = run_django(["manage.py", "check", "--deploy", "--fail-level", "DEBUG"], **PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_production_urls_configure_postgres_redis_and_smtp():
    settings = settings_under(**PRODUCTION)

    assert settings["DEBUG"] is False
    assert settings["DATABASE"] == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "petition",
        "HOST": "db.internal",
        "PORT": 5432,
        "USER": "petition",
    }
    assert settings["CACHE"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert settings["CACHE"]["LOCATION"] == "redis://cache.internal:6379/1"
    assert settings["MAILERS"]["default"] == {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": "smtp.example.org",
            "port": 587,
            "username": "mailer",
            "password": "secret",
            "use_tls": True,
            "timeout": 10,
        },
    }
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SESSION_COOKIE_SECURE"] is True


def test_postgresql_keeps_the_hot_path_s_statements_prepared_unless_a_pooler_forbids_it():
    assert settings_under(**PRODUCTION)["DATABASE_OPTIONS"] | {"connect_timeout": 3} == {
        "connect_timeout": 3,
        "server_side_binding": True,
        "prepare_threshold": 5,
        "cursor_factory": "<class 'config.postgres.Cursor'>",  # which prepares only the statements it is told to
    }
    assert settings_under(**PRODUCTION, DATABASE_PREPARE_THRESHOLD="0")["DATABASE_OPTIONS"] == {"connect_timeout": 3}


def test_a_new_checkout_runs_on_sqlite_with_cache_in_memory():
    settings = settings_under(DEBUG="true")

    assert settings["DATABASE"]["ENGINE"] == "django.db.backends.sqlite3"
    assert settings["DATABASE"]["NAME"] == str(BASE_DIR / "db.sqlite3")
    assert settings["CACHE"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert settings["MAILERS"]["default"]["BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert settings["SECURE_SSL_REDIRECT"] is False


def test_cache_url_wins_over_redis_url():
    settings = settings_under(DEBUG="true", REDIS_URL="redis://one:6379/0", CACHE_URL="locmemcache://")
    assert settings["CACHE"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_production_refuses_to_start_without_a_secret_key():
    environment = dict(PRODUCTION)
    del environment["SECRET_KEY"]

    result = run_django(["-c", PRINT_SETTINGS], **environment)

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "perhaps"),
        ("SITE_URL", "not a url"),
        ("CONN_MAX_AGE", "soon"),
        # Each origin goes into the embed pages' CSP as it is: nothing but an origin may pass.
        ("EMBED_ORIGINS", "*"),
        ("EMBED_ORIGINS", "https://partner.example.org/page"),
        ("EMBED_ORIGINS", "https://partner.example.org; script-src *"),
    ],
)
def test_a_malformed_value_stops_start_up_with_its_name(name, value):
    result = run_django(["-c", PRINT_SETTINGS], **(PRODUCTION | {name: value}))

    assert result.returncode != 0
    assert name in result.stderr or value in result.stderr


@pytest.mark.parametrize("value", ["10", "10/60/5", "10/0", "0/60", "10/60,x"])
def test_a_rate_limit_that_is_not_a_count_and_seconds_stops_start_up(value):
    result = run_django(["-c", PRINT_SETTINGS], **(PRODUCTION | {"SIGN_LIMITS_PER_IP": value}))

    assert result.returncode != 0
    assert "SIGN_LIMITS_PER_IP must look like 10/60,60/3600" in result.stderr


def test_env_example_documents_every_variable_the_settings_read():
    settings_source = (BASE_DIR / "config" / "settings.py").read_text()
    example = (BASE_DIR / ".env.example").read_text()

    read = set(re.findall(r'env(?:\.\w+|_bool)\(\s*"([A-Z_]+)"', settings_source))
    documented = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))

    assert len(read) > 10
    assert read <= documented, f"undocumented: {sorted(read - documented)}"


def test_the_production_settings_behave_the_same_under_pytest():
    """Tests get their differences from config.testing; the production module never asks who is running it."""
    environment = dict(PRODUCTION, PYTEST_VERSION="9.0.0", PYTEST_CURRENT_TEST="tests/x.py::y (call)")
    assert settings_under(**environment)["SECURE_SSL_REDIRECT"] is True

    del environment["SECRET_KEY"]
    result = run_django(["-c", PRINT_SETTINGS], **environment)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr
