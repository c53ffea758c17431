"""A PostgreSQL database of a benchmark's own: migrated, with the real campaign and N confirmed signatures.

The signatures are made by one INSERT ... SELECT over generate_series: a third
of them named, one in ten with an approved message that starts like a
spreadsheet formula. Unless told a server, the database is made in a
throwaway cluster (bench/stack.py's), so that a fresh clone needs no
PostgreSQL running and no one else's server carries the million rows.
"""

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from bench.stack import Postgres

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

FILL = """
INSERT INTO petition_signature (
    campaign_id, status, first_name, last_name, email, mailbox, token, email_domain,
    postcode, country, region, show_name, contact_opt_in, contact_wording, message, message_status, consent_version,
    ip_hash, created_at, confirmed_at, invalidation_reason, held_reason, is_demo, source
)
SELECT c.id, 'confirmed', 'Signer', 'Number ' || n, 's' || n || '@example.org', 's' || n || '@example.org',
       't' || n, 'example.org', 'BN1 1AA', 'GB', 'south-east', n %% 3 = 0, false, '2026-11-23',
       CASE WHEN n %% 10 = 0 THEN '=HYPERLINK("x") please act' ELSE '' END,
       CASE WHEN n %% 10 = 0 THEN 'approved' ELSE '' END,
       'bench', md5(n::text), now(), now(), '', '', false, CASE WHEN n %% 4 = 0 THEN 'whatsapp' ELSE '' END
FROM generate_series(1, %(rows)s) AS n, campaign_campaign AS c WHERE c.slug = 'online-safety-bill'
"""


@contextlib.contextmanager
def server(url=None):
    """Yields `url` (postgres://user@host:port) if given, else that of a throwaway cluster, stopped afterwards."""
    if url:
        yield url
        return
    workdir = tempfile.mkdtemp(prefix="petition-bench-")
    postgres = Postgres(workdir)
    try:
        postgres.start()
        yield postgres.url
    finally:
        postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def environment(database_url):
    """The environment for manage.py on `database_url`."""
    return os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
    }


@contextlib.contextmanager
def filled_database(postgres, name, rows):
    """Create database `name` with `rows` signatures; yields the environment for manage.py; drops it after."""
    env = environment(f"{postgres}/{name}")
    with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run([PYTHON, "manage.py", "load_campaign"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        started = time.monotonic()
        with psycopg.connect(f"{postgres}/{name}", autocommit=True) as conn:
            conn.execute(FILL, {"rows": rows})
            conn.execute("VACUUM ANALYZE petition_signature")
        print(f"Filled {rows:,} signatures in {time.monotonic() - started:.1f}s", flush=True)
        yield env
    finally:
        with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_in_django(env, code):
    """Run `code` in a fresh process with Django set up; returns what it printed."""
    command = [PYTHON, "manage.py", "shell", "--no-imports", "-v0", "-c", code]
    return subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
