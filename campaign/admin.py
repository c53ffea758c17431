from django.contrib import admin

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
        ("Delivery", {"fields": ["delivered_at", "delivery_notes"]}),
        ("History", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "publisher", "published_on"]
    search_fields = ["name", "publisher"]
