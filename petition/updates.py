"""Updates to supporters: written in Markdown, previewed, tested, then sent through the outbox, and published.

Sending is a transition written once (draft to sending, `start_sending`), so a second press of "send"
sends nothing. A task (`prepare_update`) then writes one outbox row per recipient in batches of
PREPARE_BATCH with bulk_create, each due at a time that keeps to UPDATE_EMAILS_PER_MINUTE, and the
outbox sends them as it sends everything else: never lost, never twice. A unique constraint on
(update, signature) makes a resumed or repeated preparation harmless. Cancelling stops what is not sent.
"""

import html
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from html.parser import HTMLParser

import markdown
import nh3
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Max, QuerySet
from django.tasks import task
from django.utils import timezone

from campaign.models import Campaign

from . import audit, emails, suppression
from .models import AuditEntry, OutgoingEmail, Signature, Update

PREPARE_BATCH = 1000
# What an update's body may hold once rendered: text, structure and links, nothing that runs or loads.
ALLOWED_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "h2", "h3", "h4", "blockquote", "hr", "code", "pre"}


def render(body: str) -> tuple[str, str]:
    """The Markdown `body` as safe HTML (a fixed set of tags, links only to the web and email) and as plain text."""
    raw = markdown.markdown(body, extensions=["sane_lists"], output_format="html")
    # A heading written as "# …" becomes a level-2 heading: the update's title is the page's only h1.
    raw = raw.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    safe = nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return safe, _plain_text(safe)


class _TextWriter(HTMLParser):
    """Cleaned update HTML to plain text: paragraphs apart, list items marked, a link's address after its words."""

    BLOCKS = {"p", "ul", "ol", "h2", "h3", "h4", "blockquote", "pre", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str | None] = []
        self.numbers: list[int | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n\n")
        if tag in {"ul", "ol"}:
            self.numbers.append(0 if tag == "ol" else None)
        elif tag == "li":
            number = self.numbers[-1] if self.numbers else None
            if number is not None:
                self.numbers[-1] = number + 1
            self.parts.append(f"\n{number + 1}. " if number is not None else "\n- ")
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "hr":
            self.parts.append("* * *")
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag in {"ul", "ol"} and self.numbers:
            self.numbers.pop()
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href and href.removeprefix("mailto:") not in self.parts[-1:]:
                self.parts.append(f" ({href.removeprefix('mailto:')})")
        if tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if data.strip() or "\n" not in data:  # the line breaks between tags are not text
            self.parts.append(data)


def _plain_text(safe_html: str) -> str:
    writer = _TextWriter()
    writer.feed(safe_html)
    writer.close()
    text = "".join(writer.parts)
    paragraphs = [" ".join(line.split()) for line in text.split("\n")]
    lines = "\n".join(paragraphs).strip()
    while "\n\n\n" in lines:
        lines = lines.replace("\n\n\n", "\n\n")
    return html.unescape(lines)


def save_draft(update: Update, user: User | None = None) -> None:
    """Store a draft with its body rendered; a sent update is never changed."""
    adding = update._state.adding
    if not adding and update.status != Update.Status.DRAFT:
        raise ValueError("Only a draft can be edited.")
    update.html, update.text = render(update.body)
    if adding and user is not None:
        update.created_by = user
    update.save()


def audience(campaign: Campaign, chosen: str) -> QuerySet[Signature]:
    """The signatures an update to `chosen` goes to now: never demo, pending, held, invalid, erased or suppressed.

    One signature per mailbox per campaign already (signature_one_per_mailbox); the outbox's unique
    (update, signature) keeps it to one email each.
    """
    signatures = Signature.objects.for_campaign(campaign)
    if chosen == Update.Audience.PROMISED:
        signatures = signatures.told_of_outcome()
    elif chosen == Update.Audience.OPTED_IN:
        signatures = signatures.contactable()
    else:
        raise ValueError(f"Unknown audience {chosen!r}")
    return suppression.without_suppressed(signatures)


def audience_sizes(campaign: Campaign) -> dict[str, int]:
    """How many an update would reach now, for each audience."""
    return {choice: audience(campaign, choice).count() for choice in Update.Audience.values}


def send_test(update: Update, user: User) -> bool:
    """Send the update to the member of staff alone, through the outbox. False if they have no email address."""
    if not user.email:
        return False
    emails.queue_update_test(update, user)
    return True


def start_sending(update: Update, chosen: str, user: User) -> bool:
    """Start sending a draft to an audience: written once, so a second "send" (or two at once) sends nothing more.

    Returns False if it was no longer a draft. The recipients are written by `prepare_update` in the worker.
    """
    if chosen not in Update.Audience.values:
        raise ValueError(f"Unknown audience {chosen!r}")
    with transaction.atomic():
        started = Update.objects.filter(pk=update.pk, status=Update.Status.DRAFT).update(
            status=Update.Status.SENDING, audience=chosen, sent_at=timezone.now(), sent_by=user
        )
        if not started:
            return False
        update.refresh_from_db()
        audit.record(
            user,
            AuditEntry.Action.SEND_UPDATE,
            audience(update.campaign, chosen).count(),
            campaign=update.campaign,
            update=update.pk,
            audience=chosen,
            title=update.title,
        )
        transaction.on_commit(partial(prepare_update.enqueue, update.pk))
    return True


@task
def prepare_update(update_pk: int) -> int:
    """Write the outbox rows of an update being sent (the task `start_sending` queues)."""
    return prepare(update_pk)


def prepare(update_pk: int) -> int:
    """Write an outbox row for each recipient of the update, PREPARE_BATCH at a time; return how many it wrote.

    Resumes after the last signature already written, so a rerun (a worker killed midway, the
    requeue command) carries on where it stopped. Each batch is due at a time that keeps the
    sending to UPDATE_EMAILS_PER_MINUTE, and stops as soon as the update is cancelled.
    """
    update = Update.objects.select_related("campaign").get(pk=update_pk)
    rows = OutgoingEmail.objects.filter(update=update, kind=OutgoingEmail.Kind.UPDATE)
    position = rows.count()
    after = rows.aggregate(last=Max("signature_id"))["last"] or 0
    written = 0
    recipients = audience(update.campaign, update.audience).order_by("pk").values_list("pk", flat=True)
    while True:
        with transaction.atomic():
            if not Update.objects.filter(pk=update.pk, status=Update.Status.SENDING).exists():
                return written
            batch = list(recipients.filter(pk__gt=after)[:PREPARE_BATCH])
            if not batch:
                Update.objects.filter(pk=update.pk).update(recipients=position, prepared_at=timezone.now())
                return written
            OutgoingEmail.objects.bulk_create(
                [
                    OutgoingEmail(
                        kind=OutgoingEmail.Kind.UPDATE,
                        update=update,
                        signature_id=pk,
                        next_attempt_at=_due(update.sent_at, position + offset),
                    )
                    for offset, pk in enumerate(batch)
                ],
                ignore_conflicts=True,
            )
            position += len(batch)
            written += len(batch)
            after = batch[-1]
            Update.objects.filter(pk=update.pk).update(recipients=position)
            transaction.on_commit(emails.nudge_worker, robust=True)


def _due(start: datetime | None, position: int) -> datetime:
    """When the email at `position` in an update's sending is due: the outbox's batches spaced to the rate."""
    start = start or timezone.now()
    rate = settings.UPDATE_EMAILS_PER_MINUTE
    if rate <= 0:
        return start
    batch = position // emails.BATCH
    return start + timedelta(seconds=batch * emails.BATCH * 60 / rate)


def resume_preparing(grace: timedelta = timedelta(minutes=5)) -> int:
    """Queue again the preparation of updates still being prepared long after they started (a killed worker)."""
    stalled = list(
        Update.objects.filter(
            status=Update.Status.SENDING, prepared_at__isnull=True, sent_at__lt=timezone.now() - grace
        ).values_list("pk", flat=True)
    )
    for pk in stalled:
        prepare_update.enqueue(pk)
    return len(stalled)


def cancel(update: Update, user: User) -> int:
    """Stop sending an update: whatever is not yet sent never goes. Audited; returns how many emails it stopped."""
    with transaction.atomic():
        stopped = Update.objects.filter(pk=update.pk, status=Update.Status.SENDING).update(
            status=Update.Status.CANCELLED, cancelled_at=timezone.now()
        )
        if not stopped:
            return 0
        unsent = OutgoingEmail.objects.filter(
            update=update, kind=OutgoingEmail.Kind.UPDATE, status=OutgoingEmail.Status.PENDING
        ).update(status=OutgoingEmail.Status.CANCELLED)
        audit.record(user, AuditEntry.Action.CANCEL_UPDATE, unsent, campaign=update.campaign_id, update=update.pk)
    update.refresh_from_db()
    return unsent


@dataclass(frozen=True)
class Progress:
    total: int
    sent: int
    stopped: int  # not sent: suppressed, invalidated or cancelled since they were chosen
    preparing: bool

    @property
    def waiting(self) -> int:
        return self.total - self.sent - self.stopped

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, 100 * (self.sent + self.stopped) // self.total)


def progress(update: Update) -> Progress:
    """How far the sending has gone; an update whose every email has gone or been stopped is marked sent."""
    by_status = dict.fromkeys(OutgoingEmail.Status.values, 0) | dict(
        OutgoingEmail.objects.filter(update=update, kind=OutgoingEmail.Kind.UPDATE)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    result = Progress(
        total=sum(by_status.values()),
        sent=by_status[OutgoingEmail.Status.SENT],
        stopped=by_status[OutgoingEmail.Status.CANCELLED],
        preparing=update.status == Update.Status.SENDING and update.prepared_at is None,
    )
    if update.status == Update.Status.SENDING and not result.preparing and not result.waiting:
        finished = timezone.now()
        if Update.objects.filter(pk=update.pk, status=Update.Status.SENDING).update(
            status=Update.Status.SENT, finished_at=finished
        ):
            update.status, update.finished_at = Update.Status.SENT, finished
    return result


@dataclass(frozen=True)
class PublishedUpdate:
    title: str
    sent_at: datetime
    url: str


def published(campaign: Campaign) -> QuerySet[Update]:
    """The updates the public may read: those sent or being sent (a cancelled one was a mistake)."""
    return Update.objects.filter(campaign=campaign, status__in=[Update.Status.SENDING, Update.Status.SENT])


def published_updates(campaign: Campaign) -> list[PublishedUpdate]:
    """The campaign's sent updates, newest first, for its timeline: title, when it was sent, its public page."""
    rows = published(campaign).select_related("campaign").order_by("-sent_at")
    return [PublishedUpdate(row.title, row.sent_at, row.get_absolute_url()) for row in rows if row.sent_at]
