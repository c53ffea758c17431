from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static

from . import PRIVACY_NOTICE_VERSION
from .models import Campaign


def front_page(request):
    """The newest open campaign is the front page; its canonical address is /c/<slug>/."""
    campaign = Campaign.objects.front_page()
    if campaign is None:
        raise Http404("No campaign is running at the moment.")
    return _render_campaign(request, campaign)


def campaign_detail(request, slug):
    return _render_campaign(request, get_object_or_404(Campaign.objects.public(), slug=slug))


def _render_campaign(request, campaign):
    context = {
        "campaign": campaign,
        "asks": campaign.asks.all(),
        "facts": campaign.facts.select_related("source"),
        "stories": campaign.stories.all(),
    }
    return render(request, "campaign/campaign.html", context)


def privacy(request):
    context = {"version": PRIVACY_NOTICE_VERSION, "retention_days": settings.RETENTION_DAYS}
    return render(request, "campaign/privacy.html", context)


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: point them at the hashed icon."""
    return redirect(static("favicon.svg"), permanent=True)
