from django.conf import settings
from django.core.cache import caches
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static

from petition.forms import form_clock

from . import PRIVACY_NOTICE_VERSION
from .models import Campaign

# The campaign page is the same for every visitor but for two values, the CSRF token and
# the sign form's clock. When a campaign is shared, thousands read it at once, and
# rendering it takes milliseconds: so each process renders it at most once every
# PAGE_CACHE_SECONDS, with placeholders for those two values, and fills them in for each
# visitor (a "donut" cache). The count on it is never more than that plus
# COUNT_CACHE_SECONDS behind.
CSRF_PLACEHOLDER = "csrf-token-placeholder-4f1c9b"
CLOCK_PLACEHOLDER = "form-clock-placeholder-4f1c9b"


def front_page(request):
    """The newest open campaign is the front page; its canonical address is /c/<slug>/."""

    def campaign():
        campaign = Campaign.objects.front_page()
        if campaign is None:
            raise Http404("No campaign is running at the moment.")
        return campaign

    return _campaign_page(request, campaign)


def campaign_detail(request, slug):
    return _campaign_page(request, lambda: get_object_or_404(Campaign.objects.public(), slug=slug))


def _campaign_page(request, find_campaign):
    key = f"campaign-page:{request.path}"
    cached = caches["local"].get(key)
    if cached is None:
        campaign = find_campaign()
        context = {
            "campaign": campaign,
            "asks": campaign.asks.all(),
            "facts": campaign.facts.select_related("source"),
            "stories": campaign.stories.all(),
            # Context processors give way to the view's context: these replace the real values.
            "csrf_token": CSRF_PLACEHOLDER,
            "form_clock": CLOCK_PLACEHOLDER,
        }
        cached = (campaign.pk, render_to_string("campaign/campaign.html", context, request))
        if settings.PAGE_CACHE_SECONDS:
            caches["local"].set(key, cached, settings.PAGE_CACHE_SECONDS)
    campaign_pk, page = cached
    page = page.replace(CSRF_PLACEHOLDER, get_token(request))
    if CLOCK_PLACEHOLDER in page:
        page = page.replace(CLOCK_PLACEHOLDER, form_clock(campaign_pk))
    return HttpResponse(page)


def privacy(request):
    context = {"version": PRIVACY_NOTICE_VERSION, "retention_days": settings.RETENTION_DAYS}
    return render(request, "campaign/privacy.html", context)


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: point them at the hashed icon."""
    return redirect(static("favicon.svg"), permanent=True)
