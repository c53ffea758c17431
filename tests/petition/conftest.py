import email
import functools
import logging
import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from email import policy
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.core import mail
from django.db import connections

from petition import forms, signing, standing
from petition.mailboxes import mailbox
from petition.models import Signature


@pytest.fixture(autouse=True)
def no_typing_delay(settings):
    """Tests submit forms at once; the test of the too-fast check sets its own delay."""
    settings.SIGN_FORM_MIN_SECONDS = 0


@pytest.fixture
def campaign(make_campaign):
    return make_campaign(slug="letter", title="Keep children safe online", signature_goal=100)


def valid_form(campaign, clock_seconds_ago=10, client=None):
    """What a person filling in the sign form correctly sends (from `client`'s browser, if given)."""
    return {
        "first_name": "Asha",
        "last_name": "Patel",
        "email": "asha.patel@example.org",
        "location": "uk",
        "postcode": "BN1 1AA",
        "country": "",
        "message": "",
        "website": "",
        "started": form_clock(campaign, clock_seconds_ago, visitor=csrf_secret(client)),
    }


def csrf_secret(client):
    """The CSRF secret in a test client's cookie ("" without one): what the sign form's clock is tied to."""
    cookie = client.cookies.get(settings.CSRF_COOKIE_NAME) if client is not None else None
    return cookie.value if cookie else ""


def form_clock(campaign, seconds_ago=10, visitor=""):
    """A sign form's clock started `seconds_ago`, for a client with no CSRF cookie unless `visitor` is given."""
    return forms.form_clock(campaign.pk, visitor, started=int(time.time()) - seconds_ago)


@pytest.fixture
def sign(client):
    """Return a function that submits the sign form as a browser would; keyword arguments override fields."""

    def submit(campaign, *, client=client, clock_seconds_ago=10, ip="203.0.113.7", **fields):
        data = valid_form(campaign, clock_seconds_ago, client) | fields
        data = {key: value for key, value in data.items() if value is not None}
        return client.post(f"/c/{campaign.slug}/sign/", data, REMOTE_ADDR=ip)

    return submit


def without_receipts(text):
    """A URL or page with each receipt (petition.receipts, unique to every signing) replaced by a placeholder."""
    text = re.sub(r'(name="replacing" value=")[^"]*', r"\1RECEIPT", text)
    return re.sub(r"\b(r|replacing)=[\w%:.-]+", r"\1=RECEIPT", text)


def simultaneously(count, action, workers=20):
    """Run `action(i)` for i in range(count) from `workers` threads released together; return the results."""
    barrier = threading.Barrier(min(count, workers))

    def run(i):
        try:
            if i < workers:
                barrier.wait()
            return action(i)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(run, range(count)))


def sent_links(message):
    """The confirm and withdraw links in an email's plain text."""
    confirm = re.search(r"https?://\S+/confirm/\S+/", message.body)
    withdraw = re.search(r"https?://\S+/withdraw/\S+/", message.body)
    return (confirm.group() if confirm else None), (withdraw.group() if withdraw else None)


@pytest.fixture
def deliver_outbox():
    """Send every pending outbox email the way the worker would; return the messages sent."""
    from petition import emails

    def deliver():
        before = len(mail.outbox)
        emails.send_due()
        return mail.outbox[before:]

    return deliver


@pytest.fixture
def confirmed(client, sign, deliver_outbox):
    """Return a function that signs and confirms, returning the signature."""

    def sign_and_confirm(campaign, **fields):
        email = fields.get("email", "asha.patel@example.org")
        sign(campaign, **fields)
        (message,) = [message for message in deliver_outbox() if message.to[0].lower() == email.lower()]
        confirm_url, _ = sent_links(message)
        client.post(urlsplit(confirm_url).path)
        return Signature.objects.get(mailbox=email.lower())

    return sign_and_confirm


@pytest.fixture
def stored(db):
    """Return a function that signs as the sign form does (its fields cleaned by the form, then petition.signing)
    and confirms as the email's link does (petition.standing), without the pages, the limits and the email between:
    for tests of what comes after signing that need many signers, since the journey is tested through the pages.
    Keyword arguments are the form's fields, as `sign` takes them; `confirmed=False` leaves the signature pending."""

    def store(campaign, *, confirmed=True, ip="203.0.113.7", **fields):
        form = forms.SignForm(valid_form(campaign) | fields, campaign=campaign)
        assert form.is_valid(), form.errors
        signing.sign(campaign, form.cleaned_data, ip_hash=signing.hash_ip(ip))
        signature = Signature.objects.get(
            campaign=campaign, mailbox=mailbox(form.cleaned_data["email"]), erased_at__isnull=True
        )
        if confirmed:
            standing.confirm(signature)
            signature.refresh_from_db()
        return signature

    return store


class Mailbox:
    """An SMTP server's handler that keeps what it receives; it offers PIPELINING, as production relays do, unless
    told not to; it refuses the addresses in `refuse` as a server refuses an unknown mailbox, and the text of a
    message to those in `reject` as a spam filter would."""

    def __init__(self, pipelining=True):
        self.messages = []
        self.pipelining = pipelining
        self.refuse = set()
        self.reject = set()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]] if self.pipelining else responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if set(envelope.rcpt_tos) & self.reject:
            return "554 5.7.1 Message refused"
        self.messages.append((envelope.rcpt_tos, Received(envelope.content)))
        return "250 Message accepted"


class Received:
    """A message as the SMTP server received it, parsed (email.policy.default) only when a test reads it: parsing
    each of thousands in the server's thread took most of a big test's time."""

    def __init__(self, content):
        self.content = content

    @functools.cached_property
    def message(self):
        return email.message_from_bytes(self.content, policy=policy.default)

    def __getitem__(self, name):
        return self.message[name]

    def __getattr__(self, name):
        return getattr(self.message, name)


def serve_smtp(settings, mailbox):
    """Start an SMTP server on a free port, with `mailbox` as its handler, and send MAILERS' default to it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # aiosmtpd logs every command at INFO: thousands of records for a big test, read by nobody.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    return controller


@pytest.fixture
def smtp_server(settings):
    mailbox = Mailbox()
    controller = serve_smtp(settings, mailbox)
    yield mailbox
    controller.stop()


@pytest.fixture
def smtp_server_without_pipelining(settings):
    mailbox = Mailbox(pipelining=False)
    controller = serve_smtp(settings, mailbox)
    yield mailbox
    controller.stop()
