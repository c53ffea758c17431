from typing import Any

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.html import format_html

from petition import counting

from .models import Ask, Campaign, Fact, Organiser, Source, Story


class AskInline(admin.StackedInline):
    model = Ask
    extra = 0
    fields = ["position", "title", "explanation"]


class FactInline(admin.StackedInline):
    model = Fact
    extra = 0
    fields = [("position", "qualifier", "number", "unit"), "counts", ("area", "period"), "context", "source"]
    autocomplete_fields = ["source"]


class StoryInline(admin.StackedInline):
    model = Story
    extra = 0
    fields = ["position", "title", "body", "names_changed"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "status", "organiser", "opens_at", "closes_at", "signature_goal"]
    list_filter = ["status", "organiser"]
    list_select_related = ["organiser"]
    search_fields = ["title", "slug", "recipient_name"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["created_at", "updated_at"]
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
        ("History", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def save_model(self, request: HttpRequest, obj: Campaign, form: ModelForm[Campaign], change: Any) -> None:
        if obj.status == Campaign.Status.DELIVERED and obj.delivered_count is None:
            # What the recipient was given: the verified count (no demo signers), as the delivery pack states it.
            obj.delivered_count = counting.verified(obj).count
        super().save_model(request, obj, form, change)


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "publisher", "published_on"]
    search_fields = ["name", "publisher"]


@admin.register(Organiser)
class OrganiserAdmin(admin.ModelAdmin):
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
