"""The outbox: every email to a signer is a row until it is sent.

django-tasks-db never retries a failed task, so delivery state lives here, in
OutgoingEmail rows. Signing writes the row in its own transaction and, once
that commits, nudges the worker: at most one `send_due_emails` task per
OUTBOX_NUDGE_SECONDS across all app servers (a flag in the shared cache), due
to run when that window closes, so it finds every row committed in the window.
A surge of signers costs one task row a second, not one per signature.

`send_due` claims due rows in batches (skipping any another worker holds),
renders each (`_message`, the one place), sends them over the run's one SMTP
connection (petition.smtp: written as bytes directly, pipelined where the
server offers it), marks them sent MARK_EVERY at a time, and on failure gives
each a later `next_attempt_at` with backoff and schedules a run for then. A
run that finds more than a batch waiting asks for another run, so that every
worker shares a big queue. `requeue_due` (`manage.py requeue_outbox`, run from
cron) is the safety net for a worker killed mid-run. An email is never lost;
it could be sent twice only if a process died between the SMTP server
accepting it and its row being marked (at most MARK_EVERY + 1 per worker).
"""

import contextlib
import logging
import secrets
import smtplib
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.utils import parseaddr
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import connection, transaction
from django.db.models import Case, F, Min, Value, When
from django.tasks import task
from django.template import loader
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.translation import gettext, gettext_noop

if TYPE_CHECKING:
    from django.template.backends.base import _EngineTemplate

from campaign.models import Campaign, Organiser

from . import ratelimits, smtp, suppression
from .models import OutgoingEmail, ResendRequest, Signature, Update

logger = logging.getLogger(__name__)

SUBJECTS: dict[str, str] = {
    OutgoingEmail.Kind.CONFIRM: gettext_noop("Please confirm your signature: {title}"),
    OutgoingEmail.Kind.ALREADY_SIGNED: gettext_noop("You have already signed: {title}"),
}
# Minutes to wait before each retry; the last repeats until MAX_ATTEMPTS.
BACKOFF_MINUTES = [1, 2, 5, 15, 30, 60]
MAX_ATTEMPTS = 30
BATCH = 50
# Sent emails are marked this many at a time: a worker killed mid-batch may send up to this many again.
MARK_EVERY = 10
NUDGE_KEY = "petition:outbox-nudge"
# Seconds of clock difference between app servers that the nudge allows for.
CLOCK_MARGIN = 0.2
# When this process last learnt that a sending run is due (seconds since the epoch).
_run_due = 0.0


def queue(signature: Signature, kind: str) -> OutgoingEmail:
    """Write an email to the outbox; the worker is nudged once the caller's transaction commits."""
    email = OutgoingEmail.objects.create(signature=signature, kind=kind)
    # robust: the signature is stored whatever happens here; the sweep sends what a failed nudge leaves.
    transaction.on_commit(nudge_worker, robust=True)
    return email


def queue_update_test(update: Update, user: User) -> OutgoingEmail:
    """Write a test of an update, to the member of staff alone, to the outbox."""
    email = OutgoingEmail.objects.create(kind=OutgoingEmail.Kind.UPDATE_TEST, update=update, staff=user)
    transaction.on_commit(nudge_worker, robust=True)
    return email


def nudge_worker() -> None:
    """Make sure a sending run is due within OUTBOX_NUDGE_SECONDS of now (one task per window, whatever the load).

    The shared flag holds the time its run is due; each process remembers it,
    so while a run is known to be due later than now, signing asks nothing of
    Redis at all.
    """
    global _run_due
    window = settings.OUTBOX_NUDGE_SECONDS
    now = time.time()
    if window <= 0:
        _schedule_run(timezone.now())
        return
    # Due a little after the window closes, so a worker whose clock runs ahead still finds every row.
    due = now + window + CLOCK_MARGIN
    if not settings.REDIS_URL:
        claimed = cache.add(NUDGE_KEY, due, window)
    elif now < _run_due - CLOCK_MARGIN:
        return
    else:
        # SET NX GET: one round trip either claims the window or says when its run is due.
        # (redis-py types every reply as possibly awaitable, for its asyncio client; this client returns bytes.)
        previous: bytes | None = ratelimits.redis_client().set(  # type: ignore[assignment]
            NUDGE_KEY, due, nx=True, get=True, px=int(window * 1000)
        )
        claimed = previous is None
        _run_due = due if previous is None else float(previous)
    if claimed:
        try:
            _schedule_run(datetime.fromtimestamp(due, tz=UTC))
        except Exception:
            # Give the window back, so the next signer schedules the run this one could not.
            _run_due = 0.0
            if settings.REDIS_URL:
                ratelimits.redis_client().delete(NUDGE_KEY)
            else:
                cache.delete(NUDGE_KEY)
            raise


def _schedule_run(when: datetime) -> None:
    if send_due_emails.get_backend().supports_defer and when > timezone.now():
        send_due_emails.using(run_after=when).enqueue()
    else:
        send_due_emails.enqueue()


def recently_sent(signature: Signature) -> int:
    """How many emails this signature has been sent in the last hour."""
    since = timezone.now() - timedelta(hours=1)
    sent = OutgoingEmail.objects.filter(signature=signature, status=OutgoingEmail.Status.SENT, sent_at__gte=since)
    return sent.count()


@task
def send_due_emails() -> int:
    """Send the outbox's due emails (the task the nudges and retries schedule)."""
    return send_due()


def send_due(limit: int = 2000) -> int:
    """Send due outbox emails, a batch at a time, until none is left or `limit` is reached.

    Returns how many were sent. Each batch is first claimed in a short
    transaction (its rows are not due again for OUTBOX_LEASE_SECONDS), then
    sent over the run's one SMTP connection and marked sent a few at a time,
    so nothing holds a lock while the mail server is slow, and a worker that
    dies mid-batch leaves at most MARK_EVERY + 1 sent emails unmarked (sent again
    once the lease ends: at least once, never lost).
    """
    _answer_resend_requests()
    sent = batches = 0
    mailer = Mailer()
    try:
        while sent < limit:
            batch = _claim_batch()
            if not batch:
                break
            batches += 1
            if batches == 1 and len(batch) == BATCH:
                # More is waiting than one batch: a run for another worker to join this one (one a window at most).
                try:
                    nudge_worker()
                except Exception:  # Redis away, say: this run sends everything anyway, only alone
                    logger.warning("Could not ask another worker to join the sending", exc_info=True)
            sent += _send_batch(batch, mailer)
    finally:
        mailer.close()
    if sent >= limit:
        _schedule_run(timezone.now())  # more may be due: carry on in a fresh task
    _schedule_next_retry()
    return sent


def _answer_resend_requests() -> None:
    """Turn requests for the email again into emails, for the addresses that have signed; forget every request."""
    with transaction.atomic():
        requests = list(ResendRequest.objects.select_for_update(skip_locked=True).order_by("pk")[:1000])
        for request in requests:
            signature = Signature.objects.filter(
                campaign_id=request.campaign_id, mailbox=request.mailbox, erased_at__isnull=True
            ).first()
            if signature is not None:
                OutgoingEmail.objects.create(signature=signature, kind=OutgoingEmail.Kind.REPEAT)
        ResendRequest.objects.filter(pk__in=[request.pk for request in requests]).delete()


def _earned(email: OutgoingEmail, sent_in_batch: int = 0) -> str | None:
    """The email a signature has earned: a repeat becomes a confirmation or an "already signed", or nothing.

    Nothing for an invalid or erased signature, or once it has had its few emails this hour (counting those sent
    in this batch, not yet marked); and nothing ever for a demo signature (petition.demo), whose address is made up.
    """
    signature = email.signature
    if signature is None:  # a test of an update, to the member of staff who asked for it
        return email.kind
    if signature.is_demo:
        return None
    if email.kind == OutgoingEmail.Kind.UPDATE and (
        signature.status != Signature.Status.CONFIRMED or signature.erased_at is not None
    ):
        return None
    if email.kind != OutgoingEmail.Kind.REPEAT:
        return email.kind
    if signature.status == Signature.Status.INVALIDATED or signature.erased_at is not None:
        return None
    if recently_sent(signature) + sent_in_batch >= settings.EMAILS_PER_SIGNATURE_PER_HOUR:
        return None
    if signature.status == Signature.Status.PENDING:
        return OutgoingEmail.Kind.CONFIRM
    return OutgoingEmail.Kind.ALREADY_SIGNED


def _claim_batch() -> list[OutgoingEmail]:
    now = timezone.now()
    with transaction.atomic():
        batch = list(
            OutgoingEmail.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("signature")
            .filter(status=OutgoingEmail.Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at")[:BATCH]
        )
        OutgoingEmail.objects.filter(pk__in=[email.pk for email in batch]).update(
            next_attempt_at=now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
        )
    _attach_campaigns(batch)
    return batch


def _attach_campaigns(batch: list[OutgoingEmail]) -> None:
    """Give each email its campaign (with the organiser), update and member of staff, read once for the batch.

    Joining them to every claimed row cost more than sending the email: a campaign row carries its whole letter.
    """
    campaigns = Campaign.objects.select_related("organiser").in_bulk(
        {email.signature.campaign_id for email in batch if email.signature is not None}
    )
    updates = Update.objects.select_related("campaign__organiser").in_bulk(
        {email.update_id for email in batch if email.update_id is not None}
    )
    staff = User.objects.in_bulk({email.staff_id for email in batch if email.staff_id is not None})
    for email in batch:
        if email.signature is not None:
            email.signature.campaign = campaigns[email.signature.campaign_id]
        if email.update_id is not None:
            email.update = updates[email.update_id]
        if email.staff_id is not None:
            email.staff = staff[email.staff_id]


class Mailer:
    """The run's one connection to MAILERS' default, opened at the first email and kept for every batch.

    With Django's SMTP backend each email goes as bytes written by petition.smtp, pipelined where the server
    offers it, so that an email's outcome is known only after the next is sent: `settled()` gives each email
    whose outcome is known, with the server's refusal or None. Any other backend (the console, the test suite's
    memory) gets Django's send_messages, and each email is settled at once.
    """

    def __init__(self) -> None:
        self.backend = mailers.default
        self.opened = False
        self.smtp: smtp.Sender[OutgoingEmail] | None = None
        if isinstance(self.backend, SMTPBackend):
            self.smtp = smtp.Sender(self.backend)
        self.done: list[tuple[OutgoingEmail, Exception | None]] = []

    def open(self) -> None:
        if not self.opened:
            self.backend.open()
            self.opened = True

    def send(self, email: OutgoingEmail, message: EmailMultiAlternatives) -> None:
        """Hand over an email; raises if this one is refused or cannot be built, or the server went away."""
        self.open()
        if self.smtp is None:
            self.backend.send_messages([message])
            self.done.append((email, None))
            return
        wire = smtp.as_bytes(message)  # ValueError here, before anything is written, for an address it cannot take
        self.smtp.send(email, smtp.envelope_sender(message.from_email), smtp.recipient(message.to[0]), wire)

    def finish(self) -> None:
        if self.smtp is not None and self.opened:
            self.smtp.finish()

    def settled(self) -> list[tuple[OutgoingEmail, Exception | None]]:
        done = self.done + (self.smtp.settled if self.smtp is not None else [])
        self.done = []
        if self.smtp is not None:
            self.smtp.settled = []
        return done

    def abandon(self) -> OutgoingEmail | None:
        return self.smtp.abandon() if self.smtp is not None else None

    def close(self) -> None:
        """Close the connection; after a broken one, the next email opens a new one."""
        if self.opened:
            self.opened = False
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.backend.close()


def _send_batch(batch: list[OutgoingEmail], mailer: Mailer) -> int:
    """Send a claimed batch, marking the emails sent MARK_EVERY at a time, and those not earned in one statement."""
    stopped = _stopped_updates(batch)
    # The emails a signature is owed whatever else it has had (its confirmation) before those that may be capped
    # (repeats, counted against the hour's few with what this batch has sent): signed from many places at once,
    # the repeats can be queued before the confirmation is, and would otherwise take its place in the count.
    batch = sorted(batch, key=lambda email: email.kind == OutgoingEmail.Kind.REPEAT)
    unmarked: list[tuple[int, str]] = []
    sent_to: Counter[int | None] = Counter()
    cancelled: list[int] = []
    sent = 0

    def settle() -> None:
        nonlocal sent, unmarked
        for email, refusal in mailer.settled():
            if refusal is not None:
                _defer(email, refusal)  # the server refused its text: try again later
                continue
            sent += 1
            unmarked.append((email.pk, email.kind))
            if len(unmarked) >= MARK_EVERY:
                _mark_sent(unmarked)
                unmarked = []

    def server_gone(waiting: list[OutgoingEmail], error: Exception) -> None:
        # Everything not yet known to have arrived waits, and the next batch reconnects.
        in_flight = mailer.abandon()
        mailer.close()
        for email in [in_flight, *waiting] if in_flight is not None else waiting:
            _defer(email, error)

    try:
        for position, email in enumerate(batch):
            kind = None if email.pk in stopped else _earned(email, sent_to[email.signature_id])
            if kind is None:
                cancelled.append(email.pk)
                continue
            email.kind = kind
            try:
                mailer.send(email, _message(email))
            except (smtplib.SMTPRecipientsRefused, UnicodeError, ValueError) as error:
                _give_up(email, error)
            except (smtplib.SMTPException, OSError) as error:
                server_gone(batch[position:], error)
                break
            except Exception as error:  # one bad email must not hold up the others
                logger.exception("Email %s could not be built or sent", email.pk)
                _defer(email, error)
            else:
                sent_to[email.signature_id] += 1
            finally:
                settle()
        try:
            mailer.finish()
        except (smtplib.SMTPException, OSError) as error:
            server_gone([], error)
        settle()
    finally:
        _mark_sent(unmarked)
        if cancelled:
            OutgoingEmail.objects.filter(pk__in=cancelled).update(status=OutgoingEmail.Status.CANCELLED)
    return sent


def _mark_sent(emails: list[tuple[int, str]]) -> None:
    """Mark these (pk, kind) emails sent: one statement, a repeat taking the kind it was sent as.

    On PostgreSQL without waiting for the commit to reach the disk (it cost the worker more than sending): a
    database crash in the next fraction of a second may forget the mark, and the email is then sent again, as
    it is when a worker is killed before marking it; nothing is lost.
    """
    if not emails:
        return
    kinds: dict[str, list[int]] = {}
    for pk, kind in emails:
        kinds.setdefault(kind, []).append(pk)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        OutgoingEmail.objects.filter(pk__in=[pk for pk, _ in emails]).update(
            kind=Case(*(When(pk__in=pks, then=Value(kind)) for kind, pks in kinds.items())),
            status=OutgoingEmail.Status.SENT,
            sent_at=timezone.now(),
            attempts=F("attempts") + 1,
            last_error="",
        )


def _stopped_updates(batch: list[OutgoingEmail]) -> set[int]:
    """The update emails in `batch` that must not go: their sending was cancelled, or their mailbox suppressed.

    Read just before the batch is sent (two queries for the batch), as well as when the recipients were chosen.
    """
    updates = [email for email in batch if email.kind == OutgoingEmail.Kind.UPDATE and email.signature]
    if not updates:
        return set()
    cancelled = set(
        Update.objects.filter(
            pk__in={email.update_id for email in updates}, status=Update.Status.CANCELLED
        ).values_list("pk", flat=True)
    )
    suppressed = suppression.suppressed({email.signature.mailbox for email in updates if email.signature})
    return {
        email.pk
        for email in updates
        if email.update_id in cancelled or (email.signature and email.signature.mailbox in suppressed)
    }


def _describe(error: Exception) -> str:
    # The type and SMTP code only: the server's text may quote the address.
    return f"{type(error).__name__} {getattr(error, 'smtp_code', '')}".strip()


def _give_up(email: OutgoingEmail, error: Exception) -> None:
    """The address cannot be sent to (refused by the server, or not encodable): trying again would not help."""
    email.attempts += 1
    email.last_error = _describe(error)
    email.status = OutgoingEmail.Status.CANCELLED
    email.save(update_fields=["attempts", "last_error", "status"])
    logger.warning("Email %s refused: %s", email.pk, email.last_error)


def _defer(email: OutgoingEmail, error: Exception) -> None:
    email.attempts += 1
    email.last_error = _describe(error)
    delay = BACKOFF_MINUTES[min(email.attempts, len(BACKOFF_MINUTES)) - 1]
    email.next_attempt_at = timezone.now() + timedelta(minutes=delay)
    if email.attempts >= MAX_ATTEMPTS:
        email.status = OutgoingEmail.Status.CANCELLED
    email.save(update_fields=["attempts", "last_error", "next_attempt_at", "status"])
    logger.warning("Email %s not sent (attempt %s): %s", email.pk, email.attempts, email.last_error)


def _schedule_next_retry() -> None:
    """If emails are waiting for a retry, make sure a run is due when the first of them is.

    The first may have fallen due since this run last claimed a batch (a slow
    run on a busy machine): its run is then due at once, or nothing would send it.
    """
    first = OutgoingEmail.objects.filter(status=OutgoingEmail.Status.PENDING).aggregate(Min("next_attempt_at"))
    when = first["next_attempt_at__min"]
    if when is not None and cache.add(f"petition:outbox-retry:{when.timestamp()}", 1, 3600):
        _schedule_run(when)


def resume() -> bool:
    """Start a sending run if any email is waiting: the worker calls this as it starts.

    A worker killed mid-run leaves no task behind; this run sends what is due
    and schedules the next for the first email still waiting (such as the
    batch the killed worker had claimed, once its lease ends).
    """
    waiting = OutgoingEmail.objects.filter(status=OutgoingEmail.Status.PENDING).exists()
    if waiting:
        _schedule_run(timezone.now())
    return waiting


def requeue_due(grace: timedelta = timedelta(minutes=5)) -> int:
    """Start a sending run if emails are overdue by more than `grace` (their run was lost). Returns how many."""
    overdue = OutgoingEmail.objects.filter(
        status=OutgoingEmail.Status.PENDING, next_attempt_at__lt=timezone.now() - grace
    ).count()
    # One run per grace period is plenty: a run sends everything that is due.
    if overdue and cache.add("petition:outbox-requeue", 1, int(grace.total_seconds())):
        _schedule_run(timezone.now())
    return overdue


def sender(campaign: Campaign) -> str:
    """The From header: the campaign's organiser by name, at the address the site sends from (DEFAULT_FROM_EMAIL)."""
    site_sender: str = settings.DEFAULT_FROM_EMAIL
    if campaign.organiser is None:
        return site_sender
    return _organiser_sender(campaign.organiser.name, site_sender)


@lru_cache(maxsize=256)
def _organiser_sender(name: str, site_sender: str) -> str:
    _, address = parseaddr(site_sender)
    # One line however the name was typed (a line break in a header is refused at sending). Address quotes a
    # comma or a quote mark in the name; email.utils.formataddr would encode a Welsh name in a form that
    # Python's mail serialiser then splits at its comma into two senders.
    return str(Address(display_name=" ".join(name.split()), addr_spec=address))


def _message(email: OutgoingEmail) -> EmailMultiAlternatives:
    """The email in the language its signer signed in (a test of an update in the site's), links included."""
    language = email.signature.language if email.signature is not None else settings.LANGUAGE_CODE
    with translation.override(language):
        return _message_in_language(email)


def _message_in_language(email: OutgoingEmail) -> EmailMultiAlternatives:
    if email.update is not None:
        return _update_message(email, email.update)
    signature = email.signature
    assert signature is not None  # every email but a test of an update has one (outgoingemail_has_one_recipient)
    campaign = signature.campaign
    site = settings.SITE_URL
    text, html = _rendered(
        f"petition/email/{email.kind}",
        {
            "campaign": _CampaignShown(campaign.title),
            "organiser": _OrganiserShown.of(campaign.organiser),
            "site_url": site,
            "link_days": settings.CONFIRMATION_LINK_MAX_AGE // 86400,
        }
        | _campaign_links(site, campaign.slug),
        {
            "first_name": signature.first_name,
            "last_name": signature.last_name,
            "confirm_url": _signature_link(site, "petition:confirm", campaign.slug, str(signature.token)),
            "withdraw_url": _signature_link(site, "petition:withdraw", campaign.slug, str(signature.token)),
        },
    )
    message = EmailMultiAlternatives(
        subject=gettext(SUBJECTS[email.kind]).format(title=campaign.title),
        body=text,
        from_email=sender(campaign),
        to=[signature.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    return message


# Rendering an email's templates took more of a worker's time than anything else (about 0.9 ms of its 1.7 ms of
# CPU an email). Emails of one kind, campaign and language differ only in a few values (the signer's name, their
# links, the date they signed), so each such set is rendered once per process with a marker in place of each of
# those values, and every email is that text with its own values put in (escaped for the HTML part, where the
# template would have escaped them). What is the same for all is the stencil's key, so an edit to the campaign's
# title or its organiser makes a new one. tests/petition/test_email_stencils.py holds the outcome to a full
# rendering, letter for letter.
@dataclass(frozen=True)
class _CampaignShown:
    title: str


@dataclass(frozen=True)
class _OrganiserShown:
    name: str
    charity_number: str
    address_lines: tuple[str, ...]
    email: str

    @classmethod
    def of(cls, organiser: Organiser | None) -> "_OrganiserShown | None":
        if organiser is None:
            return None
        return cls(organiser.name, organiser.charity_number, tuple(organiser.address_lines), organiser.email)


@dataclass(frozen=True)
class _UpdateShown:
    title: str
    html: str
    text: str


_MARKER = f"m{secrets.token_hex(8)}"  # in no text a person could have typed before this process started
_STENCILS_KEPT = 256
_stencils: dict[tuple[object, ...], tuple[str, str]] = {}


def _rendered(template: str, same: dict[str, object], own: dict[str, str]) -> tuple[str, str]:
    """The text and HTML of `template` (.txt and .html) with the context `same | own`: `same` holds what many
    emails share (hashable values), `own` this email's strings."""
    key = (template, translation.get_language(), *sorted(same.items()), *own)
    stencil = _stencils.get(key)
    if stencil is None:
        context = same | {name: f"{_MARKER}{name}{_MARKER}" for name in own}
        stencil = (_template(f"{template}.txt").render(context), _template(f"{template}.html").render(context))
        if len(_stencils) >= _STENCILS_KEPT:
            _stencils.clear()
        _stencils[key] = stencil
    text, html = stencil
    for name, value in own.items():
        marker = f"{_MARKER}{name}{_MARKER}"
        text, html = text.replace(marker, value), html.replace(marker, escape(value))
    return text, html


@lru_cache(maxsize=64)
def _template(name: str) -> "_EngineTemplate":
    """An email's template, compiled once per process (as the cached loader would, without its lookups)."""
    return loader.get_template(name)


def _signature_link(site: str, view: str, slug: str, token: str) -> str:
    """A link for one signature (confirm, withdraw), in the email's language: reversed once per process."""
    return _signature_link_around(site, view, slug, translation.get_language()).replace(_MARKER, token)


@lru_cache(maxsize=256)
def _signature_link_around(site: str, view: str, slug: str, language: str | None) -> str:
    return site + reverse(view, args=[slug, _MARKER])


@lru_cache(maxsize=256)
def _update_link(site: str, slug: str, pk: int) -> str:
    return site + reverse("petition:update", args=[slug, pk])


def _campaign_links(site: str, slug: str) -> dict[str, str]:
    """The links every email of a campaign carries, to its pages in the language the email is written in."""
    return _campaign_links_in(site, slug, translation.get_language())


@lru_cache(maxsize=256)
def _campaign_links_in(site: str, slug: str, language: str | None) -> dict[str, str]:
    """The links for one language (the URLs carry it: /cy/…), worked out once per process."""
    return {
        "campaign_url": site + reverse("petition:campaign", kwargs={"slug": slug}),
        "privacy_url": site + reverse("petition:campaign_privacy", args=[slug]),
    }


def _update_message(email: OutgoingEmail, update: Update) -> EmailMultiAlternatives:
    """An update to a supporter (or, to test it, to a member of staff), with RFC 8058 one-click unsubscribe."""
    campaign = update.campaign
    site = settings.SITE_URL
    signature = email.signature
    if signature is not None:
        to = signature.email
        unsubscribe_url = site + reverse("petition:unsubscribe", args=[suppression.unsubscribe_token(signature)])
        signed_on, opted_in = signature.confirmed_at or signature.created_at, signature.contact_opt_in
        subject = update.title
    else:
        assert email.staff is not None  # outgoingemail_has_one_recipient
        to = email.staff.email
        unsubscribe_url = site + reverse("petition:unsubscribe", args=["test"])
        signed_on, opted_in = timezone.now(), True
        subject = f"[Test] {update.title}"
    text, html = _rendered(
        "petition/email/update",
        {
            "update": _UpdateShown(update.title, update.html, update.text),
            "campaign": _CampaignShown(campaign.title),
            "organiser": _OrganiserShown.of(campaign.organiser),
            "update_url": _update_link(site, campaign.slug, update.pk),
            "test": signature is None,
            "opted_in": opted_in,
        }
        | _campaign_links(site, campaign.slug),
        # As the template's date filter would write it, in the email's language and the site's time zone.
        {"unsubscribe_url": unsubscribe_url, "signed_on": date_format(timezone.localtime(signed_on), "j F Y")},
    )
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=sender(campaign),
        to=[to],
        headers={
            # RFC 8058: the mailbox provider POSTs "List-Unsubscribe=One-Click" to the HTTPS address.
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
    return message
