from typing import Any

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from petition import counting

from .models import Ask, Campaign, Fact, Source, Story


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
    list_display = ["title", "slug", "status", "opens_at", "closes_at", "signature_goal"]
    list_filter = ["status"]
    search_fields = ["title", "slug", "recipient_name"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["created_at", "updated_at"]
    inlines = [AskInline, FactInline, StoryInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "share_text"]}),
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
