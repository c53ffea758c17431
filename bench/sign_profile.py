"""Where a signature's time goes: the sign request taken apart, in microseconds, beside the floor's.

Runs the site in this process, as one gunicorn sync worker would (Django's WSGI handler, called directly: no
network and no server in the way), on the bench's own PostgreSQL and Redis. Between every two middleware a layer
that only keeps time is slipped in, and the view's parts (the campaign, the CSRF check, the form, the limits,
the insert, the receipt) are timed where they are called; each part's figure is its own time, what it calls
excepted. The floor (bench/urls.py: the same row inserted with nothing else) goes through the same handler, so
that the last lines say how much of a signature is the insert and how much everything the site adds.

Each request signs with its own address, from its own client address, on a form loaded once (the bench's
settings let a form be sent at once and for two hours). Figures are means over --requests after a warm-up;
queries are counted per request.

Usage: .venv/bin/python bench/sign_profile.py [--requests 2000] [--quick] [--here] [--functions N]

--functions N adds cProfile's N functions with the most time of their own over the sign requests (cProfile slows
every call, so the table's figures are then larger).

With --here it starts nothing and uses the database and Redis its environment names, migrated and with the
campaign loaded (make bench runs it so on its stack, with the task workers stopped).
"""

import argparse
import cProfile
import io
import itertools
import os
import pstats
import re
import sys
import time
from collections import Counter, defaultdict
from contextlib import ExitStack, contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SLUG = "online-safety-bill"
SIGN = f"/c/{SLUG}/sign/"
FLOOR = "/bench/floor/"
WARM_UP = 200

spent = defaultdict(float)  # seconds in each stopwatch (what it calls included) and each view part (excluded)
nested = []  # for each timed part running now, the time spent so far in timed parts it called


class Stopwatch:
    """A middleware that only keeps time: how long the request spends inside it (and so in everything below)."""

    name = "?"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        try:
            return self.get_response(request)
        finally:
            spent[self.name] += time.perf_counter() - started


def stopwatches(middleware):
    """The settings' MIDDLEWARE with a Stopwatch above each one, and one above the view; and the stopwatches' names."""
    chain, names = [], []
    for position, path in enumerate([*middleware, "the view"]):
        name = f"inside {path}"
        watch = type(f"Stopwatch{position}", (Stopwatch,), {"name": name})
        setattr(sys.modules[__name__], watch.__name__, watch)
        chain.append(f"{__name__}.{watch.__name__}")
        names.append(name)
        if path != "the view":
            chain.append(path)
    return chain, names


@contextmanager
def timed(owner, attribute, name):
    """Time every call of owner.attribute under `name` while the block runs: its own time, timed parts it calls
    excepted (the insert works out the email's domain too)."""
    original = getattr(owner, attribute)

    def timing(*args, **kwargs):
        nested.append(0.0)
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            elapsed = time.perf_counter() - started
            spent[name] += elapsed - nested.pop()
            if nested:
                nested[-1] += elapsed

    setattr(owner, attribute, timing)
    try:
        yield
    finally:
        setattr(owner, attribute, original)


def view_parts():
    """The parts of the sign view, by what it calls, each timed where it is called (see petition/views.py)."""
    from django.middleware.csrf import CsrfViewMiddleware

    from petition import domains, ratelimits, receipts, signing, views
    from petition.forms import SignForm

    return [
        (views, "_campaign_for_signing", "the campaign (kept in the process)"),
        (CsrfViewMiddleware, "process_view", "the CSRF check"),
        (SignForm, "__init__", "making the form"),
        (SignForm, "full_clean", "the form's checks: fields, postcode, email, clock"),
        (signing, "hash_ip", "hashing the client's address"),
        (views, "mailbox", "the mailbox the address reaches"),
        (domains, "registrable", "the email's registrable domain"),
        (ratelimits, "signing_verdict", "the limits (one Redis round trip)"),
        (signing, "sign", "the insert (one statement)"),
        (receipts, "open_receipt", "the receipt"),
        (receipts, "check_email_url", "the receipt"),
    ]


def call(handler, method, path, body=b"", cookie="", client="10.0.0.1"):
    """One request through the WSGI handler, as gunicorn makes it; returns (status, headers, body)."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8101",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8101",
        "HTTP_X_FORWARDED_FOR": client,
        "HTTP_COOKIE": cookie,
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = int(status.split()[0]), headers

    response = handler(environ, start_response)
    content = b"".join(response)
    response.close()
    return answer["status"], answer["headers"], content


def loaded_form(handler):
    """The CSRF cookie and the sign form's fields, as a browser holds them after loading the page."""
    status, headers, content = call(handler, "GET", SIGN)
    assert status == 200, status
    jar = SimpleCookie()
    for name, value in headers:
        if name.lower() == "set-cookie":
            jar.load(value)
    page = content.decode()
    fields = {
        "csrfmiddlewaretoken": re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1),
        "first_name": "Bench",
        "last_name": "Signer",
        "location": "uk",
        "postcode": "BN1 1AA",
        "started": re.search(r'name="started" value="([^"]+)"', page).group(1),
        "website": "",
    }
    return "; ".join(f"{name}={morsel.value}" for name, morsel in jar.items()), fields


def measure(handler, requests, cookie, fields, profiler=None):
    """Sign `requests` times and insert as many floor rows, interleaved so that the machine's drift falls on both
    alike (after a warm-up). Returns, for each, the mean µs per request, the queries per request, and the time
    spent in each stopwatch and view part."""
    global spent
    from django.db import connection

    queries = {}

    def count(execute, sql, params, many, context):
        queries[path] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        for n in range(WARM_UP + requests):
            if n == WARM_UP:
                parts = {SIGN: defaultdict(float), FLOOR: defaultdict(float)}
                totals, queries = {SIGN: 0.0, FLOOR: 0.0}, {SIGN: 0, FLOOR: 0}
            client = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
            for path in (SIGN, FLOOR) if n % 2 else (FLOOR, SIGN):
                if n >= WARM_UP:
                    spent = parts[path]
                queries.setdefault(path, 0)
                body = urlencode({**fields, "email": f"{path.strip('/').replace('/', '-')}-{n}@gmail.com"}).encode()
                profiling = profiler is not None and path == SIGN and n >= WARM_UP
                if profiling:
                    profiler.enable()
                started = time.perf_counter()
                status, headers, _ = call(handler, "POST", path, body, cookie, client)
                if profiling:
                    profiler.disable()
                if n >= WARM_UP:
                    totals[path] += time.perf_counter() - started
                assert status == 302 and "check-your-email" in dict(headers)["Location"], (status, headers)
    return {path: (totals[path] / requests * 1e6, queries[path] / requests, parts[path]) for path in (SIGN, FLOOR)}


def breakdown(names, request_us, requests, spent):
    """Each part's own time in µs per request: the handler, each middleware, and the view's parts."""
    per = {name: seconds / requests * 1e6 for name, seconds in spent.items()}
    rows = [("the WSGI handler (request and response objects)", request_us - per[names[0]])]
    for outer, inner in itertools.pairwise(names):
        rows.append((outer.removeprefix("inside ").rpartition(".")[2], per[outer] - per[inner]))
    parts = Counter()
    for _, _, name in view_parts():
        parts[name] = per.get(name, 0.0)
    rows.append(("URL resolving, the view's own code and the redirect", per[names[-1]] - sum(parts.values())))
    rows.extend(parts.items())
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="signatures timed after the warm-up (2000)")
    parser.add_argument("--quick", action="store_true", help="500 signatures")
    parser.add_argument("--here", action="store_true", help="on the database and Redis the environment names")
    parser.add_argument("--functions", type=int, default=0, help="cProfile's top N functions by their own time")
    options = parser.parse_args()
    requests = 500 if options.quick else options.requests
    if options.here:
        return profile(requests, options.functions)

    from bench.stack import REDIS_PORT, Process, Stack, port_open, wait_for

    stack = Stack()
    try:
        stack.postgres.start()
        stack.redis = Process(stack.redis.args, os.environ, f"{stack.workdir}/redis.log").start()
        wait_for(lambda: port_open(REDIS_PORT), 10, "Redis")
        stack.env = stack.environment(stack.postgres.create("petition"))
        stack.manage("migrate", "-v0")
        stack.manage("load_campaign")
        stack.manage("collectstatic", "--noinput", "-v0")
        os.environ.update(stack.env)
        return profile(requests, options.functions)
    finally:
        stack.stop()


def profile(requests, functions=0):
    import django

    django.setup()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.test.utils import override_settings

    middleware, names = stopwatches(settings.MIDDLEWARE)
    with ExitStack() as patches:
        # Before the handler is made: it keeps the middleware's process_view methods (the CSRF check) as it finds them.
        for owner, attribute, name in view_parts():
            patches.enter_context(timed(owner, attribute, name))
        with override_settings(MIDDLEWARE=middleware):
            handler = WSGIHandler()
        cookie, fields = loaded_form(handler)
        profiler = cProfile.Profile() if functions else None
        measured = measure(handler, requests, cookie, fields, profiler)
    (sign_us, sign_queries, sign_parts), (floor_us, floor_queries, _) = measured[SIGN], measured[FLOOR]
    rows = breakdown(names, sign_us, requests, sign_parts)

    width = max(len(name) for name, _ in rows)
    print(
        f"Where a signature's time goes: {requests:,} signatures and as many floor rows, interleaved, in one process; "
        "means per request"
    )
    print(f"{'part':<{width}}  {'µs':>6}  {'share':>5}")
    for name, us in rows:
        print(f"{name:<{width}}  {us:6.0f}  {us / sign_us:5.0%}")
    print(f"{'signing, the whole request':<{width}}  {sign_us:6.0f}  {1:5.0%}   {sign_queries:.1f} queries")
    print(
        f"{'the floor, the whole request':<{width}}  {floor_us:6.0f}  {floor_us / sign_us:5.0%}   "
        f"{floor_queries:.1f} queries"
    )
    print(
        f"One process: signing {1e6 / sign_us:,.0f}/s, the floor {1e6 / floor_us:,.0f}/s "
        f"(signing at {floor_us / sign_us:.0%} of the floor)"
    )
    if profiler is not None:
        print()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(functions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
