"""Signatures, the sharded counts of confirmed ones, and the outbox of emails to signers."""

import secrets
from datetime import timedelta
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone

from campaign.models import Campaign

from . import consent
from .names import Audience, shown_name


def new_token() -> str:
    """The secret in a signer's confirm and withdraw links: random, so that a link says nothing about the signature."""
    return secrets.token_urlsafe(16)


class SignatureQuerySet(models.QuerySet["Signature"]):
    def for_campaign(self, campaign: Campaign | int) -> Self:
        return self.filter(campaign=campaign)

    def confirmed(self) -> Self:
        """Signatures that count: confirmed by email, not invalidated, and not held for review."""
        return self.filter(status=Signature.Status.CONFIRMED, held_at__isnull=True)

    def held(self) -> Self:
        """Signatures held for review and not yet released or invalidated: they do not count, even confirmed."""
        return self.filter(held_at__isnull=False).exclude(status=Signature.Status.INVALIDATED)

    def public(self) -> Self:
        """Confirmed signers who agreed to have their name shown."""
        return self.confirmed().filter(show_name=True)

    def contactable(self) -> Self:
        """Confirmed signers who asked to hear about the campaign and have not since said stop (an unsubscribe, a
        bounce or a spam complaint: a Suppression): the only addresses staff may take away."""
        return self.reachable().filter(contact_opt_in=True).exclude(mailbox__in=Suppression.objects.values("mailbox"))

    def told_of_outcome(self) -> Self:
        """Confirmed signers we said we would email when the letter is delivered and answered.

        Those who asked to hear about the campaign's progress, and those whose sign form promised it to
        every signer (petition.consent.OUTCOME_PROMISED); never one who was told "we will not email you".
        """
        promised = Q(contact_opt_in=True) | Q(consent_version__in=consent.OUTCOME_PROMISED)
        return self.reachable().filter(promised)

    def reachable(self) -> Self:
        """Confirmed real signers whose address we still hold: whom the charity could write to at all."""
        return self.confirmed().real().filter(erased_at__isnull=True).exclude(email="")

    def awaiting_moderation(self) -> Self:
        """Messages to the minister waiting to be read: only confirmed signers' (the rest may be anyone's)."""
        return self.confirmed().filter(message_status=Signature.MessageStatus.PENDING)

    def real(self) -> Self:
        """Everything but demo signatures (petition.demo): what the recipient of the letter may be given."""
        return self.filter(is_demo=False)

    def demo(self) -> Self:
        """Made-up signatures (petition.demo): counted on the site, never exported or delivered."""
        return self.filter(is_demo=True)


class Language(models.TextChoices):
    """The language a supporter signed in (the page's, petition.languages): every email to them is in it."""

    ENGLISH = "en-gb", "English"
    WELSH = "cy", "Welsh (Cymraeg)"


class Source(models.TextChoices):
    """The channel a shared link was sent through (its `?s=`): a known list, so no arbitrary text is stored."""

    NONE = "", "No channel (direct)"
    WHATSAPP = "whatsapp", "WhatsApp"
    EMAIL = "email", "Email"
    FACEBOOK = "facebook", "Facebook"
    X = "x", "X (Twitter)"
    BLUESKY = "bluesky", "Bluesky"
    LINK = "link", "Copied link"
    SHARE = "share", "Phone's share menu"
    # Not a shared link: the sign page partner sites frame (petition.embedding), which sets it itself.
    EMBED = "embed", "Partner sites' sign page (embed)"


class Signature(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for email confirmation"
        CONFIRMED = "confirmed", "Confirmed"
        INVALIDATED = "invalidated", "Invalidated"

    class InvalidationReason(models.TextChoices):
        SPAM = "spam", "Spam"
        FAKE = "fake", "Fake or automated"
        DUPLICATE = "duplicate", "Duplicate of another signature"
        ABUSE = "abuse", "Abusive"
        SIGNER_REQUEST = "signer_request", "At the signer's request"

    class HeldReason(models.TextChoices):
        REVIEW = "review", "Campaign holding every new signature"
        BUSY_ADDRESS = "busy_address", "Past the limit for one internet address"
        BUSY_DOMAIN = "busy_domain", "Past the limit for one email domain"

    Source = Source

    class MessageStatus(models.TextChoices):
        NONE = "", "No message"
        PENDING = "pending", "Waiting for moderation"
        APPROVED = "approved", "Approved"
        HIDDEN = "hidden", "Hidden"

    # Indexed by the composite indexes below, which all start with the campaign.
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="signatures", db_index=False)
    status = models.CharField(max_length=12, choices=Status, default=Status.PENDING)
    first_name = models.CharField(max_length=50)
    last_name = models.CharField(max_length=50)
    # As typed (trimmed), for sending; never shown publicly.
    email = models.CharField(max_length=254)
    # The inbox the address delivers to, whatever its spelling (see petition.mailboxes): one signature each.
    mailbox = models.CharField(max_length=254)
    # The registrable domain (example.co.uk for mail.example.co.uk): limits, the overview and bulk
    # invalidation see one organisation's subdomains as the one domain they are.
    email_domain = models.CharField(max_length=253)
    postcode = models.CharField(max_length=8, blank=True, help_text="Normalised UK postcode; blank outside the UK.")
    country = models.CharField(max_length=2, default="GB", help_text="ISO 3166 code.")
    region = models.CharField(max_length=40, help_text="Key of the region counted, from the postcode or 'outside-uk'.")
    show_name = models.BooleanField(default=False)
    contact_opt_in = models.BooleanField(default=False)
    # The key of the contact box's words the signer saw, ticked or not (petition.consent).
    contact_wording = models.CharField(max_length=20, blank=True)
    message = models.TextField(max_length=500, blank=True)
    message_status = models.CharField(max_length=10, choices=MessageStatus, blank=True, default=MessageStatus.NONE)
    consent_version = models.CharField(max_length=20)
    ip_hash = models.CharField(max_length=32, blank=True, help_text="Keyed hash of the signer's IP address.")
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    invalidated_at = models.DateTimeField(null=True, blank=True)
    invalidation_reason = models.CharField(max_length=20, choices=InvalidationReason, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True, help_text="When the signer's personal data was erased.")
    # Held for review (see petition.holding): stored and confirmable as any other, but counted, listed and
    # delivered only once staff release it. Kept through invalidation, so that a restore returns it to review.
    held_at = models.DateTimeField(null=True, blank=True, help_text="When it was held for review; empty once released.")
    held_reason = models.CharField(max_length=20, choices=HeldReason, blank=True)
    # None once erased, so that the links in the signer's emails lead nowhere (NULLs never collide when unique).
    token = models.CharField(max_length=32, null=True, unique=True, default=new_token, editable=False)  # noqa: DJ001
    # The bulk invalidation that invalidated this signature, so that it can be reverted as one. Indexed by
    # signature_invalidation_idx, over the few rows that have one.
    invalidation = models.ForeignKey(
        "Invalidation", on_delete=models.SET_NULL, null=True, blank=True, related_name="signatures", db_index=False
    )
    # The channel of the shared link the signer arrived through, carried by the sign form.
    # With a database default too, so that rows written without it (an older release during a deploy, the bench's
    # bulk fill) still insert.
    source = models.CharField(max_length=10, choices=Source, blank=True, default=Source.NONE, db_default=Source.NONE)
    # The language of the page signed on; the database default keeps rows written without it (an older release
    # during a deploy, the bench's bulk fill) inserting, in English.
    language = models.CharField(max_length=5, choices=Language, default=Language.ENGLISH, db_default=Language.ENGLISH)
    is_demo = models.BooleanField(
        "demo",
        default=False,
        help_text="Made up by manage.py demo_signatures: counted on the site, never exported or delivered.",
    )

    objects = SignatureQuerySet.as_manager()

    class Meta:
        permissions = [
            ("export_signatures", "Can export signatures and delivery packs"),
            ("export_contacts", "Can export the contacts of signers who asked to hear more"),
            ("view_email", "Can see signers' email addresses"),
            ("find_by_email", "Can find a signer by their exact email address"),
        ]
        constraints = [
            # One signature per inbox per campaign, however it is spelt; an erased one holds no address.
            # The mailbox first, so that staff can find a signature by its address alone.
            models.UniqueConstraint(
                fields=["mailbox", "campaign"], condition=Q(erased_at__isnull=True), name="signature_one_per_mailbox"
            ),
            models.CheckConstraint(
                condition=~Q(status="confirmed") | Q(confirmed_at__isnull=False),
                name="signature_confirmed_has_time",
            ),
            models.CheckConstraint(
                condition=(Q(message="") & Q(message_status="")) | (~Q(message="") & ~Q(message_status="")),
                name="signature_message_has_status",
            ),
            models.CheckConstraint(
                condition=~Q(status="invalidated") | (Q(invalidated_at__isnull=False) & ~Q(invalidation_reason="")),
                name="signature_invalidated_has_reason",
            ),
            models.CheckConstraint(condition=Q(source__in=Source.values), name="signature_source_known"),
            models.CheckConstraint(condition=Q(language__in=Language.values), name="signature_language_known"),
            models.CheckConstraint(
                condition=(Q(held_at__isnull=True) & Q(held_reason=""))
                | (Q(held_at__isnull=False) & ~Q(held_reason="")),
                name="signature_held_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "status", "-confirmed_at"], name="signature_recent_idx"),
            models.Index(fields=["campaign", "-created_at"], name="signature_created_idx"),
            models.Index(Upper("last_name"), name="signature_last_name_idx"),
            # What moderators look up during a scripted attack (the overview links here), and what
            # bulk invalidation previews count: each rare value must not mean a scan of every row.
            models.Index(fields=["ip_hash"], name="signature_ip_hash_idx"),
            models.Index(fields=["email_domain"], name="signature_email_domain_idx"),
            # The moderation queue, oldest first, and its count: a few thousand rows among a million.
            models.Index(
                fields=["created_at"],
                condition=Q(status="confirmed", message_status="pending"),
                name="signature_message_waiting_idx",
            ),
            # The held signatures staff review: a few among a million, found without a scan.
            models.Index(fields=["campaign", "held_at"], condition=Q(held_at__isnull=False), name="signature_held_idx"),
            # Demo rows only, so real signatures never pay for it: what the delivered count leaves out,
            # and what `demo_signatures --delete` removes, found without reading every signature.
            models.Index(fields=["campaign", "status", "region"], condition=Q(is_demo=True), name="signature_demo_idx"),
            # A bulk invalidation's signatures, to revert it (and for the database to clear when one is deleted):
            # partial, like the two above, so that signing (the hot path) writes no entry for its empty value.
            models.Index(
                fields=["invalidation"], condition=Q(invalidation__isnull=False), name="signature_invalidation_idx"
            ),
        ]

    def __str__(self) -> str:
        # Shown on staff screens only (the admin's lists, actions and previews).
        name = shown_name(
            Audience.STAFF, first_name=self.first_name, last_name=self.last_name, show_name=self.show_name
        )
        return name or f"Signature {self.pk} (erased)"


class SignatureCount(models.Model):
    """One shard of a campaign's confirmed count in one region.

    Confirmations add to a random shard in the same transaction, so the sum is
    always exact and no single row becomes a lock queue under a surge.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="signature_counts")
    region = models.CharField(max_length=40)
    shard = models.PositiveSmallIntegerField()
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "region", "shard"], name="signaturecount_unique_shard"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.region}/{self.shard}: {self.count}"


class VisitCount(models.Model):
    """Visits to a campaign's page through a shared link, per channel and hour: a counter, nothing about who.

    No cookie and no personal data: each app process adds up its visits in memory and writes them here every
    few seconds (petition.visits), so the page stays as cheap under a read storm as it was.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+", db_index=False)
    source = models.CharField(max_length=10, choices=Source)
    hour = models.DateTimeField(help_text="The start of the hour (UTC).")
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "hour", "source"], name="visitcount_one_per_hour"),
            models.CheckConstraint(
                condition=Q(source__in=[value for value in Source.values if value]), name="visitcount_source_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.source}/{self.hour:%Y-%m-%d %H:00}: {self.count}"


class SigningPolicy(models.Model):
    """How a campaign takes new signatures: whether every one is held for review.

    Here rather than on Campaign, because the campaign app knows nothing of
    signatures; one row per campaign, made when staff first set it (none: nothing held).
    """

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, primary_key=True, related_name="signing_policy")
    hold_all = models.BooleanField(
        "Hold every new signature for review",
        default=False,
        help_text="New signatures are stored and can be confirmed as usual, but count only once staff release "
        "them. The public page does not change. Takes effect within a few seconds.",
    )
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        verbose_name_plural = "signing policies"

    def __str__(self) -> str:
        return f"{self.campaign}: {'holding new signatures' if self.hold_all else 'counting new signatures'}"


class OutgoingEmail(models.Model):
    """An email to a signer, kept until it is sent so that none is lost or sent twice."""

    class Kind(models.TextChoices):
        CONFIRM = "confirm", "Confirm your signature"
        ALREADY_SIGNED = "already_signed", "You have already signed"
        # Signed again, or asked for the email again: the worker sends whichever of the two fits.
        REPEAT = "repeat", "Signed again (confirm, or already signed)"
        UPDATE = "update", "An update to supporters"
        UPDATE_TEST = "update_test", "A test of an update, to staff"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"

    # Indexed by outgoingemail_recent_idx, which starts with it.
    signature = models.ForeignKey(
        Signature, on_delete=models.CASCADE, null=True, blank=True, related_name="emails", db_index=False
    )
    kind = models.CharField(max_length=20, choices=Kind)
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=200, blank=True, help_text="The error's type and SMTP code only.")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The update it carries (kind "update" only). Indexed by outgoingemail_one_per_update, which starts with it.
    update = models.ForeignKey(
        "Update", on_delete=models.CASCADE, null=True, blank=True, related_name="emails", db_index=False
    )
    # A test of an update goes to the member of staff who asked for it, and to no signature. Indexed by
    # outgoingemail_staff_idx, over those few rows.
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )

    class Meta:
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="outgoingemail_due_idx"),
            models.Index(fields=["signature", "-created_at"], name="outgoingemail_recent_idx"),
            # Partial: every signature's emails leave it empty, and signing writes no entry for them.
            models.Index(fields=["staff"], condition=Q(staff__isnull=False), name="outgoingemail_staff_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="outgoingemail_sent_has_time"
            ),
            # Every email goes to a signature, but a test of an update, which goes to staff.
            models.CheckConstraint(
                condition=Q(kind="update", update__isnull=False, signature__isnull=False, staff__isnull=True)
                | Q(kind="update_test", update__isnull=False, signature__isnull=True, staff__isnull=False)
                | (
                    Q(update__isnull=True, signature__isnull=False, staff__isnull=True)
                    & ~Q(kind__in=["update", "update_test"])
                ),
                name="outgoingemail_has_one_recipient",
            ),
            # An update reaches a signature once, however often its sending is started or resumed.
            models.UniqueConstraint(
                fields=["update", "signature"], condition=Q(update__isnull=False), name="outgoingemail_one_per_update"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"


class ResendRequest(models.Model):
    """Someone asked for the email again. The worker finds out whether the address has signed, never the request."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    mailbox = models.CharField(max_length=254)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Resend request {self.pk}"


class AuditEntry(models.Model):
    """One thing a member of staff did to signatures or with them: kept for good, never edited."""

    class Action(models.TextChoices):
        INVALIDATE = "invalidate", "Invalidated signatures"
        RESTORE = "restore", "Restored signatures"
        APPROVE_MESSAGE = "approve_message", "Approved messages"
        HIDE_MESSAGE = "hide_message", "Hid messages"
        RESEND = "resend", "Resent confirmation emails"
        ERASE = "erase", "Erased personal data"
        EXPORT = "export", "Exported signatures"
        HOLD = "hold", "Started holding new signatures"
        STOP_HOLDING = "stop_holding", "Stopped holding new signatures"
        RELEASE = "release", "Released held signatures"
        EXPORT_CONTACTS = "export_contacts", "Exported contacts (email addresses)"
        ADD_DEMO = "add_demo", "Added demo signatures"
        REMOVE_DEMO = "remove_demo", "Removed demo signatures"
        SEND_UPDATE = "send_update", "Sent an update to supporters"
        CANCEL_UPDATE = "cancel_update", "Cancelled the sending of an update"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    # Kept as well as the user, so the record survives the account.
    username = models.CharField(max_length=150)
    action = models.CharField(max_length=20, choices=Action)
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    count = models.PositiveIntegerField(help_text="How many signatures it changed or exported.")
    reason = models.CharField(max_length=300, blank=True)
    details = models.JSONField(
        default=dict, blank=True, help_text="Filters, columns or signature numbers; no personal data."
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "audit log"

    def __str__(self) -> str:
        return f"{self.username}: {self.get_action_display()} ({self.count})"


class Invalidation(models.Model):
    """Invalidating every signature that matches some criteria: previewed, run in the background, revertible."""

    class Status(models.TextChoices):
        PENDING = "pending", "Not started"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        REVERTED = "reverted", "Reverted"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=20, choices=Signature.InvalidationReason)
    note = models.CharField(max_length=250, blank=True, help_text="What you saw, for the audit log.")
    ip_hash = models.CharField(max_length=32, blank=True, help_text="Exactly, as shown in the overview.")
    email_domain = models.CharField(
        max_length=253, blank=True, help_text="e.g. spam.example: its subdomains are included."
    )
    postcode = models.CharField(max_length=8, blank=True, help_text="A full postcode (SW1A 1AA) or an area (SW).")
    name_contains = models.CharField(max_length=50, blank=True, help_text="In the first or last name, any case.")
    signed_after = models.DateTimeField(null=True, blank=True)
    signed_before = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    matched = models.PositiveIntegerField(default=0, help_text="Signatures matching when it started.")
    invalidated = models.PositiveIntegerField(default=0, help_text="Signatures invalidated so far.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # Who pressed: the audit entries of its batches name whoever started it, those of its revert whoever reverted
    # it, which need not be whoever described the criteria.
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    reverted_at = models.DateTimeField(null=True, blank=True)
    reverted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    CRITERIA = ["ip_hash", "email_domain", "postcode", "name_contains", "signed_after", "signed_before"]

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(ip_hash="", email_domain="", postcode="", name_contains="")
                | Q(signed_after__isnull=False)
                | Q(signed_before__isnull=False),
                name="invalidation_has_criteria",
                violation_error_message="Give at least one criterion: an invalidation of everything is refused.",
            ),
            models.CheckConstraint(
                condition=Q(signed_after__isnull=True)
                | Q(signed_before__isnull=True)
                | Q(signed_before__gt=models.F("signed_after")),
                name="invalidation_window_runs_forwards",
                violation_error_message="“Signed before” must be later than “signed after”.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.describe()}"

    def describe(self) -> str:
        """The criteria in words, for lists and the audit log."""
        parts = [f"{name.replace('_', ' ')} {getattr(self, name)}" for name in self.CRITERIA if getattr(self, name)]
        return ", ".join(parts) or "no criteria"


class DeliveryPack(models.Model):
    """The delivery pack as a PDF, built by the task worker and kept for staff to download.

    WeasyPrint takes a couple of milliseconds per name, so a pack with tens of
    thousands of names cannot be built inside a request. The PDF is kept in the
    database rather than in file storage so that every app server and worker
    sees it without a shared disk; it is a few megabytes at most, and only the
    newest few per campaign are kept (it holds signers' names).
    """

    class Status(models.TextChoices):
        BUILDING = "building", "Being built"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="delivery_packs")
    status = models.CharField(max_length=10, choices=Status, default=Status.BUILDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    signatures = models.PositiveIntegerField(default=0, help_text="The verified count it states.")
    named_total = models.PositiveIntegerField(default=0, help_text="Signatories named in it.")
    named_done = models.PositiveIntegerField(default=0, help_text="Names laid out so far.")
    pages = models.PositiveIntegerField(default=0)
    pdf = models.BinaryField(blank=True, default=b"")

    KEEP = 3
    # A build still "being built" after this long had its worker killed under it.
    STALLED_AFTER = timedelta(minutes=30)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="ready") | Q(finished_at__isnull=False), name="delivery_pack_ready_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"Delivery pack of {self.requested_at:%d %b %Y %H:%M}"

    @property
    def stalled(self) -> bool:
        return self.status == self.Status.BUILDING and timezone.now() - self.requested_at > self.STALLED_AFTER

    @property
    def progress(self) -> int:
        """How far through the names the build is, as a whole percentage."""
        if self.status != self.Status.BUILDING:
            return 100
        return min(99, 100 * self.named_done // self.named_total) if self.named_total else 0


class Update(models.Model):
    """News of the campaign, written by staff in Markdown and emailed to supporters through the outbox.

    A draft is edited freely; sending it is a transition written once (status draft to sending), after
    which the task in petition.updates writes one outbox row per recipient, in batches, spaced to the
    configured rate.
    """

    class Audience(models.TextChoices):
        PROMISED = "promised", "Everyone we said we would tell about the delivery and the response"
        OPTED_IN = "opted_in", "Only those who asked to hear about the campaign's progress"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="updates")
    title = models.CharField(max_length=150, help_text="The email's subject and the heading on the campaign page.")
    body = models.TextField(
        help_text="Markdown: a blank line between paragraphs, **bold**, *italic*, [a link](https://…), "
        "lists starting with - or 1., and ## a heading."
    )
    # The body rendered when it is saved (petition.updates.render): cleaned HTML and its plain-text twin.
    html = models.TextField(blank=True, editable=False)
    text = models.TextField(blank=True, editable=False)
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    audience = models.CharField(max_length=10, choices=Audience, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True, help_text="When sending started.")
    recipients = models.PositiveIntegerField(default=0, help_text="Emails written to the outbox so far.")
    prepared_at = models.DateTimeField(null=True, blank=True, help_text="When every recipient had been written.")
    finished_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("send_update", "Can send updates to supporters")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | (Q(sent_at__isnull=False) & ~Q(audience="")),
                name="update_sent_has_time_and_audience",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("petition:update", args=[self.campaign.slug, self.pk])


class Suppression(models.Model):
    """A mailbox that gets no more updates: it unsubscribed, bounced for good, or marked one as spam.

    Keyed by mailbox (petition.mailboxes), so that every spelling of the address and every signature of
    it is covered. Confirmation emails for a new signature are not updates and still go.
    """

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Bounced (the address does not exist)"
        COMPLAINED = "complained", "Marked an update as spam"

    mailbox = models.CharField(max_length=254, unique=True)
    reason = models.CharField(max_length=12, choices=Reason)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Suppression {self.pk} ({self.get_reason_display()})"
