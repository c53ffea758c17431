from django.contrib import admin

from .models import OutgoingEmail, Signature


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows changed only by the site's own code: editing or deleting them here would put the count wrong."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "campaign", "region", "status", "created_at", "confirmed_at"]
    list_filter = ["status", "campaign"]
    list_select_related = ["campaign"]
    search_fields = ["=email_normalised", "last_name"]
    show_full_result_count = False
    ordering = ["-created_at"]
    exclude = ["ip_hash"]


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(ReadOnlyAdmin):
    list_display = ["kind", "status", "attempts", "last_error", "created_at", "sent_at"]
    list_filter = ["status", "kind"]
    show_full_result_count = False
    ordering = ["-created_at"]
