"""Whether an address has signed must not show in how long signing or resending takes: the timing part of make bench.

Addresses that have signed, in each state a signature can be in (pending,
confirmed, invalidated; a withdrawn signature is deleted, so its address is
new again), are sent to the sign form and to the resend form interleaved at
random with addresses never seen, one request at a time, and the two groups'
latencies are compared by their medians and the Mann–Whitney U test.

The statistics check themselves: .venv/bin/python -m doctest bench/timing.py
"""

import http.client
import itertools
import json
import math
import os
import random
import secrets
import statistics
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field

from bench.stack import SLUG

PATHS = {"sign": f"/c/{SLUG}/sign/", "resend": f"/c/{SLUG}/resend/"}
CHECK_EMAIL = f"/c/{SLUG}/check-your-email/"
STATES = ("pending", "confirmed", "invalidated")

# Through the site's own code: confirm() and invalidate() are what a signer's click and a moderator do.
PREPARE = """
import json
from petition import standing
from petition.models import Signature
plan = json.load(open(%(plan)r))
signatures = Signature.objects.filter(campaign__slug=%(slug)r)
for signature in signatures.filter(email__in=plan["confirmed"]):
    standing.confirm(signature)
standing.invalidate(
    signatures.filter(email__in=plan["invalidated"]), reason="spam", user=None, note="make bench: timing"
)
print(json.dumps(dict(signatures.filter(email__in=plan["all"]).values_list("email", "status"))))
"""


def address():
    """A new address; every one has the same length and domain, so only its history differs."""
    return f"t{secrets.token_hex(8)}@gmail.com"


class Client:
    """One connection to an app server, one request at a time, each from a client address of its own.

    Each request comes from its own IP address and each address is sent at
    most twice, so no rate limit refuses one; the forms' CSRF token and clock
    are those of one visitor's page (bench/run.py's form_session).
    """

    def __init__(self, port, session):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie, sign_body, csrf_body = session
        self.bodies = {"sign": sign_body, "resend": f"{csrf_body}&email=EMAIL"}
        self.sent = 0

    def post(self, form, email):
        """Send one form; returns (milliseconds, whether the answer was the redirect to "check your email")."""
        self.sent += 1
        n = self.sent
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": self.cookie,
            "X-Forwarded-For": f"172.{16 + n // 65536 % 16}.{n // 256 % 256}.{n % 256}",
        }
        body = self.bodies[form].replace("EMAIL", urllib.parse.quote(email))
        try:
            # gunicorn's sync workers close every connection after answering: connecting is not timed.
            if self.connection.sock is None:
                self.connection.connect()
            began = time.perf_counter()
            self.connection.request("POST", PATHS[form], body=body, headers=headers)
            response = self.connection.getresponse()
            response.read()
            elapsed = (time.perf_counter() - began) * 1000
        except (OSError, http.client.HTTPException):
            self.connection.close()
            return None, False
        # Each answer carries its own receipt (petition.receipts) after the path: the path is what must match.
        location = urllib.parse.urlsplit(response.getheader("Location") or "")
        return elapsed, response.status == 302 and location.path == CHECK_EMAIL

    def close(self):
        self.connection.close()


def prepare(stack, port, session, per_state):
    """Sign `per_state` addresses for each form and state, and bring each to its state.

    Returns {form: {state: [address, ...]}}, the states as the database holds
    them, and how many of the signing requests failed.
    """
    plan = {form: {state: [address() for _ in range(per_state)] for state in STATES} for form in PATHS}
    everyone = [email for states in plan.values() for emails in states.values() for email in emails]
    client = Client(port, session)
    failed = sum(not client.post("sign", email)[1] for email in everyone)
    client.close()
    orders = {state: [email for states in plan.values() for email in states[state]] for state in STATES}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as out:
        json.dump({**orders, "all": everyone}, out)
    try:
        held = json.loads(stack.shell(PREPARE % {"plan": out.name, "slug": SLUG}))
    finally:
        os.unlink(out.name)
    known = {
        form: {state: [e for e in emails if held.get(e) == state] for state, emails in states.items()}
        for form, states in plan.items()
    }
    return known, failed


@dataclass
class Comparison:
    """Latencies (ms) of one form for addresses never seen and for known addresses, by state."""

    form: str
    new: list = field(default_factory=list)
    known: dict = field(default_factory=lambda: {state: [] for state in STATES})
    errors: int = 0

    @property
    def all_known(self):
        return [ms for times in self.known.values() for ms in times]

    @property
    def difference(self):
        """Median of the known minus median of the new, in ms: positive when known addresses are slower."""
        return statistics.median(self.all_known) - statistics.median(self.new)

    @property
    def z(self):
        return mann_whitney_z(self.all_known, self.new)

    def ok(self, max_z, max_difference):
        measured = self.new and self.all_known
        return bool(measured) and not self.errors and abs(self.z) < max_z and abs(self.difference) < max_difference

    def summary(self):
        if not (self.new and self.all_known):
            return f"nothing to compare; {self.errors} errors"
        by_state = ", ".join(f"{state} {statistics.median(ms):.3f}" for state, ms in self.known.items() if ms)
        return (
            f"median new {statistics.median(self.new):.3f} ms (n {len(self.new)}), "
            f"known {statistics.median(self.all_known):.3f} ms (n {len(self.all_known)}; {by_state}); "
            f"difference {self.difference:+.3f} ms; Mann–Whitney z {self.z:+.2f}; {self.errors} errors"
        )


def compare(port, session, form, known, warmup):
    """Send the form for every known address and as many new ones, in random order; the first `warmup` are dropped."""
    requests = [(state, email) for state, emails in known.items() for email in emails]
    requests += [("new", address()) for _ in range(len(requests))]
    random.shuffle(requests)
    client = Client(port, session)
    result = Comparison(form)
    for i, (group, email) in enumerate(requests):
        elapsed, answered = client.post(form, email)
        if not answered:
            result.errors += 1
        elif i >= warmup:
            (result.new if group == "new" else result.known[group]).append(elapsed)
    client.close()
    return result


def mann_whitney_z(a, b):
    """The Mann–Whitney U test's z for samples a and b: positive when a's values tend to be larger.

    The normal approximation with the correction for ties, without the
    continuity correction. Worked by hand for a = 3 4 5 and b = 1 2 3: the
    ranks of 1 2 3 3 4 5 are 1 2 3.5 3.5 5 6, so a's rank sum is 14.5 and
    U = 14.5 − 3·4/2 = 8.5 against a mean of 3·3/2 = 4.5; one tie of two
    values gives a variance of 3·3/12 · (7 − (2³ − 2)/(6·5)) = 5.1, and
    z = 4/√5.1 = 1.7712. With no ties, a = 1 2 and b = 3 4 5 give U = 0,
    a mean of 3 and a variance of 2·3/12 · 6 = 3: z = −3/√3 = −1.7321.

    >>> round(mann_whitney_z([3, 4, 5], [1, 2, 3]), 4)
    1.7712
    >>> round(mann_whitney_z([1, 2], [3, 4, 5]), 4)
    -1.7321
    >>> round(mann_whitney_z([1, 2, 3], [3, 4, 5]), 4) == -round(mann_whitney_z([3, 4, 5], [1, 2, 3]), 4)
    True
    """
    n1, n2 = len(a), len(b)
    n = n1 + n2
    values = sorted([(value, True) for value in a] + [(value, False) for value in b])
    rank_sum = ties = 0.0
    below = 0
    for _, group in itertools.groupby(values, key=lambda item: item[0]):
        tied = list(group)
        t = len(tied)
        # Tied values share the mean of the ranks they span, below + 1 to below + t.
        rank_sum += (below + (t + 1) / 2) * sum(in_a for _, in_a in tied)
        ties += t**3 - t
        below += t
    u = rank_sum - n1 * (n1 + 1) / 2
    variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    return (u - n1 * n2 / 2) / math.sqrt(variance) if variance > 0 else 0.0
