from typing import Any

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline

from petition import counting

from .models import Ask, Campaign, Fact, Organiser, Source, Story
from .translation import CAMPAIGN_FIELDS, missing_welsh


# Each translated text shows as its English and its Welsh, one under the other (campaign/translation.py).
class AskInline(TranslationStackedInline):
    model = Ask
    extra = 0
    fields = ["position", "title", "explanation"]


class FactInline(TranslationStackedInline):
    model = Fact
    extra = 0
    fields = [("position", "qualifier", "number", "unit"), "counts", ("area", "period"), "context", "source"]
    autocomplete_fields = ["source"]


class StoryInline(TranslationStackedInline):
    model = Story
    extra = 0
    fields = ["position", "title", "body", "names_changed"]


@admin.register(Campaign)
class CampaignAdmin(TranslationAdmin):
    list_display = ["title", "slug", "status", "organiser", "welsh", "opens_at", "closes_at", "signature_goal"]
    list_filter = ["status", "organiser", "welsh_needs_review"]
    list_select_related = ["organiser"]
    search_fields = ["title", "slug", "recipient_name"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["created_at", "updated_at", "welsh_missing"]
    inlines = [AskInline, FactInline, StoryInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "share_text", "organiser"]}),
        ("The letter", {"fields": ["recipient_name", "recipient_role", "letter", "letter_sign_off"]}),
        ("Signing", {"fields": ["status", "opens_at", "closes_at", "signature_goal"]}),
        ("Delivery", {"fields": ["delivered_at", "delivered_count", "delivery_notes"]}),
        (
            "The response",
            {
                "fields": ["response_by", "responded_on", "response"],
                "description": "Shown at the top of the campaign page and in its timeline once recorded.",
            },
        ),
        (
            "Welsh",
            {
                "fields": ["welsh_missing", "welsh_needs_review"],
                "description": "Every text above has its Welsh under its English. A text without Welsh is shown in "
                "English on the Welsh pages (/cy/…) until it is written. The site's own Welsh (its buttons, form "
                "messages and emails, in locale/cy/LC_MESSAGES/django.po) was not written by a fluent speaker either "
                "and needs the same review.",
            },
        ),
        ("History", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    @admin.display(description="Welsh")
    def welsh(self, campaign: Campaign) -> str:
        """The list's column: the campaign's own texts without Welsh (asks, facts and stories on its page)."""
        lacking = sum(
            1 for name in CAMPAIGN_FIELDS if getattr(campaign, f"{name}_en_gb") and not getattr(campaign, f"{name}_cy")
        )
        if lacking:
            return f"{lacking} text{'s' if lacking > 1 else ''} without Welsh"
        return "Needs a fluent speaker's review" if campaign.welsh_needs_review else "Complete"

    @admin.display(description="Texts without Welsh")
    def welsh_missing(self, campaign: Campaign) -> str:
        missing = missing_welsh(campaign) if campaign.pk else []
        if not missing:
            return "None: every text has its Welsh."
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((name,) for name in missing)))

    def save_model(self, request: HttpRequest, obj: Campaign, form: ModelForm[Campaign], change: Any) -> None:
        if obj.status == Campaign.Status.DELIVERED and obj.delivered_count is None:
            # What the recipient was given: the verified count (no demo signers), as the delivery pack states it.
            obj.delivered_count = counting.verified(obj).count
        super().save_model(request, obj, form, change)


@admin.register(Source)
class SourceAdmin(TranslationAdmin):
    list_display = ["name", "publisher", "published_on"]
    search_fields = ["name", "publisher"]


@admin.register(Organiser)
class OrganiserAdmin(TranslationAdmin):
    list_display = ["name", "charity_number", "email", "controller_shown"]
    search_fields = ["name", "charity_number"]
    readonly_fields = ["logo_preview", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "logo", "logo_preview", "charity_number"]}),
        ("Contact", {"fields": ["postal_address", "email"]}),
        (
            "Data protection",
            {
                "fields": ["controller_name", "controller_email"],
                "description": "The privacy notice of each campaign this organisation runs names its data controller "
                "and where to write about signers' data.",
            },
        ),
        ("History", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    @admin.display(description="Data controller")
    def controller_shown(self, organiser: Organiser) -> str:
        return organiser.controller

    @admin.display(description="Logo as shown")
    def logo_preview(self, organiser: Organiser) -> str:
        if not organiser.logo_url:
            return "No logo: the name is shown in text."
        return format_html('<img src="{}" alt="{}" height="48">', organiser.logo_url, organiser.name)
