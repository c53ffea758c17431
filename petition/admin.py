from django.contrib import admin

from .models import OutgoingEmail, Signature


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    """Read-only until moderation arrives: deleting a row here would put the count wrong."""

    list_display = ["__str__", "campaign", "region", "status", "created_at", "confirmed_at"]
    list_filter = ["status", "campaign"]
    list_select_related = ["campaign"]
    search_fields = ["=email_normalised", "last_name"]
    show_full_result_count = False
    ordering = ["-created_at"]
    exclude = ["ip_hash"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = ["kind", "status", "attempts", "last_error", "created_at", "sent_at"]
    list_filter = ["status", "kind"]
    show_full_result_count = False
    ordering = ["-created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
