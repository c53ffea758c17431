import json
import math
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from campaign import PRIVACY_NOTICE_VERSION
from campaign.models import Campaign, Organiser

from . import (
    audit,
    cards,
    compression,
    consent,
    counting,
    delivery,
    domains,
    embedding,
    exports,
    languages,
    postcodes,
    public,
    ratelimits,
    receipts,
    retention,
    sharing,
    signing,
    standing,
    suppression,
    timeline,
    updates,
    visits,
)
from .counting import Totals
from .forms import ExportForm, ResendForm, SignForm, form_clock
from .mailboxes import mailbox
from .models import AuditEntry, DeliveryPack, Signature, Update
from .names import Audience, shown_name
from .postcodes import Region
from .roles import permission_required

# The campaign page is the same for every visitor but for two values, the CSRF token and
# the sign form's clock. When a campaign is shared, thousands read it at once, and
# rendering it takes milliseconds: so each process renders it at most once every
# PAGE_CACHE_SECONDS, with placeholders for those two values, and fills them in for each
# visitor (a "donut" cache). The count on it is never more than that plus
# COUNT_CACHE_SECONDS behind.
CSRF_PLACEHOLDER = "csrf-token-placeholder-4f1c9b"
CLOCK_PLACEHOLDER = "form-clock-placeholder-4f1c9b"
# The channel a visitor arrived through (`?s=`), carried by the sign form's hidden field: a known value or "".
SOURCE_PLACEHOLDER = "source-placeholder-4f1c9b"
PLACEHOLDERS = (CSRF_PLACEHOLDER, CLOCK_PLACEHOLDER, SOURCE_PLACEHOLDER)


class StaffRequest(HttpRequest):
    """A request from a member of staff: the views that take one are for staff only."""

    user: User


@require_safe
def front_page(request: HttpRequest) -> HttpResponse:
    """The newest open campaign is the front page; its canonical address is /c/<slug>/.

    The one page that reads the browser's languages: a first visit asking for Welsh first is sent to /cy/.
    """

    def campaign() -> Campaign:
        campaign: Campaign | None = Campaign.objects.front_page()
        if campaign is None:
            raise Http404("No campaign is running at the moment.")
        return campaign

    if request.LANGUAGE_CODE == languages.WELSH:
        return _campaign_page(request, campaign)
    if languages.prefers_welsh(request):
        response: HttpResponse = redirect(languages.WELSH_PREFIX)
    else:
        response = _campaign_page(request, campaign)
    # Only here does the answer depend on the browser's languages and where it came from.
    patch_vary_headers(response, ("Accept-Language", "Referer"))
    return response


@require_safe
def campaign_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The letter, its asks, facts and stories, the count, and the sign form."""
    return _campaign_page(request, lambda: _campaign(slug))


def _campaign_page(request: HttpRequest, find_campaign: Callable[[], Campaign]) -> HttpResponse:
    key = f"campaign-page:{request.path}"
    cached = caches["local"].get(key)
    if cached is None:
        campaign = find_campaign()
        context = {
            "campaign": campaign,
            "asks": campaign.asks.all(),
            "facts": campaign.facts.select_related("source"),
            "stories": campaign.stories.all(),
            "timeline": timeline.events(campaign),
            "panel": public.signature_panel(campaign),
            # Context processors give way to the view's context: these replace the real values.
            "csrf_token": CSRF_PLACEHOLDER,
            "form_clock": CLOCK_PLACEHOLDER,
            "source": SOURCE_PLACEHOLDER,
        }
        page = render_to_string("petition/campaign.html", context, request)
        # The same for every visitor up to the first of their own values (the sign form's, after the footer).
        split = min((at for at in map(page.find, PLACEHOLDERS) if at >= 0), default=len(page))
        cached = (campaign.pk, page[:split], page[split:])
        if settings.PAGE_CACHE_SECONDS:
            caches["local"].set(key, cached, settings.PAGE_CACHE_SECONDS)
    campaign_pk, start, end = cached
    source = sharing.known_source(request.GET.get("s"))
    # Counted here, after the copy is found, so that a visit counts whether or not the page was rendered for it.
    if source and request.method == "GET" and sharing.is_visitor(*_agent_and_purpose(request)):
        visits.record(campaign_pk, source)
    visits.flush_if_due()
    end = end.replace(CSRF_PLACEHOLDER, get_token(request)).replace(SOURCE_PLACEHOLDER, source)
    if CLOCK_PLACEHOLDER in end:
        end = end.replace(CLOCK_PLACEHOLDER, form_clock(campaign_pk, request.META["CSRF_COOKIE"]))
    if not compression.accepts_gzip(request.headers.get("Accept-Encoding", "")):
        response = HttpResponse(start + end)
    else:
        # Compressed here rather than by GZipMiddleware (which leaves a response with a Content-Encoding alone).
        response = HttpResponse(_compressed_start(key, start).gzipped(end))
        response["Content-Encoding"] = "gzip"
    patch_vary_headers(response, ("Accept-Encoding",))
    return response


_compressed_starts: dict[str, compression.CompressedStart] = {}


def _compressed_start(key: str, start: str | bytes) -> compression.CompressedStart:
    """The page's start (or a body), compressed once in this process for each copy of it (one every few seconds)."""
    compressed = _compressed_starts.get(key)
    if compressed is None or compressed.start != start:
        if len(_compressed_starts) >= 64:  # a page for each campaign and language: never many
            _compressed_starts.clear()
        compressed = _compressed_starts[key] = compression.CompressedStart(start)
    return compressed


def _agent_and_purpose(request: HttpRequest) -> tuple[str, str]:
    purpose = request.headers.get("Sec-Purpose", "") or request.headers.get("Purpose", "")
    return request.headers.get("User-Agent", ""), purpose


def _campaign(slug: str) -> Campaign:
    campaign: Campaign = get_object_or_404(Campaign.objects.public().select_related("organiser"), slug=slug)
    return campaign


def _campaign_for_signing(slug: str) -> Campaign:
    """The campaign with its signing policy, as this process read it in the last CAMPAIGN_CACHE_SECONDS: signing's
    and confirming's hot path, and the pages that follow each (check your email, thanks).

    One instance serves every request in that time, not a copy for each (unpickling a copy from Django's local cache
    cost 60–120 µs of each signature): the views and templates given it only read it.
    """
    kept = public.kept_campaigns.get(slug)
    if kept is not None and kept.until > time.monotonic():
        return kept.campaign
    campaign: Campaign = get_object_or_404(
        Campaign.objects.public().select_related("signing_policy", "organiser"), slug=slug
    )
    public.kept_campaigns[slug] = public.Kept(campaign, time.monotonic() + settings.CAMPAIGN_CACHE_SECONDS)
    return campaign


def _rate_limited(
    request: HttpRequest,
    campaign: Campaign,
    wait: int,
    form: SignForm | ResendForm,
    template: str = "petition/rate_limited.html",
) -> HttpResponse:
    """Asked to wait: the form again, with everything typed kept, to send once the wait is over."""
    context = {
        "campaign": campaign,
        "minutes": math.ceil(wait / 60),
        "form": form,
        "signing": isinstance(form, SignForm),
        "embed": template.startswith("petition/embed/"),
    }
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(wait)
    return response


def _invalid_link(request: HttpRequest, slug: str) -> HttpResponse:
    context = {"campaign": _campaign(slug), "link_days": settings.CONFIRMATION_LINK_MAX_AGE // 86400}
    return render(request, "petition/link_invalid.html", context, status=404)


@require_http_methods(["GET", "POST"])
def sign(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _campaign_for_signing(slug)
    if not campaign.is_accepting_signatures():
        status = 403 if request.method == "POST" else 200
        return render(request, "petition/not_open.html", {"campaign": campaign}, status=status)
    visitor = request.META.get("CSRF_COOKIE", "")
    form = SignForm(
        request.POST if request.method == "POST" else None,
        campaign=campaign,
        visitor=visitor,
        # Opened from a share link's page, or to sign again after a mistyped address.
        initial={"source": request.GET.get("s", ""), "replacing": request.GET.get("replacing", "")},
    )
    if signed := _sign_with(request, campaign, form, visitor):
        return signed
    # The form's clock is tied to the visitor's CSRF cookie, which a first visit gets now.
    get_token(request)
    form.visitor = request.META["CSRF_COOKIE"]
    return render(request, "petition/sign.html", {"campaign": campaign, "form": form})


def _sign_with(
    request: HttpRequest, campaign: Campaign, form: SignForm, visitor: str, *, embedded: bool = False
) -> HttpResponse | None:
    """Sign with the form if it is valid, within the limits: the page that follows, or None to show the form again.

    The one way a form becomes a signature, for the site's own pages and for the page partners frame
    (`embedded`, whose signatures carry its channel, and whose pages stay in the frame).
    """
    if not form.is_valid():
        return None
    check_email = "petition:embed_check_email" if embedded else "petition:check_email"
    if form.is_bot:
        return redirect(check_email, campaign.slug)
    ip_hash = signing.hash_ip(ratelimits.client_ip(request))
    address = form.cleaned_data["email"]
    domain = domains.registrable(address.rpartition("@")[2])
    verdict = ratelimits.signing_verdict(ip_hash, domain, mailbox(address))
    if verdict.wait:
        template = "petition/embed/rate_limited.html" if embedded else "petition/rate_limited.html"
        return _rate_limited(request, campaign, verdict.wait, form, template)
    data = form.cleaned_data | ({"source": Signature.Source.EMBED} if embedded else {})
    receipt = signing.sign(
        campaign, data, ip_hash=ip_hash, over_soft_limit=verdict.hold, language=request.LANGUAGE_CODE
    )
    if mistyped := receipts.open_receipt(form.cleaned_data["replacing"], campaign, visitor):
        receipts.replace(mistyped, receipt)
    # A path, not a view's name: redirect() would try reversing it as one first (an exception per signature).
    return HttpResponseRedirect(receipts.check_email_url(campaign, receipt, visitor, view=check_email))


@require_GET
def check_email(request: HttpRequest, slug: str) -> HttpResponse:
    """Where the email went, shown to the browser that has just signed; and a request to share meanwhile."""
    campaign = _campaign_for_signing(slug)
    value = request.GET.get("r", "")
    receipt = receipts.open_receipt(value, campaign, request.META.get("CSRF_COOKIE", ""))
    context = {
        "campaign": campaign,
        "inbox": receipts.inbox(receipt) if receipt else None,
        "sign_again_url": receipts.sign_again_url(campaign, value, receipt) if receipt else None,
        **sharing.share_context(campaign),
    }
    response = render(request, "petition/check_email.html", context)
    # It may show an address: no cache, shared or the browser's own, may keep it.
    response["Cache-Control"] = "no-store"
    return response


# The page partner sites frame: petition.embedding says who may frame it and what protects its form in place of
# Django's CSRF check, whose cookie a browser does not send inside another site's frame.
@embedding.embeddable
@csrf_exempt
@require_http_methods(["GET", "POST"])
def embed(request: HttpRequest, slug: str) -> HttpResponse:
    """The sign page for partners' frames: the title, the count, the sign form and a link to the whole letter."""
    campaign = _campaign_for_signing(slug)
    if not campaign.is_accepting_signatures():
        status = 403 if request.method == "POST" else 200
        return render(request, "petition/embed/not_open.html", _embed_context(campaign), status=status)
    if request.method == "POST" and not embedding.sent_from_our_page(request):
        return render(request, "petition/embed/refused.html", _embed_context(campaign), status=403)
    visitor = embedding.visitor(signing.hash_ip(ratelimits.client_ip(request)))
    form = SignForm(
        request.POST if request.method == "POST" else None,
        campaign=campaign,
        visitor=visitor,
        initial={"replacing": request.GET.get("replacing", "")},
    )
    if signed := _sign_with(request, campaign, form, visitor, embedded=True):
        return signed
    if request.method == "GET" and sharing.is_visitor(*_agent_and_purpose(request)):
        visits.record(campaign.pk, Signature.Source.EMBED)
    visits.flush_if_due()
    totals = counting.totals(campaign)
    context = _embed_context(campaign) | {
        "form": form,
        "totals": totals,
        "target": counting.milestone(totals.count, campaign.signature_goal),
    }
    return render(request, "petition/embed/sign.html", context)


@embedding.embeddable
@require_GET
def embed_check_email(request: HttpRequest, slug: str) -> HttpResponse:
    """The check-your-email page inside a partner's frame, showing the inbox to the address that has just signed."""
    campaign = _campaign(slug)
    value = request.GET.get("r", "")
    visitor = embedding.visitor(signing.hash_ip(ratelimits.client_ip(request)))
    receipt = receipts.open_receipt(value, campaign, visitor)
    context = _embed_context(campaign) | {
        "inbox": receipts.inbox(receipt) if receipt else None,
        "sign_again_url": receipts.sign_again_url(campaign, value, receipt, view="petition:embed") if receipt else None,
    }
    response = render(request, "petition/embed/check_email.html", context)
    response["Cache-Control"] = "no-store"  # it may show an address, as the site's own page may
    return response


def _embed_context(campaign: Campaign) -> dict[str, object]:
    # Links out of the frame open the site in a new tab: its pages refuse to be framed.
    return {"campaign": campaign, "embed": True, "letter_url": settings.SITE_URL + campaign.get_absolute_url()}


@require_http_methods(["GET", "POST"])
def resend(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _campaign(slug)
    form = ResendForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        if wait := ratelimits.resend_wait(signing.hash_ip(ratelimits.client_ip(request))):
            return _rate_limited(request, campaign, wait, form)
        signing.ask_to_resend(campaign, form.cleaned_data["email"])
        return redirect("petition:check_email", slug)
    return render(request, "petition/resend.html", {"campaign": campaign, "form": form})


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """GET shows a button, POST confirms: mail scanners open links but do not press buttons."""
    campaign = _campaign_for_signing(slug)  # this process's copy: confirming is a surge's hot path too
    signature = signing.signature_for_token(token, purpose="confirm", campaign=campaign)
    if signature is None:
        return _invalid_link(request, slug)
    # Whoever holds the link from the email has proved it is their inbox: theirs is the thank-you that says so.
    confirmed = receipts.confirmed_url(campaign, request.META.get("CSRF_COOKIE", ""))
    # Paths, not views' names (redirect() would try reversing each as one first).
    if signature.status == Signature.Status.CONFIRMED:
        return HttpResponseRedirect(confirmed)
    if request.method == "POST":
        if not campaign.is_accepting_signatures():
            return render(request, "petition/not_open.html", {"campaign": campaign}, status=403)
        standing.confirm(signature)
        return HttpResponseRedirect(confirmed)
    public_name = shown_name(
        Audience.PUBLIC,
        first_name=signature.first_name,
        last_name=signature.last_name,
        show_name=signature.show_name,
    )
    context = {"campaign": campaign, "signature": signature, "public_name": public_name}
    return render(request, "petition/confirm.html", context)


@require_GET
def thanks(request: HttpRequest, slug: str) -> HttpResponse:
    """Says "confirmed and counted" only to the browser that has just confirmed; to anyone else, thanks and share."""
    campaign = _campaign_for_signing(slug)
    context = {
        "campaign": campaign,
        "totals": counting.totals(campaign),
        "confirmed": receipts.has_confirmed(request.GET.get("r"), campaign, request.META.get("CSRF_COOKIE", "")),
        **sharing.share_context(campaign),
    }
    return render(request, "petition/thanks.html", context)


@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    signature = signing.signature_for_token(token, purpose="withdraw")
    if signature is None or signature.campaign.slug != slug:
        return _invalid_link(request, slug)
    if request.method == "POST":
        standing.withdraw(signature)
        return render(request, "petition/withdrawn.html", {"campaign": signature.campaign})
    return render(request, "petition/withdraw.html", {"campaign": signature.campaign, "signature": signature})


@require_safe
def privacy(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """The privacy notice of one campaign, naming its data controller, or at /privacy/ of every public one."""
    campaign = _campaign(slug) if slug else None
    context = {
        "campaign": campaign,
        "campaigns": [campaign] if campaign else Campaign.objects.public().select_related("organiser"),
        "version": PRIVACY_NOTICE_VERSION,
        # Each figure from the code that keeps the promise, so the notice cannot drift from what happens.
        "retention_days": retention.period().days,
        "contact_label": translation.gettext(consent.CONTACT_LABEL),
        "link_days": settings.CONFIRMATION_LINK_MAX_AGE // 86400,
    }
    return render(request, "campaign/privacy.html", context)


def update_page(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """An update to supporters, as it was emailed, for anyone to read once it has been sent."""
    update = get_object_or_404(updates.published(_campaign(slug)).select_related("campaign"), pk=pk)
    return render(request, "petition/update.html", {"campaign": update.campaign, "update": update})


# RFC 8058: the mailbox provider POSTs "List-Unsubscribe=One-Click" with no cookie and no CSRF token, and the
# POST must act at once. A GET only shows the button: mail scanners follow links, and must unsubscribe no one.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Stop every further update to the mailbox an update was sent to: a page with a button, or one-click POST."""
    signature = suppression.signature_for(token)
    if request.method == "POST":
        if signature is not None:
            suppression.unsubscribe(signature)
        # The same answer whatever the token: it says nothing about who signed.
        return render(request, "petition/unsubscribed.html", {"campaign": signature and signature.campaign})
    status = 200 if signature is not None else 404
    context = {"campaign": signature and signature.campaign, "valid": signature is not None}
    return render(request, "petition/unsubscribe.html", context, status=status)


@require_GET
def campaign_json(request: HttpRequest, slug: str) -> HttpResponse:
    """The count for other sites and apps: open to any origin, cached briefly by browsers and CDNs.

    The body is built at most once every COUNT_CACHE_SECONDS per process and address: under a
    read storm each request costs a cache lookup, not a JSON encoding.
    """
    # English unless ?lang=cy asks for Welsh titles and timeline (any other value is English).
    language = languages.WELSH if request.GET.get("lang") == languages.WELSH else languages.ENGLISH
    key = f"campaign-json:{slug}:{language}"
    body = caches["local"].get(key)
    if body is None:
        with translation.override(language):
            body = _campaign_json_body(_campaign_for_signing(slug))
        caches["local"].set(key, body, settings.COUNT_CACHE_SECONDS)
    if compression.accepts_gzip(request.headers.get("Accept-Encoding", "")):
        # Compressed once per copy, as the campaign page is, rather than by GZipMiddleware for each reader.
        response = HttpResponse(_compressed_start(key, body).gzipped(), content_type="application/json")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(body, content_type="application/json")
    patch_vary_headers(response, ("Accept-Encoding",))
    response["Content-Language"] = languages.LANGUAGES[language].tag
    patch_cache_control(response, public=True, max_age=5, stale_while_revalidate=30)
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def campaign_badge(request: HttpRequest, slug: str) -> HttpResponse:
    """The count as an SVG image for partners' sites (`<img src=…>`): any origin, cached briefly like the JSON."""
    key = f"campaign-badge:{slug}"
    body = caches["local"].get(key)
    if body is None:
        campaign = _campaign_for_signing(slug)
        totals = counting.totals(campaign)
        target = counting.milestone(totals.count, campaign.signature_goal)
        context = {
            "campaign": campaign,
            "count": totals.count,
            "progress": round(320 * min(totals.count / target, 1)),
            "open": campaign.is_accepting_signatures(),
            "site_host": urlsplit(settings.SITE_URL).netloc,
        }
        body = render_to_string("petition/badge.svg", context).encode()
        caches["local"].set(key, body, settings.COUNT_CACHE_SECONDS)
    response = HttpResponse(body, content_type="image/svg+xml")
    patch_cache_control(response, public=True, max_age=60, stale_while_revalidate=300)
    response["Access-Control-Allow-Origin"] = "*"
    # Partners' pages may isolate themselves (COEP): the badge says it may be shown on any site.
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@require_safe
def share_card(request: HttpRequest, slug: str) -> HttpResponse:
    """The campaign's picture for links shared to it (og:image), in the address's language (petition.cards).

    Drawn once per process for each edit of the campaign (the page links to it with `?v=` and the time of that
    edit), so a shared link's card changes when the title does and costs a cache lookup otherwise.
    """
    campaign = _campaign_for_signing(slug)
    language = translation.get_language()
    key = f"share-card:{slug}:{language}:{campaign.updated_at.timestamp()}"
    body = caches["local"].get(key)
    if body is None:
        body = cards.share_card(campaign)
        caches["local"].set(key, body, 24 * 60 * 60)
    response = HttpResponse(body, content_type="image/png")
    patch_cache_control(response, public=True, max_age=24 * 60 * 60)
    # Networks fetch it from their own servers, and partners' pages may show it: it may be used anywhere.
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def _campaign_json_body(campaign: Campaign) -> bytes:
    totals = counting.totals(campaign)
    regions = postcodes.regions()
    data = {
        "slug": campaign.slug,
        "language": languages.LANGUAGES[translation.get_language() or languages.ENGLISH].tag,
        "title": campaign.title,
        "status": campaign.status,
        "organiser": _organiser_json(campaign.organiser),
        # The site's one public address, as in emails and share links, whatever host the request named.
        "url": settings.SITE_URL + campaign.get_absolute_url(),
        "count": totals.count,
        "goal": campaign.signature_goal,
        "next_milestone": counting.milestone(totals.count, campaign.signature_goal),
        "by_nation": _by_nation(totals, regions),
        # Names in the response's language; keys stay the same in every language.
        "by_region": [
            {
                "key": key,
                "name": translation.gettext(regions[key].name),
                "nation": translation.gettext(regions[key].nation),
                "count": count,
            }
            for key, count in totals.by_region.items()
            if key in regions
        ],
        "updated_at": totals.updated_at.isoformat(),
        "delivered": None,
        "response": None,
        "timeline": [
            {"on": event.on, "kind": event.kind, "text": event.text}
            | ({"url": settings.SITE_URL + event.url} if event.url else {})
            for event in timeline.events(campaign)
        ],
    }
    if campaign.status == Campaign.Status.DELIVERED and campaign.delivered_at:
        data["delivered"] = {"on": timezone.localdate(campaign.delivered_at), "count": campaign.delivered_count}
    if campaign.responded_on:
        data["response"] = {
            "by": campaign.response_by or campaign.recipient_name,
            "on": campaign.responded_on,
            "text": campaign.response,
        }
    return json.dumps(data, cls=DjangoJSONEncoder).encode()


def _organiser_json(organiser: Organiser | None) -> dict[str, str | None] | None:
    if organiser is None:
        return None
    return {"name": organiser.name, "charity_number": organiser.charity_number or None}


def _by_nation(totals: Totals, regions: dict[str, Region]) -> list[dict[str, str | int]]:
    """Each nation's count, keyed as the regions are (those abroad under `outside-uk`, as their region is)."""
    nations: dict[str, tuple[str, int]] = {}
    for key, count in totals.by_region.items():
        if key in regions:
            nation = regions[key].nation
            nation_key = key if key == postcodes.OUTSIDE_UK else postcodes.key(nation)
            nations[nation_key] = (nation, nations.get(nation_key, (nation, 0))[1] + count)
    return [
        {"key": key, "name": translation.gettext(nation), "count": count} for key, (nation, count) in nations.items()
    ]


@staff_member_required
@permission_required("petition.export_signatures")
@require_http_methods(["GET", "HEAD", "POST"])
def export_signatures(request: StaffRequest, slug: str) -> HttpResponse | StreamingHttpResponse:
    """GET says what the export holds and offers the columns; only the POST downloads it, audited.

    A link on another site can make a browser GET, never POST with our CSRF token: nobody exports unawares.
    """
    campaign = get_object_or_404(Campaign, slug=slug)
    form = ExportForm(request.POST if request.method == "POST" else None)
    if not form.is_valid():
        context = {
            "campaign": campaign,
            "form": form,
            "title": "Export the verified signatures",
            "count": counting.totals(campaign).count,
            "columns": exports.COLUMNS.values(),
            "demo_left_out": _demo_left_out(campaign),
        }
        return _staff_page(request, "petition/staff/export.html", context)
    columns = form.cleaned_data["columns"]
    audit.record(
        request.user,
        AuditEntry.Action.EXPORT,
        counting.verified(campaign).count,
        campaign=campaign,
        columns=columns,
        filters={"status": "confirmed"},
    )
    return _csv_download(exports.csv_lines(campaign, columns), f"{campaign.slug}-signatures")


@staff_member_required
@permission_required("petition.export_contacts")
@require_http_methods(["GET", "HEAD", "POST"])
def export_contacts(request: StaffRequest, slug: str) -> HttpResponse | StreamingHttpResponse:
    """The signers who asked to hear more, with their addresses: described by GET, downloaded by POST, audited."""
    campaign = get_object_or_404(Campaign, slug=slug)
    count = exports.contacts(campaign).count()
    if request.method != "POST":
        context = {
            "campaign": campaign,
            "title": "Export the contacts who asked to hear more",
            "count": count,
            "columns": exports.CONTACT_COLUMNS,
            "wording": consent.CONTACT_LABEL,
        }
        return _staff_page(request, "petition/staff/contacts.html", context)
    audit.record(
        request.user,
        AuditEntry.Action.EXPORT_CONTACTS,
        count,
        campaign=campaign,
        columns=[column.header for column in exports.CONTACT_COLUMNS],
        filters={"status": "confirmed", "contact_opt_in": True},
    )
    return _csv_download(exports.contact_csv_lines(campaign), f"{campaign.slug}-contacts")


def _csv_download(lines: Iterator[str], name: str) -> StreamingHttpResponse:
    """A CSV file streamed as it is written, dated, never kept by a cache."""
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{timezone.localdate():%Y-%m-%d}.csv"'
    response["Cache-Control"] = "no-store"
    return response


@staff_member_required
@permission_required("petition.export_signatures")
@require_http_methods(["GET", "HEAD", "POST"])
def delivery_pack(request: StaffRequest, slug: str) -> HttpResponse:
    """GET says what the pack to print holds; the POST opens it, and each one opened is audited."""
    campaign = get_object_or_404(Campaign, slug=slug)
    if request.method != "POST":
        context = {"campaign": campaign, "title": "Print the delivery pack", "count": counting.totals(campaign).count}
        return _staff_page(request, "petition/staff/delivery_print.html", context)
    audit.record(
        request.user,
        AuditEntry.Action.EXPORT,
        counting.verified(campaign).count,
        campaign=campaign,
        kind="delivery pack",
        format="html",
        columns=["name", "area"],
        filters={"status": "confirmed"},
    )
    response = render(request, "petition/staff/delivery_pack.html", delivery.context(campaign))
    response["Cache-Control"] = "no-store"
    return response


@staff_member_required
@permission_required("petition.export_signatures")
@require_http_methods(["GET", "HEAD", "POST"])
def deliver(request: StaffRequest, slug: str) -> HttpResponse:
    """Delivering the letter: the print page, and PDFs built in the background (POST asks for a new one)."""
    campaign = get_object_or_404(Campaign, slug=slug)
    pdf_missing = delivery.pdf_missing()
    if request.method == "POST" and not pdf_missing:
        delivery.request_pdf(campaign, request.user)
        return redirect("petition:deliver", slug=campaign.slug)
    packs = list(campaign.delivery_packs.defer("pdf").select_related("requested_by")[:10])
    context = {
        "title": "Deliver the letter",
        "campaign": campaign,
        "packs": packs,
        "pdf_missing": pdf_missing,
        "building": any(pack.status == DeliveryPack.Status.BUILDING and not pack.stalled for pack in packs),
        "demo_left_out": _demo_left_out(campaign),
    }
    return _staff_page(request, "petition/staff/delivery.html", context)


def _demo_left_out(campaign: Campaign) -> int:
    """How many confirmed demo signatures the site counts but the recipient is never given."""
    return Signature.objects.for_campaign(campaign).confirmed().demo().count()


@staff_member_required
@permission_required("petition.export_signatures")
def delivery_pack_pdf(request: StaffRequest, slug: str, pk: int) -> HttpResponse:
    """Download a built PDF; each download is audited."""
    pack = get_object_or_404(DeliveryPack, campaign__slug=slug, pk=pk, status=DeliveryPack.Status.READY)
    audit.record(
        request.user,
        AuditEntry.Action.EXPORT,
        pack.signatures,
        campaign=pack.campaign,
        kind="delivery pack download",
        format="pdf",
        pack=pack.pk,
    )
    response = HttpResponse(bytes(pack.pdf), content_type="application/pdf")
    filename = f"{slug}-delivery-pack-{timezone.localtime(pack.finished_at):%Y-%m-%d-%H%M}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _staff_page(request: StaffRequest, template: str, context: dict[str, object]) -> HttpResponse:
    """A staff page in the admin's frame: its header, user links and breadcrumbs need the admin's context."""
    return render(request, template, admin.site.each_context(request) | context)


@staff_member_required
@permission_required("petition.send_update")
@require_http_methods(["GET", "HEAD"])
def update_staff_page(request: StaffRequest, update_id: int) -> HttpResponse:
    """An update's preview, its test, its audiences and sending; while it is sent, its progress (self-refreshing)."""
    update = get_object_or_404(Update.objects.select_related("campaign", "sent_by"), pk=update_id)
    progress = updates.progress(update) if update.status != Update.Status.DRAFT else None
    refreshing = update.status == Update.Status.SENDING and "still" not in request.GET
    context = {
        "title": update.title,
        "campaign": update.campaign,
        "update": update,
        "progress": progress,
        "audiences": _audiences(update) if update.status == Update.Status.DRAFT else [],
        "contact_label": consent.CONTACT_LABEL,
        "refreshing": refreshing,
        "refresh_seconds": UPDATE_REFRESH_SECONDS,
        "rate": settings.UPDATE_EMAILS_PER_MINUTE,
    }
    response = _staff_page(request, "petition/staff/update.html", context)
    if refreshing:
        # As on the overview: the page says so at its top, with a link that stops it (WCAG 2.2.1).
        response["Refresh"] = str(UPDATE_REFRESH_SECONDS)
    return response


UPDATE_REFRESH_SECONDS = 10


def _audiences(update: Update) -> list[tuple[str, str, int]]:
    sizes = updates.audience_sizes(update.campaign)
    return [(value, str(label), sizes[value]) for value, label in Update.Audience.choices]


@staff_member_required
@permission_required("petition.send_update")
@require_POST
def send_update_test(request: StaffRequest, update_id: int) -> HttpResponse:
    update = get_object_or_404(Update, pk=update_id)
    if updates.send_test(update, request.user):
        messages.success(request, f"A test is on its way to {request.user.email}, and to nobody else.")
    else:
        messages.error(request, "Your account has no email address: add one under “Change password” › your user.")
    return redirect("petition:update_staff", update_id=update.pk)


@staff_member_required
@permission_required("petition.send_update")
@require_POST
def send_update(request: StaffRequest, update_id: int) -> HttpResponse:
    update = get_object_or_404(Update.objects.select_related("campaign"), pk=update_id)
    chosen = request.POST.get("audience", "")
    if chosen not in Update.Audience.values:
        messages.error(request, "Choose who the update goes to.")
    elif updates.start_sending(update, chosen, request.user):
        messages.success(request, "Sending has started. This page shows how far it has gone.")
    else:
        messages.warning(request, "This update was already sent: it was not sent again.")
    return redirect("petition:update_staff", update_id=update.pk)


@staff_member_required
@permission_required("petition.send_update")
@require_POST
def cancel_update(request: StaffRequest, update_id: int) -> HttpResponse:
    update = get_object_or_404(Update.objects.select_related("campaign"), pk=update_id)
    stopped = updates.cancel(update, request.user)
    messages.success(request, f"Sending cancelled: {stopped:,} emails not yet sent will not go.")
    return redirect("petition:update_staff", update_id=update.pk)
