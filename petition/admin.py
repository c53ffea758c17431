from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime

from campaign import admin as campaign_admin
from campaign.models import Campaign

from . import counting, invalidations, overview, postcodes, signing, standing
from .domains import email_domain
from .mailboxes import mailbox
from .models import AuditEntry, Invalidation, OutgoingEmail, Signature

# The campaign app knows nothing of signatures: its admin gets the count and the delivery links here.
admin.site.unregister(Campaign)


@admin.register(Campaign)
class CampaignAdmin(campaign_admin.CampaignAdmin):
    list_display = [*campaign_admin.CampaignAdmin.list_display[:-1], "verified_signatures", "signature_goal"]
    readonly_fields = ["verified_signatures", "export", *campaign_admin.CampaignAdmin.readonly_fields]

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(name, {**options, "fields": list(options["fields"])}) for name, options in self.fieldsets]
        for name, options in fieldsets:
            if name == "Signing":
                options["fields"].append("verified_signatures")
            if name == "Delivery":
                options["fields"].append("export")
        return fieldsets

    @admin.display(description="Signature list")
    def export(self, campaign):
        if not campaign.pk:
            return "–"
        return format_html(
            '<a href="{}">Export the verified signatures (CSV)</a> · <a href="{}">Delivery pack (print or PDF)</a>',
            reverse("petition:export", args=[campaign.slug]),
            reverse("petition:deliver", args=[campaign.slug]),
        )

    @admin.display(description="Verified signatures")
    def verified_signatures(self, campaign):
        if not campaign.pk:
            return "–"
        count = counting.totals(campaign).count
        demo = Signature.objects.for_campaign(campaign).confirmed().demo().count()
        if not demo:
            return intcomma(count)
        return f"{intcomma(count)}, of which {intcomma(demo)} demo (never exported or delivered)"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows changed only by the site's own code: editing or deleting them here would put the count wrong."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReasonForm(forms.Form):
    reason = forms.ChoiceField(choices=Signature.InvalidationReason.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        required=False, max_length=250, help_text="What you saw, for the audit log. No personal data, please."
    )


class NoteForm(forms.Form):
    note = forms.CharField(max_length=250, help_text="Why, for the audit log. No personal data, please.")


def _confirm(modeladmin, request, queryset, *, form_class, title, verb):
    """The page that asks for a reason before a removing action; returns the valid form once posted."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        return form
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "verb": verb,
        "form": form,
        "queryset": queryset,
        "count": queryset.count(),
        "sample": queryset[:10],
        "opts": modeladmin.model._meta,
        "action": request.POST["action"],
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "select_across": request.POST.get("select_across", "0"),
    }
    return TemplateResponse(request, "admin/petition/signature/confirm_action.html", context)


class HasMessageFilter(admin.SimpleListFilter):
    title = "message to the minister"
    parameter_name = "has_message"

    def lookups(self, request, model_admin):
        return [("yes", "With a message"), ("no", "Without")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(message="")
        if self.value() == "no":
            return queryset.filter(message="")
        return queryset


class RegionFilter(admin.SimpleListFilter):
    """The regions from the postcode table: listing the values in use would scan every signature on every page."""

    title = "region"
    parameter_name = "region"

    def lookups(self, request, model_admin):
        return [(key, region.name) for key, region in postcodes.regions().items()]

    def queryset(self, request, queryset):
        return queryset.filter(region=self.value()) if self.value() else queryset


class EmailDomainFilter(admin.SimpleListFilter):
    """Type a domain (e.g. spam.example) to see only signatures with addresses there or at its subdomains."""

    title = "email domain"
    parameter_name = "email_domain"
    template = "admin/petition/signature/input_filter.html"

    def lookups(self, request, model_admin):
        return [("", "")]  # a text box, not a list: there are too many domains to list

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        domain = email_domain(self.value())
        return queryset.filter(email_domain=domain) if domain else queryset.none()


class CappedPaginator(Paginator):
    """Counts at most CAP rows: a list of a million signatures must not count them all on every page."""

    CAP = 10_000

    @cached_property
    def count(self):
        return self.object_list[: self.CAP].count()


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    """Signatures are read here and changed only by the actions, which keep the count and the audit log."""

    list_display = [
        "__str__",
        "campaign",
        "region",
        "status",
        "message_status",
        "created_at",
        "confirmed_at",
        "is_demo",
    ]
    list_filter = [
        "status",
        "is_demo",
        "campaign",
        RegionFilter,
        ("created_at", admin.DateFieldListFilter),
        EmailDomainFilter,
        HasMessageFilter,
        "message_status",
        "invalidation_reason",
    ]
    list_select_related = ["campaign"]
    search_fields = ["mailbox", "last_name"]
    search_help_text = "An email address (any spelling of it), or a surname."
    show_full_result_count = False
    paginator = CappedPaginator
    # Half Django's default: each row costs several formatted cells, and moderators page by filter, not by scrolling.
    list_per_page = 50
    # Newest first by primary key: the same order as time, from an index every table has.
    ordering = ["-pk"]
    exclude = ["ip_hash", "mailbox", "token"]
    actions = ["invalidate", "restore", "approve_messages", "hide_messages", "resend_confirmation", "erase"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields if field.name not in self.exclude]

    def get_search_results(self, request, queryset, search_term):
        # Exact matches only, each served by an index: a million rows must not be scanned.
        term = search_term.strip()
        if not term:
            return queryset, False
        if "@" in term:
            return queryset.filter(mailbox=mailbox(term)), False
        return queryset.filter(last_name__iexact=term), False

    def lookup_allowed(self, lookup, value, request=None):
        # The overview links to every signature from one IP hash.
        return lookup == "ip_hash" or super().lookup_allowed(lookup, value, request)

    def get_urls(self):
        view = self.admin_site.admin_view(self.overview_view)
        return [path("overview/", view, name="petition_signature_overview"), *super().get_urls()]

    def overview_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        campaigns = Campaign.objects.public()
        campaign = campaigns.filter(pk=request.GET.get("campaign")).first() or campaigns.front_page()
        context = {
            **self.admin_site.each_context(request),
            "title": "Moderation overview",
            "opts": self.model._meta,
            "campaign": campaign,
            "campaigns": campaigns,
            **(overview.overview(campaign) if campaign else {}),
        }
        return TemplateResponse(request, "admin/petition/signature/overview.html", context)

    @admin.action(description="Invalidate the selected signatures…", permissions=["change"])
    def invalidate(self, request, queryset):
        form = _confirm(
            self, request, queryset, form_class=ReasonForm, title="Invalidate signatures", verb="Invalidate"
        )
        if isinstance(form, TemplateResponse):
            return form
        count = standing.invalidate(
            queryset, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"], user=request.user
        )
        self.message_user(request, f"{count} signature(s) invalidated and taken off the count.", messages.SUCCESS)
        return None

    @admin.action(description="Restore the selected invalidated signatures…", permissions=["change"])
    def restore(self, request, queryset):
        form = _confirm(self, request, queryset, form_class=NoteForm, title="Restore signatures", verb="Restore")
        if isinstance(form, TemplateResponse):
            return form
        count = standing.restore(queryset, note=form.cleaned_data["note"], user=request.user)
        self.message_user(request, f"{count} signature(s) restored.", messages.SUCCESS)
        return None

    @admin.action(description="Approve the selected messages for public display", permissions=["change"])
    def approve_messages(self, request, queryset):
        count = standing.set_message_status(queryset, Signature.MessageStatus.APPROVED, user=request.user)
        self.message_user(request, f"{count} message(s) approved.", messages.SUCCESS)

    @admin.action(description="Hide the selected messages…", permissions=["change"])
    def hide_messages(self, request, queryset):
        form = _confirm(self, request, queryset, form_class=NoteForm, title="Hide messages", verb="Hide")
        if isinstance(form, TemplateResponse):
            return form
        count = standing.set_message_status(
            queryset, Signature.MessageStatus.HIDDEN, note=form.cleaned_data["note"], user=request.user
        )
        self.message_user(request, f"{count} message(s) hidden.", messages.SUCCESS)
        return None

    @admin.action(
        description="Resend the confirmation email to the selected pending signatures", permissions=["change"]
    )
    def resend_confirmation(self, request, queryset):
        count = signing.resend_confirmations(queryset, user=request.user)
        self.message_user(request, f"{count} confirmation email(s) queued.", messages.SUCCESS)

    @admin.action(description="Erase the selected signers' personal data…", permissions=["change"])
    def erase(self, request, queryset):
        form = _confirm(self, request, queryset, form_class=NoteForm, title="Erase personal data", verb="Erase")
        if isinstance(form, TemplateResponse):
            return form
        count = standing.erase(queryset, note=form.cleaned_data["note"], user=request.user)
        self.message_user(request, f"Personal data of {count} signer(s) erased; the counts are unchanged.")
        return None


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(ReadOnlyAdmin):
    list_display = ["kind", "status", "attempts", "last_error", "created_at", "sent_at"]
    list_filter = ["status", "kind"]
    show_full_result_count = False
    ordering = ["-created_at"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "username", "action", "campaign", "count", "reason"]
    list_filter = ["action", "campaign"]
    search_fields = ["username", "reason"]
    date_hierarchy = "created_at"


@admin.register(Invalidation)
class InvalidationAdmin(admin.ModelAdmin):
    """Describe the signatures, check the preview, then start; a finished one can be reverted in one step."""

    list_display = ["__str__", "campaign", "status", "matched", "invalidated", "created_at"]
    list_filter = ["status", "campaign", "reason"]
    list_select_related = ["campaign"]
    actions = ["start", "cancel", "revert"]
    fields = ["campaign", "reason", "note", *Invalidation.CRITERIA, "preview", "status", "matched", "invalidated"]
    readonly_fields = ["preview", "status", "matched", "invalidated"]

    def get_readonly_fields(self, request, obj=None):
        if obj and obj.status != Invalidation.Status.PENDING:
            return self.fields  # once started, what it did must stay as it was
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="Preview")
    def preview(self, invalidation):
        if not invalidation.pk:
            return "Save to see how many signatures match before anything changes."
        if invalidation.status != Invalidation.Status.PENDING:
            done, status = invalidation.invalidated, invalidation.get_status_display()
            return f"{done} of {invalidation.matched} invalidated ({status})."
        count, sample = invalidations.preview(invalidation)
        rows = format_html_join(
            "",
            "<li>{} – {} – {} – signed {}</li>",
            ((s, s.region, s.get_status_display(), date_format(localtime(s.created_at), "j M Y H:i")) for s in sample),
        )
        return format_html(
            "<p><strong>{}</strong> signature{} would be invalidated. Nothing has changed yet: use the action "
            "“Start the selected invalidations” on the list.</p><ul>{}</ul>",
            count,
            "" if count == 1 else "s",
            rows,
        )

    @admin.action(description="Start the selected invalidations", permissions=["change"])
    def start(self, request, queryset):
        started = 0
        for invalidation in queryset.filter(status=Invalidation.Status.PENDING):
            invalidations.start(invalidation)
            started += 1
        self.message_user(request, f"{started} invalidation(s) started; progress shows in the list.", messages.SUCCESS)

    @admin.action(description="Cancel the selected running invalidations", permissions=["change"])
    def cancel(self, request, queryset):
        for invalidation in queryset:
            invalidations.cancel(invalidation)
        self.message_user(request, "Cancelled after the current batch; what was done can be reverted.")

    @admin.action(description="Revert the selected invalidations", permissions=["change"])
    def revert(self, request, queryset):
        restored = sum(invalidations.revert(invalidation, user=request.user) for invalidation in queryset)
        self.message_user(request, f"{restored} signature(s) restored.", messages.SUCCESS)
