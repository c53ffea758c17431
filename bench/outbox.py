"""The outbox's part of make bench: where an email's time goes, how fast one and two task workers send, and an update
to 100,000 supporters (10,000 with --quick).

1. Profile: one sending run (petition.emails.send_due) in a process of its own, with each stage of an email timed
   (claiming the rows, rendering the templates, building the MIME message, the SMTP round trips, marking sent),
   printed in µs per email beside its CPU time.
2. Throughput: the workers are stopped, N confirmation emails are queued, then one worker (and then two, sharing the
   outbox) starts and sends them to the SMTP sink; timed from the first email the sink receives to the last, with
   the CPU each process spent per email (worker, PostgreSQL, the sink). The web servers are idle meanwhile.
3. An update to supporters: N confirmed signers who asked to hear more, an update sent to them with
   UPDATE_EMAILS_PER_MINUTE at its maximum (0: as fast as the workers go) through petition.updates' own
   start_sending, the real worker preparing the recipients and two workers sending; timed from "send" to the last
   email at the sink, with the workers' and the web processes' peak memory.
Each checks that every email arrived once.
"""

import json
import os
import re
import subprocess
import time
from pathlib import Path

import psycopg

from bench.cpu import postmaster_pid
from bench.stack import SLUG

TARGET = 500  # emails a second per worker (issue 15: three times the 151–169 measured before)

QUEUE = """
INSERT INTO petition_signature (
    campaign_id, status, first_name, last_name, email, mailbox, token, email_domain, postcode, country, region,
    show_name, contact_opt_in, contact_wording, message, message_status, consent_version, ip_hash, created_at,
    confirmed_at, invalidation_reason, held_reason, is_demo, source
)
SELECT c.id, %(status)s::text, 'Bench', 'Signer ' || n, %(prefix)s::text || n || '@example.org',
       %(prefix)s::text || n || '@example.org', md5(%(prefix)s::text || n), 'example.org', 'BN1 1AA', 'GB',
       'south-east', false, %(opted_in)s::boolean, CASE WHEN %(opted_in)s::boolean THEN '2026-11-23' ELSE '' END,
       '', '', 'bench', md5(n::text), now() - interval '1 day',
       CASE WHEN %(status)s::text = 'confirmed' THEN now() - interval '1 day' END, '', '', false, ''
FROM generate_series(1, %(n)s) AS n, campaign_campaign AS c WHERE c.slug = %(slug)s
"""
EMAILS = """
INSERT INTO petition_outgoingemail (signature_id, kind, status, attempts, next_attempt_at, last_error, created_at)
SELECT id, 'confirm', 'pending', 0, now(), '', now() FROM petition_signature WHERE email LIKE %(like)s
"""

PROFILE = """
import json, time
from petition import emails, smtp
spent = {}
def timed(owner, name, stage):
    original = getattr(owner, name)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[stage] = spent.get(stage, 0) + time.perf_counter() - started
    setattr(owner, name, wrapper)
timed(emails, "_claim_batch", "claiming the rows and their campaigns")
timed(emails, "_message", "rendering the templates")
timed(smtp, "as_bytes", "building the MIME message")
timed(smtp.Sender, "send", "SMTP round trips")
timed(emails, "_mark_sent", "marking them sent")
started, cpu = time.perf_counter(), time.process_time()
sent = emails.send_due(limit=%(n)d)
print(json.dumps({"sent": sent, "wall": time.perf_counter() - started, "cpu": time.process_time() - cpu} | spent))
"""

SEND_UPDATE = """
import time
from django.contrib.auth.models import User
from campaign.models import Campaign
from petition import updates
from petition.models import Update
staff, _ = User.objects.get_or_create(username="bench-staff", defaults={"email": "staff@example.org", "is_staff": True})
update = Update(campaign=Campaign.objects.get(slug=%(slug)r), title="We delivered your letter",
                body="**We delivered your letter** to the minister today. Thank you for signing.")
updates.save_draft(update, staff)
audience = updates.audience(update.campaign, Update.Audience.OPTED_IN).count()
assert updates.start_sending(update, Update.Audience.OPTED_IN, staff)
print(update.pk, audience, time.time())
"""


def say(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def sql(stack, statement, params=None):
    with psycopg.connect(stack.env["DATABASE_URL"], autocommit=True) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def queue(stack, prefix, n, *, confirmation=True):
    """N signers under `prefix`: pending ones with a confirmation email due now, or confirmed ones who opted in."""
    status = "pending" if confirmation else "confirmed"
    sql(stack, QUEUE, {"status": status, "prefix": prefix, "n": n, "opted_in": not confirmation, "slug": SLUG})
    if confirmation:
        sql(stack, EMAILS, {"like": f"{prefix}%"})
    sql(stack, "ANALYZE petition_outgoingemail; ANALYZE petition_signature")
    return [f"{prefix}{i}@example.org" for i in range(1, n + 1)]


def cancel_waiting(stack):
    """Earlier parts' unsent emails would be sent with these: they are cancelled (thrown away with the stack anyway)."""
    sql(stack, "UPDATE petition_outgoingemail SET status = 'cancelled' WHERE status = 'pending'")


class Sink:
    """Watches the SMTP sink's file grow (by its size, cheaply) until the expected recipients have all arrived."""

    def __init__(self, stack, recipients, on_first=None):
        self.on_first = on_first
        self.path = Path(stack.sent_file)
        self.start = self.path.stat().st_size
        self.recipients = recipients
        self.expected = self.start + sum(len(r.encode()) + 1 for r in recipients)
        self.first = self.last = None

    def wait(self, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            size = self.path.stat().st_size
            now = time.monotonic()
            if self.first is None and size > self.start:
                self.first = now
                if self.on_first:
                    self.on_first()
            if size >= self.expected:
                self.last = now
                return True
            time.sleep(0.05)
        return False

    def check(self):
        """(not arrived, twice) among the expected recipients."""
        with open(self.path, "rb") as sent:
            sent.seek(self.start)
            received = sent.read().decode().split()
        wanted = set(self.recipients)
        mine = [r for r in received if r in wanted]
        return len(wanted - set(mine)), len(mine) - len(set(mine))


def cpu_seconds(pids):
    """User and system CPU time of these processes, in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def peak_mb(pid):
    return int(re.search(r"VmHWM:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1)) / 1024


def postgres_pids(stack):
    postmaster = postmaster_pid(stack.postgres.data)
    children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True).stdout.split()
    return [postmaster, *map(int, children)]


def web_pids(stack):
    pids = []
    for app in stack.apps.values():
        if app.popen.poll() is None:
            children = subprocess.run(["pgrep", "-P", str(app.popen.pid)], capture_output=True, text=True)
            pids += [app.popen.pid, *map(int, children.stdout.split())]
    return pids


def start_workers(stack, n, **env):
    """Start `n` task workers (with `env` added to their environment), whatever the stack's own number."""
    stack.stop_workers()
    senders, environment = stack.senders, stack.env
    stack.senders, stack.env = n, environment | env
    try:
        stack.start_workers()
    finally:
        stack.senders, stack.env = senders, environment


def profile(stack, report, n):
    say(f"Outbox profile: one sending run over {n:,} emails, each stage timed")
    stack.stop_workers()
    cancel_waiting(stack)
    recipients = queue(stack, "profile-", n)
    sink = Sink(stack, recipients)
    figures = json.loads(stack.shell(PROFILE % {"n": n}).strip().splitlines()[-1])
    sent, wall, cpu = figures.pop("sent"), figures.pop("wall"), figures.pop("cpu")
    sink.wait(10)
    lost, twice = sink.check()
    figures["the rest (choosing what each has earned, the loop)"] = wall - sum(figures.values())
    width = max(map(len, figures))
    for stage, seconds in figures.items():
        say(f"  {stage:<{width}}  {seconds / sent * 1e6:6.0f} µs/email")
    say(f"  {'in all':<{width}}  {wall / sent * 1e6:6.0f} µs/email ({sent / wall:,.0f}/s), CPU {cpu / sent * 1e6:.0f}")
    stages = ", ".join(f"{stage.split(' (')[0]} {seconds / sent * 1e6:.0f}" for stage, seconds in figures.items())
    report.add(
        "7. Outbox profile",
        f"µs per email: {stages}; in all {wall / sent * 1e6:.0f} µs ({sent / wall:,.0f}/s in one process), "
        f"CPU {cpu / sent * 1e6:.0f} µs; {lost} lost, {twice} twice",
        f"all {n:,} sent once",
        sent == n and lost == 0 and twice == 0,
    )


def send_with(stack, workers, n):
    """Queue `n` emails, start `workers` workers: (emails/s, seconds, CPU by process, not delivered, twice)."""
    stack.stop_workers()
    cancel_waiting(stack)
    recipients = queue(stack, f"outbox{workers}-", n)
    smtp_pid, worker_pids, before = stack.smtp.popen.pid, [], {}

    def spent():
        # PostgreSQL's processes looked up each time: the workers' connections are backends of their own.
        return {
            "workers": cpu_seconds(worker_pids),
            "PostgreSQL": cpu_seconds(postgres_pids(stack)),
            "sink": cpu_seconds([smtp_pid]),
        }

    # Counted from the first email on, so that the workers' start (Django's import) is left out.
    sink = Sink(stack, recipients, on_first=lambda: before.update(spent()))
    start_workers(stack, workers)  # each starts a sending run as it starts (manage.py worker)
    worker_pids += [worker.popen.pid for worker in stack.workers]
    arrived = sink.wait(300)
    # Until the last email, or until the wait ended without it (then the rate of those that arrived).
    ended = sink.last if arrived else time.monotonic()
    cpu = {name: seconds - before.get(name, 0) for name, seconds in spent().items()}
    stack.stop_workers()
    missing, twice = sink.check()
    seconds = ended - (sink.first or ended)
    return ((n - missing) / seconds if seconds else 0), seconds, cpu, missing, twice


def throughput(stack, report, n):
    rates = {}
    for workers in (1, 2):
        say(f"Outbox: {n:,} confirmation emails, {workers} worker{'s' * (workers > 1)}, web servers idle")
        rate, seconds, spent, missing, twice = send_with(stack, workers, n)
        rates[workers] = rate
        cpu = ", ".join(f"{name} {value / n * 1000:.2f}" for name, value in spent.items())
        say(f"  {rate:,.0f}/s; CPU ms per email: {cpu}; {missing} not delivered, {twice} twice")
        per_worker = rate / workers
        report.add(
            f"7. Outbox, {workers} worker{'s' * (workers > 1)}",
            f"{n:,} emails in {seconds:.1f}s = {rate:,.0f}/s ({per_worker:,.0f}/s per worker"
            + (f", {rate / rates[1]:.2f}× one" if workers > 1 and rates[1] else "")
            + f"); CPU ms per email: {cpu}; {missing} not delivered, {twice} twice",
            f"≥ {TARGET}/s, all once" if workers == 1 else "faster than one (cores allowing), all once",
            missing == 0 and twice == 0 and (per_worker >= TARGET if workers == 1 else rate > rates[1]),
        )
    return rates


def update_to_supporters(stack, report, n, quick):
    say(f"Update to {n:,} supporters{' (--quick: 100,000 without it)' if quick else ''}, at the maximum rate")
    stack.stop_workers()
    cancel_waiting(stack)
    recipients = queue(stack, "supporter-", n, confirmation=False)
    sink = Sink(stack, recipients)
    start_workers(stack, 2, UPDATE_EMAILS_PER_MINUTE="0")
    time.sleep(2)  # the workers' start (Django's import) is not part of sending
    _, audience, sent_at = stack.shell(SEND_UPDATE % {"slug": SLUG}).split()
    sent = time.monotonic() - (time.time() - float(sent_at))
    arrived = sink.wait(900)
    took = (sink.last or time.monotonic()) - sent
    lost, twice = sink.check()
    workers = ", ".join(f"{peak_mb(worker.popen.pid):.0f}" for worker in stack.workers)
    web = sorted(peak_mb(pid) for pid in web_pids(stack))
    stack.stop_workers()
    say(f"  {n:,} in {took:.0f}s ({n / took:,.0f}/s); peak RSS workers {workers} MB, web up to {web[-1]:.0f} MB")
    report.add(
        "8. Update to supporters",
        f"{int(audience):,} supporters{' (--quick)' if quick else ''}: 'send' to the last email {took:.0f}s "
        f"({n / took:,.0f}/s, two workers, UPDATE_EMAILS_PER_MINUTE=0); {lost} lost, {twice} twice; peak RSS: "
        f"workers {workers} MB, web processes {web[0]:.0f}–{web[-1]:.0f} MB",
        "all sent once" + ("" if quick else ", 100,000"),
        arrived and int(audience) == n and lost == 0 and twice == 0,
    )


def run(stack, report, options):
    quick = options.quick
    profile(stack, report, 2_000 if quick else 3_000)
    throughput(stack, report, 4_000)
    update_to_supporters(stack, report, 10_000 if quick else 100_000, quick)
