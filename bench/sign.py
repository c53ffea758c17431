"""Signing under concurrency: throughput, latency and an exact count, against a floor measured in the same run.

Starts gunicorn (sync workers) on PostgreSQL and Redis, as in production, and
drives it with wrk from 127.0.0.1:

1. floor: a bare view inserting the same signature row, nothing else;
2. sign: the real sign form (CSRF, form clock, validation, rate limits in
   Redis, the row, its outbox email and task, one transaction);
3. confirm: every signature's confirmation link, then checks that the count
   equals the confirmed signatures and that every "check your email" answer
   has its row and its email.

Usage: .venv/bin/python bench/sign.py [--seconds 15] [--connections 32] [--runs 3]
Needs wrk (apt-get install wrk), PostgreSQL and Redis on their usual local ports.
"""

import argparse
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PORT = 8091
BASE = f"http://127.0.0.1:{PORT}"
SLUG = "online-safety-bill"


def environment(database_url, static_root):
    return os.environ | {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": BASE,
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "DATABASE_URL": database_url,
        "REDIS_URL": "redis://127.0.0.1:6379/15",
        "STATIC_ROOT": static_root,
        "SIGN_FORM_MIN_SECONDS": "0",
        # wrk gives every request its own client address in X-Forwarded-For.
        "TRUSTED_PROXIES": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }


def run(args, env, **kwargs):
    return subprocess.run(args, cwd=ROOT, env=env, check=True, **kwargs)


def prepare(env, admin_url, name):
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    run([PYTHON, "manage.py", "migrate", "-v0"], env)
    run([PYTHON, "manage.py", "load_campaign"], env, stdout=subprocess.DEVNULL)
    run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], env)
    run(["redis-cli", "-n", "15", "flushdb"], env, stdout=subprocess.DEVNULL)


def start_server(env, workers):
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{PORT}",
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
            "--backlog",
            "2048",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{BASE}/", timeout=1).read()  # noqa: S310 (our own http:// URL)
            return server
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not start")


def form_session():
    """A CSRF cookie, its form token and a signed form clock, as a browser holds after loading the page."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{BASE}/c/{SLUG}/sign/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    clock = re.search(r'name="started" value="([^"]+)"', page).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, token, clock


def wrk(script, path, seconds, connections, extra_env):
    threads = 2
    result = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", script, BASE + path],
        cwd=ROOT,
        env=os.environ | extra_env | {"THREADS": str(threads)},
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise SystemExit(f"wrk failed: {result.stdout}{result.stderr}")
    line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT"))
    figures = dict(item.split("=") for item in line.split()[1:])
    return {key: float(value) for key, value in figures.items()}


def rss_mb(server):
    """Resident memory of gunicorn's workers, in MB each (median)."""
    children = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
    sizes = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)
    return statistics.median(sizes) if sizes else 0


def database_facts(env, prefix):
    script = f"""
from petition.models import Signature, OutgoingEmail
from petition import counting
from campaign.models import Campaign
c = Campaign.objects.get(slug={SLUG!r})
signed = Signature.objects.filter(email__startswith={prefix!r})
print(signed.count(), OutgoingEmail.objects.filter(signature__in=signed).count(),
      Signature.objects.confirmed().filter(campaign=c).count(), counting._sum_shards(c.pk).count)
"""
    out = run(
        [PYTHON, "manage.py", "shell", "--no-imports", "-v0", "-c", script], env, capture_output=True, text=True
    ).stdout.split()
    return dict(zip(["rows", "emails", "confirmed", "count"], map(int, out), strict=True))


def confirmation_paths(env, prefix):
    script = f"""
from petition.models import Signature
from petition.signing import confirmation_token
for s in Signature.objects.filter(email__startswith={prefix!r}, status="pending").only("pk"):
    print(f"/c/{SLUG}/confirm/{{confirmation_token(s)}}/")
"""
    out = run([PYTHON, "manage.py", "shell", "--no-imports", "-v0", "-c", script], env, capture_output=True, text=True)
    return out.stdout.split()


def confirm_all(paths, cookie, body, connections):
    """Press every confirmation button once, from `connections` keep-alive connections; latencies in ms."""
    import http.client
    from concurrent.futures import ThreadPoolExecutor

    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}

    def worker(share):
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        timings, failures = [], 0
        for path in share:
            started = time.perf_counter()
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            timings.append((time.perf_counter() - started) * 1000)
            failures += response.status != 302
        connection.close()
        return timings, failures

    with ThreadPoolExecutor(connections) as pool:
        results = list(pool.map(worker, [paths[i::connections] for i in range(connections)]))
    timings = sorted(t for result in results for t in result[0])
    return {
        "p50_ms": timings[len(timings) // 2] if timings else 0,
        "p99_ms": timings[int(len(timings) * 0.99)] if timings else 0,
        "failures": sum(result[1] for result in results),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, nargs="+", default=[32])
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement; medians are reported")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 2 + 1)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    options = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")

    static_root = tempfile.mkdtemp(prefix="bench-static-")
    env = environment(f"{options.postgres}/petition_bench", static_root)
    prepare(env, f"{options.postgres}/postgres", "petition_bench")
    server = start_server(env, options.workers)
    rows = []
    try:
        cookie, token, clock = form_session()
        form = {
            "csrfmiddlewaretoken": token,
            "first_name": "Bench",
            "last_name": "Signer",
            "email": "EMAIL",
            "location": "uk",
            "postcode": "BN1 1AA",
            "started": clock,
            "website": "",
        }
        body = urllib.parse.urlencode(form)
        for connections in options.connections:
            floors, signs = [], []
            for run_number in range(options.runs):
                tag = f"c{connections}r{run_number}"
                floors.append(
                    wrk(
                        "bench/post.lua",
                        "/bench/floor/",
                        options.seconds,
                        connections,
                        {"BODY": "email=EMAIL", "COOKIE": cookie, "PREFIX": f"floor-{tag}"},
                    )
                )
                signs.append(
                    wrk(
                        "bench/post.lua",
                        f"/c/{SLUG}/sign/",
                        options.seconds,
                        connections,
                        {"BODY": body, "COOKIE": cookie, "PREFIX": f"sign-{tag}"},
                    )
                )
            floor_rps = statistics.median(r["requests"] / r["seconds"] for r in floors)
            sign_rps = statistics.median(r["requests"] / r["seconds"] for r in signs)
            told = sum(r.get("status_302", 0) for r in signs)
            refused = sum(r["requests"] - r.get("status_302", 0) for r in signs)
            facts = database_facts(env, "sign-")
            facts_sign = {k: v for k, v in facts.items() if k in ("rows", "emails")}
            rows.append(
                {
                    "connections": connections,
                    "floor_rps": floor_rps,
                    "sign_rps": sign_rps,
                    "ratio": sign_rps / floor_rps,
                    "p50": statistics.median(r["p50_ms"] for r in signs),
                    "p99": statistics.median(r["p99_ms"] for r in signs),
                    "floor_p99": statistics.median(r["p99_ms"] for r in floors),
                    "errors": refused + sum(r["socket_errors"] for r in signs),
                    "told": told,
                    **facts_sign,
                }
            )

        paths = confirmation_paths(env, "sign-")
        started = time.monotonic()
        confirm = confirm_all(
            paths, cookie, urllib.parse.urlencode({"csrfmiddlewaretoken": token}), min(options.connections)
        )
        confirm_seconds = time.monotonic() - started
        to_confirm = len(paths)
        memory = rss_mb(server)
        time.sleep(3)  # let the cached count expire
        facts = database_facts(env, "sign-")
        api = urllib.request.urlopen(f"{BASE}/api/campaigns/{SLUG}.json").read().decode()  # noqa: S310
        api_count = int(re.search(r'"count": (\d+)', api).group(1))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(static_root, ignore_errors=True)

    header = (
        f"Signing benchmark: gunicorn {options.workers} sync workers, PostgreSQL, Redis, wrk 2 threads; "
        f"{options.seconds}s per run, median of {options.runs}; {os.cpu_count()} cores shared by all of them"
    )
    print(f"\n{header}")
    columns = ["conc.", "floor/s", "sign/s", "ratio", "p50 ms", "p99 ms", "floor p99", "errors"]
    print(" ".join(f"{name:>9}" for name in columns))
    for row in rows:
        figures = [row["connections"], row["floor_rps"], row["sign_rps"], f"{row['ratio']:.0%}"]
        figures += [f"{row['p50']:.1f}", f"{row['p99']:.1f}", f"{row['floor_p99']:.1f}", row["errors"]]
        print(" ".join(f"{figure:>9.0f}" if isinstance(figure, float) else f"{figure:>9}" for figure in figures))

    told = sum(row["told"] for row in rows)
    # wrk stops counting with requests in flight: those signers were answered, but not counted.
    in_flight = sum(options.connections) * options.runs
    intact = told <= facts["rows"] <= told + in_flight and facts["rows"] == facts["emails"]
    print(
        f"\nTold 'check your email': {told:.0f} (+ up to {in_flight} answered after wrk stopped counting); "
        f"signature rows {facts['rows']}; outbox emails {facts['emails']} -> {'none lost' if intact else 'LOST'}"
    )
    print(
        f"Confirmations: {to_confirm} in {confirm_seconds:.1f}s = {to_confirm / confirm_seconds:.0f}/s "
        f"(p50 {confirm['p50_ms']:.1f} ms, p99 {confirm['p99_ms']:.1f} ms, {confirm['failures']} failed; "
        "from a Python client, so a lower bound)"
    )
    exact = facts["count"] == facts["confirmed"] == api_count
    print(
        f"Count once the load stopped: shards {facts['count']}, confirmed rows {facts['confirmed']}, "
        f"API {api_count} -> {'exact' if exact else 'NOT EXACT'}"
    )
    print(f"Memory: {memory:.0f} MB RSS per gunicorn worker (median)")
    return 0 if exact and intact else 1


if __name__ == "__main__":
    sys.exit(main())
