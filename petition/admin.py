from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect, QueryDict
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.timezone import localtime

from campaign import admin as campaign_admin
from campaign.models import Campaign

from . import counting, embedding, holding, invalidations, moderation, overview, postcodes, signing, standing, updates
from .domains import email_domain
from .mailboxes import mailbox
from .models import AuditEntry, Invalidation, OutgoingEmail, Signature, SigningPolicy, Update
from .roles import MissingPermission

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldGroups, _FieldsetSpec
    from django.contrib.auth.models import User
    from django.db.models import Model

    from .views import StaffRequest

# The campaign app knows nothing of signatures: its admin gets the count and the delivery links here.
admin.site.unregister(Campaign)


@admin.register(Campaign)
class CampaignAdmin(campaign_admin.CampaignAdmin):
    list_display = [*campaign_admin.CampaignAdmin.list_display[:-1], "verified_signatures", "signature_goal"]
    readonly_fields = ["verified_signatures", "export", *campaign_admin.CampaignAdmin.readonly_fields]

    def get_fieldsets(self, request: HttpRequest, obj: Campaign | None = None) -> _FieldsetSpec:
        added = {"Signing": ["verified_signatures"], "Delivery": ["export"]}
        return [
            (name, {**options, "fields": [*options["fields"], *added.get(str(name), [])]})
            # The campaign app's, with each translated text as its English and its Welsh.
            for name, options in super().get_fieldsets(request, obj)
        ]

    @admin.display(description="Signature list")
    def export(self, campaign: Campaign) -> str:
        if not campaign.pk:
            return "–"
        return format_html(
            '<a href="{}">Export the verified signatures (CSV)</a> · <a href="{}">Delivery pack (print or PDF)</a>',
            reverse("petition:export", args=[campaign.slug]),
            reverse("petition:deliver", args=[campaign.slug]),
        )

    @admin.display(description="Verified signatures")
    def verified_signatures(self, campaign: Campaign) -> str:
        if not campaign.pk:
            return "–"
        count = counting.totals(campaign).count
        demo = Signature.objects.for_campaign(campaign).confirmed().demo().count()
        if not demo:
            return intcomma(count)
        return f"{intcomma(count)}, of which {intcomma(demo)} demo (never exported or delivered)"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows changed only by the site's own code: editing or deleting them here would put the count wrong."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ReasonForm(forms.Form):
    reason = forms.ChoiceField(choices=Signature.InvalidationReason.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        required=False, max_length=250, help_text="What you saw, for the audit log. No personal data, please."
    )


class NoteForm(forms.Form):
    note = forms.CharField(max_length=250, help_text="Why, for the audit log. No personal data, please.")


class ReleaseForm(forms.Form):
    note = forms.CharField(
        required=False, max_length=250, help_text="What you checked, for the audit log. No personal data, please."
    )


def _confirm(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Signature],
    *,
    form_class: type[forms.Form],
    title: str,
    verb: str,
) -> forms.Form | TemplateResponse:
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

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "With a message"), ("no", "Without")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Signature]) -> QuerySet[Signature]:
        if self.value() == "yes":
            return queryset.exclude(message="")
        if self.value() == "no":
            return queryset.filter(message="")
        return queryset


class HeldFilter(admin.SimpleListFilter):
    """Signatures held for review (not yet released or invalidated), by why they were held."""

    title = "held for review"
    parameter_name = "held"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Held, for any reason"), *Signature.HeldReason.choices, ("no", "Not held")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Signature]) -> QuerySet[Signature]:
        value = self.value()
        if value == "yes":
            return queryset & Signature.objects.held()
        if value in Signature.HeldReason.values:
            return queryset & Signature.objects.held().filter(held_reason=value)
        if value == "no":
            return queryset.filter(held_at__isnull=True)
        return queryset


class RegionFilter(admin.SimpleListFilter):
    """The regions from the postcode table: listing the values in use would scan every signature on every page."""

    title = "region"
    parameter_name = "region"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(key, region.name) for key, region in postcodes.regions().items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Signature]) -> QuerySet[Signature]:
        return queryset.filter(region=self.value()) if self.value() else queryset


def _is_key(value: str) -> bool:
    """Whether a value from a request can name a row: digits only, and few enough for any database's integer."""
    return value.isascii() and value.isdigit() and len(value) < 16


class CampaignFilter(admin.SimpleListFilter):
    """The campaign, offered only when there are several: with one, every row would say the same."""

    title = "campaign"
    parameter_name = "campaign"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        campaigns = [(str(pk), title) for pk, title in Campaign.objects.order_by("-pk").values_list("pk", "title")]
        return campaigns if len(campaigns) > 1 else []

    def queryset(self, request: HttpRequest, queryset: QuerySet[Signature]) -> QuerySet[Signature]:
        value = self.value()
        return queryset.filter(campaign_id=int(value)) if value and _is_key(value) else queryset


class EmailDomainFilter(admin.SimpleListFilter):
    """Type a domain (e.g. spam.example) to see only signatures with addresses there or at its subdomains."""

    title = "email domain"
    parameter_name = "email_domain"
    template = "admin/petition/signature/input_filter.html"
    placeholder = "e.g. spam.example"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("", "")]  # a text box, not a list: there are too many domains to list

    def queryset(self, request: HttpRequest, queryset: QuerySet[Signature]) -> QuerySet[Signature]:
        if not (typed := self.value()):
            return queryset
        domain = email_domain(typed)
        return queryset.filter(email_domain=domain) if domain else queryset.none()


class IpHashFilter(admin.SimpleListFilter):
    """Signatures from one address (an IPv6 /64), by its keyed hash: the whole hash, or the start the list shows."""

    title = "IP hash"
    parameter_name = "ip_hash"
    template = "admin/petition/signature/input_filter.html"
    placeholder = "e.g. 3f2a9c01"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("", "")]  # a text box, as for email domains

    def queryset(self, request: HttpRequest, queryset: QuerySet[Signature]) -> QuerySet[Signature]:
        if not (typed := (self.value() or "").strip().lower()):
            return queryset
        if len(typed) >= IP_HASH_LENGTH:
            return queryset.filter(ip_hash=typed)
        return queryset.filter(ip_hash__startswith=typed)


# The overview reloads itself this often while a moderator watches it, and a running invalidation's page this
# often until it is done, unless they turn that off: one choice, for the session, for both pages.
OVERVIEW_REFRESH_SECONDS = 60
INVALIDATION_REFRESH_SECONDS = 10
SELF_REFRESH = "petition:overview-refresh"


def _refreshing(request: HttpRequest) -> bool:
    """Whether self-refreshing pages reload themselves for this member of staff (?refresh=off|on changes it)."""
    if request.GET.get("refresh") in ("on", "off"):
        # Remembered for the session: whoever turned it off (a screen reader's user, say) keeps it off.
        request.session[SELF_REFRESH] = request.GET["refresh"] == "on"
    return bool(request.session.get(SELF_REFRESH, True))


def _refresh[R: HttpResponse](response: R, seconds: int) -> R:
    """The HTML standard's Refresh header, which does what a <meta http-equiv="refresh"> does. Each page that sets
    it says so at its top, with the link that stops it (WCAG 2.2.1: it can be turned off before it happens)."""
    response["Refresh"] = str(seconds)
    return response


# Fields a list's URL may not filter on: each holds an email address or a secret.
HIDDEN_LOOKUPS = {"email", "mailbox", "token"}


def _finds_by_email(request: HttpRequest) -> bool:
    return request.user.has_perm("petition.find_by_email") or request.user.has_perm("petition.view_email")


# The start of an IP hash the list shows: enough to tell sources apart by eye, short enough for a column.
SHORT_IP_HASH = 8
IP_HASH_LENGTH = Signature._meta.get_field("ip_hash").max_length or 32


class CappedPaginator(Paginator):
    """Counts at most CAP rows: a list of a million signatures must not count them all on every page."""

    CAP = 10_000
    object_list: QuerySet[Signature]

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.CAP].count()


def _queue_decision(post: QueryDict) -> tuple[Signature.MessageStatus, list[int]] | None:
    """What the queue's form asks: a row's own button, or a bulk button over the rows ticked or shown."""
    approve, hide = Signature.MessageStatus.APPROVED, Signature.MessageStatus.HIDDEN
    if "approve" in post or "hide" in post:
        status, values = (approve, post.getlist("approve")) if "approve" in post else (hide, post.getlist("hide"))
    elif (bulk := post.get("bulk")) == "approve-shown":
        status, values = approve, post.getlist("shown")
    elif bulk in ("approve", "hide"):
        status, values = (approve if bulk == "approve" else hide), post.getlist("selected")
    else:
        return None
    # Never more than a page: only what was on the moderator's screen.
    ids = [int(value) for value in values[: moderation.PER_PAGE] if _is_key(value)]
    return (status, ids) if ids else None


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    """Signatures are read here and changed only by the actions, which keep the count and the audit log."""

    # What a moderator tells signatures apart by, within 1280 px; never an email address (only its domain).
    list_display = ["name", "region_name", "standing", "domain", "short_ip_hash", "message_excerpt", "signed_at"]
    list_display_links = ["name"]
    list_filter = [
        "status",
        HeldFilter,
        "is_demo",
        CampaignFilter,
        RegionFilter,
        ("created_at", admin.DateFieldListFilter),
        EmailDomainFilter,
        IpHashFilter,
        HasMessageFilter,
        "message_status",
        "invalidation_reason",
    ]
    search_fields = ["mailbox", "last_name"]
    search_help_text = "A surname."
    show_full_result_count = False
    paginator = CappedPaginator
    # Half Django's default: each row costs several formatted cells, and moderators page by filter, not by scrolling.
    list_per_page = 50
    # Newest first by primary key: the same order as time, from an index every table has.
    ordering = ["-pk"]
    # Never shown: the address folded for uniqueness, the IP hash in full (the list links its start) and the
    # secret in the signer's links. The address itself is shown only to those who hold view_email.
    exclude = ["ip_hash", "mailbox", "token"]
    # Messages are approved only in the moderation queue, where each text is on screen in full.
    actions = ["release", "invalidate", "restore", "hide_messages", "resend_confirmation", "erase"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Signature | None = None) -> bool:
        return False

    def get_exclude(self, request: HttpRequest, obj: Signature | None = None) -> list[str]:
        hidden = list(self.exclude or [])
        return hidden if request.user.has_perm("petition.view_email") else [*hidden, "email"]

    def get_readonly_fields(self, request: HttpRequest, obj: Signature | None = None) -> list[str]:
        hidden = self.get_exclude(request, obj)
        return [field.name for field in self.model._meta.fields if field.name not in hidden]

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        # Django lets a list's URL filter on any field (?email__startswith=a): that would read addresses
        # letter by letter. Addresses are found only by the search, whole.
        if lookup.partition("__")[0] in HIDDEN_LOOKUPS:
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        changelist = super().get_changelist_instance(request)
        if _finds_by_email(request):
            changelist.search_help_text = "An email address (any spelling of it, the whole address), or a surname."
        return changelist

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Signature], search_term: str
    ) -> tuple[QuerySet[Signature], bool]:
        # Exact matches only, each served by an index: a million rows must not be scanned.
        term = search_term.strip()
        if not term:
            return queryset, False
        if "@" in term:
            if not _finds_by_email(request):
                # Whether an address signed is itself personal data: only moderators, handling a request, ask.
                explanation = MissingPermission("petition.find_by_email").explanation()
                self.message_user(request, f"Nothing was searched. {explanation}", messages.WARNING)
                return queryset.none(), False
            return queryset.filter(mailbox=mailbox(term)), False
        return queryset.filter(last_name__iexact=term), False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, object] | None = None) -> HttpResponse:
        # Without the sidebar of models, which the home page lists too: its 300 px are the columns' room at 1280 px.
        return super().changelist_view(request, {"is_nav_sidebar_enabled": False, **(extra_context or {})})

    @admin.display(description="Name")
    def name(self, signature: Signature) -> str:
        return str(signature)

    # Not "status": a model field of that name would be shown instead.
    @admin.display(description="Status", ordering="status")
    def standing(self, signature: Signature) -> str:
        notes = []
        if signature.held_at is not None:
            notes.append(f"held: {signature.get_held_reason_display().lower()}")
        if signature.is_demo:
            notes.append("demo")
        if not notes:
            return signature.get_status_display()
        return format_html('{} <span class="quiet">({})</span>', signature.get_status_display(), "; ".join(notes))

    @admin.display(description="Region", ordering="region")
    def region_name(self, signature: Signature) -> str:
        region = postcodes.regions().get(signature.region)
        return region.name if region else signature.region

    @admin.display(description="Email domain", ordering="email_domain")
    def domain(self, signature: Signature) -> str:
        if not signature.email_domain:
            return "–"
        return format_html(
            '<a href="?{}">{}</a>', urlencode({"email_domain": signature.email_domain}), signature.email_domain
        )

    @admin.display(description="IP hash")
    def short_ip_hash(self, signature: Signature) -> str:
        if not signature.ip_hash:
            return "–"
        return format_html(
            '<a href="?{}"><code>{}</code></a>',
            urlencode({"ip_hash": signature.ip_hash}),
            signature.ip_hash[:SHORT_IP_HASH],
        )

    @admin.display(description="Message")
    def message_excerpt(self, signature: Signature) -> str:
        if not signature.message:
            return "–"
        return format_html(
            '{} <span class="quiet">({})</span>',
            Truncator(signature.message).chars(60),
            signature.get_message_status_display().lower(),
        )

    @admin.display(description="Signed", ordering="created_at")
    def signed_at(self, signature: Signature) -> str:
        return date_format(localtime(signature.created_at), "j M Y H:i")

    def get_urls(self) -> list[URLPattern]:
        return [
            path("overview/", self.admin_site.admin_view(self.overview_view), name="petition_signature_overview"),
            path("queue/", self.admin_site.admin_view(self.queue_view), name="petition_signature_queue"),
            *super().get_urls(),
        ]

    def queue_view(self, request: StaffRequest) -> HttpResponse:
        """The messages waiting, each in full, with approve and hide on every one and on those selected."""
        if not self.has_change_permission(request):
            raise MissingPermission("petition.change_signature")
        campaigns = list(Campaign.objects.public().order_by("-pk"))
        chosen = request.GET.get("campaign", "")
        campaign = next((c for c in campaigns if str(c.pk) == chosen), None)
        if request.method == "POST":
            decision = _queue_decision(request.POST)
            if decision is None:
                self.message_user(request, "Select at least one message first.", messages.WARNING)
            else:
                status, ids = decision
                count = moderation.decide(ids, status, user=request.user)
                shown = "they now show on the campaign page" if status == status.APPROVED else "nobody else sees them"
                self.message_user(request, f"{count} message(s) {status.label.lower()}: {shown}.", messages.SUCCESS)
            return HttpResponseRedirect(request.get_full_path())
        page = Paginator(moderation.waiting(campaign), moderation.PER_PAGE).get_page(request.GET.get("page"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Messages waiting for moderation",
            "opts": self.model._meta,
            "page": page,
            "entries": moderation.entries(page),
            "campaigns": campaigns if len(campaigns) > 1 else [],
            "campaign": campaign,
        }
        return TemplateResponse(request, "admin/petition/signature/queue.html", context)

    def overview_view(self, request: HttpRequest) -> TemplateResponse:
        """The attack console: the pace per hour, the busiest sources, the latest invalidations; it refreshes itself."""
        if not self.has_view_permission(request):
            raise MissingPermission("petition.view_signature")
        campaigns = Campaign.objects.public()
        chosen = request.GET.get("campaign", "")
        # Only a number can name a campaign: filtering the key by anything else raises.
        campaign = (campaigns.filter(pk=chosen).first() if chosen.isdecimal() else None) or campaigns.front_page()
        refreshing = _refreshing(request)
        window = request.GET.get("hours", "")
        context = {
            **self.admin_site.each_context(request),
            "title": "Moderation overview",
            "opts": self.model._meta,
            "campaign": campaign,
            "campaigns": campaigns,
            "refreshing": refreshing,
            "refresh_seconds": OVERVIEW_REFRESH_SECONDS,
            "windows": overview.WINDOWS,
            "chart_hours": overview.CHART_HOURS,
        }
        if campaign:
            context |= overview.overview(campaign, window=int(window) if _is_key(window) else overview.WINDOWS[0])
            context["holding_switch"] = _holding_switch(campaign)
            context["embed_snippet"] = embedding.snippet(campaign)
            context["embed_origins"] = settings.EMBED_ORIGINS
        response = TemplateResponse(request, "admin/petition/signature/overview.html", context)
        return _refresh(response, OVERVIEW_REFRESH_SECONDS) if refreshing else response

    @admin.action(description="Release the selected held signatures…", permissions=["change"])
    def release(self, request: StaffRequest, queryset: QuerySet[Signature]) -> TemplateResponse | None:
        held = queryset & Signature.objects.held()
        form = _confirm(self, request, held, form_class=ReleaseForm, title="Release held signatures", verb="Release")
        if isinstance(form, TemplateResponse):
            return form
        count = standing.release(held, note=form.cleaned_data["note"], user=request.user)
        self.message_user(
            request,
            f"{count} signature(s) released: the confirmed ones count now, the rest once their signers confirm.",
            messages.SUCCESS,
        )
        return None

    @admin.action(description="Invalidate the selected signatures…", permissions=["change"])
    def invalidate(self, request: StaffRequest, queryset: QuerySet[Signature]) -> TemplateResponse | None:
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
    def restore(self, request: StaffRequest, queryset: QuerySet[Signature]) -> TemplateResponse | None:
        form = _confirm(self, request, queryset, form_class=NoteForm, title="Restore signatures", verb="Restore")
        if isinstance(form, TemplateResponse):
            return form
        count = standing.restore(queryset, note=form.cleaned_data["note"], user=request.user)
        self.message_user(request, f"{count} signature(s) restored.", messages.SUCCESS)
        return None

    @admin.action(description="Hide the selected messages…", permissions=["change"])
    def hide_messages(self, request: StaffRequest, queryset: QuerySet[Signature]) -> TemplateResponse | None:
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
    def resend_confirmation(self, request: StaffRequest, queryset: QuerySet[Signature]) -> None:
        count = signing.resend_confirmations(queryset, user=request.user)
        self.message_user(request, f"{count} confirmation email(s) queued.", messages.SUCCESS)

    @admin.action(description="Erase the selected signers' personal data…", permissions=["change"])
    def erase(self, request: StaffRequest, queryset: QuerySet[Signature]) -> TemplateResponse | None:
        form = _confirm(self, request, queryset, form_class=NoteForm, title="Erase personal data", verb="Erase")
        if isinstance(form, TemplateResponse):
            return form
        count = standing.erase(queryset, note=form.cleaned_data["note"], user=request.user)
        self.message_user(request, f"Personal data of {count} signer(s) erased; the counts are unchanged.")
        return None


def _holding_switch(campaign: Campaign) -> str:
    """Where the campaign's switch is set: its policy, or a new one for it (no query once its policy was read)."""
    if hasattr(campaign, "signing_policy"):
        return reverse("admin:petition_signingpolicy_change", args=[campaign.pk])
    return reverse("admin:petition_signingpolicy_add") + "?" + urlencode({"campaign": campaign.pk})


@admin.register(SigningPolicy)
class SigningPolicyAdmin(admin.ModelAdmin):
    """The switch that holds every new signature on a campaign for review; each change is audited."""

    list_display = ["campaign", "hold_all", "held_now", "changed_at", "changed_by"]
    list_select_related = ["campaign", "changed_by"]
    fields = ["campaign", "hold_all", "held_now", "changed_at", "changed_by"]
    readonly_fields = ["held_now", "changed_at", "changed_by"]

    def get_readonly_fields(self, request: HttpRequest, obj: SigningPolicy | None = None) -> list[str]:
        return ["campaign", *self.readonly_fields] if obj else self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: SigningPolicy | None = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: SigningPolicy, form: forms.ModelForm[SigningPolicy], change: bool
    ) -> None:
        # The admin site lets in only active staff: the user is a User, never AnonymousUser.
        holding.set_holding(obj.campaign, hold=obj.hold_all, user=cast("User", request.user))
        obj.refresh_from_db()

    def response_add(
        self, request: HttpRequest, obj: SigningPolicy, post_url_continue: str | None = None
    ) -> HttpResponse:
        return self._back_to_overview(request, obj) or super().response_add(request, obj, post_url_continue)

    def response_change(self, request: HttpRequest, obj: SigningPolicy) -> HttpResponse:
        return self._back_to_overview(request, obj) or super().response_change(request, obj)

    def _back_to_overview(self, request: HttpRequest, policy: SigningPolicy) -> HttpResponse | None:
        """Saved, the switch leads back to the overview, where its effect shows (the held count, what comes in)."""
        if any(key in request.POST for key in ("_continue", "_addanother", IS_POPUP_VAR)):
            return None
        if policy.hold_all:
            said = f"Every new signature on “{policy.campaign}” is now held for review: it counts once released."
        else:
            said = f"New signatures on “{policy.campaign}” count again as soon as they are confirmed."
        self.message_user(request, said, messages.SUCCESS)
        url = reverse("admin:petition_signature_overview") + "?" + urlencode({"campaign": policy.campaign_id})
        return HttpResponseRedirect(url)

    @admin.display(description="Held for review now")
    def held_now(self, policy: SigningPolicy) -> str:
        if not policy.pk:
            return "–"
        count = Signature.objects.for_campaign(policy.campaign_id).held().count()
        query = urlencode({"held": "yes", "campaign": str(policy.campaign_id)})
        url = reverse("admin:petition_signature_changelist") + "?" + query
        return format_html('<a href="{}">{} signature{}</a>', url, intcomma(count), "" if count == 1 else "s")


@admin.register(Update)
class UpdateAdmin(admin.ModelAdmin):
    """Writing an update (a draft, edited here); previewing, testing and sending it is on its own staff page."""

    list_display = ["title", "campaign", "status", "audience", "sent_at", "recipients"]
    list_filter = ["status", "campaign"]
    list_select_related = ["campaign"]
    search_fields = ["title"]
    readonly_fields = ["status", "preview_and_send", "audience", "sent_at", "recipients", "finished_at"]
    show_full_result_count = False
    ordering = ["-created_at"]

    def get_fields(self, request: HttpRequest, obj: Update | None = None) -> _FieldGroups:
        if obj is None:
            return ["campaign", "title", "body"]
        return ["campaign", "title", "body", *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Update | None = None) -> list[str]:
        if obj is None:
            return []
        return ["campaign", *self.readonly_fields]

    # What was sent stays as it was: a sent update is read here, never changed or deleted.
    def has_change_permission(self, request: HttpRequest, obj: Update | None = None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or obj.status == Update.Status.DRAFT)

    def has_delete_permission(self, request: HttpRequest, obj: Update | None = None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or obj.status == Update.Status.DRAFT)

    def save_model(self, request: HttpRequest, obj: Update, form: forms.ModelForm[Update], change: bool) -> None:
        updates.save_draft(obj, cast("User", request.user))

    def response_add(self, request: HttpRequest, obj: Update, post_url_continue: str | None = None) -> HttpResponse:
        if "_continue" in request.POST or "_addanother" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        return HttpResponseRedirect(reverse("petition:update_staff", args=[obj.pk]))

    def response_change(self, request: HttpRequest, obj: Update) -> HttpResponse:
        if "_continue" in request.POST or "_addanother" in request.POST:
            return super().response_change(request, obj)
        return HttpResponseRedirect(reverse("petition:update_staff", args=[obj.pk]))

    @admin.display(description="Preview, test and send")
    def preview_and_send(self, update: Update) -> str:
        return format_html(
            '<a href="{}">Preview, send a test, send or follow the sending</a>',
            reverse("petition:update_staff", args=[update.pk]),
        )


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
    """Describe the signatures, check the preview and run it from there; revert asks first, showing how many."""

    list_display = ["__str__", "campaign", "status", "matched", "invalidated", "created_at"]
    list_filter = ["status", "campaign", "reason"]
    list_select_related = ["campaign"]
    actions = ["start", "cancel", "revert"]
    fields = [
        "campaign",
        "reason",
        "note",
        *Invalidation.CRITERIA,
        "preview",
        "status",
        "matched",
        "invalidated",
        "pressed_by",
    ]
    readonly_fields = ["preview", "status", "matched", "invalidated", "pressed_by"]

    def get_fields(self, request: HttpRequest, obj: Invalidation | None = None) -> _FieldGroups:
        fields = super().get_fields(request, obj)
        # Who pressed what, once there is something to say.
        return fields if obj else [name for name in fields if name != "pressed_by"]

    def get_readonly_fields(self, request: HttpRequest, obj: Invalidation | None = None) -> list[str]:
        if obj and obj.status != Invalidation.Status.PENDING:
            # Once started, what it did must stay as it was. (Its fields are names, not groups of them.)
            return cast("list[str]", self.fields)
        return self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Invalidation | None = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<path:object_id>/start/",
                self.admin_site.admin_view(self.start_view),
                name="petition_invalidation_start",
            ),
            path(
                "<path:object_id>/revert/",
                self.admin_site.admin_view(self.revert_view),
                name="petition_invalidation_revert",
            ),
            *super().get_urls(),
        ]

    def save_model(
        self, request: HttpRequest, obj: Invalidation, form: forms.ModelForm[Invalidation], change: bool
    ) -> None:
        if not change:
            # The admin site lets in only active staff: the user is a User, never AnonymousUser.
            obj.created_by = cast("User", request.user)
        super().save_model(request, obj, form, change)

    def response_add(
        self, request: HttpRequest, obj: Invalidation, post_url_continue: str | None = None
    ) -> HttpResponse:
        # Saved criteria lead to their preview, where the invalidation is run: never back to the list.
        if "_addanother" in request.POST or IS_POPUP_VAR in request.POST:
            return super().response_add(request, obj, post_url_continue)
        self.message_user(request, "Saved. Check the preview below: nothing has changed yet.")
        return HttpResponseRedirect(reverse("admin:petition_invalidation_change", args=[obj.pk]))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, object] | None = None
    ) -> HttpResponse:
        invalidation = self.get_object(request, unquote(object_id))
        context: dict[str, object] = {"revertible": invalidations.REVERTIBLE}
        if invalidation and invalidation.status == Invalidation.Status.PENDING:
            count, sample = invalidations.preview(invalidation)
            regions = postcodes.regions()
            context["preview_count"] = count
            context["preview_sample"] = [
                (s, regions[s.region].name if s.region in regions else s.region) for s in sample
            ]
        running = invalidation is not None and invalidation.status == Invalidation.Status.RUNNING
        if running:
            # Its progress shows without pressing anything, until it is done (then the page stays still).
            context |= {"refreshing": _refreshing(request), "refresh_seconds": INVALIDATION_REFRESH_SECONDS}
        response = super().change_view(request, object_id, form_url, context | (extra_context or {}))
        if running and context["refreshing"] and request.method == "GET" and response.status_code == 200:
            return _refresh(response, INVALIDATION_REFRESH_SECONDS)
        return response

    @admin.display(description="Progress")
    def preview(self, invalidation: Invalidation) -> str:
        if not invalidation.pk:
            return "Save to see how many signatures match before anything changes."
        if invalidation.status == Invalidation.Status.PENDING:
            return "Not started: the preview below shows what it would do."
        done, status = invalidation.invalidated, invalidation.get_status_display()
        return f"{done} of {invalidation.matched} invalidated ({status})."

    @admin.display(description="By")
    def pressed_by(self, invalidation: Invalidation) -> str:
        """Who described it, who started it and who reverted it: the audit log names the last two."""
        steps = [
            ("described", invalidation.created_by, invalidation.created_at),
            ("started", invalidation.started_by, None),
            ("reverted", invalidation.reverted_by, invalidation.reverted_at),
        ]
        said = [
            f"{step} by {user.get_username()}" + (f" on {date_format(localtime(at), 'j M Y H:i')}" if at else "")
            for step, user, at in steps
            if user is not None
        ]
        text = "; ".join(said)
        return text[:1].upper() + text[1:] if text else "–"

    def start_view(self, request: StaffRequest, object_id: str) -> HttpResponse:
        """The preview's one button: run it, if as many signatures match as the preview showed."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        invalidation = self._invalidation(request, object_id)
        expected = request.POST.get("expected", "")
        try:
            if not _is_key(expected):
                raise invalidations.NotStarted("The preview’s number was missing: press the button on the preview.")
            matched = invalidations.start(invalidation, user=request.user, expected=int(expected))
        except invalidations.NotStarted as refusal:
            self.message_user(request, str(refusal), messages.WARNING)
        else:
            self.message_user(
                request,
                f"Invalidating {matched} signature{pluralize(matched)}: the task worker does it in batches of "
                f"{invalidations.BATCH:,}, and this page shows how far it has got.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:petition_invalidation_change", args=[invalidation.pk]))

    def revert_view(self, request: StaffRequest, object_id: str) -> HttpResponse:
        """Revert asks first, saying how many it will restore; only the POST restores them."""
        invalidation = self._invalidation(request, object_id)
        if request.method == "POST":
            restored = invalidations.revert(invalidation, user=request.user)
            self.message_user(request, f"{restored} signature{pluralize(restored)} restored.", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:petition_invalidation_change", args=[invalidation.pk]))
        return self._revert_page(request, [invalidation])

    def _invalidation(self, request: HttpRequest, object_id: str) -> Invalidation:
        invalidation = cast("Invalidation | None", self.get_object(request, unquote(object_id)))
        if invalidation is None:
            raise Http404("No such invalidation.")
        if not self.has_change_permission(request, invalidation):
            raise MissingPermission("petition.change_invalidation")
        return invalidation

    def _revert_page(
        self, request: HttpRequest, chosen: list[Invalidation], *, action: bool = False
    ) -> TemplateResponse:
        rows = [
            (invalidation, invalidations.restorable(invalidation).count())
            for invalidation in chosen
            if invalidation.status in invalidations.REVERTIBLE
        ]
        total = sum(count for _, count in rows)
        about = f"invalidated by “{rows[0][0]}”" if len(rows) == 1 else f"invalidated by {len(rows)} invalidations"
        context = {
            **self.admin_site.each_context(request),
            "title": f"Restore {total} signature{pluralize(total)} {about}?",
            "opts": self.model._meta,
            "rows": rows,
            "total": total,
            "others": [invalidation for invalidation in chosen if invalidation.status not in invalidations.REVERTIBLE],
            "action": action,
            "chosen": chosen,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/petition/invalidation/revert.html", context)

    @admin.action(description="Start the selected invalidations", permissions=["change"])
    def start(self, request: StaffRequest, queryset: QuerySet[Invalidation]) -> None:
        started = 0
        for invalidation in queryset.filter(status=Invalidation.Status.PENDING):
            try:
                invalidations.start(invalidation, user=request.user)
            except invalidations.NotStarted:
                continue  # started meanwhile, from its preview
            started += 1
        self.message_user(request, f"{started} invalidation(s) started; progress shows in the list.", messages.SUCCESS)

    @admin.action(description="Cancel the selected running invalidations", permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[Invalidation]) -> None:
        for invalidation in queryset:
            invalidations.cancel(invalidation)
        self.message_user(request, "Cancelled after the current batch; what was done can be reverted.")

    @admin.action(description="Revert the selected invalidations…", permissions=["change"])
    def revert(self, request: StaffRequest, queryset: QuerySet[Invalidation]) -> TemplateResponse | None:
        if "apply" not in request.POST:
            return self._revert_page(request, list(queryset.select_related("campaign")), action=True)
        restored = sum(invalidations.revert(invalidation, user=request.user) for invalidation in queryset)
        self.message_user(request, f"{restored} signature(s) restored.", messages.SUCCESS)
        return None
