"""A production-like stack on loopback for `make bench`, each part started and stopped by the benchmark.

PostgreSQL is a throwaway cluster of its own (so that a drill may restart it
without touching anyone else's), Redis a server of its own, an SMTP sink that
writes down every recipient, gunicorn app servers with sync workers, and the
task workers (several, sharing the outbox as they would on several machines).
Everything listens on 127.0.0.1 only.
"""

import glob
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# All below Linux's ephemeral range (32768 and up), which the load generators' connections use up.
PG_PORT = 25432
REDIS_PORT = 26379
SMTP_PORT = 22525
SLUG = "online-safety-bill"


def wait_for(check, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise SystemExit(f"{what} did not start within {seconds}s")


def port_open(port):
    import socket

    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Postgres:
    """A PostgreSQL cluster in a temporary directory, run as the postgres user when we are root."""

    def __init__(self, workdir):
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not binaries:
            raise SystemExit("PostgreSQL's server programs are needed (apt-get install postgresql)")
        self.bin = Path(binaries[-1]).parent
        self.data = Path(workdir) / "pg"
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.url = f"postgres://postgres@127.0.0.1:{PG_PORT}"

    def _run(self, *args, check=True):
        return subprocess.run(
            [*self.as_user, *args], check=check, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )

    def start(self):
        if port_open(PG_PORT):
            raise SystemExit(
                f"Port {PG_PORT} is taken: another bench is running (they share the bench's ports), or a server "
                "left behind by one that was killed ('pkill -f bench/' and 'pg_ctl stop' on its directory in /tmp)."
            )
        if not self.data.exists():
            self.data.mkdir(parents=True)
            if self.as_user:
                shutil.chown(self.data.parent, "postgres")
                shutil.chown(self.data, "postgres")
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
            settings = (
                f"port = {PG_PORT}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.data}'\n"
                "max_connections = 200\nshared_buffers = 256MB\nwork_mem = 16MB\n"
            )
            with open(self.data / "postgresql.conf", "a") as conf:
                conf.write(settings)
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.data / "log"), "-w", "start")

    def restart(self):
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "restart")

    def stop(self):
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def create(self, name):
        import psycopg

        with psycopg.connect(f"{self.url}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"{self.url}/{name}"


class Process:
    """A child process in its own process group, so that it and its children stop together."""

    def __init__(self, args, env, log):
        self.args, self.env, self.log = args, env, log
        self.popen = None

    def start(self):
        with open(self.log, "a") as log:
            self.popen = subprocess.Popen(
                self.args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def signal(self, sig):
        if self.popen and self.popen.poll() is None:
            os.killpg(self.popen.pid, sig)

    def kill(self):
        """As a crash would: no chance to finish anything."""
        self.signal(signal.SIGKILL)
        if self.popen:
            self.popen.wait()

    def stop(self):
        self.signal(signal.SIGTERM)
        if self.popen:
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


class Stack:
    def __init__(self, lease_seconds=20, senders=2):
        self.workdir = tempfile.mkdtemp(prefix="petition-bench-")
        self.postgres = Postgres(self.workdir)
        self.redis = Process(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(REDIS_PORT), "--save", "", "--appendonly", "no"],
            os.environ,
            f"{self.workdir}/redis.log",
        )
        self.sent_file = f"{self.workdir}/sent.txt"
        Path(self.sent_file).touch()
        self.smtp = None
        self.apps = {}
        self.senders = senders
        self.workers = []
        self.lease_seconds = lease_seconds
        self.static_root = f"{self.workdir}/static"
        self.env = None

    def environment(self, database_url):
        return os.environ | {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": "http://127.0.0.1:8101",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "DATABASE_URL": database_url,
            "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
            "EMAIL_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
            "STATIC_ROOT": self.static_root,
            "SIGN_FORM_MIN_SECONDS": "0",
            # Each part signs from forms loaded once at its start (bench/run.py's form_session), for up to an hour.
            "SIGN_FORM_MAX_AGE": "7200",
            # The load generators give each signer its own address in X-Forwarded-For.
            "TRUSTED_PROXIES": "127.0.0.1",
            # Short, so that the killed-worker drill need not wait two minutes for its batch.
            "OUTBOX_LEASE_SECONDS": str(self.lease_seconds),
            "LOG_LEVEL": "WARNING",
        }

    def start(self):
        self.postgres.start()
        self.redis.start()
        wait_for(lambda: port_open(REDIS_PORT), 10, "Redis")
        self.start_smtp()
        self.env = self.environment(self.postgres.create("petition"))
        self.manage("migrate", "-v0")
        self.manage("load_campaign")
        self.manage("collectstatic", "--noinput", "-v0")
        self.start_workers()
        return self

    def manage(self, *args):
        return subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, check=True, capture_output=True, text=True
        ).stdout

    def shell(self, code):
        return self.manage("shell", "--no-imports", "-v0", "-c", code)

    def start_smtp(self):
        self.smtp = Process(
            [PYTHON, "bench/smtp_sink.py", str(SMTP_PORT), self.sent_file], os.environ, f"{self.workdir}/smtp.log"
        ).start()
        wait_for(lambda: port_open(SMTP_PORT), 10, "The SMTP sink")

    def stop_smtp(self):
        self.smtp.stop()

    def sent(self):
        """Every recipient the SMTP sink has received a message for, in order."""
        return Path(self.sent_file).read_text().split()

    def pending_emails(self):
        """How many outbox emails are still to be sent: one query, not a Django process, as drains ask it often."""
        import psycopg

        with psycopg.connect(self.env["DATABASE_URL"]) as conn:
            return conn.execute("SELECT count(*) FROM petition_outgoingemail WHERE status = 'pending'").fetchone()[0]

    def start_workers(self):
        """Start `senders` task workers: they claim the outbox's batches with SKIP LOCKED, so none sends one twice."""
        command = [PYTHON, "manage.py", "worker", "--interval", "0.5", "--no-startup-delay"]
        self.workers = [
            Process(command, self.env, f"{self.workdir}/worker-{n}.log").start() for n in range(self.senders)
        ]

    def stop_workers(self):
        for worker in self.workers:
            worker.stop()
        self.workers = []

    def kill_workers(self):
        """SIGKILL every worker at once, as a crash of the machine they run on would."""
        for worker in self.workers:
            worker.signal(signal.SIGKILL)
        for worker in self.workers:
            worker.popen.wait()
        self.workers = []

    def start_app(self, port, workers, env=None):
        """gunicorn on `port`, on the stack's database unless `env` says another."""
        app = Process(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--worker-class",
                "sync",
                "--backlog",
                "2048",
                "--log-level",
                "warning",
            ],
            env or self.env,
            f"{self.workdir}/app-{port}.log",
        ).start()
        self.apps[port] = app

        def answers():
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/hello/", timeout=1).read()
                return True
            except OSError:
                return False

        wait_for(answers, 30, f"gunicorn on {port}")
        return app

    def rss_mb(self, port):
        """Median resident memory of an app server's workers, in MB."""
        app = self.apps[port].popen
        children = subprocess.run(["pgrep", "-P", str(app.pid)], capture_output=True, text=True).stdout.split()
        sizes = sorted(
            int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1)) / 1024
            for pid in children
        )
        return sizes[len(sizes) // 2] if sizes else 0

    def stop(self):
        for app in self.apps.values():
            app.stop()
        self.stop_workers()
        for part in (self.smtp, self.redis):
            if part:
                part.stop()
        self.postgres.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)
