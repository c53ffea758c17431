"""The open letter: who it is to, what it asks, and the facts behind it."""

import logging
import re
from datetime import datetime
from typing import Self

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

logger = logging.getLogger(__name__)


def paragraphs(text: str) -> list[str]:
    """Split text written in the admin into paragraphs at blank lines."""
    return [part.strip() for part in text.replace("\r\n", "\n").split("\n\n") if part.strip()]


def validate_static_image(path: str) -> None:
    """A logo must be an SVG or PNG file among the site's static files (see Organiser)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_.-]+)*\.(svg|png)", path) or "/." in path:
        raise ValidationError(
            "Give the path of an SVG or PNG file in the site's static folder, such as img/organisers/our-logo.svg.",
            code="invalid",
        )
    if finders.find(path) is None:
        raise ValidationError(f"There is no file {path} among the site's static files.", code="missing")


class Organiser(models.Model):
    """Who runs a campaign and answers for it: named in its pages' header and footer, its emails and its privacy
    notice. One organisation may run several campaigns.

    The logo is the path of an SVG or PNG among the site's static files, not an upload or an address elsewhere:
    it ships with the code and is served, fingerprinted and cached, like the stylesheet (no media storage to
    back up, and no uploaded SVG that could carry script), and the pages still load nothing from other websites
    (the Content Security Policy allows images from this one only).
    """

    name = models.CharField(
        max_length=200, unique=True, help_text="As the public knows it. It is also the logo's text alternative."
    )
    logo = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_static_image],
        help_text="Path of an SVG or PNG file in the site's static folder, e.g. img/organisers/our-logo.svg. "
        "Leave blank to show the name in text.",
    )
    charity_number = models.CharField(
        max_length=60,
        blank=True,
        help_text="As the charity registers give it; for a charity registered in more than one nation, "
        "each number with the word “and” between them. Leave blank if it is not a registered charity.",
    )
    postal_address = models.TextField(max_length=400, blank=True, help_text="One line of the address on each line.")
    email = models.EmailField(blank=True, help_text="Where supporters can write with questions.")
    controller_name = models.CharField(
        max_length=200,
        blank=True,
        help_text="The data controller for signers' details. Leave blank if it is this organisation.",
    )
    controller_email = models.EmailField(
        blank=True,
        help_text="Where signers write about their data (a data protection officer, say). "
        "Leave blank to use the email address above.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def logo_url(self) -> str:
        """The logo's address, or "" when there is none or its file was not collected (the name shows in text)."""
        if not self.logo:
            return ""
        try:
            return staticfiles_storage.url(self.logo)
        except ValueError:
            logger.warning("The logo %s of %s is not among the collected static files", self.logo, self.name)
            return ""

    @property
    def address_lines(self) -> list[str]:
        return [line.strip() for line in self.postal_address.splitlines() if line.strip()]

    @property
    def controller(self) -> str:
        """The data controller: the organisation itself unless another is named."""
        return self.controller_name or self.name

    @property
    def controller_contact(self) -> str:
        """The email address for questions about signers' data ("" if none is known)."""
        return self.controller_email or self.email

    @property
    def controller_address_lines(self) -> list[str]:
        """The controller's postal address, known only when the controller is the organisation itself."""
        return [] if self.controller_name else self.address_lines


class CampaignQuerySet(models.QuerySet["Campaign"]):
    def public(self) -> Self:
        """Campaigns anyone may read: everything but drafts."""
        return self.exclude(status=Campaign.Status.DRAFT)

    def front_page(self) -> "Campaign | None":
        """The campaign shown at `/`: the newest open one, else the newest public one."""
        return (
            self.public()
            .annotate(is_open=Q(status=Campaign.Status.OPEN))
            .order_by("-is_open", models.F("opens_at").desc(nulls_last=True), "-pk")
            .first()
        )


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open for signatures"
        CLOSED = "closed", "Closed"
        DELIVERED = "delivered", "Delivered"

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(
        max_length=600, help_text="One or two sentences shown under the title and in search results."
    )
    recipient_name = models.CharField(max_length=120)
    recipient_role = models.CharField(
        max_length=200, help_text="For example: Secretary of State for Digital, Culture, Media and Sport."
    )
    letter = models.TextField(help_text="The letter itself. Separate paragraphs with a blank line.")
    letter_sign_off = models.CharField(
        max_length=200, blank=True, help_text="The closing line, e.g. “Yours sincerely, the undersigned”."
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    signature_goal = models.PositiveIntegerField(default=10_000)
    share_text = models.CharField(
        max_length=280, help_text="The line people share on social media and in link previews."
    )
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivered_count = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="How many signatures were handed over. Left empty, it is taken from the verified count "
        "when the campaign is saved as delivered.",
    )
    delivery_notes = models.TextField(blank=True)
    organiser = models.ForeignKey(
        Organiser,
        null=True,
        blank=True,
        # Deleting an organiser must not silently leave its campaigns' privacy notices without a controller.
        on_delete=models.PROTECT,
        related_name="campaigns",
        help_text="Who runs this letter: named in the page's header and footer, its emails and its privacy notice.",
    )
    # A database default too, so that rows written by code that predates these fields (an older release during a
    # deploy, or a migration test at an earlier state) still insert.
    response = models.TextField(
        blank=True,
        default="",
        db_default="",
        help_text="The recipient's answer, as received. Separate paragraphs with a blank line.",
    )
    response_by = models.CharField(
        max_length=200,
        blank=True,
        default="",
        db_default="",
        help_text="Who answered, e.g. “The Secretary of State” or “A department official”.",
    )
    responded_on = models.DateField(null=True, blank=True, help_text="The date the answer was sent.")
    # The Welsh texts (campaign/translation.py) are shown as soon as they are written: this says whether a fluent
    # speaker has checked them, in the admin's list and above the texts.
    welsh_needs_review = models.BooleanField(
        "Welsh needs a fluent speaker's review",
        default=False,
        db_default=False,
        help_text="Ticked while the Welsh has not been checked by a fluent Welsh speaker. The shipped campaign's "
        "Welsh was not written by one.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True) | Q(opens_at__isnull=True) | Q(closes_at__gt=models.F("opens_at")),
                name="campaign_closes_after_it_opens",
                violation_error_message="The closing date must be after the opening date.",
            ),
            models.CheckConstraint(
                condition=~Q(status="delivered") | Q(delivered_at__isnull=False),
                name="campaign_delivered_has_date",
                violation_error_message="A delivered campaign needs the date it was delivered.",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closes_at__isnull=False),
                name="campaign_closed_has_date",
                violation_error_message="A closed campaign needs its closing date.",
            ),
            models.CheckConstraint(
                condition=Q(response="", responded_on__isnull=True) | (~Q(response="") & Q(responded_on__isnull=False)),
                name="campaign_response_has_date",
                violation_error_message="A response needs the date it was sent, and a date needs the response.",
            ),
            models.CheckConstraint(
                condition=Q(signature_goal__gt=0),
                name="campaign_goal_positive",
                violation_error_message="The signature goal must be at least 1.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("petition:campaign", kwargs={"slug": self.slug})

    def is_accepting_signatures(self, now: datetime | None = None) -> bool:
        """True while the letter is open and inside its opening window."""
        now = now or timezone.now()
        return (
            self.status == self.Status.OPEN
            and (self.opens_at is None or self.opens_at <= now)
            and (self.closes_at is None or now < self.closes_at)
        )

    @property
    def letter_paragraphs(self) -> list[str]:
        return paragraphs(self.letter)

    @property
    def response_paragraphs(self) -> list[str]:
        return paragraphs(self.response)


class Ask(models.Model):
    """One point of the plan the letter asks the recipient to adopt."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="asks")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    explanation = models.TextField()

    class Meta:
        ordering = ["campaign", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "position"], name="ask_unique_position"),
        ]

    def __str__(self) -> str:
        return self.title


class Source(models.Model):
    """Where a figure comes from, so every reader can check it."""

    name = models.CharField(max_length=250, unique=True, help_text="The publication or dataset.")
    publisher = models.CharField(max_length=200, blank=True)
    published_on = models.DateField(null=True, blank=True)
    url = models.URLField(blank=True, max_length=500)
    note = models.TextField(blank=True, help_text="Anything a reader should know about this source.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Fact(models.Model):
    """A sourced figure: a number, what it counts, where and when."""

    class Qualifier(models.TextChoices):
        EXACTLY = "", "Exactly"
        MORE_THAN = "more than", "More than"
        NEARLY = "nearly", "Nearly"

    class Unit(models.TextChoices):
        COUNT = "count", "A count"
        PERCENT = "percent", "A percentage"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="facts")
    position = models.PositiveSmallIntegerField(default=0)
    qualifier = models.CharField(max_length=10, choices=Qualifier, blank=True, default=Qualifier.EXACTLY)
    number = models.PositiveIntegerField()
    unit = models.CharField(max_length=10, choices=Unit, default=Unit.COUNT)
    counts = models.CharField(
        max_length=250, help_text="What the number counts, e.g. “child abuse image offences recorded by police”."
    )
    area = models.CharField(max_length=120, help_text="For example: Sussex, the UK, the South West.")
    period = models.CharField(max_length=120, help_text="For example: 2016/17 to 2020/21.")
    context = models.CharField(max_length=300, blank=True, help_text="An optional sentence of context.")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="facts")

    class Meta:
        ordering = ["campaign", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "position"], name="fact_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.figure} {self.counts} ({self.area}, {self.period})"

    @property
    def figure(self) -> str:
        """The number as a person reads it, in the page's language: “more than 3,380”, “37%”, “mwy na 3,380”."""
        number = f"{self.number:,}" + ("%" if self.unit == self.Unit.PERCENT else "")
        if self.qualifier == self.Qualifier.MORE_THAN:
            return gettext("more than {number}").format(number=number)
        if self.qualifier == self.Qualifier.NEARLY:
            return gettext("nearly {number}").format(number=number)
        return number


class Story(models.Model):
    """A case study that shows what the figures mean for one family."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="stories")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Separate paragraphs with a blank line.")
    names_changed = models.BooleanField(
        default=True, help_text="Show the note that names have been changed to protect those involved."
    )

    class Meta:
        ordering = ["campaign", "position", "pk"]
        verbose_name_plural = "stories"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "position"], name="story_unique_position"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def paragraphs(self) -> list[str]:
        return paragraphs(self.body)
